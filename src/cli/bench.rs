//! `distillscope bench ...`: the benchmarks behind BENCHMARKS.md, run on
//! real data at full scale with the release build.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::stderr_progress;
use crate::analysis::summary;
use crate::pipeline::{self, OpenOptions};
use crate::store::case::{self, Case};
use crate::store::mapping::ColumnMapping;
use crate::store::source::Source;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[command(subcommand)]
    pub which: Bench,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Import and derive a source with our pipeline, then replay the exact
    /// SQL it ran on a bare DuckDB connection; print both times and the ratio.
    Import {
        /// The source (e.g. the full incident folder).
        source: PathBuf,
        /// Scratch folder for the two case files.
        #[arg(long)]
        work: PathBuf,
    },
    /// Time `summary` on a derived case file.
    Summary {
        /// The case file.
        case: PathBuf,
        /// Repetitions.
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Time the timeline, categories and accounts queries of the GUI for
    /// typical selections, through its query worker.
    Views {
        /// The case file.
        case: PathBuf,
        /// Repetitions of every selection.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Time each first look at a typical selection (timeline, categories,
    /// accounts, exchanges) and whole account pages, cold or warm.
    Looks {
        /// The case file.
        case: PathBuf,
        /// Repetitions of every look.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Drop the page cache and open the case afresh before each look
        /// (Linux, as root).
        #[arg(long)]
        cold: bool,
    },
    /// Build the account network of a case from scratch (stages, peak
    /// memory, edges), and compare its clustering with igraph and leidenalg.
    Graph {
        /// The case file.
        case: PathBuf,
    },
    /// Scan a case as the app does (writable, the features kept in the
    /// case): once with the kept features dropped, then once more.
    Scan {
        /// The case file.
        case: PathBuf,
    },
    /// Time opening a case to the first complete frame of the real app,
    /// then frames of the accounts table while scrolling (headless).
    Frames {
        /// The case file.
        case: PathBuf,
        /// Frames to time.
        #[arg(long, default_value_t = 200)]
        frames: usize,
    },
}

/// Peak resident memory of this process so far, in MiB (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Median and maximum of durations in milliseconds.
pub fn median_max(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], *ms.last().unwrap_or(&0.0))
}

/// Runs a benchmark.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.which {
        Bench::Import { source, work } => {
            std::fs::create_dir_all(work)?;
            let src = Source::detect(source)?;
            let ours = work.join("ours.case.duckdb");
            let bare = work.join("bare.duckdb");
            for p in [&ours, &bare] {
                let _ = std::fs::remove_file(p);
            }
            let progress = stderr_progress(false);
            let started = Instant::now();
            let report = pipeline::build(
                &src,
                &ours,
                &ColumnMapping::default(),
                &OpenOptions::default(),
                &progress,
                true,
                None,
            )?;
            let t_ours = started.elapsed().as_secs_f64();
            let peak_ours = peak_rss_mib();
            eprintln!(
                "replaying {} statements on a bare DuckDB connection",
                report.statements.len()
            );
            let conn = case::new_database(&bare)?;
            let started = Instant::now();
            for sql in &report.statements {
                conn.execute_batch(sql)
                    .with_context(|| format!("replaying: {sql}"))?;
            }
            conn.execute_batch("CHECKPOINT;")?;
            let t_bare = started.elapsed().as_secs_f64();
            let exchanges: i64 = Case::open(&ours, false)?.conn.query_row(
                "SELECT count(*) FROM exchanges",
                [],
                |r| r.get(0),
            )?;
            println!("exchanges:                 {exchanges}");
            println!(
                "distillscope import+derive: {t_ours:.1} s (peak RSS {:.0} MiB)",
                peak_ours.unwrap_or(f64::NAN)
            );
            println!("same SQL on bare DuckDB:    {t_bare:.1} s");
            println!("ratio:                      {:.2}x", t_ours / t_bare);
            let evidence: u64 = src
                .files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let case_size = std::fs::metadata(&ours)?.len();
            println!(
                "case file:                  {:.1} MB for {:.1} MB of evidence ({:.2}x)",
                case_size as f64 / 1e6,
                evidence as f64 / 1e6,
                case_size as f64 / evidence.max(1) as f64
            );
        }
        Bench::Summary { case, runs } => {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..*runs {
                let started = Instant::now();
                let c = Case::open(case, false)?;
                let s = summary::summarize(&c, 10)?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                last = Some(s.exchanges);
            }
            let (median, max) = median_max(times);
            println!(
                "summary of {} exchanges: median {median:.1} ms, max {max:.1} ms over {runs} runs (open + all queries)",
                last.unwrap_or(0)
            );
        }
        Bench::Views { case, runs } => super::bench_ui::views(case, *runs)?,
        Bench::Looks { case, runs, cold } => super::bench_ui::looks(case, *runs, *cold)?,
        Bench::Frames { case, frames } => super::bench_ui::frames(case, *frames)?,
        Bench::Graph { case } => super::bench_graph::graph(case)?,
        Bench::Scan { case } => {
            let opened = Case::open_for_work(case)?;
            opened.conn.execute_batch(
                "DROP TABLE IF EXISTS scan_features; DROP TABLE IF EXISTS scan_result;",
            )?;
            let cfg = crate::analysis::detect::config::DetectConfig::default();
            for pass in ["read from the log", "kept in the case"] {
                let started = Instant::now();
                let scan = crate::analysis::detect::scan(
                    &opened.conn,
                    &opened.path,
                    &cfg,
                    &stderr_progress(true),
                )?;
                println!(
                    "scan, {pass}: {:.1} s ({} accounts, {} flagged)",
                    started.elapsed().as_secs_f64(),
                    scan.accounts.len(),
                    scan.flagged_count()
                );
                for (stage, secs) in &scan.timings {
                    println!("  {stage:<32} {secs:>7.2} s");
                }
            }
        }
    }
    Ok(())
}
