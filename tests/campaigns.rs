//! Campaigns, tags, notes and evidence packs, end to end: stored in the
//! case file with an audit log and undo, scripted from the CLI, exported as
//! packs whose CSVs match DuckDB's own counts and that `verify` checks.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use common::{FORMULAS, cli, query_one, small_case, small_incident};
use distillscope::case::{CampaignProps, Casebook, Edit, NoteTarget, Status, store};
use distillscope::export::{manifest, pack};
use distillscope::store::case::Case;
use distillscope::store::error::StoreError;
use distillscope::store::progress::Progress;

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `distillscope campaign CASE create` of `ids` by analyst "ana".
fn create_campaign(case: &str, name: &str, ids: &str, more: &[&str]) -> common::Run {
    let mut args = vec![
        "campaign",
        case,
        "-q",
        "--analyst",
        "ana",
        "create",
        "--name",
        name,
        "--ids",
        ids,
    ];
    args.extend(more);
    cli(&args)
}

fn props(name: &str) -> CampaignProps {
    CampaignProps {
        name: name.into(),
        colour: String::new(),
        status: Status::Suspected,
        confidence: 60,
        notes: "first look".into(),
    }
}

#[test]
fn campaigns_survive_reopening_with_their_audit_log_undo_and_redo() {
    let dir = tempfile::tempdir().unwrap();
    let case_path = small_case(dir.path());
    let expected = {
        let case = Case::open_for_work(&case_path).unwrap();
        assert!(case.read_only.is_none(), "{:?}", case.read_only);
        let mut book = Casebook::load(&case.conn, &case.path).unwrap();
        assert!(book.book().campaigns.is_empty());
        let edits = [
            Edit::Create {
                props: props("Hydra"),
                accounts: ids(&["acct_0", "acct_1"]),
                origin: "a test".into(),
            },
            Edit::Add {
                campaign: "hydra".into(),
                accounts: ids(&["acct_2"]),
                origin: "a lasso".into(),
            },
            Edit::Update {
                campaign: "Hydra".into(),
                props: CampaignProps {
                    status: Status::Confirmed,
                    confidence: 90,
                    ..props("Hydra")
                },
            },
            Edit::Create {
                props: props("Decoy"),
                accounts: ids(&["acct_4"]),
                origin: String::new(),
            },
            Edit::Tag {
                accounts: ids(&["acct_0", "acct_5"]),
                tag: "reseller".into(),
            },
            Edit::AddNote {
                target: NoteTarget::Day(distillscope::analysis::days::from_civil(2026, 3, 4)),
                text: "surge after the release".into(),
            },
            Edit::AddNote {
                target: NoteTarget::Campaign(1),
                text: "one card issuer".into(),
            },
        ];
        for (i, e) in edits.iter().enumerate() {
            let analyst = if i % 2 == 0 { "ana" } else { "bo" };
            book.apply(e, analyst)
                .unwrap()
                .write(&case.conn, &case.path)
                .unwrap();
        }
        // Undo both notes, then redo the day note: the history is exact.
        book.undo("ana")
            .unwrap()
            .write(&case.conn, &case.path)
            .unwrap();
        book.undo("ana")
            .unwrap()
            .write(&case.conn, &case.path)
            .unwrap();
        book.redo("bo")
            .unwrap()
            .write(&case.conn, &case.path)
            .unwrap();
        // A refused edit changes nothing and logs nothing.
        assert!(
            book.apply(
                &Edit::Create {
                    props: props("HYDRA"),
                    accounts: ids(&["acct_3"]),
                    origin: String::new()
                },
                "ana"
            )
            .is_err()
        );
        book.book().clone()
    };
    // Reopened (as the app does), the workbook is identical.
    let case = Case::open_for_work(&case_path).unwrap();
    let reread = store::load(&case.conn, &case.path).unwrap();
    assert_eq!(reread, expected);
    let hydra = reread.campaign("Hydra").unwrap();
    assert_eq!(hydra.accounts, ids(&["acct_0", "acct_1", "acct_2"]));
    assert_eq!(hydra.props.status, Status::Confirmed);
    assert_eq!(hydra.props.colour, "#e6194b");
    assert_eq!(reread.tags_of("acct_5"), Some(&ids(&["reseller"])));
    assert_eq!(reread.notes.len(), 1, "one note undone, the other redone");
    let audit = store::audit(&case.conn, &case.path, None).unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create", "add", "update", "create", "tag", "note", "note", "undo", "undo", "redo"
        ]
    );
    assert_eq!(audit[1].analyst, "bo");
    assert!(
        audit[1]
            .detail
            .contains("added 1 accounts from a lasso (now 3): acct_2"),
        "{}",
        audit[1].detail
    );
    assert!(
        audit[2].detail.contains("status suspected → confirmed"),
        "{}",
        audit[2].detail
    );
    assert!(
        audit[7].detail.starts_with("undid: note 2"),
        "{}",
        audit[7].detail
    );
    // Lines about one campaign follow it by id.
    let hydra_lines = store::audit(&case.conn, &case.path, Some(hydra.id)).unwrap();
    // create, add, update, its note, the undo of its note (the day note's
    // undo and redo concern no campaign).
    assert_eq!(hydra_lines.len(), 5, "{hydra_lines:?}");
}

#[test]
fn undo_and_redo_walk_every_state() {
    let mut book = Casebook::default();
    let mut states = vec![book.book().clone()];
    let edits = [
        Edit::Create {
            props: props("A"),
            accounts: ids(&["x", "y"]),
            origin: String::new(),
        },
        Edit::Remove {
            campaign: "A".into(),
            accounts: ids(&["y"]),
            origin: String::new(),
        },
        Edit::Tag {
            accounts: ids(&["x"]),
            tag: "t".into(),
        },
        Edit::Delete {
            campaign: "A".into(),
        },
    ];
    for e in &edits {
        book.apply(e, "me").unwrap();
        states.push(book.book().clone());
    }
    for want in states.iter().rev().skip(1) {
        book.undo("me").unwrap();
        assert_eq!(book.book(), want);
    }
    assert!(book.undo("me").is_none());
    for want in states.iter().skip(1) {
        book.redo("me").unwrap();
        assert_eq!(book.book(), want);
    }
    assert!(book.redo("me").is_none());
    // A new edit clears what could be redone.
    book.undo("me").unwrap();
    book.apply(
        &Edit::Untag {
            accounts: ids(&["x"]),
            tag: "t".into(),
        },
        "me",
    )
    .unwrap();
    assert!(book.redo_label().is_none());
}

/// Rows of a CSV file read back by DuckDB (RFC 4180), all as text.
fn read_csv(path: &Path) -> Vec<Vec<Option<String>>> {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let sql = format!(
        "SELECT * FROM read_csv('{}', header = true, all_varchar = true, quote = '\"', escape = '\"', strict_mode = true)",
        path.display()
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        let n = r.as_ref().column_count();
        out.push(
            (0..n)
                .map(|i| r.get::<_, Option<String>>(i).unwrap())
                .collect(),
        );
    }
    out
}

/// A pack CSV's header row, after the byte-order mark it must start with.
fn header(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{} has no byte-order mark", path.display()))
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_pack_matches_duckdb_neutralises_formulas_and_verify_names_a_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let case = small_case(dir.path());
    let c = case.to_str().unwrap();
    let run = create_campaign(
        c,
        "Hydra",
        "acct_0,acct_1,acct_2",
        &["--status", "confirmed", "--confidence", "85"],
    );
    assert!(run.ok, "{}", run.stderr);
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "--analyst",
        "ana",
        "note",
        "--name",
        "Hydra",
        "--text",
        "=1+1 is not a formula here",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let out = dir.path().join("pack");
    let run = cli(&[
        "export",
        c,
        "-q",
        "--campaign",
        "hydra",
        "--out",
        out.to_str().unwrap(),
        "--analyst",
        "ana",
        "--zip",
        "--oldest-first",
    ]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("Pack fingerprint"), "{}", run.stdout);
    assert!(dir.path().join("pack.zip").is_file());

    // Every CSV has its documented columns, in order.
    for spec in &pack::CSV_FILES {
        assert_eq!(
            header(&out.join(spec.name)),
            pack::header(spec).join(","),
            "{}",
            spec.name
        );
    }
    // Counts against DuckDB's own, from the case.
    let members = "account_id IN ('acct_0', 'acct_1', 'acct_2')";
    let exchanges: i64 = query_one(
        &case,
        &format!("SELECT count(*) FROM exchanges WHERE {members}"),
    );
    let rows = read_csv(&out.join("exchanges.csv"));
    assert_eq!(rows.len() as i64, exchanges);
    // Asked for oldest first: by time, ties by id.
    let key = |r: &Vec<Option<String>>| (r[1].clone(), r[0].clone());
    assert!(
        rows.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
        "exchanges.csv out of order"
    );
    let accounts = read_csv(&out.join("accounts.csv"));
    assert_eq!(accounts.len(), 3);
    let daily = read_csv(&out.join("daily_timeline.csv"));
    let daily_sum: i64 = daily
        .iter()
        .map(|r| r[2].as_deref().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(daily_sum, exchanges);
    let days: i64 = query_one(
        &case,
        &format!("SELECT count(DISTINCT (day, category)) FROM exchanges_v WHERE {members}"),
    );
    assert_eq!(daily.len() as i64, days);
    let cats = read_csv(&out.join("categories.csv"));
    let cat_sum: i64 = cats
        .iter()
        .map(|r| r[1].as_deref().unwrap().parse::<i64>().unwrap())
        .sum();
    let base_sum: i64 = cats
        .iter()
        .map(|r| r[3].as_deref().unwrap().parse::<i64>().unwrap())
        .sum();
    let all: i64 = query_one(&case, "SELECT count(*) FROM exchanges");
    assert_eq!((cat_sum, cat_sum + base_sum), (exchanges, all));
    let infra = read_csv(&out.join("infrastructure.csv"));
    let shared_ip = infra
        .iter()
        .find(|r| r[0].as_deref() == Some("ip"))
        .expect("the shared address is listed");
    assert_eq!(shared_ip[1].as_deref(), Some("10.0.0.1"));
    assert_eq!(shared_ip[3].as_deref(), Some("3"));
    // Networks are named as the graph names them, whatever the spelling.
    let v6 = infra
        .iter()
        .find(|r| r[0].as_deref() == Some("network") && r[1].as_deref() == Some("2001:db8::/48"))
        .unwrap_or_else(|| panic!("the shared /48 is listed: {infra:?}"));
    assert_eq!(v6[3].as_deref(), Some("2"));
    assert_eq!(v6[4].as_deref(), Some("2"));
    // Every shared value's accounts in the whole case, as the log counts them
    // (the pack looks most of them up in what the graph build kept).
    let kept: i64 = query_one(&case, "SELECT count(*) FROM value_accounts");
    assert!(kept > 0, "value_accounts kept by the build");
    let mut checked = 0;
    for r in &infra {
        let column = match r[0].as_deref() {
            Some("ip") => "ip",
            Some("asn") => "CAST(asn AS VARCHAR)",
            Some("user_agent") => "user_agent",
            Some("template") => "CAST(template_id AS VARCHAR)",
            _ => continue,
        };
        let value = r[1].as_deref().unwrap().replace('\'', "''");
        let accounts: i64 = query_one(
            &case,
            &format!("SELECT count(DISTINCT account_id) FROM exchanges WHERE {column} = '{value}'"),
        );
        assert_eq!(
            r[4].as_deref(),
            Some(accounts.to_string().as_str()),
            "{r:?}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "{checked} shared values checked");
    // The manifest records the rows and what the pack was made from.
    let m = manifest::read(&out).unwrap();
    let listed = m.files.iter().find(|f| f.name == "exchanges.csv").unwrap();
    assert_eq!(listed.rows, Some(exchanges as u64));
    assert_eq!(m.campaign.name, "Hydra");
    assert_eq!(m.analyst, "ana");
    assert_eq!(m.case.sha256.len(), 64);
    assert!(!m.evidence.is_empty());
    assert!(m.queries["exchanges.csv"].contains("pack_accounts"));

    // Formula-like cells are neutralised, and stay text in RFC 4180 form.
    let prompts: Vec<String> = rows.iter().filter_map(|r| r[19].clone()).collect();
    for f in FORMULAS {
        assert!(
            prompts.iter().any(|p| *p == format!("'{f}")),
            "{f:?} neutralised"
        );
        assert!(!prompts.iter().any(|p| p == f), "{f:?} left executable");
    }
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("\"quoted\"\nand a second line")),
        "quotes and line breaks survive"
    );
    let notes = read_csv(&out.join("notes.csv"));
    assert!(
        notes.iter().any(|r| r[4].as_deref() == Some("campaign")
            && r[5].as_deref() == Some("Hydra")
            && r[6].as_deref() == Some("'=1+1 is not a formula here")),
        "a campaign note names its campaign: {notes:?}"
    );
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains(distillscope::store::csv::FORMULA_RULE));
    let timeline = std::fs::read_to_string(out.join("timeline.md")).unwrap();
    assert!(
        timeline.contains(&format!("**{}** requests", exchanges)),
        "{timeline}"
    );

    // verify: intact, then one changed byte is named, then a removed and an added file.
    let p = out.to_str().unwrap();
    let run = cli(&["verify", p]);
    assert!(
        run.ok && run.stdout.contains("OK: all 13 files"),
        "{}",
        run.stdout
    );
    let target = out.join("daily_timeline.csv");
    let mut bytes = std::fs::read(&target).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&target, &bytes).unwrap();
    let run = cli(&["verify", p]);
    assert!(!run.ok, "a changed byte fails verification");
    assert!(
        run.stdout.contains("ALTERED  daily_timeline.csv"),
        "{}",
        run.stdout
    );
    std::fs::remove_file(out.join("network.png")).unwrap();
    std::fs::write(out.join("extra.csv"), "x\n").unwrap();
    let v = manifest::verify(&out).unwrap();
    assert_eq!(v.altered.len(), 1);
    assert_eq!(v.missing, ["network.png"]);
    assert_eq!(v.added, ["extra.csv"]);
    // A second export never overwrites a folder.
    let run = cli(&["export", c, "-q", "--campaign", "Hydra", "--out", p]);
    assert!(
        !run.ok && run.stderr.contains("already there"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_sampled_pack_says_how_it_sampled() {
    let dir = tempfile::tempdir().unwrap();
    let case = small_case(dir.path());
    let c = case.to_str().unwrap();
    assert!(
        cli(&[
            "campaign",
            c,
            "-q",
            "create",
            "--name",
            "H",
            "--ids",
            "acct_0,acct_1"
        ])
        .ok
    );
    let export = |name: &str| {
        let out = dir.path().join(name);
        let run = cli(&[
            "export",
            c,
            "-q",
            "--campaign",
            "H",
            "--out",
            out.to_str().unwrap(),
            "--sample",
            "10",
        ]);
        assert!(run.ok, "{}", run.stderr);
        out
    };
    let out = export("sampled");
    assert_eq!(read_csv(&out.join("exchanges.csv")).len(), 10);
    let m = manifest::read(&out).unwrap();
    let s = m.sampling.expect("the sampling is recorded");
    assert_eq!(s.rows, 10);
    assert!(s.method.contains("hash(exchange_id, 42)"), "{}", s.method);
    // Repeatable: a second export draws the same rows, byte for byte.
    let again = export("sampled-again");
    assert_eq!(
        std::fs::read(out.join("exchanges.csv")).unwrap(),
        std::fs::read(again.join("exchanges.csv")).unwrap()
    );
    assert!(
        std::fs::read_to_string(out.join("README.md"))
            .unwrap()
            .contains("exchanges.csv holds a sample")
    );
}

#[test]
fn an_export_stopped_half_way_leaves_nothing_that_looks_like_a_pack() {
    let dir = tempfile::tempdir().unwrap();
    let case_path = small_case(dir.path());
    let case = Case::open_for_work(&case_path).unwrap();
    let mut book = Casebook::load(&case.conn, &case.path).unwrap();
    book.apply(
        &Edit::Create {
            props: props("Hydra"),
            accounts: ids(&["acct_0", "acct_1", "acct_2"]),
            origin: String::new(),
        },
        "ana",
    )
    .unwrap()
    .write(&case.conn, &case.path)
    .unwrap();
    // Stop once exchanges.csv is written, as the Cancel button would.
    let handle: Arc<OnceLock<Progress>> = Arc::new(OnceLock::new());
    let seen = handle.clone();
    let progress = Progress::with_listener(move |stage| {
        if stage.contains("infrastructure.csv") {
            seen.get().expect("set").cancel();
        }
    });
    handle.set(progress.clone()).ok();
    let out = dir.path().join("pack");
    let opts = pack::PackOptions {
        campaign: "Hydra".into(),
        out: out.clone(),
        sample: None,
        zip: false,
        oldest_first: false,
        analyst: "ana".into(),
    };
    let result = pack::export(
        &case.conn,
        &case.path,
        &case.meta,
        book.book(),
        None,
        &opts,
        &progress,
    );
    assert!(
        matches!(result, Err(StoreError::Cancelled)),
        "{:?}",
        result.err()
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pack"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // The same export, not stopped, completes.
    let done = pack::export(
        &case.conn,
        &case.path,
        &case.meta,
        book.book(),
        None,
        &opts,
        &Progress::default(),
    )
    .unwrap();
    assert!(manifest::verify(&done.dir).unwrap().is_intact());
}

#[test]
fn the_cli_scripts_what_an_analyst_does_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let case = small_case(dir.path());
    let c = case.to_str().unwrap();
    let list = dir.path().join("accounts.txt");
    std::fs::write(&list, "# the shared address\nacct_0\nacct_9\nacct_1\n").unwrap();
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "create",
        "--name",
        "Hydra",
        "--accounts",
        list.to_str().unwrap(),
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("\"acct_9\"") && run.stderr.contains("accounts.txt:3"),
        "{}",
        run.stderr
    );
    std::fs::write(&list, "# the shared address\nacct_0\n\nacct_1\n").unwrap();
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "--analyst",
        "ana",
        "create",
        "--name",
        "Hydra",
        "--accounts",
        list.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("created with 2 accounts"),
        "{}",
        run.stdout
    );
    // From a cluster of the network: the three accounts on one address.
    let cluster: i32 = query_one(
        &case,
        "SELECT cluster FROM graph_nodes WHERE kind = 'account' AND id = 'acct_0'",
    );
    assert!(cluster > 0, "acct_0 is in a cluster");
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "add",
        "--name",
        "Hydra",
        "--cluster",
        &cluster.to_string(),
    ]);
    assert!(
        run.ok && run.stdout.contains("added 1 accounts"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    // From a scan's flagged.csv above a score.
    let flagged = dir.path().join("flagged.csv");
    std::fs::write(
        &flagged,
        "account_id,flagged,score\nacct_3,false,1.5\nacct_4,true,3.2\n",
    )
    .unwrap();
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "create",
        "--name",
        "Scan",
        "--from-scan",
        flagged.to_str().unwrap(),
        "--min-score",
        "1.0",
    ]);
    assert!(
        run.ok && run.stdout.contains("created with 2 accounts"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    std::fs::write(&flagged, "account_id,flagged,score\nacct_3,false,high\n").unwrap();
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "add",
        "--name",
        "Scan",
        "--from-scan",
        flagged.to_str().unwrap(),
        "--min-score",
        "1.0",
    ]);
    assert!(
        !run.ok && run.stderr.contains("column score, line 2"),
        "{}",
        run.stderr
    );
    let run = cli(&[
        "campaign",
        c,
        "-q",
        "update",
        "--name",
        "scan",
        "--rename",
        "Decoy",
        "--status",
        "dismissed",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let run = cli(&["campaign", c, "-q", "list"]);
    assert!(
        run.stdout.contains("Hydra")
            && run.stdout.contains("Decoy")
            && run.stdout.contains("dismissed"),
        "{}",
        run.stdout
    );
    let run = cli(&["campaign", c, "-q", "show", "--name", "Hydra"]);
    assert!(
        run.stdout.contains("acct_2")
            && run.stdout.contains("ana")
            && run.stdout.contains("create"),
        "{}",
        run.stdout
    );
    assert!(cli(&["campaign", c, "-q", "delete", "--name", "Decoy"]).ok);
    let run = cli(&["campaign", c, "-q", "audit"]);
    assert_eq!(run.stdout.lines().count(), 5, "{}", run.stdout);
    assert!(
        run.stdout.contains("renamed \"Scan\" → \"Decoy\""),
        "{}",
        run.stdout
    );
}

#[test]
fn two_cases_on_one_evidence_keep_their_own_work_and_a_changed_evidence_is_said_first() {
    let dir = tempfile::tempdir().unwrap();
    let src = small_incident(dir.path());
    let s = src.to_str().unwrap();
    let (a, b) = (
        dir.path().join("a.case.duckdb"),
        dir.path().join("b.case.duckdb"),
    );
    for case in [&a, &b] {
        let run = cli(&["summary", s, "-q", "--case", case.to_str().unwrap()]);
        assert!(run.ok, "{}", run.stderr);
    }
    assert!(
        cli(&[
            "campaign",
            a.to_str().unwrap(),
            "-q",
            "create",
            "--name",
            "Only in A",
            "--ids",
            "acct_0"
        ])
        .ok
    );
    let run = cli(&["campaign", b.to_str().unwrap(), "-q", "list"]);
    assert!(run.stdout.contains("(no campaigns)"), "{}", run.stdout);
    // The evidence changes: every command says so before doing anything.
    let mut text = std::fs::read_to_string(&src).unwrap();
    text.push_str("e9999,2026-03-20T00:00:00Z,acct_0,10.0.0.1,x,atlas-4,1,1,late\n");
    std::fs::write(&src, text).unwrap();
    let run = cli(&["campaign", a.to_str().unwrap(), "-q", "list"]);
    assert!(
        !run.ok && run.stderr.contains("the evidence has changed"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_readme_states_the_column_order_of_every_pack_csv() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let want = pack::columns_markdown();
    assert!(
        readme.contains(&want),
        "README.md should hold, verbatim:\n{want}"
    );
}

#[test]
fn a_large_pack_unsorted_holds_every_exchange_once_and_sorted_oldest_first_when_asked() {
    let (dir, case) = common::app::own_sample_case();
    let c = case.to_str().unwrap();
    // The 300 busiest accounts: their rows span every row group of the
    // sample, read and written by parallel threads.
    let ids = common::query_column(
        &case,
        "SELECT account_id FROM account_summary ORDER BY exchanges DESC, account_id LIMIT 300",
    );
    let run = create_campaign(c, "Busy", &ids.join(","), &[]);
    assert!(run.ok, "{}", run.stderr);
    let (fast, sorted) = (dir.path().join("fast"), dir.path().join("sorted"));
    for (out, extra) in [(&fast, None), (&sorted, Some("--oldest-first"))] {
        let mut args = vec![
            "export",
            c,
            "-q",
            "--campaign",
            "Busy",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let run = cli(&args);
        assert!(run.ok, "{}", run.stderr);
    }
    let conn = duckdb::Connection::open(&case).unwrap();
    let read = |out: &Path| {
        format!(
            "read_csv('{}', header = true, all_varchar = true)",
            out.join("exchanges.csv").display()
        )
    };
    // Both hold exactly the campaign's exchanges, each once.
    let members = "account_id IN (SELECT account_id FROM account_summary ORDER BY exchanges DESC, account_id LIMIT 300)";
    for out in [&fast, &sorted] {
        let (n, distinct, missing): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT count(*), count(DISTINCT exchange_id),
                            (SELECT count(*) FROM (SELECT exchange_id FROM exchanges WHERE {members}
                                                   EXCEPT SELECT exchange_id FROM {}))
                     FROM {}",
                    read(out),
                    read(out)
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let expected: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM exchanges WHERE {members}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            (n, distinct, missing),
            (expected, expected, 0),
            "{}",
            out.display()
        );
    }
    // The sorted one is oldest first, read in file order.
    let mut stmt = conn
        .prepare(&format!("SELECT ts, exchange_id FROM {}", read(&sorted)))
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut previous: Option<(String, String)> = None;
    let mut n = 0;
    while let Some(r) = rows.next().unwrap() {
        let key: (String, String) = (r.get(0).unwrap(), r.get(1).unwrap());
        if let Some(p) = &previous {
            assert!(p < &key, "row {n} out of order: {p:?} then {key:?}");
        }
        previous = Some(key);
        n += 1;
    }
    // Each manifest says which order its exchanges.csv is in.
    let rules = |out: &Path| manifest::read(out).unwrap().csv_rules.join(" ");
    assert!(
        rules(&sorted).contains("sorted oldest first"),
        "{}",
        rules(&sorted)
    );
    assert!(rules(&fast).contains("is not sorted"), "{}", rules(&fast));
}
