//! The queries behind the investigation views: timeline, hours of a day,
//! categories against their baseline, the accounts table, pages of
//! exchanges and one account's detail. Plain structs out, no egui, so the
//! GUI, the CLI and the benchmarks share one query layer.

use std::path::Path;

use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray as _, RecordBatch};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Int64Type};
use serde::Serialize;

use super::selection::{Dimension, Selection};
use crate::store::error::{Context as _, StoreResult};
use crate::store::schema::literal;

/// How timeline bars are stacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, Serialize)]
pub enum Stack {
    /// One stack per capability category.
    #[default]
    Category,
    /// One stack per busiest account of the selection, the rest as one.
    Account,
    /// One stack per campaign (an account in several counts in the oldest),
    /// the rest as one.
    Campaign,
}

/// The stack of accounts in no campaign.
pub const NO_CAMPAIGN: &str = "no campaign";

/// How many accounts get their own stack.
pub const TOP_ACCOUNT_STACKS: usize = 8;

/// Exchanges per day, split into groups.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timeline {
    /// Days with traffic, ascending (days since 1970-01-01).
    pub days: Vec<i32>,
    /// Group names, largest first.
    pub groups: Vec<String>,
    /// Colours of named groups (`#rrggbb`, campaigns); others take the
    /// category palette.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub colours: std::collections::BTreeMap<String, String>,
    /// counts[group][day index].
    pub counts: Vec<Vec<i64>>,
}

impl Timeline {
    /// Total exchanges of day index `i`.
    pub fn day_total(&self, i: usize) -> i64 {
        self.counts.iter().map(|g| g[i]).sum()
    }

    /// Sum over everything.
    pub fn total(&self) -> i64 {
        self.counts.iter().flatten().sum()
    }

    fn from_cells(cells: Vec<(i32, String, i64)>) -> Timeline {
        let mut days: Vec<i32> = cells.iter().map(|c| c.0).collect();
        days.sort_unstable();
        days.dedup();
        let mut totals: std::collections::HashMap<&str, i64> = Default::default();
        for (_, g, n) in &cells {
            *totals.entry(g.as_str()).or_default() += n;
        }
        let mut groups: Vec<String> = totals.keys().map(|g| g.to_string()).collect();
        groups.sort_by(|a, b| totals[b.as_str()].cmp(&totals[a.as_str()]).then(a.cmp(b)));
        // Keep "other accounts" last however large it is.
        if let Some(i) = groups.iter().position(|g| g == OTHER_ACCOUNTS) {
            let g = groups.remove(i);
            groups.push(g);
        }
        let mut counts = vec![vec![0; days.len()]; groups.len()];
        for (d, g, n) in &cells {
            let di = days.binary_search(d).unwrap_or_default();
            if let Some(gi) = groups.iter().position(|x| x == g) {
                counts[gi][di] += n;
            }
        }
        Timeline {
            days,
            groups,
            counts,
            colours: Default::default(),
        }
    }
}

/// The stack holding every account outside the busiest ones.
pub const OTHER_ACCOUNTS: &str = "other accounts";

/// Runs `sql` and maps every row with `f`; errors name the case file and `context`.
pub fn query_rows<T>(
    conn: &Connection,
    path: &Path,
    context: &str,
    sql: &str,
    f: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).at(path, context)?;
    let out = stmt
        .query_map([], f)
        .at(path, context)?
        .collect::<Result<Vec<_>, _>>()
        .at(path, context)?;
    Ok(out)
}

const DAY_NUMBER: &str = "(day - DATE '1970-01-01')::INTEGER";

/// Exchanges per day of the selection (its date range left out: the
/// timeline shows every day and highlights the range).
pub fn timeline(
    conn: &Connection,
    path: &Path,
    sel: &Selection,
    stack: Stack,
) -> StoreResult<Timeline> {
    let sel = sel.without(Dimension::Days);
    let cond = sel.condition();
    let sql = match stack {
        // The small per-day table answers whenever no account is selected.
        Stack::Category if sel.accounts.is_empty() => format!(
            "SELECT {DAY_NUMBER}, category, sum(exchanges)::BIGINT FROM daily_category WHERE {cond} GROUP BY ALL"
        ),
        Stack::Category => format!(
            "SELECT {DAY_NUMBER}, category, sum(exchanges)::BIGINT FROM account_day WHERE {cond} GROUP BY ALL"
        ),
        Stack::Account => format!(
            "WITH f AS (SELECT account_id, day, sum(exchanges) AS n FROM account_day WHERE {cond} GROUP BY ALL),
             top AS (SELECT account_id FROM f GROUP BY account_id ORDER BY sum(n) DESC, account_id LIMIT {TOP_ACCOUNT_STACKS})
             SELECT {DAY_NUMBER},
                    CASE WHEN account_id IN (SELECT account_id FROM top) THEN account_id ELSE '{OTHER_ACCOUNTS}' END,
                    sum(n)::BIGINT
             FROM f GROUP BY ALL"
        ),
        Stack::Campaign if crate::store::case::has_table(conn, "campaigns") => format!(
            "WITH f AS (SELECT account_id, day, sum(exchanges) AS n FROM account_day WHERE {cond} GROUP BY ALL),
             m AS (SELECT ca.account_id, min_by(c.name, c.id) AS name
                   FROM campaign_accounts ca JOIN campaigns c ON c.id = ca.campaign_id GROUP BY ca.account_id)
             SELECT {DAY_NUMBER}, coalesce(m.name, '{NO_CAMPAIGN}'), sum(n)::BIGINT
             FROM f LEFT JOIN m USING (account_id) GROUP BY ALL"
        ),
        Stack::Campaign => format!(
            "SELECT {DAY_NUMBER}, '{NO_CAMPAIGN}', sum(exchanges)::BIGINT FROM account_day WHERE {cond} GROUP BY ALL"
        ),
    };
    let cells = query_rows(conn, path, "timeline query", &sql, |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut t = Timeline::from_cells(cells);
    if stack == Stack::Campaign {
        if let Some(i) = t.groups.iter().position(|g| g == NO_CAMPAIGN) {
            let g = t.groups.remove(i);
            let c = t.counts.remove(i);
            t.groups.push(g);
            t.counts.push(c);
        }
        if crate::store::case::has_table(conn, "campaigns") {
            t.colours = query_rows(
                conn,
                path,
                "campaign colours",
                "SELECT name, colour FROM campaigns",
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        }
    }
    Ok(t)
}

/// Exchanges per hour (0..24) of one day, by category, for the selection
/// (its date range replaced by the day).
pub fn hours(conn: &Connection, path: &Path, sel: &Selection, day: i32) -> StoreResult<Timeline> {
    let cond = sel.without(Dimension::Days).condition();
    let sql = format!(
        "SELECT hour(ts)::INTEGER, category, count(*)::BIGINT FROM exchanges_v
         WHERE day = DATE '{}' AND {cond} GROUP BY ALL",
        super::days::iso(day)
    );
    let cells = query_rows(conn, path, "hours query", &sql, |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(Timeline::from_cells(cells))
}

/// An event to mark on timelines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Seconds since the epoch (UTC).
    pub ts: i64,
    /// model_release, enforcement, policy_change, note.
    pub kind: String,
    /// Label.
    pub label: String,
}

/// Kind of the events the log itself shows: a model's first sustained use
/// (kept apart from the evidence's declared events).
pub const FIRST_SEEN_KIND: &str = "first_seen";

/// Every event, in time order: the evidence's events, and the models first
/// seen in the log that no declared release names (kind [`FIRST_SEEN_KIND`]).
pub fn events(conn: &Connection, path: &Path) -> StoreResult<Vec<Event>> {
    let mut out = query_rows(
        conn,
        path,
        "events query",
        "SELECT epoch(ts)::BIGINT, coalesce(kind, ''), coalesce(label, '') FROM events
         WHERE ts IS NOT NULL ORDER BY ts",
        |r| {
            Ok(Event {
                ts: r.get(0)?,
                kind: r.get(1)?,
                label: r.get(2)?,
            })
        },
    )?;
    let releases = crate::analysis::releases::read(conn, path)?;
    out.extend(
        releases
            .found
            .into_iter()
            .filter(|r| r.source == crate::analysis::releases::ReleaseSource::FirstSeen)
            .map(|r| Event {
                ts: r.ts,
                kind: FIRST_SEEN_KIND.into(),
                label: r.label,
            }),
    );
    out.sort_by_key(|e| e.ts);
    Ok(out)
}

/// One category: the selection against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryLift {
    /// Category id.
    pub category: String,
    /// Exchanges of the selection in this category.
    pub selected: i64,
    /// Exchanges of the baseline in this category.
    pub baseline: i64,
    /// Share of the selection, 0..1.
    pub selected_share: f64,
    /// Share of the baseline, 0..1.
    pub baseline_share: f64,
    /// selected_share / baseline_share (how many times over-represented);
    /// None when the baseline has none of it.
    pub lift: Option<f64>,
}

/// The category breakdown of the selection (its categories left out)
/// against the baseline: everything outside the selection, or everything
/// when the selection is empty. Largest selected share first. The baseline
/// is the stored totals minus the selection, so only the selection's rows
/// are read.
pub fn categories(
    conn: &Connection,
    path: &Path,
    sel: &Selection,
) -> StoreResult<Vec<CategoryLift>> {
    let sel = sel.without(Dimension::Categories);
    let totals: Vec<(String, i64)> = query_rows(
        conn,
        path,
        "categories query",
        "SELECT category, exchanges FROM category_summary",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if sel.is_empty() {
        return Ok(lifts(totals.into_iter().map(|(c, n)| (c, n, n)).collect()));
    }
    let selected: std::collections::HashMap<String, i64> = query_rows(
        conn,
        path,
        "categories query",
        &format!(
            "SELECT category, sum(exchanges)::BIGINT FROM account_day WHERE {} GROUP BY category",
            sel.condition()
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?
    .into_iter()
    .collect();
    Ok(lifts(
        totals
            .into_iter()
            .map(|(c, total)| {
                let n = selected.get(&c).copied().unwrap_or(0);
                (c, n, total - n)
            })
            .collect(),
    ))
}

fn lifts(cells: Vec<(String, i64, i64)>) -> Vec<CategoryLift> {
    let sel_total: i64 = cells.iter().map(|c| c.1).sum();
    let base_total: i64 = cells.iter().map(|c| c.2).sum();
    let share = |n: i64, total: i64| {
        if total > 0 {
            n as f64 / total as f64
        } else {
            0.0
        }
    };
    let mut out: Vec<CategoryLift> = cells
        .into_iter()
        .map(|(category, selected, baseline)| {
            let selected_share = share(selected, sel_total);
            let baseline_share = share(baseline, base_total);
            CategoryLift {
                category,
                selected,
                baseline,
                selected_share,
                baseline_share,
                lift: (baseline_share > 0.0).then(|| selected_share / baseline_share),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.selected
            .cmp(&a.selected)
            .then(b.baseline.cmp(&a.baseline))
            .then(a.category.cmp(&b.category))
    });
    out
}

/// A column of the accounts table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, Serialize)]
pub enum AccountColumn {
    /// Account id.
    Account,
    /// Exchanges in the selection.
    #[default]
    Exchanges,
    /// Days with traffic in the selection.
    ActiveDays,
    /// First exchange.
    FirstSeen,
    /// Last exchange.
    LastSeen,
    /// Most frequent category.
    TopCategory,
    /// Distinct countries.
    Countries,
    /// Distinct ASNs.
    Asns,
    /// Distinct IPs.
    Ips,
    /// Distinct prompt templates.
    Templates,
    /// Verification path at sign-up.
    Verification,
    /// Payment fingerprint.
    Payment,
    /// E-mail domain.
    EmailDomain,
}

impl AccountColumn {
    /// Every column, in table order.
    pub const ALL: [AccountColumn; 13] = [
        AccountColumn::Account,
        AccountColumn::Exchanges,
        AccountColumn::ActiveDays,
        AccountColumn::FirstSeen,
        AccountColumn::LastSeen,
        AccountColumn::TopCategory,
        AccountColumn::Countries,
        AccountColumn::Asns,
        AccountColumn::Ips,
        AccountColumn::Templates,
        AccountColumn::Verification,
        AccountColumn::Payment,
        AccountColumn::EmailDomain,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            AccountColumn::Account => "Account",
            AccountColumn::Exchanges => "Exchanges",
            AccountColumn::ActiveDays => "Active days",
            AccountColumn::FirstSeen => "First seen",
            AccountColumn::LastSeen => "Last seen",
            AccountColumn::TopCategory => "Top category",
            AccountColumn::Countries => "Countries",
            AccountColumn::Asns => "ASNs",
            AccountColumn::Ips => "IPs",
            AccountColumn::Templates => "Templates",
            AccountColumn::Verification => "Verification",
            AccountColumn::Payment => "Payment",
            AccountColumn::EmailDomain => "E-mail domain",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            AccountColumn::Account => "account_id",
            AccountColumn::Exchanges => "exchanges",
            AccountColumn::ActiveDays => "active_days",
            AccountColumn::FirstSeen => "first_seen",
            AccountColumn::LastSeen => "last_seen",
            AccountColumn::TopCategory => "top_category",
            AccountColumn::Countries => "countries",
            AccountColumn::Asns => "asns",
            AccountColumn::Ips => "ips",
            AccountColumn::Templates => "templates",
            AccountColumn::Verification => "verification_path",
            AccountColumn::Payment => "payment_fingerprint",
            AccountColumn::EmailDomain => "email_domain",
        }
    }
}

/// How the accounts table is sorted and filtered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Deserialize, Serialize)]
pub struct AccountQuery {
    /// Sort column.
    pub sort: AccountColumn,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Case-insensitive text that the account id, top category,
    /// verification path, payment fingerprint or e-mail domain contains.
    pub filter: String,
}

/// Rows of the accounts table, column by column.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountTable {
    /// Account ids.
    pub account_id: Vec<String>,
    /// Exchanges in the selection.
    pub exchanges: Vec<i64>,
    /// Days with traffic in the selection.
    pub active_days: Vec<i64>,
    /// First exchange, seconds since the epoch.
    pub first_seen: Vec<i64>,
    /// Last exchange, seconds since the epoch.
    pub last_seen: Vec<i64>,
    /// Most frequent category.
    pub top_category: Vec<Option<String>>,
    /// Distinct countries.
    pub countries: Vec<i64>,
    /// Distinct ASNs.
    pub asns: Vec<i64>,
    /// Distinct IPs.
    pub ips: Vec<i64>,
    /// Distinct templates.
    pub templates: Vec<i64>,
    /// Verification path.
    pub verification: Vec<Option<String>>,
    /// Payment fingerprint.
    pub payment: Vec<Option<String>>,
    /// E-mail domain.
    pub email_domain: Vec<Option<String>>,
}

impl AccountTable {
    /// Rows.
    pub fn len(&self) -> usize {
        self.account_id.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.account_id.is_empty()
    }

    /// The text of one cell, as the table shows it.
    pub fn cell(&self, row: usize, col: AccountColumn) -> String {
        use super::summary::group_digits;
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match col {
            AccountColumn::Account => self.account_id[row].clone(),
            AccountColumn::Exchanges => group_digits(self.exchanges[row]),
            AccountColumn::ActiveDays => self.active_days[row].to_string(),
            AccountColumn::FirstSeen => super::days::iso_seconds(self.first_seen[row]),
            AccountColumn::LastSeen => super::days::iso_seconds(self.last_seen[row]),
            AccountColumn::TopCategory => opt(&self.top_category[row]),
            AccountColumn::Countries => self.countries[row].to_string(),
            AccountColumn::Asns => self.asns[row].to_string(),
            AccountColumn::Ips => self.ips[row].to_string(),
            AccountColumn::Templates => self.templates[row].to_string(),
            AccountColumn::Verification => opt(&self.verification[row]),
            AccountColumn::Payment => opt(&self.payment[row]),
            AccountColumn::EmailDomain => opt(&self.email_domain[row]),
        }
    }
}

/// Rows of the accounts table fetched at a time.
pub const ACCOUNT_BLOCK: usize = 256;

/// The accounts table of a selection: how many rows, and the first block.
/// Further blocks are fetched with [`account_rows`] as they scroll into
/// view, so 250,000 accounts cost no more than 250.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountView {
    /// Which prepared per-selection volumes the blocks read (see
    /// [`prepare_accounts`]).
    pub id: u64,
    /// Rows in the table.
    pub total: usize,
    /// The first block of rows.
    pub first: AccountTable,
}

/// Where the accounts table reads each account's volume in the selection:
/// the stored per-account summary when nothing is selected, else the
/// temporary table `prepare_accounts` made.
fn volume_table(sel: &Selection, id: u64) -> String {
    if sel.without(Dimension::Accounts).is_empty() {
        "account_summary".to_owned()
    } else {
        format!("temp.account_volume_{id}")
    }
}

/// SQL computing each account's exchanges in the selection, and its active
/// days when `with_days` (only sorting by them needs them for every
/// account; otherwise they are counted for the rows on screen).
fn volume_sql(sel: &Selection, with_days: bool) -> String {
    let cond = sel.condition();
    if !with_days {
        format!(
            "SELECT account_id, sum(exchanges)::BIGINT AS exchanges, NULL::BIGINT AS active_days
             FROM account_day WHERE {cond} GROUP BY account_id"
        )
    } else if sel.categories.len() == 1 {
        // One category: one row per account and day, so rows are days.
        format!(
            "SELECT account_id, sum(exchanges)::BIGINT AS exchanges, count(*)::BIGINT AS active_days
             FROM account_day WHERE {cond} GROUP BY account_id"
        )
    } else {
        // Per account and day first: 5x faster than count(DISTINCT day), measured.
        format!(
            "SELECT account_id, sum(n)::BIGINT AS exchanges, count(*)::BIGINT AS active_days
             FROM (SELECT account_id, day, sum(exchanges) AS n FROM account_day WHERE {cond} GROUP BY account_id, day)
             GROUP BY account_id"
        )
    }
}

/// The text filter of the accounts table, over `v` (volume), `s` (summary)
/// and `a` (accounts); None when there is none.
fn account_filter(query: &AccountQuery) -> Option<String> {
    let text = query.filter.trim();
    if text.is_empty() {
        return None;
    }
    let needle = literal(&format!("%{text}%"));
    Some(format!(
        "(v.account_id ILIKE {needle} OR s.top_category ILIKE {needle} OR a.verification_path ILIKE {needle}
          OR a.payment_fingerprint ILIKE {needle} OR a.email_domain ILIKE {needle})"
    ))
}

/// The accounts with traffic in the selection, with the summary and
/// account columns joined only where the sort or filter needs them.
fn account_rows_from(sel: &Selection, query: &AccountQuery, id: u64) -> String {
    let needs_join = account_filter(query).is_some()
        || !matches!(
            query.sort,
            AccountColumn::Account | AccountColumn::Exchanges | AccountColumn::ActiveDays
        );
    let join = if needs_join {
        " JOIN account_summary s USING (account_id) LEFT JOIN accounts a USING (account_id)"
    } else {
        ""
    };
    format!(
        "{} v{join} WHERE {}",
        volume_table(sel, id),
        account_filter(query).unwrap_or_else(|| "TRUE".into())
    )
}

/// Prepares the accounts table of the selection (its accounts left out:
/// the table lists them all and marks the chosen ones) as number `id`:
/// computes each account's volume in the selection once, into a temporary
/// table that every block reads (earlier ones are dropped), counts the rows
/// and fetches the first block.
pub fn prepare_accounts(
    conn: &Connection,
    path: &Path,
    sel: &Selection,
    query: &AccountQuery,
    id: u64,
) -> StoreResult<AccountView> {
    let ctx = "accounts query";
    let sel = sel.without(Dimension::Accounts);
    let old: Vec<String> = query_rows(
        conn,
        path,
        ctx,
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'account_volume_%'",
        |r| r.get(0),
    )?;
    for t in old {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{t};"))
            .at(path, ctx)?;
    }
    if !sel.is_empty() {
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE account_volume_{id} AS {};",
            // Days for every account when cheap (one category, or days only)
            // or needed for the sort; else only for the rows on screen.
            volume_sql(
                &sel,
                query.sort == AccountColumn::ActiveDays || sel.categories.len() <= 1
            )
        ))
        .at(path, ctx)?;
    }
    let total: i64 = conn
        .query_row(
            &format!(
                "SELECT count(*) FROM {}",
                account_rows_from(&sel, query, id)
            ),
            [],
            |r| r.get(0),
        )
        .at(path, ctx)?;
    let first = account_rows(conn, path, &sel, query, id, 0, ACCOUNT_BLOCK)?;
    Ok(AccountView {
        id,
        total: usize::try_from(total).unwrap_or(0),
        first,
    })
}

/// Rows `first..first + count` of the sorted accounts table `id`: DuckDB
/// picks the page from the volumes alone (top-N, nothing materialised),
/// then joins the summary and account columns for those rows only.
pub fn account_rows(
    conn: &Connection,
    path: &Path,
    sel: &Selection,
    query: &AccountQuery,
    id: u64,
    first: usize,
    count: usize,
) -> StoreResult<AccountTable> {
    let ctx = "accounts rows";
    let sel = sel.without(Dimension::Accounts);
    let key = match query.sort {
        AccountColumn::Account | AccountColumn::Exchanges | AccountColumn::ActiveDays => {
            format!("v.{}", query.sort.sql())
        }
        AccountColumn::Verification | AccountColumn::Payment | AccountColumn::EmailDomain => {
            format!("a.{}", query.sort.sql())
        }
        _ => format!("s.{}", query.sort.sql()),
    };
    let order = format!(
        "{key} {} NULLS LAST, v.account_id",
        if query.ascending { "ASC" } else { "DESC" }
    );
    let sql = format!(
        "WITH page AS (
           SELECT v.account_id, v.exchanges, v.active_days FROM {from}
           ORDER BY {order} LIMIT {count} OFFSET {first})
         SELECT v.account_id, v.exchanges::BIGINT, v.active_days::BIGINT,
                epoch(s.first_seen)::BIGINT, epoch(s.last_seen)::BIGINT,
                s.top_category, s.countries::BIGINT, s.asns::BIGINT, s.ips::BIGINT, s.templates::BIGINT,
                a.verification_path, a.payment_fingerprint, a.email_domain
         FROM page v JOIN account_summary s USING (account_id) LEFT JOIN accounts a USING (account_id)
         ORDER BY {order}",
        from = account_rows_from(&sel, query, id)
    );
    let mut stmt = conn.prepare(&sql).at(path, ctx)?;
    let batches: Vec<RecordBatch> = stmt.query_arrow([]).at(path, ctx)?.collect();
    let mut t = AccountTable::default();
    for b in &batches {
        t.account_id
            .extend(strings(b, 0).into_iter().map(Option::unwrap_or_default));
        t.exchanges.extend(ints(b, 1));
        t.active_days.extend(ints_or(b, 2, -1));
        t.first_seen.extend(ints(b, 3));
        t.last_seen.extend(ints(b, 4));
        t.top_category.extend(strings(b, 5));
        t.countries.extend(ints(b, 6));
        t.asns.extend(ints(b, 7));
        t.ips.extend(ints(b, 8));
        t.templates.extend(ints(b, 9));
        t.verification.extend(strings(b, 10));
        t.payment.extend(strings(b, 11));
        t.email_domain.extend(strings(b, 12));
    }
    // Active days the volumes left out are counted for this page only, with
    // a literal id list so DuckDB skips the other accounts' row groups.
    if !sel.is_empty() && t.active_days.iter().any(|d| *d < 0) && !t.is_empty() {
        let ids = t
            .account_id
            .iter()
            .map(|a| literal(a))
            .collect::<Vec<_>>()
            .join(", ");
        let days: std::collections::HashMap<String, i64> = query_rows(
            conn,
            path,
            ctx,
            &format!(
                "SELECT account_id, count(DISTINCT day)::BIGINT FROM account_day
                 WHERE {} AND account_id IN ({ids}) GROUP BY account_id",
                sel.condition()
            ),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .into_iter()
        .collect();
        for (a, d) in t.account_id.iter().zip(t.active_days.iter_mut()) {
            *d = days.get(a).copied().unwrap_or(0);
        }
    }
    Ok(t)
}

fn strings(batch: &RecordBatch, i: usize) -> Vec<Option<String>> {
    let Ok(col) = cast(batch.column(i), &DataType::Utf8) else {
        return vec![None; batch.num_rows()];
    };
    col.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

fn ints(batch: &RecordBatch, i: usize) -> Vec<i64> {
    ints_or(batch, i, 0)
}

/// Column `i` as integers, `null` where a value is missing.
fn ints_or(batch: &RecordBatch, i: usize, null: i64) -> Vec<i64> {
    let Ok(col) = cast(batch.column(i), &DataType::Int64) else {
        return vec![null; batch.num_rows()];
    };
    let col = col.as_primitive::<Int64Type>();
    (0..col.len())
        .map(|r| if col.is_null(r) { null } else { col.value(r) })
        .collect()
}

/// One exchange, as the exchanges table shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeRow {
    /// Exchange id.
    pub exchange_id: String,
    /// Seconds since the epoch.
    pub ts: i64,
    /// Account.
    pub account_id: String,
    /// Model.
    pub model: Option<String>,
    /// Category.
    pub category: String,
    /// The rule that decided the category.
    pub category_rule: String,
    /// Client address.
    pub ip: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Network operator.
    pub asn_org: Option<String>,
    /// Input tokens.
    pub input_tokens: Option<i64>,
    /// Output tokens.
    pub output_tokens: Option<i64>,
    /// The prompt.
    pub prompt: Option<String>,
}

/// A page of the selection's exchanges in time order, and how many there are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExchangePage {
    /// Exchanges matching the selection.
    pub total: i64,
    /// Row offset of this page.
    pub offset: i64,
    /// The rows.
    pub rows: Vec<ExchangeRow>,
}

/// Rows per exchanges page.
pub const PAGE_SIZE: i64 = 200;

/// The page of exchanges starting at `offset`, the whole selection applied.
pub fn exchanges(
    conn: &Connection,
    path: &Path,
    sel: &Selection,
    offset: i64,
) -> StoreResult<ExchangePage> {
    let cond = sel.condition();
    let total: i64 = conn
        .query_row(
            &format!("SELECT coalesce(sum(exchanges), 0)::BIGINT FROM account_day WHERE {cond}"),
            [],
            |r| r.get(0),
        )
        .at(path, "exchanges count")?;
    let offset = offset.clamp(0, (total - 1).max(0));
    // Pick the page from the bare table when no category is chosen, and
    // label only its rows: labelling every exchange first is much slower.
    let page = if sel.categories.is_empty() {
        format!(
            "WITH page AS (SELECT * FROM exchanges WHERE {cond}
                           ORDER BY ts, exchange_id LIMIT {PAGE_SIZE} OFFSET {offset})
             SELECT e.*, {} FROM page e LEFT JOIN template_labels l USING (template_id)",
            super::sql::LABEL_COLUMNS
        )
    } else {
        // Pick the page's row ids on the few columns the filter and order
        // need, then read its rows whole by row id: reading every column of
        // the matching rows first (prompts) took 1.1 s cold on the busiest
        // account's largest category, this 0.2 s.
        format!(
            "WITH picked AS (
               SELECT r FROM (SELECT e.rowid AS r, e.ts, e.exchange_id, e.day, e.account_id, {labels}
                              FROM exchanges e LEFT JOIN template_labels l USING (template_id))
               WHERE {cond} ORDER BY ts, exchange_id LIMIT {PAGE_SIZE} OFFSET {offset})
             SELECT e.*, {labels} FROM exchanges e LEFT JOIN template_labels l USING (template_id)
             WHERE e.rowid IN (SELECT r FROM picked)",
            labels = super::sql::LABEL_COLUMNS
        )
    };
    let sql = format!(
        "SELECT exchange_id, epoch(ts)::BIGINT, account_id, model, category, category_rule, ip, country,
                asn_org, input_tokens, output_tokens, prompt
         FROM ({page}) ORDER BY ts, exchange_id"
    );
    let rows = query_rows(conn, path, "exchanges query", &sql, exchange_row)?;
    Ok(ExchangePage {
        total,
        offset,
        rows,
    })
}

fn exchange_row(r: &duckdb::Row<'_>) -> duckdb::Result<ExchangeRow> {
    Ok(ExchangeRow {
        exchange_id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
        ts: r.get(1)?,
        account_id: r.get(2)?,
        model: r.get(3)?,
        category: r.get(4)?,
        category_rule: r.get(5)?,
        ip: r.get(6)?,
        country: r.get(7)?,
        asn_org: r.get(8)?,
        input_tokens: r.get(9)?,
        output_tokens: r.get(10)?,
        prompt: r.get(11)?,
    })
}

/// One value of an account's infrastructure and how it was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfraUse {
    /// What kind of value (ip, asn, country, user_agent, model).
    pub kind: &'static str,
    /// The value.
    pub value: String,
    /// Extra detail (the network operator of an ASN, ...).
    pub detail: String,
    /// Exchanges with it.
    pub exchanges: i64,
    /// First use, seconds since the epoch.
    pub first: i64,
    /// Last use, seconds since the epoch.
    pub last: i64,
    /// Accounts in the whole log that used it (-1: not counted).
    pub accounts: i64,
}

/// Another account linked to this one: by the account network's links
/// (the same links the Network view draws) or by a sign-up attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedAccount {
    /// The other account.
    pub account_id: String,
    /// The kinds of the network's links between the two (`ip`, `payment`,
    /// `template`, ...), strongest first; empty when only a sign-up
    /// attribute links them.
    pub link_kinds: Vec<String>,
    /// The summed weight of those links (0 without any).
    pub link_weight: f64,
    /// Sign-up attributes in common (payment, sign-up IP, e-mail domain).
    pub shared_signup: Vec<String>,
}

/// A value this account shares with more accounts than the network links
/// pairwise (a hub of the network: a proxy address, a common agent...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedHub {
    /// What kind of value (`ip`, `net`, `asn`, `email_domain`, ...).
    pub kind: String,
    /// The value.
    pub value: String,
    /// Accounts in the whole log that used it.
    pub accounts: i64,
}

/// A template an account used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateUse {
    /// Template fingerprint.
    pub template_id: String,
    /// One prompt of it.
    pub sample_prompt: String,
    /// This account's exchanges with it.
    pub exchanges: i64,
    /// Accounts in the whole log that used it.
    pub accounts: i64,
    /// Its category.
    pub category: String,
}

/// Everything about one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountDetail {
    /// The account.
    pub account_id: String,
    /// Every field of the accounts table and the per-account summary, as text.
    pub attributes: Vec<(String, String)>,
    /// Exchanges per day by category.
    pub timeline: Timeline,
    /// Exchanges per category, largest first.
    pub categories: Vec<(String, i64)>,
    /// IPs, ASNs, countries, user agents and models it used.
    pub infrastructure: Vec<InfraUse>,
    /// Accounts linked to it in the network or sharing sign-up attributes
    /// (at most 100: those sharing a card or a sign-up address, then the
    /// most strongly linked, then those sharing only a mail domain).
    pub linked: Vec<LinkedAccount>,
    /// How many accounts are linked to it in all.
    pub linked_total: i64,
    /// Values it shares with too many accounts to link pairwise (at most
    /// 100, the most widely shared first).
    pub hubs: Vec<SharedHub>,
    /// How many such values in all.
    pub hubs_total: i64,
    /// Templates it used, most used first.
    pub templates: Vec<TemplateUse>,
    /// Its first requests.
    pub requests: Vec<ExchangeRow>,
    /// Whether the parts that scan the log (infrastructure, links,
    /// templates, requests) are filled in.
    pub complete: bool,
}

/// The quick part of an account's page, from the derived tables only:
/// attributes, timeline and categories (milliseconds at any scale).
pub fn account_head(conn: &Connection, path: &Path, account: &str) -> StoreResult<AccountDetail> {
    let id = literal(account);
    let ctx = "account detail";
    let mut attributes = Vec::new();
    for table in ["account_summary", "accounts"] {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {table} WHERE account_id = {id} LIMIT 1"
            ))
            .at(path, ctx)?;
        let batches: Vec<RecordBatch> = stmt.query_arrow([]).at(path, ctx)?.collect();
        for b in batches.iter().filter(|b| b.num_rows() > 0) {
            for (i, field) in b.schema().fields().iter().enumerate() {
                if field.name() == "account_id" {
                    continue;
                }
                let text = cast(b.column(i), &DataType::Utf8)
                    .ok()
                    .and_then(|c| {
                        c.as_string::<i32>()
                            .iter()
                            .next()
                            .flatten()
                            .map(str::to_owned)
                    })
                    .unwrap_or_default();
                attributes.push((field.name().clone(), text));
            }
        }
    }
    let cells = query_rows(
        conn,
        path,
        ctx,
        &format!(
            "SELECT {DAY_NUMBER}, category, sum(exchanges)::BIGINT FROM account_day WHERE account_id = {id} GROUP BY ALL"
        ),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let timeline = Timeline::from_cells(cells);
    let mut categories: Vec<(String, i64)> = timeline
        .groups
        .iter()
        .zip(&timeline.counts)
        .map(|(g, c)| (g.clone(), c.iter().sum()))
        .collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(AccountDetail {
        account_id: account.to_owned(),
        attributes,
        timeline,
        categories,
        ..Default::default()
    })
}

/// Everything about one account: [`account_head`] and [`account_scans`].
pub fn account_detail(conn: &Connection, path: &Path, account: &str) -> StoreResult<AccountDetail> {
    let head = account_head(conn, path, account)?;
    Ok(account_scans(conn, path, account)?.with_head(head))
}

impl AccountDetail {
    /// These scanned parts with the quick part `head`.
    pub fn with_head(self, head: AccountDetail) -> AccountDetail {
        AccountDetail {
            infrastructure: self.infrastructure,
            linked: self.linked,
            linked_total: self.linked_total,
            hubs: self.hubs,
            hubs_total: self.hubs_total,
            templates: self.templates,
            requests: self.requests,
            complete: self.complete,
            ..head
        }
    }
}

/// The parts of an account's page that scan the log: infrastructure,
/// linked accounts, templates, first requests (seconds on the full
/// incident: the log is not ordered by account).
pub fn account_scans(conn: &Connection, path: &Path, account: &str) -> StoreResult<AccountDetail> {
    let id = literal(account);
    let ctx = "account detail";
    // One scan of the log for this account; everything else reads it.
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE detail_rows AS
         SELECT ts, ip, asn, asn_org, country, user_agent, model, template_id FROM exchanges WHERE account_id = {id};"
    ))
    .at(path, ctx)?;
    let mut infrastructure = Vec::new();
    // "Accounts using it" is counted for addresses, networks and user
    // agents: from the counts the graph build kept (`value_accounts`), else
    // by one semi-join scan of the log each. For countries and models it
    // would say little and cost a scan of most of the log.
    use crate::analysis::graph::{incidence, links::LinkKind};
    let kept_kinds = incidence::kept_value_kinds(conn, path)?;
    for (kind, value, detail, column, link) in [
        ("ip", "ip", "any_value(country)", "ip", Some(LinkKind::Ip)),
        (
            "asn",
            "asn::VARCHAR",
            "any_value(asn_org)",
            "asn",
            Some(LinkKind::Asn),
        ),
        ("country", "country", "''", "country", None),
        (
            "user_agent",
            "user_agent",
            "''",
            "user_agent",
            Some(LinkKind::UserAgent),
        ),
        ("model", "model", "''", "model", None),
    ] {
        let key = link.and_then(|l| incidence::value_key(l, column));
        let users = match link {
            Some(l) if kept_kinds.iter().any(|k| k == l.name()) => format!(
                "SELECT raw, v.accounts FROM mine m JOIN value_accounts v ON v.kind = '{}' AND v.key = m.key",
                l.name()
            ),
            Some(_) => format!(
                "SELECT {column} AS raw, count(DISTINCT account_id)::BIGINT AS accounts FROM exchanges
                 WHERE {column} IN (SELECT raw FROM mine) GROUP BY 1"
            ),
            _ => "SELECT raw, NULL::BIGINT AS accounts FROM mine WHERE FALSE".to_owned(),
        };
        let key = key.unwrap_or_else(|| "NULL::UBIGINT".to_owned());
        let sql = format!(
            "WITH mine AS (
               SELECT {column} AS raw, {value} AS v, coalesce({detail}, '') AS detail, count(*)::BIGINT AS n,
                      epoch(min(ts))::BIGINT AS first, epoch(max(ts))::BIGINT AS last,
                      any_value({key}) AS key
               FROM detail_rows WHERE {column} IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, v LIMIT 50),
             users AS ({users})
             SELECT v, detail, n, first, last, coalesce(users.accounts, -1)
             FROM mine LEFT JOIN users USING (raw) ORDER BY n DESC, v"
        );
        let rows = query_rows(conn, path, ctx, &sql, |r| {
            Ok(InfraUse {
                kind,
                value: r.get(0)?,
                detail: r.get(1)?,
                exchanges: r.get(2)?,
                first: r.get(3)?,
                last: r.get(4)?,
                accounts: r.get(5)?,
            })
        })?;
        infrastructure.extend(rows);
    }
    let Links {
        linked,
        linked_total,
        hubs,
        hubs_total,
    } = linked_accounts(conn, path, account)?;
    let templates = query_rows(
        conn,
        path,
        ctx,
        "SELECT d.template_id::VARCHAR, any_value(t.sample_prompt), count(*)::BIGINT, any_value(t.accounts)::BIGINT,
                coalesce(any_value(l.category), 'unknown')
         FROM detail_rows d JOIN templates t USING (template_id) LEFT JOIN template_labels l USING (template_id)
         GROUP BY d.template_id ORDER BY 3 DESC, 1 LIMIT 100",
        |r| {
            Ok(TemplateUse {
                template_id: r.get(0)?,
                sample_prompt: r.get(1)?,
                exchanges: r.get(2)?,
                accounts: r.get(3)?,
                category: r.get(4)?,
            })
        },
    )?;
    // The first page of its exchanges, picked before labelling (10x faster
    // on the full incident than filtering the labelled view).
    let one = Selection {
        accounts: [account.to_owned()].into(),
        ..Default::default()
    };
    let requests = exchanges(conn, path, &one, 0)?.rows;
    conn.execute_batch("DROP TABLE IF EXISTS detail_rows;")
        .at(path, ctx)?;
    Ok(AccountDetail {
        infrastructure,
        linked,
        linked_total,
        hubs,
        hubs_total,
        templates,
        requests,
        complete: true,
        account_id: account.to_owned(),
        ..Default::default()
    })
}

/// An account's links, as its page shows them.
struct Links {
    linked: Vec<LinkedAccount>,
    linked_total: i64,
    hubs: Vec<SharedHub>,
    hubs_total: i64,
}

/// The accounts linked to `account`: its neighbours in the case's account
/// network (read from `graph_edges`, so the page and the Network view
/// agree, and no log scan: a campaign's proxy addresses are shared by
/// thousands of accounts) and accounts with a sign-up attribute in common;
/// and the hubs it is attached to.
fn linked_accounts(conn: &Connection, path: &Path, account: &str) -> StoreResult<Links> {
    let id = literal(account);
    let ctx = "linked accounts";
    let network = if crate::analysis::graph::store::has_graph(conn) {
        format!(
            "WITH me AS (SELECT node FROM graph_nodes WHERE kind = 'account' AND id = {id}),
                  nb AS (SELECT CASE WHEN e.source = me.node THEN e.target ELSE e.source END AS other, e.kind, e.weight
                         FROM graph_edges e, me WHERE e.source = me.node OR e.target = me.node)
             SELECT n.id, n.kind = 'hub' AS hub, n.degree::BIGINT AS degree,
                    list(nb.kind ORDER BY nb.weight DESC, nb.kind) AS kinds, sum(nb.weight)::DOUBLE AS weight
             FROM nb JOIN graph_nodes n ON n.node = nb.other GROUP BY n.id, n.kind, n.degree"
        )
    } else {
        "SELECT NULL::VARCHAR AS id, false AS hub, 0::BIGINT AS degree, []::VARCHAR[] AS kinds, 0::DOUBLE AS weight
         WHERE false"
            .to_owned()
    };
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE detail_links AS {network};"
    ))
    .at(path, ctx)?;
    let sql = format!(
        "WITH net AS (SELECT id AS account_id, kinds, weight FROM detail_links WHERE NOT hub),
              me AS (SELECT * FROM accounts WHERE account_id = {id}),
              signup AS (
                SELECT a.account_id,
                       list_filter([CASE WHEN a.payment_fingerprint = me.payment_fingerprint THEN 'payment' END,
                                    CASE WHEN a.signup_ip = me.signup_ip THEN 'sign-up IP' END,
                                    CASE WHEN a.email_domain = me.email_domain
                                              AND me.email_domain NOT IN ({public}) THEN 'e-mail domain' END],
                                   x -> x IS NOT NULL) AS attrs
                FROM accounts a, me
                WHERE a.account_id <> {id}
                  AND (a.payment_fingerprint = me.payment_fingerprint OR a.signup_ip = me.signup_ip
                       OR (a.email_domain = me.email_domain AND me.email_domain NOT IN ({public}))))
         SELECT account_id, coalesce(array_to_string(n.kinds, ','), ''), coalesce(n.weight, 0),
                coalesce(array_to_string(g.attrs, ','), ''), count(*) OVER ()
         FROM net n FULL JOIN signup g USING (account_id)
         -- a card or sign-up address in common first, then the network's
         -- strongest links; a shared mail domain (a university's) last
         ORDER BY list_has_any(coalesce(g.attrs, []), ['payment', 'sign-up IP']) DESC,
                  coalesce(n.weight, 0) DESC, len(coalesce(g.attrs, [])) DESC, account_id
         LIMIT 100",
        public = PUBLIC_MAIL_DOMAINS
            .iter()
            .map(|d| literal(d))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let list = |text: String| -> Vec<String> {
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut total = 0;
    let linked = query_rows(conn, path, ctx, &sql, |r| {
        total = r.get(4)?;
        Ok(LinkedAccount {
            account_id: r.get(0)?,
            link_kinds: list(r.get(1)?),
            link_weight: r.get(2)?,
            shared_signup: list(r.get(3)?),
        })
    })?;
    // A hub's id is `kind:value`; its degree counts every account that used it.
    let mut hubs_total = 0;
    let hubs = query_rows(
        conn,
        path,
        ctx,
        "SELECT id, degree, count(*) OVER () FROM detail_links WHERE hub ORDER BY degree DESC, id LIMIT 100",
        |r| {
            hubs_total = r.get(2)?;
            let id: String = r.get(0)?;
            let (kind, value) = id.split_once(':').unwrap_or(("", &id));
            Ok(SharedHub {
                kind: kind.to_owned(),
                value: value.to_owned(),
                accounts: r.get(1)?,
            })
        },
    )?;
    conn.execute_batch("DROP TABLE IF EXISTS detail_links;")
        .at(path, ctx)?;
    Ok(Links {
        linked,
        linked_total: total,
        hubs,
        hubs_total,
    })
}

/// Public webmail domains: sharing one links nobody.
pub const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "163.com",
    "126.com",
    "mail.ru",
    "yandex.ru",
    "gmx.de",
    "aol.com",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lift_compares_shares() {
        let rows = lifts(vec![
            ("code".into(), 90, 100),
            ("chat".into(), 10, 900),
            ("math".into(), 0, 0),
        ]);
        assert_eq!(rows[0].category, "code");
        assert!((rows[0].selected_share - 0.9).abs() < 1e-9);
        assert!((rows[0].lift.unwrap() - 9.0).abs() < 1e-9);
        assert!((rows[1].lift.unwrap() - (0.1 / 0.9)).abs() < 1e-9);
        assert_eq!(rows[2].lift, None);
    }

    #[test]
    fn timeline_orders_groups_and_fills_gaps() {
        let t = Timeline::from_cells(vec![
            (2, "b".into(), 5),
            (1, "a".into(), 1),
            (3, "a".into(), 10),
            (1, OTHER_ACCOUNTS.into(), 100),
        ]);
        assert_eq!(t.days, vec![1, 2, 3]);
        assert_eq!(t.groups, vec!["a", "b", OTHER_ACCOUNTS]);
        assert_eq!(t.counts[0], vec![1, 0, 10]);
        assert_eq!(t.day_total(0), 101);
        assert_eq!(t.total(), 116);
    }
}
