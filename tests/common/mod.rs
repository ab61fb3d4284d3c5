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

/// The first column of every row of `sql` on the case at `case`.
pub fn query_column(case: &Path, sql: &str) -> Vec<String> {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(case, config).expect("open case");
    let mut stmt = conn.prepare(sql).expect(sql);
    stmt.query_map([], |r| r.get(0))
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}

/// Cells a spreadsheet would execute, as prompts of the small incident.
pub const FORMULAS: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    "\tindent",
];

pub fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A small incident: acct_0..acct_5 over 12 days; acct_0..acct_2 share an
/// address and scripted prompts (some of them formula-like), the others are
/// ordinary customers.
pub fn small_incident(dir: &Path) -> PathBuf {
    let mut out = String::from(
        "exchange_id,ts,account_id,ip,user_agent,model,input_tokens,output_tokens,prompt\n",
    );
    let mut n = 0;
    for day in 1..=12 {
        for a in 0..6 {
            for k in 0..(3 + a % 3) {
                n += 1;
                let (ip, prompt) = if a < 3 {
                    let p = if let Some(f) = FORMULAS.get(k).filter(|_| day % 2 == 0) {
                        (*f).to_owned()
                    } else {
                        format!(
                            "Write a complete implementation of task {k}, with tests, \"quoted\"\nand a second line"
                        )
                    };
                    // Once, two campaign accounts come over one IPv6 /48
                    // spelled two ways.
                    let ip = match (day, k, a) {
                        (12, 0, 1) => "2001:db8::1",
                        (12, 0, 2) => "2001:0db8:0:0::7",
                        _ => "10.0.0.1",
                    };
                    (ip.to_owned(), p)
                } else {
                    (
                        format!("192.168.{a}.{k}"),
                        format!("What is a good recipe for dish {day}-{k}?"),
                    )
                };
                out.push_str(&format!(
                    "e{n},2026-03-{day:02}T{:02}:{:02}:00Z,acct_{a},{ip},python-httpx/0.27,atlas-4,{},{},{}\n",
                    k % 24,
                    (a * 7) % 60,
                    100 + k,
                    300 + a,
                    quote(&prompt)
                ));
            }
        }
    }
    let path = dir.join("small.csv");
    std::fs::write(&path, out).expect("write the incident");
    path
}

/// The small incident's case, built in `dir`.
pub fn small_case(dir: &Path) -> PathBuf {
    let src = small_incident(dir);
    let case = dir.join("small.case.duckdb");
    let opts = distillscope::pipeline::OpenOptions {
        case_path: Some(case.clone()),
        ..Default::default()
    };
    distillscope::pipeline::open(
        &src,
        &opts,
        &distillscope::store::progress::Progress::default(),
    )
    .expect("build the case");
    case
}

/// Names starting with a dot in `dir` (temporary and partial files).
pub fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The bundled demo incident's tables copied into `dir/demo`, where a case
/// can be built (and killed) beside them.
pub fn demo_copy(dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/demo");
    let to = dir.join("demo");
    std::fs::create_dir_all(&to).unwrap();
    for f in ["exchanges.parquet", "accounts.parquet", "events.parquet"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    to
}
