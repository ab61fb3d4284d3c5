//! The account network end to end on small hand-made logs with known
//! answers: hub capping, rarity weights, time windows, IPv6 networks,
//! payment links, clusters, and the CSV files `distillscope graph` writes.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::cli;

/// exchanges.csv + accounts.csv of a tiny incident.
fn write_logs(dir: &Path) {
    let mut ex = String::from("exchange_id,ts,account_id,ip,model,prompt\n");
    let mut row = 0;
    let mut add = |ts: &str, account: &str, ip: &str| {
        row += 1;
        ex.push_str(&format!(
            "e{row},{ts},{account},{ip},m1,hello number {row}\n"
        ));
    };
    // A proxy exit twelve accounts share within one hour: over a cap of 10.
    for i in 0..12 {
        add(
            &format!("2026-05-01T10:{:02}:00Z", i * 3),
            &format!("hub{i:02}"),
            "203.0.113.9",
        );
    }
    // Two accounts on one address, five on another, at the same time.
    add("2026-05-02T08:00:00Z", "pair_a", "198.51.100.1");
    add("2026-05-02T08:00:00Z", "pair_b", "198.51.100.1");
    for i in 0..5 {
        add("2026-05-02T09:00:00Z", &format!("five_{i}"), "198.51.100.2");
    }
    // One address used by two accounts 19 days apart (a rotated exit), and
    // by two others in the same hour.
    add("2026-05-01T12:00:00Z", "early", "192.0.2.50");
    add("2026-05-20T12:00:00Z", "late", "192.0.2.50");
    add("2026-05-05T12:00:00Z", "same_a", "192.0.2.60");
    add("2026-05-05T12:30:00Z", "same_b", "192.0.2.60");
    // Two IPv6 addresses in one /48 (written differently), one outside it.
    add("2026-05-06T12:00:00Z", "v6_a", "2001:db8:1:2::5");
    add(
        "2026-05-06T12:00:00Z",
        "v6_b",
        "2001:0db8:0001:ffff:0:0:0:1",
    );
    add("2026-05-06T12:00:00Z", "v6_c", "2001:db8:2::1");
    // Two accounts with no address logged, in the same minute: a missing
    // value links nobody.
    add("2026-05-09T12:00:00Z", "noip_a", "");
    add("2026-05-09T12:00:00Z", "noip_b", "");
    // Two accounts paying with one card, on unrelated addresses.
    add("2026-05-07T12:00:00Z", "card_a", "100.64.1.1");
    add("2026-05-08T12:00:00Z", "card_b", "100.65.1.1");
    std::fs::write(dir.join("exchanges.csv"), ex).unwrap();
    std::fs::write(
        dir.join("accounts.csv"),
        "account_id,payment_fingerprint\ncard_a,card-x\ncard_b,card-x\nsame_a,card-y\n",
    )
    .unwrap();
}

/// A scratch folder holding `logs/` with the tiny incident.
fn scratch_logs() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_logs(&logs);
    (dir, logs)
}

/// `distillscope graph LOGS --out OUT EXTRA...`.
fn graph(logs: &Path, out: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "graph",
        logs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cli(&args)
}

/// (source, target, type) -> weight from edges.csv.
fn edges(dir: &Path) -> HashMap<(String, String, String), f64> {
    let text = std::fs::read_to_string(dir.join("edges.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source,target,type,weight"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                (f[0].to_owned(), f[1].to_owned(), f[2].to_owned()),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn has(e: &HashMap<(String, String, String), f64>, a: &str, b: &str, kind: &str) -> Option<f64> {
    e.get(&(a.into(), b.into(), kind.into()))
        .or_else(|| e.get(&(b.into(), a.into(), kind.into())))
        .copied()
}

#[test]
fn hand_made_logs_give_the_known_links() {
    let (dir, logs) = scratch_logs();
    let out = dir.path().join("graph");
    let run = graph(
        &logs,
        &out,
        &["--links", "ip,net,payment", "--hub-cap", "10", "--quiet"],
    );
    assert!(run.ok, "{}", run.stderr);
    let e = edges(&out);

    // Hub capping: twelve accounts on one exit are one hub, never 66 pairs;
    // it keeps links to the ten (the cap) that used it most.
    let hub_edges: Vec<_> = e
        .keys()
        .filter(|(_, t, k)| t == "ip:203.0.113.9" && k == "ip")
        .collect();
    assert_eq!(hub_edges.len(), 10);
    assert_eq!(has(&e, "hub00", "hub01", "ip"), None);
    let nodes = std::fs::read_to_string(out.join("nodes.csv")).unwrap();
    let hub_row = nodes
        .lines()
        .find(|l| l.starts_with("ip:203.0.113.9,hub,ip,"))
        .expect("the hub is a node");
    let degree = hub_row.split(',').nth(5).unwrap();
    assert_eq!(degree, "12", "degree counts every account: {hub_row}");

    // Rarity: a value two accounts share weighs 1/ln 2, one five share 1/ln 5.
    let two = has(&e, "pair_a", "pair_b", "ip").expect("pair linked");
    let five = has(&e, "five_0", "five_1", "ip").expect("five linked");
    assert!((two - 1.0 / 2f64.ln()).abs() < 1e-3, "{two}");
    assert!((five - 1.0 / 5f64.ln()).abs() < 1e-3, "{five}");
    assert!(two > five);

    // Time windows: the same address 19 days apart links nobody; within
    // the hour it links fully.
    assert_eq!(has(&e, "early", "late", "ip"), None);
    let same = has(&e, "same_a", "same_b", "ip").expect("same hour linked");
    assert!(same > 1.3, "{same}");

    // IPv6: one /48 in two spellings is one network; another /48 is not.
    assert!(has(&e, "v6_a", "v6_b", "net").is_some());
    assert_eq!(has(&e, "v6_a", "v6_b", "ip"), None);
    assert_eq!(has(&e, "v6_a", "v6_c", "net"), None);
    assert!(
        !e.keys()
            .any(|(a, b, _)| a.starts_with("noip") || b.starts_with("noip")),
        "accounts without an address are linked by nothing"
    );

    // Payment links regardless of time, with the payment weight (3 / ln 2).
    let card = has(&e, "card_a", "card_b", "payment").expect("card linked");
    assert!((card - 3.0 / 2f64.ln()).abs() < 1e-3, "{card}");

    // Clusters: the card pair is one cluster; lone accounts are cluster 0.
    let cluster_of: HashMap<String, String> = nodes
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[3].to_owned())
        })
        .collect();
    assert_eq!(cluster_of["card_a"], cluster_of["card_b"]);
    assert_ne!(cluster_of["card_a"], "0");
    assert_eq!(cluster_of["v6_c"], "0");
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).unwrap();
    assert!(
        clusters.starts_with(
            "id,name,size,hubs,volume,first_seen,last_seen,top_categories,top_shared\n"
        )
    );
    assert!(clusters.contains("payment card-x"), "{clusters}");
}

#[test]
fn the_output_folder_is_all_or_nothing() {
    let (dir, logs) = scratch_logs();
    // A non-empty output folder is refused and left as it was.
    let out = dir.path().join("busy");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let run = graph(&logs, &out, &["--quiet"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keep.txt")]);
    // An unknown link type is named.
    let run = graph(&logs, &dir.path().join("x"), &["--links", "ip,mac"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("'mac'"), "{}", run.stderr);
    assert!(!dir.path().join("x").exists());
}

#[test]
fn clustering_is_deterministic() {
    let (dir, logs) = scratch_logs();
    let mut outputs = Vec::new();
    for i in 0..2 {
        let out = dir.path().join(format!("g{i}"));
        let run = graph(
            &logs,
            &out,
            &[
                "--links",
                "ip,net,payment,template",
                "--seed",
                "11",
                "--quiet",
            ],
        );
        assert!(run.ok, "{}", run.stderr);
        outputs.push((
            std::fs::read_to_string(out.join("nodes.csv")).unwrap(),
            std::fs::read_to_string(out.join("clusters.csv")).unwrap(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// A gateway log names API keys and teams: accounts sending with one key
/// are linked whenever they used it (a key is a secret, not a moment),
/// accounts of one team too, and an empty key links nobody.
#[test]
fn shared_api_keys_and_teams_link_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let rows = [
        ("k1_a", "2026-05-01T10:00:00Z", "sk-shared-1", ""),
        ("k1_b", "2026-05-09T10:00:00Z", "sk-shared-1", ""),
        ("k1_c", "2026-05-20T10:00:00Z", "sk-shared-1", ""),
        ("team_a", "2026-05-02T10:00:00Z", "sk-own-a", "team-blue"),
        ("team_b", "2026-05-03T10:00:00Z", "sk-own-b", "team-blue"),
        ("nokey_a", "2026-05-04T10:00:00Z", "", ""),
        ("nokey_b", "2026-05-04T10:00:00Z", "", ""),
    ];
    let mut ex = String::from("exchange_id,ts,account_id,api_key_id,org_id,ip,model,prompt\n");
    for (i, (acct, ts, key, org)) in rows.iter().enumerate() {
        ex.push_str(&format!(
            "e{i},{ts},{acct},{key},{org},10.{i}.0.1,m1,question number {i}\n"
        ));
    }
    std::fs::write(logs.join("exchanges.csv"), ex).unwrap();
    let out = dir.path().join("graph");
    let run = graph(&logs, &out, &["--links", "api_key,org", "--quiet"]);
    assert!(run.ok, "{}", run.stderr);
    let e = edges(&out);
    for (a, b) in [("k1_a", "k1_b"), ("k1_a", "k1_c"), ("k1_b", "k1_c")] {
        assert!(has(&e, a, b, "api_key").is_some(), "{a}-{b}: {e:?}");
    }
    assert!(has(&e, "team_a", "team_b", "org").is_some(), "{e:?}");
    assert!(has(&e, "team_a", "team_b", "api_key").is_none());
    assert!(has(&e, "nokey_a", "nokey_b", "api_key").is_none());
    assert!(has(&e, "nokey_a", "nokey_b", "org").is_none());
}
