//! `distillscope import --format litellm|otel|bedrock|auto FILE... --out CASE`.

use std::path::PathBuf;

use clap::Args;

use super::stderr_progress;
use crate::pipeline::{self, OpenOptions};
use crate::store::import::LogFormat;

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Log format of the files.
    #[arg(long, value_enum, default_value_t = LogFormat::Auto)]
    pub format: LogFormat,
    /// Log files (JSON Lines, optionally .gz; LiteLLM also CSV or Parquet).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The case file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// IP-range CSV/TSV or MaxMind .mmdb to fill asn, asn_org and country.
    #[arg(long)]
    pub ip_db: Option<PathBuf>,
    /// Capability taxonomy (default: the shipped one).
    #[arg(long)]
    pub taxonomy: Option<PathBuf>,
    /// Print no progress.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let progress = stderr_progress(args.quiet);
    let opts = OpenOptions {
        case_path: Some(args.out.clone()),
        ip_db: args.ip_db.clone(),
        taxonomy: args.taxonomy.clone(),
        ..Default::default()
    };
    let report = pipeline::import_logs(&args.files, args.format, &args.out, &opts, &progress)?;
    for notice in &report.notices {
        eprintln!("note: {notice}");
    }
    println!(
        "Imported {} exchanges from {} file(s) into {}",
        report.exchanges,
        args.files.len(),
        report.case_path.display()
    );
    Ok(())
}
