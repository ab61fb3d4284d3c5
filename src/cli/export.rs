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
use crate::pipeline;

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
    let case = pipeline::open(&args.source.path, &args.source.open_options()?, &progress)?;
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

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The pack folder.
    pub dir: PathBuf,
}

/// Runs `verify`: success only when every file matches the manifest.
pub fn run_verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let v = manifest::verify(&args.dir)?;
    print_stdout(&v.report())?;
    Ok(if v.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
