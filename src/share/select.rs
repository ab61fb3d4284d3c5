//! What of a campaign may be shared with another provider: values of the
//! infrastructure it shares (addresses, networks, AS numbers, user agents,
//! prompt-template fingerprints) used by enough of its accounts and mostly
//! by them. Customers' sign-up records (payment fingerprints, sign-up
//! addresses, e-mail domains), account ids and prompt text never leave:
//! they are counted as withheld, so the analyst sees what stayed behind.

use std::path::Path;

use duckdb::Connection;

use crate::analysis::sql;
use crate::case::{Campaign, Workbook};
use crate::export::pack::{self, Facts};
use crate::store::error::{Context as _, StoreResult};

/// A kind of value that can be shared in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum ShareKind {
    /// A proxy or hosting IP address.
    Ip,
    /// The network (/24 or /48) of such addresses.
    Network,
    /// An autonomous system number.
    Asn,
    /// An HTTP user agent.
    UserAgent,
    /// A prompt template's fingerprint: SHA-256 of its normalised text.
    Template,
}

impl ShareKind {
    /// Every kind, in the order they are listed.
    pub const ALL: [ShareKind; 5] = [
        ShareKind::Ip,
        ShareKind::Network,
        ShareKind::Asn,
        ShareKind::UserAgent,
        ShareKind::Template,
    ];

    /// The kind's name in infrastructure.csv.
    pub fn name(self) -> &'static str {
        match self {
            ShareKind::Ip => "ip",
            ShareKind::Network => "network",
            ShareKind::Asn => "asn",
            ShareKind::UserAgent => "user_agent",
            ShareKind::Template => "template",
        }
    }

    /// Plural title for lists and dialogs.
    pub fn title(self) -> &'static str {
        match self {
            ShareKind::Ip => "IP addresses",
            ShareKind::Network => "networks",
            ShareKind::Asn => "autonomous systems",
            ShareKind::UserAgent => "user agents",
            ShareKind::Template => "prompt-template fingerprints",
        }
    }

    fn from_name(name: &str) -> Option<ShareKind> {
        ShareKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Kinds of the campaign's infrastructure that are customers' personal
/// data, never shared in clear whatever the options: (kind in
/// infrastructure.csv, what it is called).
pub const PRIVATE_KINDS: [(&str, &str); 3] = [
    ("payment_fingerprint", "payment fingerprints"),
    ("signup_ip", "sign-up addresses"),
    ("email_domain", "e-mail domains"),
];

/// The traffic light of a shared bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0's WHITE): no limit on disclosure.
    Clear,
    /// TLP:GREEN: the recipients' community.
    Green,
    /// TLP:AMBER: the recipients' organisations, on a need-to-know basis.
    Amber,
}

/// What is shared and under which terms.
#[derive(Debug, Clone)]
pub struct ShareOptions {
    /// The sharing organisation's name.
    pub identity: String,
    /// The traffic light.
    pub tlp: Tlp,
    /// A value is shared when at least this many campaign accounts used it…
    pub min_accounts: i64,
    /// …and at least this share of the case's accounts that used it are
    /// campaign accounts (a university's NAT address or a big cloud's AS,
    /// used by honest customers too, stays behind).
    pub min_share: f64,
    /// Kinds shared.
    pub kinds: Vec<ShareKind>,
}

impl Default for ShareOptions {
    fn default() -> ShareOptions {
        ShareOptions {
            identity: "distillscope user".into(),
            tlp: Tlp::Amber,
            min_accounts: 3,
            min_share: 0.9,
            kinds: ShareKind::ALL.to_vec(),
        }
    }
}

/// One value the campaign shares, with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Shareable {
    /// Kind.
    pub kind: ShareKind,
    /// The value as shared (a template as the SHA-256 of its normalised text).
    pub value: String,
    /// Public context: the AS owner of an AS number; empty otherwise.
    pub detail: String,
    /// Campaign accounts that used it.
    pub campaign_accounts: i64,
    /// Accounts of the case that used it.
    pub case_accounts: i64,
}

impl Shareable {
    /// Whether `opts` lets this value leave.
    pub fn passes(&self, opts: &ShareOptions) -> bool {
        opts.kinds.contains(&self.kind)
            && self.campaign_accounts >= opts.min_accounts
            && self.campaign_accounts as f64 >= opts.min_share * self.case_accounts as f64
    }
}

/// Everything a bundle can be drawn from, gathered once; options then pick
/// from it without reading the case again (the dialog's live preview).
#[derive(Debug, Clone)]
pub struct ShareContent {
    /// The campaign's name.
    pub name: String,
    /// The drafted description (counts and categories, no customer data).
    pub description: String,
    /// First and last request (RFC 3339, UTC).
    pub first_seen: String,
    /// Last request.
    pub last_seen: String,
    /// Campaign requests by hour of day (UTC).
    pub hours: [i64; 24],
    /// Values that may be shared, before the options' thresholds.
    pub candidates: Vec<Shareable>,
    /// Values never shared in clear, by kind: (what they are, how many).
    pub withheld: Vec<(String, usize)>,
}

impl ShareContent {
    /// The values `opts` lets leave.
    pub fn chosen<'a>(&'a self, opts: &'a ShareOptions) -> impl Iterator<Item = &'a Shareable> {
        self.candidates.iter().filter(|s| s.passes(opts))
    }

    /// How many values of each kind `opts` lets leave, and of how many.
    pub fn counts(&self, opts: &ShareOptions) -> Vec<(ShareKind, usize, usize)> {
        ShareKind::ALL
            .iter()
            .map(|&k| {
                let of_kind = self.candidates.iter().filter(|s| s.kind == k);
                let all = of_kind.clone().count();
                (k, of_kind.filter(|s| s.passes(opts)).count(), all)
            })
            .collect()
    }
}

/// Gathers what `campaign` could share from the open case.
pub fn gather(
    conn: &Connection,
    path: &Path,
    campaign: &Campaign,
    book: &Workbook,
) -> StoreResult<ShareContent> {
    let facts = pack::facts(conn, path, campaign, book, "")?;
    let fingerprints = template_fingerprints(conn, path)?;
    let others_signups = others_signup_addresses(conn, path)?;
    let mut candidates = Vec::new();
    let mut signup_overlap = 0usize;
    let mut withheld: Vec<(String, usize)> = PRIVATE_KINDS
        .iter()
        .map(|(_, title)| (title.to_string(), 0))
        .collect();
    for row in &facts.infrastructure {
        if let Some(i) = PRIVATE_KINDS.iter().position(|(k, _)| *k == row.kind) {
            withheld[i].1 += 1;
            continue;
        }
        let Some(kind) = ShareKind::from_name(&row.kind) else {
            continue;
        };
        let (value, detail) = match kind {
            // The template's text (its sample prompt is a customer's) stays.
            ShareKind::Template => match fingerprints.get(&row.value) {
                Some(hash) => (hash.clone(), String::new()),
                None => continue,
            },
            ShareKind::Asn => (row.value.clone(), row.detail.clone()),
            // An address another customer signed up from is that
            // customer's record, even when the campaign also used it.
            ShareKind::Ip if others_signups.contains(&row.value) => {
                signup_overlap += 1;
                continue;
            }
            _ => (row.value.clone(), String::new()),
        };
        candidates.push(Shareable {
            kind,
            value,
            detail,
            campaign_accounts: row.campaign_accounts,
            case_accounts: row.case_accounts,
        });
    }
    let (first_seen, last_seen) = conn
        .query_row(
            "SELECT strftime(min(first_seen), '%Y-%m-%dT%H:%M:%S.000Z'),
                    strftime(max(last_seen), '%Y-%m-%dT%H:%M:%S.000Z')
             FROM account_summary SEMI JOIN pack_accounts USING (account_id)",
            [],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            },
        )
        .at(path, "reading when the campaign was active")?;
    let hours = hours_of_day(conn, path)?;
    withheld.push((
        "addresses other customers signed up from".into(),
        signup_overlap,
    ));
    Ok(ShareContent {
        name: campaign.props.name.clone(),
        description: describe(&facts),
        first_seen: first_seen.unwrap_or_default(),
        last_seen: last_seen.unwrap_or_default(),
        hours,
        candidates,
        withheld,
    })
}

/// The addresses accounts outside the campaign signed up from.
fn others_signup_addresses(
    conn: &Connection,
    path: &Path,
) -> StoreResult<std::collections::HashSet<String>> {
    let ctx = "reading other customers' sign-up addresses";
    let mut stmt = conn
        .prepare(
            "SELECT DISTINCT CAST(signup_ip AS VARCHAR) FROM accounts
             ANTI JOIN pack_accounts USING (account_id) WHERE signup_ip IS NOT NULL",
        )
        .at(path, ctx)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .at(path, ctx)?;
    rows.collect::<Result<_, _>>().at(path, ctx)
}

/// SHA-256 of each linking template's normalised text, by template id.
fn template_fingerprints(
    conn: &Connection,
    path: &Path,
) -> StoreResult<std::collections::HashMap<String, String>> {
    let ctx = "fingerprinting the campaign's templates";
    let mut stmt = conn
        .prepare(&format!(
            "SELECT CAST(t.template_id AS VARCHAR), sha256({})
             FROM templates t
             WHERE CAST(t.template_id AS VARCHAR) IN
               (SELECT value FROM pack_infra_log WHERE kind = 'template')",
            sql::normalise_prompt("t.sample_prompt")
        ))
        .at(path, ctx)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .at(path, ctx)?;
    rows.collect::<Result<_, _>>().at(path, ctx)
}

/// The campaign's requests by hour of day, UTC.
fn hours_of_day(conn: &Connection, path: &Path) -> StoreResult<[i64; 24]> {
    let ctx = "counting the campaign's requests by hour";
    let mut stmt = conn
        .prepare(
            "SELECT hour(ts)::INTEGER, count(*)::BIGINT
             FROM exchanges SEMI JOIN pack_accounts USING (account_id) GROUP BY 1",
        )
        .at(path, ctx)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, i64>(1)?)))
        .at(path, ctx)?;
    let mut hours = [0i64; 24];
    for row in rows {
        let (h, n) = row.at(path, ctx)?;
        if let Some(slot) = hours.get_mut(h as usize) {
            *slot = n;
        }
    }
    Ok(hours)
}

/// A description of the campaign from counts only: how many accounts and
/// requests over which days, and the categories it asked for most.
fn describe(f: &Facts) -> String {
    let days: std::collections::BTreeSet<i32> = f.daily.iter().map(|d| d.day).collect();
    let span = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!(
            " between {} and {}, on {} days",
            crate::analysis::days::iso(*a),
            crate::analysis::days::iso(*b),
            days.len()
        ),
        _ => String::new(),
    };
    let mut categories: Vec<&pack::CategoryRow> = f.categories.iter().collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.campaign));
    let top: Vec<String> = categories
        .iter()
        .take(4)
        .filter(|c| c.campaign > 0)
        .map(|c| format!("{} {:.0}%", c.category, c.campaign_share * 100.0))
        .collect();
    format!(
        "Suspected distillation (model extraction) campaign: {} accounts sent {} requests{span}, \
         scripted to harvest a model's answers as training data. Most requested capabilities: {}.",
        f.active_accounts,
        f.exchanges,
        if top.is_empty() {
            "not classified".to_owned()
        } else {
            top.join(", ")
        }
    )
}
