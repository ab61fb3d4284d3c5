//! `distillscope scan PATH --out flagged.csv [--clusters]`: detection,
//! one row per account (or per cluster), flagged at the threshold in force
//! on this evidence; beside it `flagged.evidence.txt` says what the
//! evidence let detection see.

use std::path::PathBuf;

use clap::Args;

use super::{SourceArgs, stderr_progress};
use crate::analysis::detect::config::DEFAULT_CONFIG;
use crate::analysis::detect::{self, DetectConfig};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// CSV to write: one row per account (or per cluster with --clusters).
    #[arg(long)]
    pub out: PathBuf,
    /// One row per graph cluster (of at least the configured minimum size) instead of per account.
    #[arg(long)]
    pub clusters: bool,
    /// Detection settings (default: the shipped assets/detection.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> anyhow::Result<()> {
    let text = match &args.config {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?,
        None => DEFAULT_CONFIG.to_owned(),
    };
    let progress = stderr_progress(args.source.quiet);
    let case = super::open_case(&args.source.path, &args.source.open_options()?, &progress)?;
    // The analyst's network marks in the case beat the settings file.
    let marks = crate::case::store::load(&case.conn, &case.path)?.networks;
    let cfg = DetectConfig::parse(&DetectConfig::text_with_network_marks(&text, &marks)).map_err(
        |e| match &args.config {
            Some(p) => anyhow::anyhow!("{}: {e}", p.display()),
            None => anyhow::anyhow!(e),
        },
    )?;
    let started = std::time::Instant::now();
    let scan = detect::scan(&case.conn, &case.path, &cfg, &progress)?;
    if args.clusters {
        detect::write_clusters_csv(&scan, &args.out)?;
    } else {
        detect::write_accounts_csv(&scan, &args.out)?;
    }
    let side = detect::evidence_path(&args.out);
    detect::write_evidence_report(&scan, &side)?;
    if !args.source.quiet {
        let flagged_clusters = scan.clusters.iter().filter(|c| c.flagged).count();
        eprintln!(
            "flagged {} of {} accounts in {} campaigns ({} of {} clusters of {}+ accounts) in {:.1} s; wrote {}",
            scan.flagged_count(),
            scan.accounts.len(),
            scan.campaigns.len(),
            flagged_clusters,
            scan.clusters.len(),
            cfg.score.min_cluster_size,
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
        for (stage, s) in &scan.timings {
            eprintln!("  {stage:<28} {s:>7.1} s");
        }
        eprintln!("What the evidence let detection see ({}):", side.display());
        for line in scan.availability.lines() {
            eprintln!("  {line}");
        }
    }
    Ok(())
}
