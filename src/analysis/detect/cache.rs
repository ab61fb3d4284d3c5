//! The scan's features kept in the case: reading them from the log is most
//! of a scan's time (39 of 46 s on the full incident), and they change only
//! when the case is rebuilt or relabelled, the graph is rebuilt, or the
//! settings (network marks included) change. They are stored as gzipped
//! JSON under a key made of all of these, and used only while the key
//! matches; a read-only case is scanned as before.

use std::io::{Read as _, Write as _};
use std::path::Path;

use duckdb::Connection;

use super::config::DetectConfig;
use super::features::Features;
use crate::store::error::{Context as _, StoreResult};

/// The table the features are kept in.
const TABLE: &str = "scan_features";

/// What the features depend on, hashed: the settings, the case's metadata
/// (its evidence, build, taxonomy and IP database) and the graph's settings.
pub fn key(conn: &Connection, path: &Path, cfg: &DetectConfig) -> StoreResult<String> {
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
    let text = format!("{cfg:?}\n{meta}\n{}", graph.join("\n"));
    Ok(crate::store::fingerprint::sha256_bytes(text.as_bytes()))
}

/// The features kept under `key`, if any (anything unreadable counts as
/// none: they are read from the log again).
pub fn load(conn: &Connection, key: &str) -> Option<Features> {
    if !crate::store::case::has_table(conn, TABLE) {
        return None;
    }
    let blob: Vec<u8> = conn
        .query_row(
            &format!("SELECT payload FROM {TABLE} WHERE key = ?"),
            [key],
            |r| r.get(0),
        )
        .ok()?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(blob.as_slice())
        .read_to_end(&mut json)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

/// Keeps `features` under `key`, replacing what was kept before.
pub fn store(conn: &Connection, path: &Path, key: &str, features: &Features) -> StoreResult<()> {
    let json = serde_json::to_vec(features).expect("features serialise");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json)
        .at(path, "compressing the scan's features")?;
    let blob = gz.finish().at(path, "compressing the scan's features")?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (key VARCHAR, made_at VARCHAR, tool_version VARCHAR, payload BLOB);
         DELETE FROM {TABLE};"
    ))
    .at(path, "keeping the scan's features")?;
    conn.execute(
        &format!("INSERT INTO {TABLE} VALUES (?, ?, ?, ?)"),
        duckdb::params![
            key,
            crate::store::case::now_utc(conn),
            env!("CARGO_PKG_VERSION"),
            blob
        ],
    )
    .at(path, "keeping the scan's features")?;
    Ok(())
}

/// An `f64` kept exactly, NaN ("cannot be computed") included: written as
/// its bit pattern (JSON has no NaN, and decimal text may not read back to
/// the same last bit).
pub mod f64_bits {
    use serde::{Deserialize as _, Deserializer, Serializer};

    /// Writes the bits.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(v.to_bits())
    }

    /// Reads the bits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(f64::from_bits(u64::deserialize(d)?))
    }
}
