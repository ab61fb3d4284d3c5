//! `distillscope view PATH WHAT`: what a GUI view shows, for a selection,
//! as JSON, so every view can be scripted and checked headless.

use std::collections::BTreeSet;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::{SourceArgs, stderr_progress};
use crate::analysis::days;
use crate::analysis::selection::{DayRange, Selection};
use crate::analysis::views::{self, AccountColumn, AccountQuery, Stack};

/// Which view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum What {
    /// Exchanges per day, by category.
    Timeline,
    /// Categories of the selection against the baseline, with the lift.
    Categories,
    /// The accounts table (first `--limit` rows, by exchanges).
    Accounts,
    /// The first page of the selection's exchanges.
    Exchanges,
    /// One account's page (the single `--account`).
    Account,
}

/// Arguments of `view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The view.
    #[arg(value_enum)]
    pub what: What,
    /// First day of the selection (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the selection (YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Selected categories (repeat the option for more).
    #[arg(long)]
    pub category: Vec<String>,
    /// Selected accounts (repeat the option for more).
    #[arg(long)]
    pub account: Vec<String>,
    /// Rows of the accounts table to print.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

fn day(text: &str, flag: &str) -> anyhow::Result<i32> {
    days::parse_iso(text).with_context(|| format!("--{flag} {text}: not a date (YYYY-MM-DD)"))
}

/// The selection the arguments describe.
pub fn selection(args: &ViewArgs) -> anyhow::Result<Selection> {
    let range = match (&args.from, &args.to) {
        (None, None) => None,
        (Some(f), None) => Some(DayRange::new(day(f, "from")?, i32::MAX / 2)),
        (None, Some(t)) => Some(DayRange::new(i32::MIN / 2, day(t, "to")?)),
        (Some(f), Some(t)) => Some(DayRange::new(day(f, "from")?, day(t, "to")?)),
    };
    Ok(Selection {
        days: range,
        categories: args.category.iter().cloned().collect::<BTreeSet<_>>(),
        accounts: args.account.iter().cloned().collect::<BTreeSet<_>>(),
    })
}

/// Runs `view`.
pub fn run(args: &ViewArgs) -> anyhow::Result<()> {
    let sel = selection(args)?;
    let progress = stderr_progress(true);
    let case = super::open_case(&args.source.path, &args.source.open_options()?, &progress)?;
    let (c, p) = (&case.conn, case.path.as_path());
    let json = match args.what {
        What::Timeline => {
            serde_json::to_string_pretty(&views::timeline(c, p, &sel, Stack::Category)?)?
        }
        What::Categories => serde_json::to_string_pretty(&views::categories(c, p, &sel)?)?,
        What::Accounts => {
            let query = AccountQuery {
                sort: AccountColumn::Exchanges,
                ..Default::default()
            };
            let view = views::prepare_accounts(c, p, &sel, &query, 0)?;
            let rows = views::account_rows(c, p, &sel, &query, 0, 0, args.limit)?;
            serde_json::to_string_pretty(&serde_json::json!({ "total": view.total, "rows": rows }))?
        }
        What::Exchanges => serde_json::to_string_pretty(&views::exchanges(c, p, &sel, 0)?)?,
        What::Account => {
            let [account] = args.account.as_slice() else {
                anyhow::bail!("`view account` needs exactly one --account");
            };
            serde_json::to_string_pretty(&views::account_detail(c, p, account)?)?
        }
    };
    super::print_stdout(&format!("{json}\n"))
}
