//! The incident at a glance, read from a case's derived tables only, so it
//! is instant however large the evidence.

use duckdb::Connection;

use super::views::query_rows;
use crate::store::case::{Case, CaseMeta};
use crate::store::error::{Context as _, StoreResult};

/// Exchanges of one day.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DayCount {
    /// Day (UTC), YYYY-MM-DD.
    pub day: String,
    /// Exchanges that day.
    pub exchanges: i64,
}

/// One capability category's share.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryCount {
    /// Category id.
    pub category: String,
    /// Exchanges in it.
    pub exchanges: i64,
    /// Share of all exchanges, 0..1.
    pub share: f64,
    /// Accounts with at least one exchange in it.
    pub accounts: i64,
}

/// One of the busiest accounts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountCount {
    /// Account id.
    pub account_id: String,
    /// Exchanges sent.
    pub exchanges: i64,
    /// Days with traffic.
    pub active_days: i64,
    /// Most frequent category.
    pub top_category: Option<String>,
}

/// An event from the `events` table, or a model first seen in the log
/// (kind `first_seen`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    /// When (UTC).
    pub ts: String,
    /// model_release, enforcement, policy_change, note.
    pub kind: String,
    /// Label.
    pub label: String,
}

/// Everything `summary` prints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// The case file.
    pub case_file: String,
    /// The source the case was made from.
    pub source: String,
    /// How the evidence was read: the format recognised, files, mapping.
    pub format: String,
    /// Where each `exchanges` column came from, with rows filled.
    pub fields: Vec<crate::store::case::FieldSource>,
    /// Files of a log folder left out (not logs).
    pub skipped: Vec<String>,
    /// SHA-256 of the evidence (of each file, in order).
    pub evidence_sha256: Vec<String>,
    /// Total exchanges.
    pub exchanges: i64,
    /// Distinct accounts with traffic.
    pub accounts: i64,
    /// First and last exchange (UTC).
    pub first_ts: Option<String>,
    /// Last exchange (UTC).
    pub last_ts: Option<String>,
    /// Exchanges per day.
    pub per_day: Vec<DayCount>,
    /// Category breakdown, largest first.
    pub categories: Vec<CategoryCount>,
    /// Busiest accounts.
    pub top_accounts: Vec<AccountCount>,
    /// Events.
    pub events: Vec<EventRow>,
    /// Exchanges whose log carried a category, and how many of those the
    /// classifier labels differently.
    pub log_labelled: i64,
    /// Disagreements between the log's category and the classifier's.
    pub classifier_disagreements: i64,
}

/// Computes the summary of an opened case.
pub fn summarize(case: &Case, top: usize) -> StoreResult<Summary> {
    summarize_parts(&case.conn, &case.path, &case.meta, top)
}

/// Computes the summary from a case's connection, path and metadata (the
/// GUI's query worker owns the connection apart from the rest).
pub fn summarize_parts(
    conn: &Connection,
    path: &std::path::Path,
    meta: &CaseMeta,
    top: usize,
) -> StoreResult<Summary> {
    let (exchanges, accounts, first_ts, last_ts): (i64, i64, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT coalesce(sum(exchanges), 0), count(*),
                    strftime(min(first_seen), '%Y-%m-%dT%H:%M:%SZ'), strftime(max(last_seen), '%Y-%m-%dT%H:%M:%SZ')
             FROM account_summary",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .at(path, "summary query")?;
    let per_day = query_rows(
        conn,
        path,
        "summary query",
        "SELECT strftime(day, '%Y-%m-%d'), sum(exchanges)::BIGINT FROM daily_category GROUP BY day ORDER BY day",
        |r| {
            Ok(DayCount {
                day: r.get(0)?,
                exchanges: r.get(1)?,
            })
        },
    )?;
    let categories = query_rows(conn, path, "summary query",
        "SELECT category, exchanges, exchanges / (SELECT sum(exchanges) FROM category_summary), accounts
         FROM category_summary ORDER BY exchanges DESC, category",
        |r| Ok(CategoryCount { category: r.get(0)?, exchanges: r.get(1)?, share: r.get(2)?, accounts: r.get(3)? }),
    )?;
    let top_accounts = query_rows(
        conn,
        path,
        "summary query",
        &format!(
            "SELECT account_id, exchanges, active_days, top_category FROM account_summary
             ORDER BY exchanges DESC, account_id LIMIT {top}"
        ),
        |r| {
            Ok(AccountCount {
                account_id: r.get(0)?,
                exchanges: r.get(1)?,
                active_days: r.get(2)?,
                top_category: r.get(3)?,
            })
        },
    )?;
    // The evidence's events, and the models first seen in the log.
    let events = crate::analysis::views::events(conn, path)?
        .into_iter()
        .map(|e| EventRow {
            ts: crate::analysis::days::iso_seconds(e.ts).replace(' ', "T") + "Z",
            kind: e.kind,
            label: e.label,
        })
        .collect::<Vec<_>>();
    let (log_labelled, classifier_disagreements): (i64, i64) = conn
        .query_row(
            "SELECT log_labelled, disagreements FROM classifier_agreement",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .at(path, "summary query")?;
    Ok(Summary {
        case_file: path.display().to_string(),
        source: meta.source_path.display().to_string(),
        format: meta.format_described(),
        fields: meta.fields.clone(),
        skipped: meta
            .skipped
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        evidence_sha256: meta.evidence.iter().map(|e| e.sha256.clone()).collect(),
        exchanges,
        accounts,
        first_ts,
        last_ts,
        per_day,
        categories,
        top_accounts,
        events,
        log_labelled,
        classifier_disagreements,
    })
}

/// Renders a summary as text for a terminal.
pub fn render_text(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Case      {}", s.case_file);
    let _ = writeln!(out, "Source    {}", s.source);
    let _ = writeln!(out, "Format    {}", s.format);
    for h in &s.evidence_sha256 {
        let _ = writeln!(out, "SHA-256   {h}");
    }
    let _ = writeln!(out, "Exchanges {}", group_digits(s.exchanges));
    let _ = writeln!(out, "Accounts  {}", group_digits(s.accounts));
    let _ = writeln!(
        out,
        "Range     {} .. {} ({} days with traffic)",
        s.first_ts.as_deref().unwrap_or("-"),
        s.last_ts.as_deref().unwrap_or("-"),
        s.per_day.len()
    );
    if s.exchanges > 0 && !s.fields.is_empty() {
        let _ = writeln!(out, "\nFields of exchanges (rows with a value)");
        for f in s
            .fields
            .iter()
            .filter(|f| f.filled > 0 || !f.from.is_empty())
        {
            let from = if f.from.is_empty() { "-" } else { &f.from };
            let _ = writeln!(
                out,
                "  {:<14} {:>6.1}%  from {from}",
                f.column,
                100.0 * f.filled as f64 / s.exchanges as f64
            );
        }
    }
    for skipped in &s.skipped {
        let _ = writeln!(out, "Left out  {skipped} (not a log)");
    }
    let _ = writeln!(out, "\nCapability categories");
    for c in &s.categories {
        let _ = writeln!(
            out,
            "  {:<24} {:>12} {:>6.1}%  {:>9} accounts",
            c.category,
            group_digits(c.exchanges),
            c.share * 100.0,
            group_digits(c.accounts)
        );
    }
    if s.log_labelled > 0 {
        let _ = writeln!(
            out,
            "  (the log labelled {} exchanges; the classifier disagrees on {} = {:.1}%)",
            group_digits(s.log_labelled),
            group_digits(s.classifier_disagreements),
            100.0 * s.classifier_disagreements as f64 / s.log_labelled as f64
        );
    }
    let _ = writeln!(out, "\nExchanges per day");
    let max = s
        .per_day
        .iter()
        .map(|d| d.exchanges)
        .max()
        .unwrap_or(1)
        .max(1);
    for d in &s.per_day {
        let bar = "#".repeat(((d.exchanges as f64 / max as f64) * 40.0).round() as usize);
        let _ = writeln!(out, "  {} {:>11} {bar}", d.day, group_digits(d.exchanges));
    }
    let _ = writeln!(out, "\nBusiest accounts");
    for a in &s.top_accounts {
        let _ = writeln!(
            out,
            "  {:<28} {:>10} exchanges {:>4} days  {}",
            a.account_id,
            group_digits(a.exchanges),
            a.active_days,
            a.top_category.as_deref().unwrap_or("-")
        );
    }
    if !s.events.is_empty() {
        let _ = writeln!(out, "\nEvents");
        for e in &s.events {
            let _ = writeln!(out, "  {} {:<14} {}", e.ts, e.kind, e.label);
        }
    }
    out
}

/// 1234567 -> "1,234,567".
pub fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_digits() {
        assert_eq!(super::group_digits(1234567), "1,234,567");
        assert_eq!(super::group_digits(12), "12");
        assert_eq!(super::group_digits(-1000), "-1,000");
    }
}
