//! Carrying the analyst's work from a previous case file into a new one
//! (a rebuild, a format upgrade, a new IP database): every analyst table
//! copied by column name and checked row for row before the new case may
//! replace the old. Members of campaigns the rebuilt evidence no longer
//! holds are kept and reported, never dropped.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::store::{TABLES, ensure_tables};
use crate::analysis::views::query_rows;
use crate::store::error::{Context as _, StoreError, StoreResult, lock_holder};

/// What a carry-over moved, table by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// The case file the work came from.
    pub from: PathBuf,
    /// Rows carried per analyst table (0 for a table the old case lacked).
    pub rows: Vec<(&'static str, i64)>,
    /// Campaign members the new case's evidence does not hold: (campaign,
    /// account). They stay members.
    pub missing_members: Vec<(String, String)>,
}

impl Carried {
    /// Rows carried from `table`.
    pub fn count(&self, table: &str) -> i64 {
        self.rows
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }

    /// Whether there was any work to carry.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|(_, n)| *n == 0)
    }

    /// The carry-over in one sentence, for the audit log and the analyst.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "carried {} campaigns ({} memberships), {} tags, {} notes, {} network marks, {} audit lines; every row checked",
            self.count("campaigns"),
            self.count("campaign_accounts"),
            self.count("account_tags"),
            self.count("notes"),
            self.count("network_kinds"),
            self.count("audit_log"),
        );
        if !self.missing_members.is_empty() {
            let shown: Vec<String> = self
                .missing_members
                .iter()
                .take(10)
                .map(|(c, a)| format!("{a} ({c})"))
                .collect();
            let more = self.missing_members.len().saturating_sub(shown.len());
            text.push_str(&format!(
                "; {} campaign members are not in the rebuilt evidence and stay members: {}{}",
                self.missing_members.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        text
    }
}

/// Copies the analyst's tables of the case file at `previous` into the
/// case being built on `conn` (at `path`), checks that every row arrived
/// unchanged, and lists members the new evidence lacks. The previous file
/// is only read.
pub fn carry_over(conn: &Connection, path: &Path, previous: &Path) -> StoreResult<Carried> {
    ensure_tables(conn, path)?;
    let quoted = previous.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("ATTACH '{quoted}' AS previous (READ_ONLY);"))
        .map_err(|e| match lock_holder(&e) {
            Some(holder) => StoreError::CaseLocked {
                path: previous.into(),
                holder,
            },
            None => StoreError::DuckDb {
                path: previous.into(),
                context: "cannot read the previous case's work".into(),
                source: e,
            },
        })?;
    let result = copy_tables(conn, path, previous);
    let _ = conn.execute_batch("DETACH previous;");
    result
}

fn copy_tables(conn: &Connection, path: &Path, previous: &Path) -> StoreResult<Carried> {
    let mut rows = Vec::new();
    for table in TABLES {
        let old = columns(conn, previous, "previous", table)?;
        if old.is_empty() {
            // A case older than this table: nothing to carry.
            rows.push((table, 0));
            continue;
        }
        let new = columns(conn, path, "main", table)?;
        let lost: Vec<&String> = old.iter().filter(|c| !new.contains(c)).collect();
        if !lost.is_empty() {
            return Err(StoreError::NotWhatItSays {
                path: previous.into(),
                reason: format!(
                    "the previous case's `{table}` has columns this version does not keep ({}); open it with the version that made it",
                    lost.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        let list = old
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", ");
        conn.execute_batch(&format!(
            "DELETE FROM main.{table}; INSERT INTO main.{table} ({list}) SELECT {list} FROM previous.{table};"
        ))
        .at(path, &format!("carrying `{table}` over from the previous case"))?;
        let (before, after, differing): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM previous.{table}), (SELECT count(*) FROM main.{table}),
                            (SELECT count(*) FROM (SELECT {list} FROM previous.{table}
                                                   EXCEPT ALL SELECT {list} FROM main.{table}))"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .at(path, &format!("checking `{table}` after carrying it over"))?;
        if before != after || differing != 0 {
            return Err(StoreError::NotWhatItSays {
                path: path.into(),
                reason: format!(
                    "carrying `{table}` over lost rows ({before} before, {after} after, {differing} differing); the previous case is untouched"
                ),
            });
        }
        rows.push((table, before));
    }
    let missing_members = query_rows(
        conn,
        path,
        "finding campaign members the evidence lacks",
        "SELECT c.name, ca.account_id FROM main.campaign_accounts ca JOIN main.campaigns c ON c.id = ca.campaign_id
         WHERE ca.account_id NOT IN (SELECT account_id FROM main.account_summary)
         ORDER BY c.name, ca.account_id",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Carried {
        from: previous.into(),
        rows,
        missing_members,
    })
}

/// Column names of `database`.main.`table`, in order (none when absent).
fn columns(
    conn: &Connection,
    path: &Path,
    database: &str,
    table: &str,
) -> StoreResult<Vec<String>> {
    let database = if database == "main" {
        "current_database()".to_owned()
    } else {
        format!("'{database}'")
    };
    query_rows(
        conn,
        path,
        "reading the analyst's tables",
        &format!(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = {database}
               AND schema_name = 'main' AND table_name = '{table}' ORDER BY column_index"
        ),
        |r| r.get(0),
    )
}
