//! Helpers shared by the integration tests: run the real binary, copy
//! fixtures into a scratch folder, and prove evidence bytes never change.

#![allow(dead_code)]

pub mod app;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Output of one CLI run.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `distillscope` with arguments.
pub fn cli(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_distillscope"))
        .args(args)
        .output()
        .expect("run distillscope");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies fixtures into a fresh scratch folder.
pub fn scratch(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in files {
        std::fs::copy(fixtures().join(f), dir.path().join(f)).expect("copy fixture");
    }
    dir
}

/// SHA-256 of every file below `dir` (sorted by path), for before/after checks.
pub fn tree_hashes(paths: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|p| {
            (
                p.clone(),
                distillscope::store::fingerprint::sha256_file(p).expect("hash"),
            )
        })
        .collect();
    out.sort();
    out
}

/// Asserts that running `f` leaves the bytes of `evidence` unchanged.
pub fn unchanged<T>(evidence: &[PathBuf], f: impl FnOnce() -> T) -> T {
    let before = tree_hashes(evidence);
    let result = f();
    assert_eq!(before, tree_hashes(evidence), "evidence bytes changed");
    result
}

/// One value from a case file.
pub fn query_one<T: duckdb::types::FromSql>(case: &Path, sql: &str) -> T {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(case, config).expect("open case");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}
