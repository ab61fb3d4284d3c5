//! The case file: a DuckDB database beside the evidence holding the
//! normalised tables, everything derived from them, and the analyst's work.
//! It records which evidence bytes it was made from. It is written under a
//! temporary name and renamed only when complete.

use std::path::{Path, PathBuf};

use duckdb::{AccessMode, Config, Connection};

use super::error::{Context as _, StoreError, StoreResult};
use super::fingerprint::{self, FileFingerprint};
use super::mapping::ColumnMapping;

/// Version of the case file layout; a case of another version is rebuilt.
/// 7: `exchanges` stored in day, account, time and exchange id order.
/// 8: `templates` without the normalised text (recomputed when read).
/// 9: a template's sample is its request with the least exchange id.
pub const CASE_FORMAT: u32 = 9;

/// Suffix of case files.
pub const CASE_SUFFIX: &str = ".case.duckdb";

/// What a case file says about itself (stored as JSON in `case_meta`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CaseMeta {
    /// Layout version.
    pub format: u32,
    /// distillscope version that made it.
    pub tool_version: String,
    /// When it was made (UTC, RFC 3339).
    pub created_at: String,
    /// The path the analyst opened or imported.
    pub source_path: PathBuf,
    /// What kind of source: duckdb, folder, parquet, csv, jsonl, or a log
    /// format name (litellm, otel, bedrock).
    pub source_kind: String,
    /// The evidence files and their hashes.
    pub evidence: Vec<FileFingerprint>,
    /// Column mapping used for `exchanges`.
    #[serde(default)]
    pub mapping: ColumnMapping,
    /// IP enrichment database used, if any.
    #[serde(default)]
    pub ip_db: Option<FileFingerprint>,
    /// SHA-256 of the taxonomy text the templates were labelled with
    /// (absent in cases made before it was recorded).
    #[serde(default)]
    pub taxonomy_sha256: Option<String>,
    /// The taxonomy file, or none for the one shipped with the tool.
    #[serde(default)]
    pub taxonomy_file: Option<PathBuf>,
    /// A relabelling began and has not finished (a crash mid-way): the
    /// next open labels again.
    #[serde(default)]
    pub relabel_pending: bool,
    /// Where each `exchanges` column came from and how many rows have a
    /// value (empty in cases made before it was recorded).
    #[serde(default)]
    pub fields: Vec<FieldSource>,
    /// Files of a log folder that were not logs and were left out.
    #[serde(default)]
    pub skipped: Vec<PathBuf>,
}

impl CaseMeta {
    /// How the evidence was read, in words: the format recognised, how many
    /// files, the column mapping, files left out.
    pub fn format_described(&self) -> String {
        let logs: Option<Vec<&str>> = self
            .source_kind
            .split('+')
            .map(|k| super::import::LogFormat::from_name(k).map(|f| f.title()))
            .collect();
        let mut out = match (logs, self.source_kind.as_str()) {
            (Some(titles), _) if !self.source_kind.is_empty() => titles.join(" + "),
            (_, "duckdb" | "case") => "DuckDB database of contract tables".to_owned(),
            (_, "folder") => "folder of contract tables".to_owned(),
            (_, "parquet") => "`exchanges` table (Parquet)".to_owned(),
            (_, "csv") => "`exchanges` table (CSV)".to_owned(),
            (_, "jsonl") => "`exchanges` table (JSON Lines)".to_owned(),
            (_, other) => other.to_owned(),
        };
        let n = self.evidence.len();
        out.push_str(&format!(", {n} file{}", if n == 1 { "" } else { "s" }));
        if !self.mapping.is_empty() {
            let pairs: Vec<String> = self
                .mapping
                .pairs
                .iter()
                .map(|(c, s)| format!("{c}={s}"))
                .collect();
            out.push_str(&format!(", columns mapped {}", pairs.join(",")));
        }
        if !self.skipped.is_empty() {
            out.push_str(&format!(
                ", {} non-log file{} left out",
                self.skipped.len(),
                if self.skipped.len() == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// Where a contract column of `exchanges` came from in the evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldSource {
    /// The contract column.
    pub column: String,
    /// The source column or log field(s) it was read from, in words.
    pub from: String,
    /// Rows with a value.
    pub filled: i64,
}

/// Applies the session settings every connection of ours uses.
pub fn configure(conn: &Connection, path: &Path) -> StoreResult<()> {
    conn.execute_batch(
        "SET memory_limit = '4GB'; SET preserve_insertion_order = false; SET enable_progress_bar = false;",
    )
    .at(path, "cannot configure DuckDB")
}

/// The default case path for a source: `<source>.case.duckdb` beside it.
pub fn default_case_path(source: &Path) -> PathBuf {
    let abs = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "evidence".into());
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(&name)
        .rsplit_once('.')
        .filter(|(s, ext)| !s.is_empty() && ext.len() <= 8)
        .map(|(s, _)| s.to_owned())
        .unwrap_or(name);
    abs.with_file_name(format!("{stem}{CASE_SUFFIX}"))
}

/// The case file of `source` named with its extension (`logs.csv.case.duckdb`),
/// in the folder of `usual`: for a source whose usual case name is taken by
/// another source's case.
pub fn case_path_keeping_extension(usual: &Path, source: &Path) -> PathBuf {
    let name = std::path::absolute(source)
        .unwrap_or_else(|_| source.to_path_buf())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "evidence".into());
    usual.with_file_name(format!("{name}{CASE_SUFFIX}"))
}

/// The per-user folder for cases whose evidence folder cannot be written
/// (a mounted image, a write-blocked disk): `DISTILLSCOPE_WORKSPACE`, else
/// the platform's data folder (`$XDG_DATA_HOME`, `~/.local/share`,
/// `~/Library/Application Support`, `%LOCALAPPDATA%`) + `distillscope/cases`.
pub fn workspace_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(ws) = var("DISTILLSCOPE_WORKSPACE") {
        return Some(ws);
    }
    let data = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        var("XDG_DATA_HOME").or_else(|| var("HOME").map(|h| h.join(".local/share")))
    };
    data.map(|d| d.join("distillscope").join("cases"))
}

/// The case file of `source` in the workspace: its usual name with a short
/// hash of the source's absolute path, so two folders called `incident`
/// never share a case.
pub fn workspace_case_path(source: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let beside = default_case_path(&abs);
    let name = beside.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(CASE_SUFFIX).unwrap_or(&name);
    let tag = &fingerprint::sha256_bytes(abs.to_string_lossy().as_bytes())[..12];
    Some(workspace_dir()?.join(format!("{stem}-{tag}{CASE_SUFFIX}")))
}

/// Tries to make (and removes) a file in `dir`: whether the folder can be
/// written is tried, not guessed from mode bits (root, read-only mounts and
/// ACLs all decide).
fn probe_write(dir: &Path) -> std::io::Result<()> {
    tempfile::Builder::new()
        .prefix(".distillscope-probe")
        .tempfile_in(dir)
        .map(drop)
}

/// Where the case of `source` is or goes: beside the evidence, or in the
/// workspace when one was made there or the evidence's folder cannot be
/// written.
pub fn case_location(source: &Path) -> PathBuf {
    let beside = default_case_path(source);
    if beside.exists() {
        return beside;
    }
    let Some(ws) = workspace_case_path(source) else {
        return beside;
    };
    if ws.exists() {
        return ws;
    }
    let folder = beside.parent().unwrap_or(Path::new("."));
    if probe_write(folder).is_ok() {
        return beside;
    }
    match ws.parent().map(std::fs::create_dir_all) {
        Some(Ok(())) => ws,
        _ => beside,
    }
}

/// A new DuckDB file at `path`, configured as ours, in the current storage
/// format: ZSTD for long text and the newer compression methods are only
/// written at it (cases are read by the DuckDB built into distillscope).
pub fn new_database(path: &Path) -> StoreResult<Connection> {
    let config = Config::default()
        .with("storage_compatibility_version", "latest")
        .at(path, "cannot configure DuckDB")?;
    let conn = Connection::open_with_flags(path, config).at(path, "cannot create the case file")?;
    configure(&conn, path)?;
    Ok(conn)
}

/// A case file being built under a temporary name.
pub struct CaseBuilder {
    /// Where the finished case will be.
    pub final_path: PathBuf,
    /// The temporary file.
    pub tmp_path: PathBuf,
    conn: Option<Connection>,
}

impl CaseBuilder {
    /// Starts a case at `final_path`, failing early if its folder cannot be
    /// written.
    pub fn start(final_path: &Path) -> StoreResult<CaseBuilder> {
        let dir = final_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Err(e) = probe_write(dir) {
            return Err(StoreError::CaseNotWritable {
                path: final_path.into(),
                reason: e.to_string(),
            });
        }
        let file_name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp_path = dir.join(format!(".{file_name}.partial-{}", std::process::id()));
        remove_db_files(&tmp_path);
        sweep_stale_partials(dir, &file_name);
        let conn = new_database(&tmp_path)?;
        Ok(CaseBuilder {
            final_path: final_path.into(),
            tmp_path,
            conn: Some(conn),
        })
    }

    /// Connection to the temporary file.
    pub fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("connection lives until finish")
    }

    /// Writes the metadata, closes the file and swaps it into place: the
    /// previous case (if any) stays whole until the new one is complete on
    /// disk, and a crash at any point leaves one of the two at the case's
    /// path.
    pub fn finish(mut self, meta: &CaseMeta) -> StoreResult<PathBuf> {
        write_meta(self.conn(), &self.tmp_path, meta)?;
        self.conn()
            .execute_batch("CHECKPOINT;")
            .at(&self.tmp_path, "cannot write the case file")?;
        drop(self.conn.take());
        sync_file(&self.tmp_path)?;
        // DuckDB's temporary folder for the partial file (spills, the
        // load's parts): nothing in it outlives the build.
        let mut temp = self.tmp_path.as_os_str().to_owned();
        temp.push(".tmp");
        let _ = std::fs::remove_dir_all(PathBuf::from(temp));
        // A write-ahead log beside the old file belongs to the old file; it
        // must not be replayed onto the new one (the previous case's work
        // was folded into it before the build: `fold_wal`).
        let mut wal = self.final_path.as_os_str().to_owned();
        wal.push(".wal");
        let _ = std::fs::remove_file(PathBuf::from(wal));
        std::fs::rename(&self.tmp_path, &self.final_path)
            .at(&self.final_path, "cannot move the case file into place")?;
        sync_dir(&self.final_path);
        Ok(self.final_path.clone())
    }
}

/// Writes `meta` as the case's metadata (replacing what was there).
pub fn write_meta(conn: &Connection, path: &Path, meta: &CaseMeta) -> StoreResult<()> {
    let json = serde_json::to_string(meta).expect("case metadata serialises");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS case_meta (key VARCHAR PRIMARY KEY, value VARCHAR);",
    )
    .at(path, "cannot write case metadata")?;
    conn.execute(
        "INSERT OR REPLACE INTO case_meta VALUES ('case', ?)",
        [json],
    )
    .at(path, "cannot write case metadata")?;
    Ok(())
}

/// Flushes a file's bytes to the disk.
pub fn sync_file(path: &Path) -> StoreResult<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .at(path, "cannot flush the file to disk")
}

/// Flushes a folder's entries (a rename) to the disk, where the system
/// allows opening a folder.
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// Opens a case file for writing, checkpoints it (its write-ahead log, with
/// any edits a crash left there, goes into the file) and closes it. Fails
/// when another program holds it, naming that program.
pub fn fold_wal(path: &Path) -> StoreResult<()> {
    let conn = open_conn(path, AccessMode::ReadWrite)?;
    conn.execute_batch("CHECKPOINT;")
        .at(path, "cannot write the case file")
}

/// Moves an unreadable case file (and its write-ahead log) aside as
/// `NAME.unreadable-N`, so a rebuild does not destroy what may be
/// recovered from it; returns where it went.
pub fn set_aside(path: &Path) -> StoreResult<PathBuf> {
    let mut n = 1;
    let aside = loop {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".unreadable-{n}"));
        let candidate = PathBuf::from(name);
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    std::fs::rename(path, &aside).at(path, "cannot move the unreadable case aside")?;
    let mut wal = path.as_os_str().to_owned();
    wal.push(".wal");
    let wal = PathBuf::from(wal);
    if wal.exists() {
        let mut to = aside.as_os_str().to_owned();
        to.push(".wal");
        std::fs::rename(&wal, PathBuf::from(to))
            .at(&wal, "cannot move the unreadable case aside")?;
    }
    Ok(aside)
}

/// Opens a DuckDB file, naming the program that holds it when locked.
fn open_conn(path: &Path, mode: AccessMode) -> StoreResult<Connection> {
    let config = Config::default()
        .access_mode(mode)
        .at(path, "cannot configure DuckDB")?;
    Connection::open_with_flags(path, config).map_err(|e| match super::error::lock_holder(&e) {
        Some(holder) => StoreError::CaseLocked {
            path: path.into(),
            holder,
        },
        None => StoreError::DuckDb {
            path: path.into(),
            context: "cannot open the case file".into(),
            source: e,
        },
    })
}

impl Drop for CaseBuilder {
    fn drop(&mut self) {
        // Reached with the file still at its temporary name only when the
        // build failed: leave nothing half-made behind.
        drop(self.conn.take());
        if self.tmp_path.exists() {
            remove_db_files(&self.tmp_path);
        }
    }
}

/// Removes what builds of the same case killed before they could clean up
/// (a SIGKILL or power cut) left beside it: `.NAME.partial-PID` files whose
/// process is gone.
fn sweep_stale_partials(dir: &Path, file_name: &str) {
    for path in stale_partials(dir, file_name) {
        remove_db_files(&path);
    }
}

/// The `.NAME.partial-PID` paths in `dir` left by processes that are gone
/// (killed before they could clean up). Only where `/proc` tells which
/// processes live; a `.wal` or `.tmp` suffix is folded into its base path.
pub fn stale_partials(dir: &Path, file_name: &str) -> Vec<PathBuf> {
    if !Path::new("/proc/self").exists() {
        return Vec::new();
    }
    let prefix = format!(".{file_name}.partial-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        // The pid, then nothing, `.wal` or `.tmp`.
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(pid) = digits.parse::<u32>() else {
            continue;
        };
        let path = dir.join(format!("{prefix}{pid}"));
        if pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
            && !out.contains(&path)
        {
            out.push(path);
        }
    }
    out
}

/// Removes a DuckDB file and its write-ahead log and temp folder.
fn remove_db_files(path: &Path) {
    let _ = std::fs::remove_file(path);
    let mut wal = path.as_os_str().to_owned();
    wal.push(".wal");
    let _ = std::fs::remove_file(PathBuf::from(wal));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let _ = std::fs::remove_dir_all(PathBuf::from(tmp));
}

/// An opened case file.
pub struct Case {
    /// Path of the case file.
    pub path: PathBuf,
    /// What the case says about itself.
    pub meta: CaseMeta,
    /// The connection (read-only unless opened for writing).
    pub conn: Connection,
    /// Why the analyst's work cannot be saved in it, when opened read-only.
    pub read_only: Option<String>,
    /// What opening it did that the analyst should know (a rebuild and the
    /// work carried over, a relabelling, a case moved aside).
    pub notices: Vec<String>,
    /// Built (or rebuilt) by this open: its evidence was hashed just now.
    pub fresh: bool,
}

impl Case {
    /// Opens a case file; read-only unless `write`.
    pub fn open(path: &Path, write: bool) -> StoreResult<Case> {
        let mode = if write {
            AccessMode::ReadWrite
        } else {
            AccessMode::ReadOnly
        };
        let conn = open_conn(path, mode)?;
        configure(&conn, path)?;
        let meta = read_meta(&conn, path)?;
        Ok(Case {
            path: path.into(),
            meta,
            conn,
            read_only: (!write).then(|| "opened read-only".to_owned()),
            notices: Vec::new(),
            fresh: false,
        })
    }

    /// Opens a case for the analyst's work: writable; read-only, saying
    /// why, when it cannot be written
    /// (a read-only folder, or another program holding it).
    pub fn open_for_work(path: &Path) -> StoreResult<Case> {
        match Case::open(path, true) {
            Ok(case) => Ok(case),
            Err(write_err) => {
                let mut case = Case::open(path, false)?;
                case.read_only = Some(format!("cannot be written: {write_err}"));
                Ok(case)
            }
        }
    }

    /// The first look at the evidence, cheap enough for every open: each
    /// file must exist, and a file whose size or modification time changed
    /// must still hash the same (a touched but identical file passes). A
    /// same-size edit with its time put back passes this look; only
    /// `verify_evidence` (the full re-hash, in the background) catches it.
    pub fn check_evidence(&self) -> StoreResult<()> {
        for fp in &self.meta.evidence {
            let (size, mtime) = match fingerprint::size_and_mtime(&fp.path) {
                Ok(x) => x,
                Err(_) => {
                    return Err(StoreError::NotFound {
                        path: fp.path.clone(),
                    });
                }
            };
            if size == fp.size && mtime == fp.mtime {
                continue;
            }
            same_hash(fp, fingerprint::sha256_file(&fp.path)?, size)?;
        }
        Ok(())
    }
}

/// `Ok` when `actual` is the hash the case recorded for `fp`; otherwise
/// the changed-evidence error naming both.
fn same_hash(fp: &FileFingerprint, actual: String, actual_size: u64) -> StoreResult<()> {
    if actual == fp.sha256 {
        return Ok(());
    }
    Err(StoreError::EvidenceChanged {
        path: fp.path.clone(),
        recorded: fp.sha256.clone(),
        recorded_size: fp.size,
        actual,
        actual_size,
    })
}

/// Re-hashes every evidence file in full (SHA-256) and compares it with
/// what the case recorded: the check a forensic reviewer accepts. Reports
/// progress by bytes read and stops when cancelled.
pub fn verify_evidence(meta: &CaseMeta, progress: &super::progress::Progress) -> StoreResult<()> {
    let total: u64 = meta.evidence.iter().map(|f| f.size).sum::<u64>().max(1);
    let mut done = 0u64;
    for fp in &meta.evidence {
        let (size, _) =
            fingerprint::size_and_mtime(&fp.path).map_err(|_| StoreError::NotFound {
                path: fp.path.clone(),
            })?;
        let actual = fingerprint::sha256_file_with(&fp.path, &mut |n| {
            done += n;
            progress.set_fraction(done as f32 / total as f32);
            progress.check()
        })?;
        same_hash(fp, actual, size)?;
    }
    Ok(())
}

/// Reads `case_meta` from a case connection.
pub fn read_meta(conn: &Connection, path: &Path) -> StoreResult<CaseMeta> {
    let json: String = conn
        .query_row("SELECT value FROM case_meta WHERE key = 'case'", [], |r| {
            r.get(0)
        })
        .map_err(|_| StoreError::NotWhatItSays {
            path: path.into(),
            reason: "not a distillscope case file (no case metadata)".into(),
        })?;
    serde_json::from_str(&json).map_err(|e| StoreError::CaseUnreadable {
        path: path.into(),
        reason: format!("unreadable case metadata ({e})"),
    })
}

/// Whether the connection's own database has a table (or view) `name` in
/// its main schema.
pub fn has_table(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|n| n > 0)
}

/// Whether a DuckDB file holds a `case_meta` table (opened read-only).
pub fn is_case(path: &Path) -> bool {
    Case::open(path, false).is_ok()
}

/// Current UTC time as RFC 3339 text, from DuckDB so no clock crate is needed.
pub fn now_utc(conn: &Connection) -> String {
    conn.query_row(
        "SELECT strftime(CAST(get_current_timestamp() AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ')",
        [],
        |r| r.get(0),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_build_sweeps_what_killed_builds_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 999999999 is above Linux's largest pid: that process is gone.
        let dead = dir.path().join(".x.case.duckdb.partial-999999999");
        std::fs::write(&dead, b"half a case").expect("write");
        std::fs::write(
            dir.path().join(".x.case.duckdb.partial-999999999.wal"),
            b"log",
        )
        .expect("write");
        // Pid 1 lives: a build still running elsewhere is left alone.
        let alive = dir.path().join(".x.case.duckdb.partial-1");
        std::fs::write(&alive, b"in progress").expect("write");
        let other = dir.path().join(".y.case.duckdb.partial-999999999");
        std::fs::write(&other, b"another case").expect("write");
        let builder = super::CaseBuilder::start(&dir.path().join("x.case.duckdb")).expect("start");
        assert!(!dead.exists());
        assert!(
            !dir.path()
                .join(".x.case.duckdb.partial-999999999.wal")
                .exists()
        );
        assert!(alive.exists(), "a live build's file stays");
        assert!(other.exists(), "another case's file stays");
        drop(builder);
    }

    use super::*;

    #[test]
    fn case_path_sits_beside_the_source() {
        assert_eq!(
            default_case_path(Path::new("/x/logs.parquet")),
            PathBuf::from("/x/logs.case.duckdb")
        );
        assert_eq!(
            default_case_path(Path::new("/x/logs.jsonl.gz")),
            PathBuf::from("/x/logs.case.duckdb")
        );
        assert_eq!(
            default_case_path(Path::new("/x/incident")),
            PathBuf::from("/x/incident.case.duckdb")
        );
    }
}
