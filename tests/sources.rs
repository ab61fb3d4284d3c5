//! End to end on table sources: CSV, DuckDB databases and folders, column
//! mappings remembered per source, bad rows, a read-only evidence folder,
//! and the bundled demo incident.

mod common;

use std::path::{Path, PathBuf};

use common::{cli, query_one, scratch, unchanged};

#[test]
fn csv_with_epoch_and_iso_times_and_a_bad_row() {
    let dir = scratch(&["bad_ts_row.csv"]);
    let src = dir.path().join("bad_ts_row.csv");
    let run = unchanged(std::slice::from_ref(&src), || {
        cli(&["summary", src.to_str().unwrap(), "-q"])
    });
    assert!(!run.ok);
    for needle in ["bad_ts_row.csv", "`ts`", "row 4", "not a time"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!dir.path().join("bad_ts_row.case.duckdb").exists());

    // Without the bad row, seconds, milliseconds and ISO text all load.
    let text = std::fs::read_to_string(&src).unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, text.lines().take(4).collect::<Vec<_>>().join("\n")).unwrap();
    let run = cli(&["summary", good.to_str().unwrap(), "--json"]);
    assert!(run.ok, "{}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(s["exchanges"], 3);
    let case = dir.path().join("good.case.duckdb");
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT string_agg(strftime(ts, '%Y-%m-%dT%H:%M:%S.%g'), ',' ORDER BY account_id) FROM exchanges"
        ),
        "2026-05-03T02:14:07.000,2026-05-03T02:14:07.000,2026-05-03T02:14:07.512"
    );
}

#[test]
fn missing_required_column_and_wrong_file_type_are_named() {
    let dir = scratch(&["missing_account.csv", "not_really.parquet"]);
    let run = cli(&[
        "summary",
        dir.path().join("missing_account.csv").to_str().unwrap(),
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("`account_id`") && run.stderr.contains("missing_account.csv"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ts, user, prompt"), "{}", run.stderr);
    let run = cli(&[
        "summary",
        dir.path().join("not_really.parquet").to_str().unwrap(),
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("no Parquet header") && run.stderr.contains("not_really.parquet"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_mapping_is_given_once_and_remembered() {
    let dir = scratch(&["mapped_table.csv"]);
    let src = dir.path().join("mapped_table.csv");
    let run = cli(&["summary", src.to_str().unwrap()]);
    assert!(!run.ok, "no account_id column without a mapping");
    let run = cli(&[
        "summary",
        src.to_str().unwrap(),
        "--map",
        "account_id=customer",
        "--json",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(s["accounts"], 2);
    // The second time, the case remembers the mapping.
    let run = cli(&["summary", src.to_str().unwrap(), "--json", "--rebuild"]);
    assert!(run.ok, "{}", run.stderr);
    let run = cli(&["summary", src.to_str().unwrap(), "--map", "account_id=nope"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("`nope` (mapped to `account_id`)"),
        "{}",
        run.stderr
    );
}

fn make_duckdb_evidence(path: &Path) {
    let conn = duckdb::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE exchanges AS SELECT 'e' || i AS exchange_id,
            TIMESTAMP '2026-04-22 00:00:00' + INTERVAL (i) MINUTE AS ts,
            'acct_' || (i % 7) AS account_id, '198.51.100.' || (i % 3) AS ip,
            CASE WHEN i % 2 = 0 THEN 'Fix this bug in my Python function' ELSE 'Write a poem about autumn' END AS prompt
         FROM range(500) t(i);
         CREATE TABLE events AS SELECT TIMESTAMP '2026-04-23 10:00:00' AS ts, 'model_release' AS kind, 'model X released' AS label;
         CHECKPOINT;",
    )
    .unwrap();
}

#[test]
fn duckdb_evidence_is_opened_read_only_and_never_changes() {
    let dir = scratch(&[]);
    let db = dir.path().join("evidence.duckdb");
    make_duckdb_evidence(&db);
    let run = unchanged(std::slice::from_ref(&db), || {
        cli(&["summary", db.to_str().unwrap(), "--json"])
    });
    assert!(run.ok, "{}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(s["exchanges"], 500);
    assert_eq!(s["accounts"], 7);
    assert_eq!(s["events"][0]["label"], "model X released");
    let cats = s["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 2);
    assert!(
        cats.iter()
            .any(|c| c["category"] == "software_engineering" && c["exchanges"] == 250)
    );
    // Every command reuses the case; the evidence stays untouched.
    let out = dir.path().join("cats.csv");
    let run = unchanged(std::slice::from_ref(&db), || {
        cli(&[
            "classify",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("exchange_id,category,rule\n"), "{csv}");
    assert_eq!(csv.lines().count(), 501);
    assert!(
        csv.contains("e0,software_engineering,se."),
        "{}",
        &csv[..200]
    );
    // Another taxonomy labels this output only, on the case as it is
    // (read-only): every template in one category by a rule of its own.
    let tax = dir.path().join("one.toml");
    std::fs::write(
        &tax,
        "[[category]]\nid = 'general_chat'\ndescription = 'all'\nrules = [{ id = 'all.any', weight = 1, pattern = '.' }]\n",
    )
    .unwrap();
    let out2 = dir.path().join("cats2.csv");
    let run = unchanged(std::slice::from_ref(&db), || {
        cli(&[
            "classify",
            db.to_str().unwrap(),
            "--taxonomy",
            tax.to_str().unwrap(),
            "--out",
            out2.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    let csv = std::fs::read_to_string(&out2).unwrap();
    assert_eq!(csv.lines().count(), 501);
    assert!(csv.contains("e0,general_chat,all.any"), "{}", &csv[..200]);
}

#[test]
fn a_changed_evidence_file_is_reported() {
    let dir = scratch(&["mapped_table.csv"]);
    let src = dir.path().join("e.csv");
    std::fs::write(&src, "ts,account_id\n2026-05-03T02:14:07Z,a\n").unwrap();
    assert!(cli(&["summary", src.to_str().unwrap(), "-q"]).ok);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&src, "ts,account_id\n2026-05-03T02:14:07Z,b\n").unwrap();
    let case = dir.path().join("e.case.duckdb");
    let run = cli(&["summary", case.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("evidence has changed"),
        "{}",
        run.stderr
    );
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

#[test]
fn a_read_only_evidence_folder_opens_with_the_case_in_the_workspace() {
    let dir = scratch(&[]);
    // The folder where the case would go by default (beside the evidence
    // folder) is read-only, and so is the evidence folder itself.
    let ro = dir.path().join("read_only");
    let folder = ro.join("incident");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("exchanges.csv"),
        "ts,account_id,prompt\n2026-05-03T02:14:07Z,c1,hello\n",
    )
    .unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    // Root ignores permissions, so run the binary as `nobody` when we are root.
    let bin = dir.path().join("distillscope");
    std::fs::copy(env!("CARGO_BIN_EXE_distillscope"), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    for p in [dir.path(), &cases] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    for p in [&folder, &ro] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let as_user = |args: &[&str]| -> common::Run {
        let mut cmd = if running_as_root() {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            std::process::Command::new(&bin)
        };
        let out = cmd
            .args(args)
            .env("HOME", dir.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("DISTILLSCOPE_WORKSPACE")
            .output()
            .expect("run");
        common::Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let evidence: Vec<PathBuf> = vec![folder.join("exchanges.csv")];
    // The place beside the evidence cannot be written: the case goes to the
    // per-user workspace, without a flag, and the summary says where.
    let run = unchanged(&evidence, || {
        as_user(&["summary", folder.to_str().unwrap(), "--json"])
    });
    assert!(run.ok, "{}", run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let case_file = PathBuf::from(summary["case_file"].as_str().unwrap());
    let workspace = dir.path().join(".local/share/distillscope/cases");
    assert_eq!(
        case_file.parent(),
        Some(workspace.as_path()),
        "{case_file:?}"
    );
    let name = case_file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("incident-") && name.ends_with(".case.duckdb"),
        "{name}"
    );
    assert!(case_file.is_file());
    // Opened again, the workspace case is found and reused.
    let run = unchanged(&evidence, || {
        as_user(&["summary", folder.to_str().unwrap(), "--json"])
    });
    assert!(run.ok, "{}", run.stderr);
    let again: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(again["case_file"], summary["case_file"]);
    // With --case elsewhere it works too, and the folder holds only the evidence.
    let case = cases.join("e.case.duckdb");
    let run = unchanged(&evidence, || {
        as_user(&[
            "summary",
            folder.to_str().unwrap(),
            "--case",
            case.to_str().unwrap(),
            "--json",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    let names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("exchanges.csv")]);
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 1);
}

#[test]
fn the_bundled_demo_incident_summarises() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/demo");
    let dir = scratch(&[]);
    let case = dir.path().join("demo.case.duckdb");
    let evidence: Vec<PathBuf> = ["exchanges.parquet", "accounts.parquet", "events.parquet"]
        .iter()
        .map(|f| demo.join(f))
        .collect();
    let run = unchanged(&evidence, || {
        cli(&[
            "summary",
            demo.to_str().unwrap(),
            "--case",
            case.to_str().unwrap(),
            "--json",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(s["exchanges"].as_i64().unwrap() > 500_000);
    assert!(s["accounts"].as_i64().unwrap() > 4_000);
    assert_eq!(s["events"].as_array().unwrap().len(), 5);
    assert_eq!(s["first_ts"].as_str().unwrap()[..10], *"2026-01-05");
    // Opening it again reuses the case instead of rebuilding it.
    let again = cli(&["summary", case.to_str().unwrap(), "--json"]);
    assert!(again.ok);
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn an_empty_exchanges_table_is_refused() {
    let dir = scratch(&[]);
    let src = dir.path().join("empty.csv");
    std::fs::write(&src, "ts,account_id,prompt\n").unwrap();
    let run = cli(&["summary", src.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("table `exchanges` is empty") && run.stderr.contains("empty.csv"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("empty.case.duckdb").exists());
}

#[test]
fn a_folder_of_parquet_parts_is_one_table() {
    let dir = scratch(&[]);
    let folder = dir.path().join("incident");
    std::fs::create_dir_all(folder.join("exchanges")).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    for (i, from) in [(0, 0), (1, 300)] {
        let part = folder.join(format!("exchanges/part-000{i}.parquet"));
        conn.execute_batch(&format!(
            "COPY (SELECT 'e' || x AS exchange_id, TIMESTAMP '2026-04-22' + INTERVAL (x) MINUTE AS ts,
                          'a' || (x % 5) AS account_id FROM range({from}, {from} + 300) t(x))
             TO '{}' (FORMAT parquet);",
            part.display()
        ))
        .unwrap();
    }
    let parts: Vec<PathBuf> = (0..2)
        .map(|i| folder.join(format!("exchanges/part-000{i}.parquet")))
        .collect();
    let run = unchanged(&parts, || {
        cli(&["summary", folder.to_str().unwrap(), "--json"])
    });
    assert!(run.ok, "{}", run.stderr);
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(s["exchanges"], 600);
    assert_eq!(s["evidence_sha256"].as_array().unwrap().len(), 2);
}

/// `generate --prompts` writes labelled prompts as JSON Lines (every
/// category present, each row whole) and never overwrites a file.
#[test]
fn generate_prompts_writes_labelled_json_lines_and_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prompts.jsonl");
    let run = cli(&[
        "generate",
        "--prompts",
        "3",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 50 voice and category pairs, three prompts each.
    assert_eq!(rows.len(), 150);
    let cats: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(cats.len(), 10, "{cats:?}");
    assert!(rows.iter().all(|r| !r["text"].as_str().unwrap().is_empty()));
    let again = cli(&["generate", "--prompts", "1", "--out", out.to_str().unwrap()]);
    assert!(
        !again.ok && again.stderr.contains("exists"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}
