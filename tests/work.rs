//! The analyst's work is never lost: every trigger of a rebuild (asked for,
//! a new IP database, a format upgrade, evidence imported again) carries
//! campaigns, tags, notes, network marks and the audit log over, checked
//! field by field; a locked or unreadable case is reported, never built
//! over; a changed taxonomy relabels in place and is audited; a same-size
//! edit of the evidence is caught by the full re-hash.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{cli, small_case, small_incident};
use distillscope::case::store::{self, AuditEntry};
use distillscope::case::{CampaignProps, Casebook, Edit, NoteTarget, Status, Workbook};
use distillscope::pipeline::{self, OpenOptions};
use distillscope::store::case::{self as case_file, Case};
use distillscope::store::error::StoreError;
use distillscope::store::progress::Progress;

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Adds a campaign (with an account the evidence may later lose), a tag,
/// notes on a day, an account and the campaign, and a network mark.
fn add_work(case_path: &Path) {
    let case = Case::open_for_work(case_path).expect("open for work");
    let mut book = Casebook::load(&case.conn, &case.path).expect("load");
    let edits = [
        Edit::Create {
            props: CampaignProps {
                name: "Hydra".into(),
                colour: String::new(),
                status: Status::Confirmed,
                confidence: 80,
                notes: "shared proxy, scripted prompts".into(),
            },
            accounts: ids(&["acct_0", "acct_1", "acct_2", "acct_5"]),
            origin: "a test".into(),
        },
        Edit::Tag {
            accounts: ids(&["acct_0", "acct_4"]),
            tag: "reseller".into(),
        },
        Edit::AddNote {
            target: NoteTarget::Day(distillscope::analysis::days::from_civil(2026, 3, 4)),
            text: "surge after the release".into(),
        },
        Edit::AddNote {
            target: NoteTarget::Account("acct_1".into()),
            text: "paid with a prepaid card".into(),
        },
        Edit::AddNote {
            target: NoteTarget::Campaign(1),
            text: "escalated to legal".into(),
        },
        Edit::MarkNetwork {
            asn: 64500,
            name: "EXAMPLE-NET".into(),
            hosting: Some(true),
        },
    ];
    for edit in &edits {
        let save = book.apply(edit, "ana").expect("edit applies");
        save.write(&case.conn, &case.path).expect("saved");
    }
}

/// The stored work and audit log of a case.
fn work(case_path: &Path) -> (Workbook, Vec<AuditEntry>) {
    let case = Case::open(case_path, false).expect("open");
    let book = store::load(&case.conn, &case.path).expect("load");
    let audit = store::audit(&case.conn, &case.path, None).expect("audit");
    (book, audit)
}

/// Checks the work after a rebuild: every campaign, tag, note and mark
/// field by field, the old audit lines unchanged and one rebuild line
/// after them that says what was carried.
fn assert_carried(before: &(Workbook, Vec<AuditEntry>), case_path: &Path, reason: &str) {
    let (book, audit) = work(case_path);
    assert_eq!(book.campaigns.len(), before.0.campaigns.len());
    for (a, b) in book.campaigns.iter().zip(&before.0.campaigns) {
        assert_eq!(**a, **b, "campaign carried field by field");
    }
    assert_eq!(book.tags, before.0.tags);
    assert_eq!(book.notes, before.0.notes);
    assert_eq!(book.networks, before.0.networks);
    assert_eq!(book, before.0);
    assert_eq!(&audit[..before.1.len()], &before.1[..], "audit lines kept");
    let last = audit.last().expect("a rebuild line");
    assert_eq!(last.action, "rebuild");
    assert!(last.detail.contains(reason), "{}", last.detail);
    assert!(
        last.detail.contains(&format!(
            "carried 1 campaigns (4 memberships), 2 tags, 3 notes, 1 network marks, {} audit lines",
            before.1.len()
        )),
        "{}",
        last.detail
    );
}

fn built_with_work(dir: &Path) -> (PathBuf, PathBuf, (Workbook, Vec<AuditEntry>)) {
    let case_path = small_case(dir);
    add_work(&case_path);
    let before = work(&case_path);
    assert_eq!(before.1.len(), 6);
    (dir.join("small.csv"), case_path, before)
}

#[test]
fn rebuild_keeps_every_campaign_tag_note_mark_and_audit_line() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    let run = cli(&["summary", src.to_str().unwrap(), "-q", "--rebuild"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("case rebuilt"), "{}", run.stderr);
    assert_carried(&before, &case_path, "rebuild asked for");
    // Opening the case file itself with --rebuild rebuilds from the
    // evidence it records.
    let before = work(&case_path);
    let run = cli(&["summary", case_path.to_str().unwrap(), "-q", "--rebuild"]);
    assert!(run.ok, "{}", run.stderr);
    let (book, audit) = work(&case_path);
    assert_eq!(book, before.0);
    assert_eq!(audit.len(), before.1.len() + 1);
    // No temporary or previous file is left beside the case.
    let left = common::hidden(dir.path());
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_new_ip_database_re_enriches_without_losing_work() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    let db = dir.path().join("ip2asn.tsv");
    std::fs::write(&db, "10.0.0.0\t10.0.0.255\t64500\tSG\tEXAMPLE-NET\n").unwrap();
    let args = [
        "summary",
        src.to_str().unwrap(),
        "-q",
        "--ip-db",
        db.to_str().unwrap(),
    ];
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    assert_carried(&before, &case_path, "IP enrichment");
    let case = Case::open(&case_path, false).unwrap();
    assert!(case.meta.ip_db.is_some());
    let asn: i64 = case
        .conn
        .query_row(
            "SELECT count(*) FROM exchanges WHERE asn = 64500",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(asn > 0, "the addresses were enriched");
    drop(case);
    // The same database again: nothing to redo.
    let lines = work(&case_path).1.len();
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(work(&case_path).1.len(), lines, "no second rebuild");
}

#[test]
fn a_format_upgrade_migrates_the_work_of_an_older_case() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    // Make it look like a case of format 5: older number, and none of the
    // tables added since (network marks, chain of custody).
    {
        let case = Case::open(&case_path, true).unwrap();
        let mut meta = case.meta.clone();
        meta.format = 5;
        case_file::write_meta(&case.conn, &case_path, &meta).unwrap();
        case.conn
            .execute_batch("DROP TABLE network_kinds; DROP TABLE custody; CHECKPOINT;")
            .unwrap();
    }
    let old = work(&case_path);
    assert!(old.0.networks.is_empty());
    let run = cli(&["summary", src.to_str().unwrap(), "-q"]);
    assert!(run.ok, "{}", run.stderr);
    let (book, audit) = work(&case_path);
    assert_eq!(book.campaigns, before.0.campaigns);
    assert_eq!(book.tags, before.0.tags);
    assert_eq!(book.notes, before.0.notes);
    assert_eq!(&audit[..before.1.len()], &before.1[..]);
    let last = audit.last().unwrap();
    assert!(last.detail.contains("case format 5"), "{}", last.detail);
    let case = Case::open(&case_path, false).unwrap();
    assert_eq!(case.meta.format, case_file::CASE_FORMAT);
}

#[test]
fn members_the_rebuilt_evidence_lacks_are_kept_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    // The evidence loses every row of acct_5.
    let text = std::fs::read_to_string(&src).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains(",acct_5,")).collect();
    std::fs::write(&src, kept.join("\n") + "\n").unwrap();
    let run = cli(&["summary", src.to_str().unwrap(), "-q", "--rebuild"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("acct_5 (Hydra)"), "{}", run.stderr);
    let (book, audit) = work(&case_path);
    assert_eq!(book.campaigns, before.0.campaigns, "acct_5 stays a member");
    assert!(
        audit
            .last()
            .unwrap()
            .detail
            .contains("1 campaign members are not in the rebuilt evidence"),
        "{}",
        audit.last().unwrap().detail
    );
}

#[test]
fn importing_logs_again_onto_a_case_keeps_its_work() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spend.jsonl");
    std::fs::copy(common::fixtures().join("litellm_spend_logs.jsonl"), &log).unwrap();
    let case_path = dir.path().join("spend.case.duckdb");
    let args = [
        "import",
        "-q",
        "--format",
        "litellm",
        log.to_str().unwrap(),
        "--out",
        case_path.to_str().unwrap(),
    ];
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    let run = cli(&[
        "campaign",
        case_path.to_str().unwrap(),
        "-q",
        "tag",
        "--tag",
        "gateway",
        "--ids",
        &first_account(&case_path),
    ]);
    assert!(run.ok, "{}", run.stderr);
    let before = work(&case_path);
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    let (book, audit) = work(&case_path);
    assert_eq!(book, before.0);
    assert_eq!(audit.last().unwrap().action, "rebuild");
    // A case of imported logs rebuilt by itself is imported again.
    let run = cli(&["summary", case_path.to_str().unwrap(), "-q", "--rebuild"]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(work(&case_path).0, before.0);
}

fn first_account(case_path: &Path) -> String {
    let case = Case::open(case_path, false).unwrap();
    case.conn
        .query_row("SELECT min(account_id) FROM account_summary", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_changed_taxonomy_relabels_in_place_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    let count = |category: &str| -> i64 {
        let case = Case::open(&case_path, false).unwrap();
        case.conn
            .query_row(
                "SELECT count(*) FROM exchanges_v WHERE category = ? AND prompt LIKE '%recipe%'",
                [category],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(count("policy_rewrite"), 0);
    // The shipped taxonomy with one more rule: recipes probe the policy.
    let taxonomy = dir.path().join("taxonomy.toml");
    let text = distillscope::analysis::taxonomy::DEFAULT_TAXONOMY.replacen(
        "rules = [\n",
        "rules = [\n  { id = \"test.recipes\", weight = 50, pattern = '''recipe''' },\n",
        1,
    );
    std::fs::write(&taxonomy, text).unwrap();
    let args = [
        "summary",
        src.to_str().unwrap(),
        "-q",
        "--taxonomy",
        taxonomy.to_str().unwrap(),
    ];
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("labelled again"), "{}", run.stderr);
    assert!(count("policy_rewrite") > 0, "relabelled");
    let (book, audit) = work(&case_path);
    assert_eq!(book, before.0, "the work is untouched");
    let last = audit.last().unwrap();
    assert_eq!(last.action, "relabel");
    assert!(
        last.detail.contains("in another category"),
        "{}",
        last.detail
    );
    let case = Case::open(&case_path, false).unwrap();
    assert_eq!(case.meta.taxonomy_file.as_deref(), Some(taxonomy.as_path()));
    assert!(!case.meta.relabel_pending);
    drop(case);
    // Opened again without --taxonomy: the case keeps its taxonomy.
    let run = cli(&["summary", src.to_str().unwrap(), "-q"]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(work(&case_path).1.len(), audit.len());
    assert!(count("policy_rewrite") > 0);
}

#[test]
fn an_unreadable_case_is_reported_then_set_aside_by_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let src = small_incident(dir.path());
    let case_path = dir.path().join("small.case.duckdb");
    let junk = b"this was a case until the disk failed".repeat(200);
    std::fs::write(&case_path, &junk).unwrap();
    let opts = OpenOptions::default();
    match pipeline::open(&src, &opts, &Progress::default()) {
        Err(e @ StoreError::CaseUnreadable { .. }) => {
            assert!(e.to_string().contains("--rebuild"), "{e}");
        }
        Err(e) => panic!("expected an unreadable case, got {e}"),
        Ok(_) => panic!("an unreadable case was built over"),
    }
    assert_eq!(std::fs::read(&case_path).unwrap(), junk, "left as it was");
    let case = pipeline::open(
        &src,
        &OpenOptions {
            rebuild: true,
            ..Default::default()
        },
        &Progress::default(),
    )
    .expect("rebuilt");
    assert!(
        case.notices.iter().any(|n| n.contains("moved aside")),
        "{:?}",
        case.notices
    );
    let aside = dir.path().join("small.case.duckdb.unreadable-1");
    assert_eq!(std::fs::read(aside).unwrap(), junk, "kept aside");
}

#[test]
fn a_same_size_edit_with_its_time_put_back_is_caught_by_the_full_hash() {
    let dir = tempfile::tempdir().unwrap();
    let case_path = small_case(dir.path());
    let src = dir.path().join("small.csv");
    let modified = std::fs::metadata(&src).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&src).unwrap();
    let at = bytes.iter().rposition(|b| *b == b'9').expect("a digit");
    bytes[at] = b'8';
    std::fs::write(&src, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let case = Case::open(&case_path, false).unwrap();
    // The first look (size and time) cannot see it...
    case.check_evidence().expect("size and time unchanged");
    // ...the full re-hash does.
    match case_file::verify_evidence(&case.meta, &Progress::default()) {
        Err(StoreError::EvidenceChanged { path, .. }) => assert_eq!(path, src),
        other => panic!("expected a changed evidence file, got {other:?}"),
    }
    drop(case);
    let run = cli(&["verify", case_path.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(run.stdout.contains("EVIDENCE CHANGED"), "{}", run.stdout);
    let run = cli(&["verify", src.to_str().unwrap()]);
    assert!(!run.ok, "the source path finds its case too");
}

#[test]
fn the_chain_of_custody_records_builds_opens_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, _) = built_with_work(dir.path());
    let out = dir.path().join("pack");
    let run = cli(&[
        "export",
        src.to_str().unwrap(),
        "-q",
        "--campaign",
        "Hydra",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}", run.stderr);
    let case = Case::open(&case_path, false).unwrap();
    let custody = store::custody(&case.conn, &case.path).unwrap();
    let actions: Vec<&str> = custody.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"built"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "edited").count(),
        1,
        "one session of six edits: {actions:?}"
    );
    assert_eq!(
        actions.last(),
        Some(&"exported evidence pack"),
        "{actions:?}"
    );
    assert!(custody[0].detail.contains("small.csv (sha256 "));
    assert!(
        custody
            .iter()
            .all(|c| c.tool_version == env!("CARGO_PKG_VERSION"))
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let written = manifest["custody"].as_array().expect("custody in the pack");
    assert_eq!(written.len(), custody.len() - 1, "as of the export");
}

/// Not a test on its own: run by `a_locked_case_is_reported_not_built_over`
/// in a child process to hold a case open for writing.
#[test]
#[ignore = "helper run in a child process"]
fn hold_a_case_open() {
    let Ok(path) = std::env::var("DISTILLSCOPE_HOLD_CASE") else {
        return;
    };
    let _case = Case::open(Path::new(&path), true).expect("hold the case");
    std::fs::write(format!("{path}.held"), b"").unwrap();
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn a_locked_case_is_reported_not_built_over() {
    let dir = tempfile::tempdir().unwrap();
    let (src, case_path, before) = built_with_work(dir.path());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "hold_a_case_open", "--nocapture"])
        .env("DISTILLSCOPE_HOLD_CASE", &case_path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the holder");
    let held = PathBuf::from(format!("{}.held", case_path.display()));
    let start = std::time::Instant::now();
    while !held.exists() {
        assert!(
            start.elapsed().as_secs() < 30,
            "the holder never held the case"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for rebuild in [false, true] {
        let opts = OpenOptions {
            rebuild,
            ..Default::default()
        };
        match pipeline::open(&src, &opts, &Progress::default()) {
            Err(StoreError::CaseLocked { holder, .. }) => {
                assert!(holder.contains(&format!("PID {}", child.id())), "{holder}");
            }
            Err(e) => panic!("expected a locked case, got {e}"),
            Ok(_) => panic!("a locked case was opened or built over"),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(work(&case_path), before, "the work is untouched");
}
