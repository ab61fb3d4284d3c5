//! `distillscope share PATH --campaign NAME --out bundle.json`: a
//! campaign's shareable indicators as a STIX 2.1 bundle, headless.

use std::path::PathBuf;

use clap::Args;

use super::{SourceArgs, print_stdout, stderr_progress};
use crate::case::Casebook;
use crate::export::pack;
use crate::share::{self, ShareKind, ShareOptions, select::Tlp};

/// Arguments of `share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The campaign whose indicators are shared.
    #[arg(long)]
    pub campaign: String,
    /// The STIX 2.1 bundle to write (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Traffic Light Protocol marking of every object.
    #[arg(long, value_enum, default_value = "amber")]
    pub tlp: Tlp,
    /// The sharing organisation's name (the bundle's identity).
    #[arg(long, default_value = "distillscope user")]
    pub identity: String,
    /// Share a value only when at least this many campaign accounts used it.
    #[arg(long, default_value_t = 3)]
    pub min_accounts: i64,
    /// …and at least this share of all the accounts that used it are the campaign's (0 to 1).
    #[arg(long, default_value_t = 0.9)]
    pub min_share: f64,
    /// Kinds of value to share (default: all of them).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kinds: Vec<ShareKind>,
}

/// Runs `share`.
pub fn run(args: &ShareArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.min_share) {
        anyhow::bail!(
            "--min-share must be between 0 and 1, not {}",
            args.min_share
        );
    }
    let progress = stderr_progress(args.source.quiet);
    let case = super::open_case(&args.source.path, &args.source.open_options()?, &progress)?;
    let book = Casebook::load(&case.conn, &case.path)?;
    let campaign = pack::find_campaign(book.book(), &case.path, &args.campaign)?;
    progress.stage("Gathering the campaign's shared infrastructure")?;
    let content = share::select::gather(&case.conn, &case.path, campaign, book.book())?;
    let opts = ShareOptions {
        identity: args.identity.clone(),
        tlp: args.tlp,
        min_accounts: args.min_accounts,
        min_share: args.min_share,
        kinds: if args.kinds.is_empty() {
            ShareKind::ALL.to_vec()
        } else {
            args.kinds.clone()
        },
    };
    let bundle = share::stix::bundle(&content, &opts, &share::stix::stix_now());
    share::stix::write(&args.out, &bundle)?;
    let mut out = format!(
        "Wrote the STIX 2.1 bundle of {:?} to {} ({} objects)\n",
        content.name,
        args.out.display(),
        bundle["objects"].as_array().map_or(0, Vec::len)
    );
    for (kind, chosen, all) in content.counts(&opts) {
        out.push_str(&format!(
            "  {:<30} {chosen:>6} shared of {all}\n",
            kind.title()
        ));
    }
    for (kind, n) in &content.withheld {
        out.push_str(&format!("  {kind:<30} {n:>6} withheld (customer data)\n"));
    }
    out.push_str("  account ids and prompt text are never shared\n");
    print_stdout(&out)
}
