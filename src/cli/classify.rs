//! `distillscope classify PATH --out categories.csv`.

use std::path::PathBuf;

use clap::Args;

use super::{SourceArgs, stderr_progress};
use crate::pipeline;
use crate::store::csv;

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// CSV to write: exchange_id, category, rule.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `classify`. With `--taxonomy`, templates are labelled again with
/// that taxonomy for this output only (the case keeps its labels).
pub fn run(args: &ClassifyArgs) -> anyhow::Result<()> {
    let progress = stderr_progress(args.source.quiet);
    let mut opts = args.source.open_options()?;
    let taxonomy = pipeline::load_taxonomy(&opts)?;
    // The case's own labels come from the shipped taxonomy unless it is rebuilt.
    opts.taxonomy = None;
    let case = super::open_case(&args.source.path, &opts, &progress)?;
    let labels = if args.source.taxonomy.is_some() {
        progress.stage("Labelling templates with the given taxonomy")?;
        pipeline::relabel_into_temp(&case, &taxonomy)?;
        "labels_override"
    } else {
        "template_labels"
    };
    progress.stage("Writing categories")?;
    let query = format!(
        "SELECT e.exchange_id,
                coalesce(e.log_category, l.category, 'unknown') AS category,
                CASE WHEN e.log_category IS NOT NULL THEN 'log'
                     WHEN l.category IS NULL THEN 'no_prompt' ELSE l.category_rule END AS rule
         FROM exchanges e LEFT JOIN {labels} l USING (template_id)"
    );
    csv::write_query(&case.conn, &query, &args.out, csv::Encoding::Utf8)?;
    let n: i64 = case
        .conn
        .query_row("SELECT count(*) FROM exchanges", [], |r| r.get(0))?;
    println!("Wrote {n} classified exchanges to {}", args.out.display());
    Ok(())
}
