//! Crash safety, tested by killing the real binary (SIGKILL) in the middle
//! of a case build, a rebuild with campaigns present, a burst of campaign
//! edits and a pack export; and by asking it to stop (SIGTERM). After each,
//! reopening shows the last committed state, nothing half-written is left
//! where a file belongs, and no work is lost.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use common::{cli, hidden};
use distillscope::case::Workbook;
use distillscope::case::store::{self, AuditEntry};
use distillscope::store::case::Case;

/// The binary started with `args`, its progress lines (stderr) on a channel.
fn spawn(args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_distillscope"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start distillscope");
    let stderr = child.stderr.take().expect("stderr");
    // Bounded: a progress line each few seconds, read as it comes.
    let (tx, rx) = sync_channel(1024);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits until the child prints a line containing `stage` (true), or ends
/// first (false).
fn wait_for(rx: &Receiver<String>, stage: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.contains(stage) => return true,
            Ok(_) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return false,
        }
    }
    panic!("no {stage:?} within five minutes");
}

/// Kills the child with SIGKILL as soon as it reaches `stage`.
fn kill_at(args: &[&str], stage: &str) {
    let (mut child, rx) = spawn(args);
    let reached = wait_for(&rx, stage);
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(reached, "the run ended before {stage:?} ({status})");
}

/// The stored work and audit log.
fn work(case_path: &Path) -> (Workbook, Vec<AuditEntry>) {
    let case = Case::open(case_path, false).expect("the case opens after the kill");
    (
        store::load(&case.conn, &case.path).expect("work"),
        store::audit(&case.conn, &case.path, None).expect("audit"),
    )
}

#[test]
fn killing_a_build_a_rebuild_an_edit_or_an_export_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::demo_copy(dir.path());
    let s = src.to_str().unwrap();
    let case_path = dir.path().join("demo.case.duckdb");

    // 1. A first build killed half-way leaves no case.
    kill_at(&["summary", s], "Grouping prompt templates");
    assert!(!case_path.exists(), "no half-built case at the case's path");

    // The next build sweeps what the killed one left and completes.
    let run = cli(&["summary", s, "-q"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    let accounts = common::query_column(
        &case_path,
        "SELECT account_id FROM account_summary ORDER BY account_id LIMIT 40",
    );
    let run = cli(&[
        "campaign",
        s,
        "-q",
        "create",
        "--name",
        "Hydra",
        "--ids",
        &accounts[..20].join(","),
    ]);
    assert!(run.ok, "{}", run.stderr);
    let before = work(&case_path);

    // 2. A rebuild killed while deriving, and while carrying the work over:
    // the previous case, with all its work, is what opens.
    for stage in [
        "Aggregating per account and day",
        "Carrying the analyst's work over",
    ] {
        kill_at(&["summary", s, "--rebuild"], stage);
        let (book, audit) = work(&case_path);
        assert_eq!(book, before.0, "killed at {stage}");
        // Killed just after the swap, the new case holds one rebuild line more.
        assert!(
            audit == before.1
                || (audit.len() == before.1.len() + 1 && audit[..before.1.len()] == before.1[..]),
            "killed at {stage}: {audit:?}"
        );
    }

    // 3. SIGTERM stops a rebuild cleanly: exit 130, nothing left behind.
    let (mut child, rx) = spawn(&["summary", s, "--rebuild"]);
    assert!(wait_for(&rx, "Classifying templates"));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let started = Instant::now();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "stopped, not crashed");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    assert_eq!(work(&case_path).0, before.0);

    // 4. A burst of edits, each process killed at another moment: the case
    // always holds a state its audit log explains.
    for i in 0..12u64 {
        let tag = format!("wave-{i}");
        let (mut child, _rx) = spawn(&[
            "campaign",
            s,
            "-q",
            "tag",
            "--tag",
            &tag,
            "--ids",
            &accounts[20 + i as usize],
        ]);
        std::thread::sleep(Duration::from_millis(40 * i));
        let _ = child.kill();
        let _ = child.wait();
        let (book, audit) = work(&case_path);
        let tags: usize = book.tags.values().map(|t| t.len()).sum();
        let tag_lines = audit.iter().filter(|a| a.action == "tag").count();
        assert_eq!(
            tags, tag_lines,
            "after kill {i}: every tag has its audit line"
        );
        assert_eq!(book.campaigns, before.0.campaigns);
    }

    // 5. An export killed while writing leaves no pack; the next one is
    // complete and verifies.
    let out = dir.path().join("pack");
    let o = out.to_str().unwrap();
    kill_at(
        &["export", s, "--campaign", "Hydra", "--out", o],
        "Writing exchanges.csv",
    );
    assert!(!out.exists(), "no half-written pack at its name");
    let run = cli(&["export", s, "-q", "--campaign", "Hydra", "--out", o]);
    assert!(run.ok, "{}", run.stderr);
    assert!(cli(&["verify", o]).ok);
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}
