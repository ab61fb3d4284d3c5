//! `distillscope summary PATH`.

use clap::Args;

use super::{SourceArgs, stderr_progress};
use crate::analysis::summary;

/// Arguments of `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// How many of the busiest accounts to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// Runs `summary`.
pub fn run(args: &SummaryArgs) -> anyhow::Result<()> {
    let progress = stderr_progress(args.source.quiet || args.json);
    let case = super::open_case(&args.source.path, &args.source.open_options()?, &progress)?;
    let s = summary::summarize(&case, args.top)?;
    if args.json {
        super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&s)?))?;
    } else {
        super::print_stdout(&summary::render_text(&s))?;
    }
    Ok(())
}
