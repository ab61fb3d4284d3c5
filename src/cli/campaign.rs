//! `distillscope campaign PATH create|add|remove|update|delete|list|show|tag|untag|note|network`:
//! what an analyst does by hand in the app, scripted. Accounts come from a
//! file (one id a line), a network cluster, or a detection run's
//! flagged.csv above a score. Every change goes to the case file's audit
//! log under the analyst's name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

use super::{SourceArgs, print_stdout, stderr_progress};
use crate::analysis::summary::group_digits;
use crate::analysis::views::query_rows;
use crate::case::{self, Casebook, Edit, NoteTarget, Status, store};
use crate::store::case::Case;
use crate::store::schema::literal;

/// Arguments of `campaign`.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Who makes the change, for the audit log (default: $DISTILLSCOPE_ANALYST or the login name).
    #[arg(long, global = true)]
    pub analyst: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub action: CampaignAction,
}

/// Where a campaign's accounts come from.
#[derive(Debug, Clone, Args, Default)]
pub struct AccountSource {
    /// A text file with one account id a line (blank lines and lines starting with # are skipped).
    #[arg(long)]
    pub accounts: Option<PathBuf>,
    /// Every account of this network cluster (see `graph`).
    #[arg(long)]
    pub cluster: Option<i32>,
    /// A flagged.csv written by `scan`: its accounts scoring at least --min-score (default: the flagged ones).
    #[arg(long)]
    pub from_scan: Option<PathBuf>,
    /// With --from-scan: the lowest score taken.
    #[arg(long, requires = "from_scan")]
    pub min_score: Option<f64>,
    /// Account ids given directly, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ids: Vec<String>,
}

/// A campaign's properties on the command line.
#[derive(Debug, Clone, Args, Default)]
pub struct PropArgs {
    /// Colour as #rrggbb.
    #[arg(long)]
    pub colour: Option<String>,
    /// suspected, confirmed or dismissed.
    #[arg(long)]
    pub status: Option<String>,
    /// The analyst's confidence, 0 to 100.
    #[arg(long)]
    pub confidence: Option<u8>,
    /// Free-text notes.
    #[arg(long)]
    pub notes: Option<String>,
}

/// The campaign actions.
#[derive(Debug, Subcommand)]
pub enum CampaignAction {
    /// A new campaign with the given accounts.
    Create {
        /// Its name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        from: AccountSource,
        #[command(flatten)]
        props: PropArgs,
    },
    /// Add accounts to a campaign.
    Add {
        /// The campaign.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        from: AccountSource,
    },
    /// Take accounts out of a campaign.
    Remove {
        /// The campaign.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        from: AccountSource,
    },
    /// Change a campaign's name, colour, status, confidence or notes.
    Update {
        /// The campaign.
        #[arg(long)]
        name: String,
        /// Its new name.
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        props: PropArgs,
    },
    /// Delete a campaign (the audit log keeps its history).
    Delete {
        /// The campaign.
        #[arg(long)]
        name: String,
    },
    /// One line per campaign.
    List,
    /// A campaign's properties, accounts and audit trail.
    Show {
        /// The campaign.
        #[arg(long)]
        name: String,
    },
    /// Put a tag on accounts.
    Tag {
        /// The tag.
        #[arg(long)]
        tag: String,
        #[command(flatten)]
        from: AccountSource,
    },
    /// Take a tag off accounts.
    Untag {
        /// The tag.
        #[arg(long)]
        tag: String,
        #[command(flatten)]
        from: AccountSource,
    },
    /// Pin a note to a day (--day), an account (--account) or a campaign (--name).
    Note {
        /// The note.
        #[arg(long)]
        text: String,
        /// A day, YYYY-MM-DD.
        #[arg(long)]
        day: Option<String>,
        /// An account id.
        #[arg(long)]
        account: Option<String>,
        /// A campaign.
        #[arg(long)]
        name: Option<String>,
    },
    /// The whole audit log.
    Audit,
    /// Mark a network (autonomous system) as hosting or not for detection,
    /// whatever its name says; --clear goes back to the name's reading.
    Network {
        /// AS number.
        #[arg(long)]
        asn: i64,
        /// hosting, not_hosting or clear.
        #[arg(long)]
        kind: String,
    },
}

/// Runs `campaign`.
pub fn run(args: &CampaignArgs) -> anyhow::Result<()> {
    let mut opts = args.source.open_options()?;
    opts.for_work = true;
    let progress = stderr_progress(args.source.quiet);
    let case = super::open_case(&args.source.path, &opts, &progress)?;
    let analyst = args.analyst.clone().unwrap_or_else(case::default_analyst);
    let mut book = Casebook::load(&case.conn, &case.path)?;
    let edit = match &args.action {
        CampaignAction::List => return list(&book),
        CampaignAction::Show { name } => return show(&case, &book, name),
        CampaignAction::Audit => return audit(&case),
        CampaignAction::Create { name, from, props } => {
            let accounts = resolve(&case, from)?;
            let mut p = case::CampaignProps {
                name: name.clone(),
                colour: String::new(),
                status: Status::default(),
                confidence: 50,
                notes: String::new(),
            };
            apply_props(&mut p, props)?;
            Edit::Create {
                props: p,
                accounts: accounts.0,
                origin: accounts.1,
            }
        }
        CampaignAction::Add { name, from } => {
            let (accounts, origin) = resolve(&case, from)?;
            Edit::Add {
                campaign: name.clone(),
                accounts,
                origin,
            }
        }
        CampaignAction::Remove { name, from } => {
            let (accounts, origin) = resolve(&case, from)?;
            Edit::Remove {
                campaign: name.clone(),
                accounts,
                origin,
            }
        }
        CampaignAction::Update {
            name,
            rename,
            props,
        } => {
            let current = book
                .book()
                .campaign(name)
                .with_context(|| format!("no campaign called {name:?}"))?;
            let mut p = current.props.clone();
            if let Some(r) = rename {
                p.name = r.clone();
            }
            apply_props(&mut p, props)?;
            Edit::Update {
                campaign: name.clone(),
                props: p,
            }
        }
        CampaignAction::Delete { name } => Edit::Delete {
            campaign: name.clone(),
        },
        CampaignAction::Tag { tag, from } => Edit::Tag {
            accounts: resolve(&case, from)?.0,
            tag: tag.clone(),
        },
        CampaignAction::Untag { tag, from } => Edit::Untag {
            accounts: resolve(&case, from)?.0,
            tag: tag.clone(),
        },
        CampaignAction::Note {
            text,
            day,
            account,
            name,
        } => {
            let target = match (day, account, name) {
                (Some(d), None, None) => NoteTarget::Day(
                    crate::analysis::days::parse_iso(d)
                        .with_context(|| format!("--day {d:?} is not a date (YYYY-MM-DD)"))?,
                ),
                (None, Some(a), None) => {
                    let unknown =
                        store::unknown_accounts(&case.conn, &case.path, std::slice::from_ref(a))?;
                    if !unknown.is_empty() {
                        bail!("no account {a:?} in {}", case.path.display());
                    }
                    NoteTarget::Account(a.clone())
                }
                (None, None, Some(n)) => NoteTarget::Campaign(
                    book.book()
                        .campaign(n)
                        .with_context(|| format!("no campaign called {n:?}"))?
                        .id,
                ),
                _ => bail!("pin the note to exactly one of --day, --account or --name"),
            };
            Edit::AddNote {
                target,
                text: text.clone(),
            }
        }
        CampaignAction::Network { asn, kind } => {
            let hosting = match kind.as_str() {
                "hosting" => Some(true),
                "not_hosting" => Some(false),
                "clear" => None,
                k => bail!("--kind {k:?}: use hosting, not_hosting or clear"),
            };
            let name: Vec<String> = query_rows(
                &case.conn,
                &case.path,
                "reading the network's name",
                &format!(
                    "SELECT DISTINCT asn_org FROM exchanges WHERE asn = {asn} AND asn_org IS NOT NULL LIMIT 1"
                ),
                |r| r.get(0),
            )?;
            Edit::MarkNetwork {
                asn: *asn,
                name: name.into_iter().next().unwrap_or_default(),
                hosting,
            }
        }
    };
    if let Some(reason) = &case.read_only {
        bail!("{} {reason}", case.path.display());
    }
    let save = book.apply(&edit, &analyst).map_err(anyhow::Error::msg)?;
    save.write(&case.conn, &case.path)?;
    print_stdout(&format!(
        "{}{}: {}\n",
        save.change.action,
        save.change
            .campaign
            .as_ref()
            .map(|c| format!(" {c:?}"))
            .unwrap_or_default(),
        save.change.detail
    ))
}

fn apply_props(p: &mut case::CampaignProps, args: &PropArgs) -> anyhow::Result<()> {
    if let Some(c) = &args.colour {
        p.colour = c.clone();
    }
    if let Some(s) = &args.status {
        p.status = Status::parse(s).map_err(anyhow::Error::msg)?;
    }
    if let Some(c) = args.confidence {
        p.confidence = c;
    }
    if let Some(n) = &args.notes {
        p.notes = n.clone();
    }
    Ok(())
}

/// The accounts an `AccountSource` names, checked against the case, and
/// where they came from in words (for the audit log).
pub fn resolve(case: &Case, from: &AccountSource) -> anyhow::Result<(BTreeSet<String>, String)> {
    let given = usize::from(from.accounts.is_some())
        + usize::from(from.cluster.is_some())
        + usize::from(from.from_scan.is_some())
        + usize::from(!from.ids.is_empty());
    if given != 1 {
        bail!(
            "give the accounts one way: --accounts FILE, --cluster ID, --from-scan flagged.csv or --ids A,B"
        );
    }
    let (accounts, origin): (Vec<(String, String)>, String) = if let Some(file) = &from.accounts {
        (read_account_file(file)?, format!("file {}", file.display()))
    } else if let Some(cluster) = from.cluster {
        if cluster <= 0 {
            bail!(
                "cluster 0 holds the accounts linked to no other; give a cluster id from `graph` or the Suspects view"
            );
        }
        let ids: Vec<String> = query_rows(
            &case.conn,
            &case.path,
            "reading the cluster",
            &format!(
                "SELECT id FROM graph_nodes WHERE kind = 'account' AND cluster = {cluster} ORDER BY id"
            ),
            |r| r.get(0),
        )?;
        if ids.is_empty() {
            bail!("no cluster {cluster} in {}", case.path.display());
        }
        (
            ids.into_iter().map(|i| (i, String::new())).collect(),
            format!("network cluster {cluster}"),
        )
    } else if let Some(file) = &from.from_scan {
        let rows = read_scan(case, file, from.min_score)?;
        let origin = match from.min_score {
            Some(m) => format!("{} (score ≥ {m})", file.display()),
            None => format!("{} (flagged accounts)", file.display()),
        };
        (rows, origin)
    } else {
        (
            from.ids
                .iter()
                .map(|i| (i.trim().to_owned(), "--ids".to_owned()))
                .collect(),
            "the command line".into(),
        )
    };
    let ids: Vec<String> = accounts.iter().map(|a| a.0.clone()).collect();
    let unknown = store::unknown_accounts(&case.conn, &case.path, &ids)?;
    if let Some(first) = unknown.first() {
        let place = accounts
            .iter()
            .find(|a| &a.0 == first)
            .map(|a| a.1.clone())
            .unwrap_or_default();
        bail!(
            "{} account(s) not in the case, first {first:?}{}{} (case {})",
            unknown.len(),
            if place.is_empty() { "" } else { " at " },
            place,
            case.path.display()
        );
    }
    if ids.is_empty() {
        bail!("no accounts given ({origin})");
    }
    Ok((ids.into_iter().collect(), origin))
}

/// Account ids of a text file with where each was (`file:line`).
fn read_account_file(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (l.trim().to_owned(), format!("{}:{}", file.display(), i + 1)))
        .filter(|(l, _)| !l.is_empty() && !l.starts_with('#'))
        .collect())
}

/// Accounts of a flagged.csv: at least `min_score`, or flagged.
fn read_scan(
    case: &Case,
    file: &Path,
    min_score: Option<f64>,
) -> anyhow::Result<Vec<(String, String)>> {
    if !file.is_file() {
        bail!("no such file: {}", file.display());
    }
    let src = format!(
        "read_csv({}, header = true, all_varchar = true)",
        literal(&file.to_string_lossy())
    );
    let cols: Vec<String> = query_rows(
        &case.conn,
        file,
        "reading flagged.csv",
        &format!("SELECT column_name FROM (DESCRIBE SELECT * FROM {src})"),
        |r| r.get(0),
    )?;
    for need in ["account_id", "score", "flagged"] {
        if !cols.iter().any(|c| c == need) {
            bail!(
                "{} has no column {need} (columns: {}); expected a flagged.csv written by `scan`",
                file.display(),
                cols.join(", ")
            );
        }
    }
    let rows: Vec<(i64, String, String, String)> = query_rows(
        &case.conn,
        file,
        "reading flagged.csv",
        &format!("SELECT row_number() OVER () + 1, account_id, score, flagged FROM {src}"),
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            ))
        },
    )?;
    let mut out = Vec::new();
    for (line, account, score, flagged) in rows {
        let keep = match min_score {
            Some(m) => {
                let s: f64 = score.trim().parse().map_err(|_| {
                    anyhow::anyhow!(
                        "{}: column score, line {line}: {score:?} is not a number",
                        file.display()
                    )
                })?;
                s >= m
            }
            None => flagged.trim() == "true",
        };
        if keep {
            out.push((account, format!("{}:{line}", file.display())));
        }
    }
    Ok(out)
}

fn list(book: &Casebook) -> anyhow::Result<()> {
    let mut out = format!(
        "{:<4} {:<28} {:<10} {:>5} {:>9}  {}\n",
        "id", "name", "status", "conf", "accounts", "colour"
    );
    for c in &book.book().campaigns {
        out.push_str(&format!(
            "{:<4} {:<28} {:<10} {:>4}% {:>9}  {}\n",
            c.id,
            c.props.name,
            c.props.status.name(),
            c.props.confidence,
            group_digits(c.accounts.len() as i64),
            c.props.colour
        ));
    }
    if book.book().campaigns.is_empty() {
        out.push_str("(no campaigns)\n");
    }
    print_stdout(&out)
}

fn show(case: &Case, book: &Casebook, name: &str) -> anyhow::Result<()> {
    let c = book
        .book()
        .campaign(name)
        .with_context(|| format!("no campaign called {name:?}"))?;
    let mut out = format!(
        "Campaign  {} (id {})\nStatus    {} ({}% confidence)\nColour    {}\nCreated   {} by {}\nAccounts  {}\nNotes     {}\n",
        c.props.name,
        c.id,
        c.props.status.name(),
        c.props.confidence,
        c.props.colour,
        c.created_at,
        c.created_by,
        group_digits(c.accounts.len() as i64),
        c.props.notes
    );
    for a in c.accounts.iter().take(20) {
        out.push_str(&format!("  {a}\n"));
    }
    if c.accounts.len() > 20 {
        out.push_str(&format!("  … and {} more\n", c.accounts.len() - 20));
    }
    out.push_str("Audit\n");
    for e in store::audit(&case.conn, &case.path, Some(c.id))? {
        out.push_str(&format!(
            "  {:>4} {} {:<10} {:<7} {}\n",
            e.seq, e.at, e.analyst, e.action, e.detail
        ));
    }
    print_stdout(&out)
}

fn audit(case: &Case) -> anyhow::Result<()> {
    let mut out = String::new();
    for e in store::audit(&case.conn, &case.path, None)? {
        out.push_str(&format!(
            "{:>4} {} {:<10} {:<11} {:<20} {}\n",
            e.seq,
            e.at,
            e.analyst,
            e.action,
            e.campaign.unwrap_or_default(),
            e.detail
        ));
    }
    print_stdout(&out)
}
