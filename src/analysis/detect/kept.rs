//! The scan kept in the case. Reading the features from the log is most of
//! a scan's time (53 of 56 s on the full incident); the result changes only
//! when the case is rebuilt or relabelled, the graph is rebuilt, or the
//! settings (network marks included) change. The whole result is kept in
//! the case (postcard, gzipped) with a [`Stamp`] of what it depends on, so
//! a reopened case shows it at once, and says what changed since when it
//! is stale instead of scanning again unasked.

use std::io::{Read as _, Write as _};
use std::path::Path;

use duckdb::Connection;

use super::Scan;
use super::config::DetectConfig;
use crate::store::error::{Context as _, StoreResult};

/// The table the scan is kept in.
const TABLE: &str = "scan_result";
/// The table earlier versions kept the features alone in.
const OLD_TABLE: &str = "scan_features";
/// The payload's layout; a kept scan of another layout is not read.
/// postcard does not describe itself: raise this whenever [`Scan`] or a
/// type inside it changes (a kept scan of the old layout is then scanned
/// again instead of being misread).
const FORMAT: i32 = 1;

/// What a scan depends on, each part hashed, so a stale scan can say what
/// changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The settings, the analyst's network marks included.
    pub settings: String,
    /// The case's metadata: its evidence, build, taxonomy and IP database.
    pub case: String,
    /// The account network's settings.
    pub graph: String,
}

impl Stamp {
    /// The stamp of a scan of the case at `path` with `cfg` now.
    pub fn of(conn: &Connection, path: &Path, cfg: &DetectConfig) -> StoreResult<Stamp> {
        let meta = crate::store::case::read_meta(conn, path)
            .map(|m| serde_json::to_string(&m).unwrap_or_default())
            .unwrap_or_default();
        let graph: Vec<String> = if crate::store::case::has_table(conn, "graph_meta") {
            crate::analysis::views::query_rows(
                conn,
                path,
                "reading the graph's settings",
                "SELECT key || '=' || value FROM graph_meta ORDER BY key",
                |r| r.get(0),
            )?
        } else {
            Vec::new()
        };
        let hash = |text: &str| crate::store::fingerprint::sha256_bytes(text.as_bytes());
        Ok(Stamp {
            settings: hash(&format!("{cfg:?}")),
            case: hash(&meta),
            graph: hash(&graph.join("\n")),
        })
    }

    /// What differs between this stamp (the kept scan's) and `now`, in
    /// plain words; empty when the scan is current.
    pub fn changes(&self, now: &Stamp) -> Vec<String> {
        let mut out = Vec::new();
        if self.case != now.case {
            out.push(
                "the case was rebuilt or relabelled (evidence, build, taxonomy or IP database)"
                    .to_owned(),
            );
        }
        if self.graph != now.graph {
            out.push("the account network was rebuilt with other settings".to_owned());
        }
        if self.settings != now.settings {
            out.push("the detection settings or the analyst's network marks changed".to_owned());
        }
        out
    }
}

/// Where a scan came from when it was kept in the case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kept {
    /// When it was made (UTC).
    pub made_at: String,
    /// What changed since, in plain words; empty when it is current.
    pub stale: Vec<String>,
}

/// The scan kept in the case, marked with what changed since it was made
/// (compared with `now`). `None` when none is kept or it cannot be read
/// (another layout or version of the tool): the caller scans again.
pub fn load(conn: &Connection, now: &Stamp) -> Option<Scan> {
    if !crate::store::case::has_table(conn, TABLE) {
        return None;
    }
    let (format, version, made_at, settings, case, graph, blob): (
        i32,
        String,
        String,
        String,
        String,
        String,
        Vec<u8>,
    ) = conn
        .query_row(
            &format!(
                "SELECT format, tool_version, made_at, settings, case_state, graph, payload FROM {TABLE}"
            ),
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .ok()?;
    if format != FORMAT || version != env!("CARGO_PKG_VERSION") {
        return None;
    }
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(blob.as_slice())
        .read_to_end(&mut bytes)
        .ok()?;
    let mut scan: Scan = postcard::from_bytes(&bytes).ok()?;
    scan.rebuild_baselines();
    let then = Stamp {
        settings,
        case,
        graph,
    };
    scan.kept = Some(Kept {
        made_at,
        stale: then.changes(now),
    });
    Some(scan)
}

/// Keeps `scan`, made in the state `stamp`, replacing what was kept before
/// (and the features alone that earlier versions kept).
pub fn store(conn: &Connection, path: &Path, stamp: &Stamp, scan: &Scan) -> StoreResult<()> {
    let ctx = "keeping the scan in the case";
    let bytes = postcard::to_stdvec(scan)
        .map_err(std::io::Error::other)
        .at(path, ctx)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).at(path, ctx)?;
    let blob = gz.finish().at(path, ctx)?;
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {OLD_TABLE};
         CREATE TABLE IF NOT EXISTS {TABLE} (format INTEGER, tool_version VARCHAR, made_at VARCHAR,
           settings VARCHAR, case_state VARCHAR, graph VARCHAR, payload BLOB);
         DELETE FROM {TABLE};"
    ))
    .at(path, ctx)?;
    conn.execute(
        &format!("INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)"),
        duckdb::params![
            FORMAT,
            env!("CARGO_PKG_VERSION"),
            crate::store::case::now_utc(conn),
            stamp.settings,
            stamp.case,
            stamp.graph,
            blob
        ],
    )
    .at(path, ctx)?;
    Ok(())
}
