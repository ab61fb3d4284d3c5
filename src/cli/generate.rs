//! `distillscope generate --scale demo|full --seed N --out DIR`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::stderr_progress;
use crate::generate::{self, recipe::Recipe, world::World};

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// `demo` (about 1/50, ships in sample_data/), `medium` (3/100, about two million requests), `full` (the reported volumes) or `tiny` (tests).
    #[arg(long, default_value = "demo")]
    pub scale: String,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Recipe variant: 0 is the reference incident; 1, 2, ... change campaign sizes,
    /// mimicry and legitimate mix (for measuring detection on unseen incidents).
    #[arg(long, default_value_t = 0)]
    pub variant: u32,
    /// Names the incident is written with: `reference` (the defaults were chosen on
    /// it) or `other` (other AS, model, verification-path and country spellings, no
    /// events table: held-out vocabulary).
    #[arg(long, default_value = "reference")]
    pub world: String,
    /// Also write the exchanges as a LiteLLM spend-log export (litellm_spend_logs.jsonl:
    /// no accounts, no events, no AS or country), as a real gateway would.
    #[arg(long)]
    pub litellm: bool,
    /// Write only prompts, not an incident: this many per category for each of the
    /// four campaigns and for people, as JSON Lines with the category each was
    /// written for (`--out` names the file). Material for training and checking
    /// a classifier (benches/real_prompts/train.py).
    #[arg(long, value_name = "N")]
    pub prompts: Option<usize>,
    /// Output folder (must not exist); with --prompts, the file.
    #[arg(long)]
    pub out: PathBuf,
    /// Follow every prompt with an attachment of real length (a pasted
    /// file or document, median 3 KB): for measuring import and case sizes
    /// on real-length prompts
    #[arg(long)]
    pub long_prompts: bool,
    /// Print no progress.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    if let Some(n) = args.prompts {
        return write_prompts(args, n);
    }
    let mut recipe = Recipe::new(&args.scale, args.seed, args.variant).with_context(|| {
        format!(
            "unknown scale `{}` (use demo, medium, full or tiny)",
            args.scale
        )
    })?;
    recipe.world = match args.world.as_str() {
        "reference" => World::Reference,
        "other" => World::Other,
        w => anyhow::bail!("unknown world `{w}` (use reference or other)"),
    };
    if recipe.world == World::Other {
        recipe.name.push_str("-other");
    }
    if args.long_prompts {
        recipe.long_prompts = true;
        recipe.name.push_str("-long");
    }
    let progress = stderr_progress(args.quiet);
    let started = std::time::Instant::now();
    let report = generate::generate(&recipe, &args.out, args.litellm, &progress)?;
    println!(
        "Wrote {} exchanges from {} accounts to {} in {:.1} s",
        report.exchanges,
        report.accounts,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    for (label, n) in &report.per_label {
        println!("  {label:<20} {n:>12}");
    }
    Ok(())
}

/// `generate --prompts N`: the labelled prompts as JSON Lines, written to a
/// temporary file and renamed, so a failed run leaves nothing half-written.
fn write_prompts(args: &GenerateArgs, per_pair: usize) -> anyhow::Result<()> {
    use std::io::Write as _;
    anyhow::ensure!(
        !args.out.exists(),
        "{} exists; name a new file",
        args.out.display()
    );
    let rows = generate::prompts::labelled_sample(args.seed, per_pair);
    let tmp = args.out.with_extension("partial");
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    for row in &rows {
        serde_json::to_writer(&mut w, row)?;
        w.write_all(b"\n")?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, &args.out)?;
    println!(
        "Wrote {} labelled prompts to {}",
        rows.len(),
        args.out.display()
    );
    Ok(())
}
