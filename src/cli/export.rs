//! `distillscope export PATH --campaign NAME --out DIR`: a campaign's
//! evidence pack, headless; and `distillscope verify DIR`, which checks a
//! pack against its manifest.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{SourceArgs, print_stdout, stderr_progress};
use crate::analysis::detect::{self, DetectConfig};
use crate::case::{self, Casebook};
use crate::export::{manifest, pack};

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The campaign to export.
    #[arg(long)]
    pub campaign: String,
    /// The pack folder to create (it must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Write a random sample of this many exchanges instead of all (the method is recorded in the pack).
    #[arg(long)]
    pub sample: Option<u64>,
    /// Also write DIR.zip.
    #[arg(long)]
    pub zip: bool,
    /// Sort exchanges.csv oldest first (by default it is written unsorted,
    /// as DuckDB's threads read it: more than twice as fast for a large campaign).
    #[arg(long)]
    pub oldest_first: bool,
    /// Run detection and add each account's score and signals to accounts.csv.
    #[arg(long)]
    pub detect: bool,
    /// Detection settings for --detect (default: the shipped assets/detection.toml).
    #[arg(long, requires = "detect")]
    pub config: Option<PathBuf>,
    /// Who exports (default: $DISTILLSCOPE_ANALYST or the login name).
    #[arg(long)]
    pub analyst: Option<String>,
}

/// Runs `export`.
pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let progress = stderr_progress(args.source.quiet);
    // Opened for work so the export goes into the case's chain of custody
    // (read-only, saying why, where the case cannot be written).
    let mut open = args.source.open_options()?;
    open.for_work = true;
    let case = super::open_case(&args.source.path, &open, &progress)?;
    let book = Casebook::load(&case.conn, &case.path)?;
    let settings = match &args.config {
        Some(p) => {
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => detect::config::DEFAULT_CONFIG.to_owned(),
    };
    let scan = if args.detect {
        let cfg = DetectConfig::parse(&settings).map_err(anyhow::Error::msg)?;
        Some(detect::scan(&case.conn, &case.path, &cfg, &progress)?)
    } else {
        None
    };
    let opts = pack::PackOptions {
        campaign: args.campaign.clone(),
        out: args.out.clone(),
        sample: args.sample,
        zip: args.zip,
        oldest_first: args.oldest_first,
        analyst: args.analyst.clone().unwrap_or_else(case::default_analyst),
    };
    let report = pack::export(
        &case.conn,
        &case.path,
        &case.meta,
        book.book(),
        scan.as_ref().map(|s| (s, settings.as_str())),
        &opts,
        &progress,
    )?;
    let mut out = format!(
        "Wrote the evidence pack of {:?} to {}\n",
        report.manifest.campaign.name,
        report.dir.display()
    );
    for f in &report.manifest.files {
        out.push_str(&format!(
            "  {:<20} {:>14} bytes{}\n",
            f.name,
            f.size,
            f.rows.map(|r| format!(", {r} rows")).unwrap_or_default()
        ));
    }
    if let Some(z) = &report.zip {
        out.push_str(&format!("  zip: {}\n", z.display()));
    }
    out.push_str(&format!(
        "Pack fingerprint (SHA-256 of manifest.json): {}\n",
        report.fingerprint
    ));
    if !args.source.quiet {
        for (stage, s) in &report.timings {
            eprintln!("  {stage:<28} {s:>7.1} s");
        }
    }
    print_stdout(&out)
}

/// Hashes the evidence of the case at `path` (or of the case beside the
/// source `path`) in full and compares it with what the case recorded.
fn verify_case_evidence(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    use crate::store::case::{self as store_case, Case};
    let case_path = if store_case::is_case(path) {
        path.to_path_buf()
    } else {
        store_case::case_location(path)
    };
    if !case_path.is_file() {
        anyhow::bail!(
            "{} is neither an evidence pack (no manifest.json) nor a case, and has no case beside it ({})",
            path.display(),
            case_path.display()
        );
    }
    let case = Case::open(&case_path, false)?;
    let meta = case.meta.clone();
    drop(case);
    let progress = stderr_progress(false);
    progress.stage("Hashing every evidence file in full (SHA-256)")?;
    let mut out = String::new();
    for fp in &meta.evidence {
        out.push_str(&format!(
            "{}  {} bytes  {}\n",
            fp.sha256,
            fp.size,
            fp.path.display()
        ));
    }
    print_stdout(&out)?;
    match store_case::verify_evidence(&meta, &progress) {
        Ok(()) => {
            print_stdout(&format!(
                "evidence intact: {} file(s) hash as recorded in {}\n",
                meta.evidence.len(),
                case_path.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            print_stdout(&format!("EVIDENCE CHANGED: {e}\n"))?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A pack folder (checked against its manifest), or a case file or the
    /// evidence it was made from (every evidence file hashed again in full).
    pub dir: PathBuf,
}

/// Runs `verify`: success only when every file matches the manifest, or
/// every evidence file of a case its recorded SHA-256.
pub fn run_verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    if !args.dir.join("manifest.json").is_file() {
        return verify_case_evidence(&args.dir);
    }
    let v = manifest::verify(&args.dir)?;
    print_stdout(&v.report())?;
    Ok(if v.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
