//! The headless commands. They use only store/, analysis/ and export/, so
//! anything the GUI finds can be scripted and tested.

pub mod bench;
pub mod bench_graph;
pub mod bench_ui;
pub mod campaign;
pub mod classify;
pub mod export;
pub mod generate;
pub mod graph;
pub mod import;
pub mod scan;
pub mod share;
pub mod summary;
pub mod view;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::pipeline::OpenOptions;
use crate::store::mapping::ColumnMapping;
use crate::store::progress::Progress;

/// distillscope: investigate distillation attacks on an LLM API.
#[derive(Debug, Parser)]
#[command(name = "distillscope", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// The command to run headless; without one the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// What the app opens (default: the bundled sample incident).
    pub path: Option<PathBuf>,
    /// How the app draws its window: wgpu (falls back to glow) or glow (OpenGL, works with software rendering).
    #[arg(long, value_enum, default_value_t)]
    pub renderer: RendererChoice,
}

/// How the app draws its window, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RendererChoice {
    /// wgpu (Vulkan, Metal, DX12 or GL); falls back to glow if it cannot start.
    #[default]
    Wgpu,
    /// OpenGL through glow: works with software rendering (llvmpipe).
    Glow,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the incident at a glance: volumes, dates, categories, busiest accounts.
    Summary(summary::SummaryArgs),
    /// Turn LiteLLM, OpenTelemetry or Bedrock logs into a case file.
    Import(import::ImportArgs),
    /// Print what a GUI view shows (timeline, categories, accounts, exchanges, account) for a selection, as JSON.
    View(view::ViewArgs),
    /// Write the account network (nodes, edges, clusters) as CSV files.
    Graph(graph::GraphArgs),
    /// Write every exchange's capability category and the rule that decided it.
    Classify(classify::ClassifyArgs),
    /// Score every account and cluster for distillation signals; write flagged.csv.
    Scan(scan::ScanArgs),
    /// Create, change, list and show campaigns, tags and notes in a case (audited).
    Campaign(campaign::CampaignArgs),
    /// Write a campaign's evidence pack (CSV files, drafted timeline, charts, manifest).
    Export(export::ExportArgs),
    /// Write a campaign's shareable indicators (no customer data) as a STIX 2.1 bundle.
    Share(share::ShareArgs),
    /// Check an evidence pack against its manifest (every altered, missing or added file named), or hash a case's evidence again in full.
    Verify(export::VerifyArgs),
    /// Write the synthetic incident (Parquet tables and a separate truth.csv).
    Generate(generate::GenerateArgs),
    /// Run a benchmark (see BENCHMARKS.md).
    Bench(bench::BenchArgs),
}

/// Options shared by every command that opens a source.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A DuckDB database, a Parquet/CSV/JSON Lines file, a folder of them, or a case file.
    pub path: PathBuf,
    /// Where the case file goes (default: <source>.case.duckdb beside it).
    #[arg(long)]
    pub case: Option<PathBuf>,
    /// Map source columns onto the contract: ts=request_time,account_id=customer; other tables as accounts.created_at=signup_time,events.kind=type (remembered per source).
    #[arg(long)]
    pub map: Option<String>,
    /// IP-range CSV/TSV (iptoasn, ip-location-db) or MaxMind .mmdb to fill asn, asn_org and country.
    #[arg(long)]
    pub ip_db: Option<PathBuf>,
    /// Capability taxonomy (default: the shipped assets/taxonomy.toml).
    #[arg(long)]
    pub taxonomy: Option<PathBuf>,
    /// Rebuild the case file even if an up-to-date one exists.
    #[arg(long)]
    pub rebuild: bool,
    /// Print no progress.
    #[arg(long, short)]
    pub quiet: bool,
}

impl SourceArgs {
    /// The open options these arguments describe.
    pub fn open_options(&self) -> anyhow::Result<OpenOptions> {
        let mapping = self.map.as_deref().map(ColumnMapping::parse).transpose()?;
        Ok(OpenOptions {
            case_path: self.case.clone(),
            mapping,
            ip_db: self.ip_db.clone(),
            taxonomy: self.taxonomy.clone(),
            rebuild: self.rebuild,
            for_work: false,
            accept_changed_evidence: false,
        })
    }
}

/// Writes a command's output to stdout; a closed pipe (`| head`) ends it
/// quietly instead of panicking.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A progress handle that prints stages to stderr unless `quiet`. SIGINT
/// or SIGTERM cancels it: the command stops at once (its DuckDB statement
/// interrupted) and removes what it had half-written.
pub fn stderr_progress(quiet: bool) -> Progress {
    let progress = if quiet {
        Progress::default()
    } else {
        let start = std::time::Instant::now();
        Progress::with_listener(move |stage| {
            eprintln!("[{:>7.1}s] {stage}", start.elapsed().as_secs_f64());
        })
    };
    cancel_on_signal(&progress);
    progress
}

/// Cancels `progress` when the process is asked to stop (SIGINT, SIGTERM).
/// A second signal ends the process at once; the next build or export
/// sweeps what it left.
fn cancel_on_signal(progress: &Progress) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};
    static WATCHED: OnceLock<Mutex<Vec<Progress>>> = OnceLock::new();
    let watched = WATCHED.get_or_init(|| {
        let asked = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // The second signal exits (the flag is already set then).
            let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, asked.clone());
            let _ = signal_hook::flag::register(signal, asked.clone());
        }
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                while !asked.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                eprintln!(
                    "stopping: removing what was half-written (a second Ctrl-C ends at once)"
                );
                if let Some(list) = WATCHED.get() {
                    for p in list.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                        p.cancel();
                    }
                }
            });
        Mutex::new(Vec::new())
    });
    watched
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(progress.clone());
}

/// Opens a source as a case (see `pipeline::open`) and tells the analyst on
/// stderr what opening it did (a rebuild and the work carried over, a
/// relabelling).
pub fn open_case(
    path: &std::path::Path,
    opts: &crate::pipeline::OpenOptions,
    progress: &Progress,
) -> crate::store::error::StoreResult<crate::store::case::Case> {
    let case = crate::pipeline::open(path, opts, progress)?;
    for notice in &case.notices {
        eprintln!("note: {notice}");
    }
    Ok(case)
}

/// Runs a parsed command line; errors are printed once, here.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Summary(a) => summary::run(&a),
        Command::Import(a) => import::run(&a),
        Command::View(a) => view::run(&a),
        Command::Graph(a) => graph::run(&a),
        Command::Classify(a) => classify::run(&a),
        Command::Scan(a) => scan::run(&a),
        Command::Campaign(a) => campaign::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Share(a) => share::run(&a),
        Command::Verify(a) => match export::run_verify(&a) {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Generate(a) => generate::run(&a),
        Command::Bench(a) => bench::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err)
            if matches!(
                err.downcast_ref::<crate::store::error::StoreError>(),
                Some(crate::store::error::StoreError::Cancelled)
            ) =>
        {
            eprintln!("stopped: nothing half-written was left behind");
            ExitCode::from(130)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
