//! The workbook in the case file: five tables beside the derived ones
//! (`campaigns`, `campaign_accounts`, `account_tags`, `notes`, `audit_log`),
//! created when a case is first opened for writing. Each edit rewrites the
//! workbook tables and appends its audit line in one transaction, so the
//! file always holds a state the audit log explains.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use duckdb::Connection;

use super::edit::Change;
use super::model::{Campaign, CampaignProps, Note, NoteTarget, Status, Workbook};
use crate::analysis::views::query_rows;
use crate::store::case::has_table;
use crate::store::error::{Context as _, StoreError, StoreResult};

/// The analyst's tables: the workbook, its audit log and the case's chain
/// of custody. Nothing else in a case is the analyst's; a rebuild carries
/// exactly these over.
pub const TABLES: [&str; 7] = [
    "campaigns",
    "campaign_accounts",
    "account_tags",
    "notes",
    "audit_log",
    "network_kinds",
    "custody",
];

const CREATE: &str = "
    CREATE TABLE IF NOT EXISTS campaigns (id BIGINT, name VARCHAR, colour VARCHAR, status VARCHAR,
        confidence INTEGER, notes VARCHAR, created_at VARCHAR, created_by VARCHAR);
    CREATE TABLE IF NOT EXISTS campaign_accounts (campaign_id BIGINT, account_id VARCHAR);
    CREATE TABLE IF NOT EXISTS account_tags (account_id VARCHAR, tag VARCHAR);
    CREATE TABLE IF NOT EXISTS notes (id BIGINT, target_kind VARCHAR, target VARCHAR, text VARCHAR,
        author VARCHAR, written_at VARCHAR);
    CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT, logged_at VARCHAR, analyst VARCHAR, action VARCHAR,
        campaign_id BIGINT, campaign VARCHAR, detail VARCHAR);
    CREATE TABLE IF NOT EXISTS network_kinds (asn BIGINT, hosting BOOLEAN);
    CREATE TABLE IF NOT EXISTS custody (logged_at VARCHAR, who VARCHAR, tool_version VARCHAR, action VARCHAR,
        detail VARCHAR);";

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Order of the change in this case, from 1.
    pub seq: i64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who (the analyst name setting).
    pub analyst: String,
    /// What kind of change.
    pub action: String,
    /// The campaign concerned, if any: its id.
    pub campaign_id: Option<i64>,
    /// Its name at the time.
    pub campaign: Option<String>,
    /// What changed.
    pub detail: String,
}

/// Creates the workbook tables if the case has none (a writable case).
pub fn ensure_tables(conn: &Connection, path: &Path) -> StoreResult<()> {
    conn.execute_batch(CREATE)
        .at(path, "cannot add the campaign tables to the case file")
}

/// Whether the case holds workbook tables.
pub fn has_tables(conn: &Connection) -> bool {
    has_table(conn, "audit_log")
}

/// Reads the workbook (empty when the case has none yet).
pub fn load(conn: &Connection, path: &Path) -> StoreResult<Workbook> {
    if !has_tables(conn) {
        return Ok(Workbook::default());
    }
    let ctx = "reading campaigns";
    let bad = |reason: String| StoreError::NotWhatItSays {
        path: path.into(),
        reason: format!("campaign tables: {reason}"),
    };
    let rows = query_rows(
        conn,
        path,
        ctx,
        "SELECT id, name, colour, status, confidence, notes, created_at, created_by FROM campaigns ORDER BY id",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i32>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        },
    )?;
    let mut members: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (id, account) in query_rows(
        conn,
        path,
        ctx,
        "SELECT campaign_id, account_id FROM campaign_accounts",
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )? {
        members.entry(id).or_default().insert(account);
    }
    let mut campaigns = Vec::with_capacity(rows.len());
    for (id, name, colour, status, confidence, notes, created_at, created_by) in rows {
        campaigns.push(Arc::new(Campaign {
            id,
            props: CampaignProps {
                name,
                colour,
                status: Status::parse(&status).map_err(bad)?,
                confidence: u8::try_from(confidence)
                    .map_err(|_| bad(format!("confidence {confidence}")))?,
                notes,
            },
            accounts: members.remove(&id).unwrap_or_default(),
            created_at,
            created_by,
        }));
    }
    let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (account, tag) in query_rows(
        conn,
        path,
        ctx,
        "SELECT account_id, tag FROM account_tags",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )? {
        tags.entry(account).or_default().insert(tag);
    }
    let notes = query_rows(
        conn,
        path,
        ctx,
        "SELECT id, target_kind, target, text, author, written_at FROM notes ORDER BY id",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )?
    .into_iter()
    .map(|(id, kind, key, text, author, at)| {
        Ok(Note {
            id,
            target: NoteTarget::parse(&kind, &key).map_err(bad)?,
            text,
            author,
            at,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    // Cases made before network marks existed have no table for them.
    let has_marks = has_table(conn, "network_kinds");
    let networks: BTreeMap<i64, bool> = if has_marks {
        query_rows(
            conn,
            path,
            ctx,
            "SELECT asn, hosting FROM network_kinds",
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)),
        )?
        .into_iter()
        .collect()
    } else {
        BTreeMap::new()
    };
    Ok(Workbook {
        campaigns,
        tags: Arc::new(tags),
        notes: Arc::new(notes),
        networks: Arc::new(networks),
    })
}

/// Writes `book` in place of the stored workbook and appends `change` to
/// the audit log, in one transaction: both or neither.
pub fn save(
    conn: &Connection,
    path: &Path,
    book: &Workbook,
    change: &Change,
    analyst: &str,
    at: &str,
) -> StoreResult<()> {
    ensure_tables(conn, path)?;
    // The first change this process makes to this case opens its session
    // in the chain of custody.
    static SESSIONS: std::sync::Mutex<BTreeSet<std::path::PathBuf>> =
        std::sync::Mutex::new(BTreeSet::new());
    let key = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let first = !SESSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key);
    conn.execute_batch("BEGIN TRANSACTION;")
        .at(path, "cannot start saving the campaigns")?;
    let written = write_all(conn, path, book, change, analyst, at).and_then(|()| {
        if first {
            record_custody(
                conn,
                path,
                "edited",
                &format!("work session by {analyst} began with: {}", change.detail),
            )
        } else {
            Ok(())
        }
    });
    match written {
        Ok(()) => {
            conn.execute_batch("COMMIT;")
                .at(path, "cannot save the campaigns")?;
            SESSIONS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK;");
            Err(e)
        }
    }
}

fn write_all(
    conn: &Connection,
    path: &Path,
    book: &Workbook,
    change: &Change,
    analyst: &str,
    at: &str,
) -> StoreResult<()> {
    let ctx = "cannot save the campaigns";
    conn.execute_batch(
        "DELETE FROM campaigns; DELETE FROM campaign_accounts; DELETE FROM account_tags; DELETE FROM notes;
         DELETE FROM network_kinds;",
    )
    .at(path, ctx)?;
    {
        let mut app = conn.appender("campaigns").at(path, ctx)?;
        for c in &book.campaigns {
            let p = &c.props;
            app.append_row(duckdb::params![
                c.id,
                p.name,
                p.colour,
                p.status.name(),
                i32::from(p.confidence),
                p.notes,
                c.created_at,
                c.created_by
            ])
            .at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    {
        let mut app = conn.appender("campaign_accounts").at(path, ctx)?;
        for c in &book.campaigns {
            for a in &c.accounts {
                app.append_row(duckdb::params![c.id, a]).at(path, ctx)?;
            }
        }
        app.flush().at(path, ctx)?;
    }
    {
        let mut app = conn.appender("account_tags").at(path, ctx)?;
        for (account, tags) in book.tags.iter() {
            for t in tags {
                app.append_row(duckdb::params![account, t]).at(path, ctx)?;
            }
        }
        app.flush().at(path, ctx)?;
    }
    {
        let mut app = conn.appender("notes").at(path, ctx)?;
        for n in book.notes.iter() {
            app.append_row(duckdb::params![
                n.id,
                n.target.kind(),
                n.target.key(),
                n.text,
                n.author,
                n.at
            ])
            .at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    {
        let mut app = conn.appender("network_kinds").at(path, ctx)?;
        for (asn, hosting) in book.networks.iter() {
            app.append_row(duckdb::params![asn, hosting])
                .at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    insert_audit(conn, path, change, analyst, at)
}

/// The next audit line, numbered after the last.
fn insert_audit(
    conn: &Connection,
    path: &Path,
    change: &Change,
    analyst: &str,
    at: &str,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO audit_log SELECT coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ? FROM audit_log",
        duckdb::params![
            at,
            analyst,
            change.action,
            change.campaign_id,
            change.campaign,
            change.detail
        ],
    )
    .at(path, "cannot write the audit log")?;
    Ok(())
}

/// Appends one line to the audit log that is not an edit of the workbook
/// (a rebuild, a relabelling), in its own statement.
pub fn append_audit(
    conn: &Connection,
    path: &Path,
    change: &Change,
    analyst: &str,
    at: &str,
) -> StoreResult<()> {
    ensure_tables(conn, path)?;
    insert_audit(conn, path, change, analyst, at)
}

/// One line of the case's chain of custody: who did what to the case (built,
/// rebuilt, relabelled, edited, exported), when, with which version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustodyEntry {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who (the login name, or `$DISTILLSCOPE_ANALYST`).
    pub who: String,
    /// distillscope's version.
    pub tool_version: String,
    /// What was done.
    pub action: String,
    /// Details (files, reasons, counts).
    pub detail: String,
}

/// Records `action` in the chain of custody, as the current user now.
pub fn record_custody(
    conn: &Connection,
    path: &Path,
    action: &str,
    detail: &str,
) -> StoreResult<()> {
    ensure_tables(conn, path)?;
    conn.execute(
        "INSERT INTO custody VALUES (?, ?, ?, ?, ?)",
        duckdb::params![
            super::now(),
            super::default_analyst(),
            env!("CARGO_PKG_VERSION"),
            action,
            detail
        ],
    )
    .at(path, "cannot write the chain of custody")?;
    Ok(())
}

/// The chain of custody, oldest first (empty for cases made before it).
pub fn custody(conn: &Connection, path: &Path) -> StoreResult<Vec<CustodyEntry>> {
    if !has_table(conn, "custody") {
        return Ok(Vec::new());
    }
    query_rows(
        conn,
        path,
        "reading the chain of custody",
        "SELECT logged_at, who, tool_version, action, detail FROM custody ORDER BY logged_at",
        |r| {
            Ok(CustodyEntry {
                at: r.get(0)?,
                who: r.get(1)?,
                tool_version: r.get(2)?,
                action: r.get(3)?,
                detail: r.get(4)?,
            })
        },
    )
}

/// The audit log, oldest first; only the lines about campaign number
/// `campaign` when given.
pub fn audit(
    conn: &Connection,
    path: &Path,
    campaign: Option<i64>,
) -> StoreResult<Vec<AuditEntry>> {
    if !has_tables(conn) {
        return Ok(Vec::new());
    }
    let filter = match campaign {
        Some(id) => format!("WHERE campaign_id = {id}"),
        None => String::new(),
    };
    query_rows(
        conn,
        path,
        "reading the audit log",
        &format!(
            "SELECT seq, logged_at, analyst, action, campaign_id, campaign, detail FROM audit_log {filter} ORDER BY seq"
        ),
        |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                analyst: r.get(2)?,
                action: r.get(3)?,
                campaign_id: r.get(4)?,
                campaign: r.get(5)?,
                detail: r.get(6)?,
            })
        },
    )
}

/// The accounts of `accounts` that the case does not know, in order.
pub fn unknown_accounts(
    conn: &Connection,
    path: &Path,
    accounts: &[String],
) -> StoreResult<Vec<String>> {
    let known: BTreeSet<String> = query_rows(
        conn,
        path,
        "checking account ids",
        "SELECT account_id FROM account_summary",
        |r| r.get(0),
    )?
    .into_iter()
    .collect();
    Ok(accounts
        .iter()
        .filter(|a| !known.contains(*a))
        .cloned()
        .collect())
}
