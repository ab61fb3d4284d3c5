//! Detection on a small hand-made incident with known answers: one
//! campaign and each honest look-alike of SCENARIO.md (NAT company,
//! university class, evaluation harness, coding agent, reseller customers,
//! early adopters, ordinary users). Every signal is checked where it must
//! fire and where it must not; the campaign is flagged and attributed,
//! and no look-alike is flagged. Then `scan` end to end on the demo.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use distillscope::analysis::detect::score::index;
use distillscope::analysis::detect::{self, DetectConfig, Scan};
use distillscope::pipeline::{self, OpenOptions};
use distillscope::store::progress::Progress;

const HOSTING: [(u32, &str); 4] = [
    (64501, "HETZNER-AS"),
    (64502, "OVH SAS"),
    (64503, "DIGITALOCEAN-ASN"),
    (64504, "AMAZON-02"),
];
const HOME: (u32, &str) = (64600, "COMCAST-7922");
const WORDS: [&str; 12] = [
    "pierogi", "lasagna", "ramen", "tacos", "paella", "risotto", "curry", "falafel", "goulash",
    "borscht", "ceviche", "bibimbap",
];

/// A person's own question: a topic, a second subject and a sentence shape
/// chosen apart, so two questions share few word 3-grams (a one-word swap
/// in a fixed sentence is a template, and near-duplicate grouping sees it).
fn own_question(n: u32) -> String {
    const WHO: [&str; 7] = [
        "my boss",
        "our intern",
        "a neighbour",
        "my sister",
        "the new hire",
        "grandpa",
        "a client",
    ];
    const WHEN: [&str; 5] = [
        "this Friday",
        "after the match",
        "before the holidays",
        "on a rainy day",
        "for breakfast",
    ];
    let w = WORDS[(n % 12) as usize];
    let who = WHO[((n / 12) % 7) as usize];
    let when = WHEN[((n / 3) % 5) as usize];
    match n % 6 {
        0 => format!("{who} asked whether {w} keeps well {when}; does it?"),
        1 => format!("Give me a shopping list: {w}, {when}, cooking for {who}."),
        2 => format!("Why would {who} dislike {w}? We tried it {when}."),
        3 => format!("Is it rude to serve {w} {when} when {who} visits?"),
        4 => format!("Which drink pairs with {w}? {who} is hosting {when}."),
        _ => format!("History of {w} in two lines please, {who} wonders {when}."),
    }
}

struct Logs {
    ex: String,
    acc: String,
    row: usize,
}

impl Logs {
    #[allow(clippy::too_many_arguments)]
    fn req(
        &mut self,
        ts: &str,
        account: &str,
        ip: &str,
        asn: (u32, &str),
        model: &str,
        prompt: &str,
        tools: u32,
    ) {
        self.row += 1;
        let _ = writeln!(
            self.ex,
            "e{},{ts},{account},{ip},{},{},US,{model},100,80,\"{prompt}\",{tools}",
            self.row, asn.0, asn.1
        );
    }

    fn account(&mut self, id: &str, created: &str, domain: &str, card: &str, path: &str) {
        let _ = writeln!(self.acc, "{id},{created},{domain},{card},{path}");
    }
}

fn ts(day: u32, hour: u32, minute: u32) -> String {
    format!("2026-05-{day:02}T{hour:02}:{minute:02}:00Z")
}

/// Writes the incident; the model release is 2026-05-10 00:00.
fn write_incident(dir: &Path) {
    let mut l = Logs {
        ex: "exchange_id,ts,account_id,ip,asn,asn_org,country,model,input_tokens,output_tokens,prompt,tool_count\n".into(),
        acc: "account_id,created_at,email_domain,payment_fingerprint,verification_path\n".into(),
        row: 0,
    };
    // Campaign: 6 fresh education accounts on one card, rotating through
    // four hosting networks, scripted coding prompts three times an hour
    // around the clock (2-minute gaps), all on the new model once released.
    for a in 0..6 {
        let id = format!("camp{a}");
        l.account(
            &id,
            "2026-05-07T03:00:00Z",
            "relay.test",
            "card-c",
            "education",
        );
        for h in 0..72 {
            let (day, hour) = (9 + h / 24, h % 24);
            for k in 0..3 {
                let n = a * 1000 + h * 3 + k;
                let model = if day >= 10 { "m2" } else { "m1" };
                let asn = HOSTING[((h + a) % 4) as usize];
                let ip = format!("203.0.113.{}", (h * 3 + k + a) % 40);
                let p = format!(
                    "Write a complete implementation of module {n} in Rust with unit tests."
                );
                l.req(&ts(day, hour, k * 2 + a), &id, &ip, asn, model, &p, 0);
            }
        }
    }
    // Evaluation harness: 5 old keys of one team on one cloud host,
    // templated chain-of-thought prompts every 2 minutes around the clock.
    for a in 0..5 {
        let id = format!("eval{a}");
        l.account(
            &id,
            "2025-06-01T00:00:00Z",
            "team.test",
            &format!("card-e{a}"),
            "standard",
        );
        for h in 0..72 {
            let (day, hour) = (9 + h / 24, h % 24);
            for k in 0..3 {
                let n = h * 3 + k;
                let p = format!(
                    "Solve problem {n}. Think step by step and write out your complete reasoning before the final answer."
                );
                l.req(
                    &ts(day, hour, k * 2),
                    &id,
                    "198.51.100.7",
                    HOSTING[0],
                    "m1",
                    &p,
                    0,
                );
            }
        }
    }
    // NAT company: 6 employees behind one office address, one company
    // card, office hours, their own questions.
    for a in 0..6 {
        let id = format!("nat{a}");
        l.account(
            &id,
            "2025-03-01T00:00:00Z",
            "corp.test",
            "card-n",
            "standard",
        );
        for d in 0..5 {
            for h in 9..17 {
                let p = own_question(a * 97 + d * 13 + h);
                l.req(&ts(4 + d, h, 10 * a), &id, "192.0.2.10", HOME, "m1", &p, 0);
            }
        }
    }
    // University class: 10 students signed up the same day through the
    // education program on the campus domain, one shared assignment
    // template, daytime only, on the campus network.
    for a in 0..10 {
        let id = format!("uni{a}");
        l.account(
            &id,
            "2026-05-01T09:00:00Z",
            "uni.test",
            &format!("card-u{a}"),
            "education",
        );
        for d in 0..4 {
            for h in [10, 11, 14, 15] {
                let n = a * 100 + d * 10 + h;
                let p = format!(
                    "Explain the answer to homework question {n} of the algorithms course."
                );
                l.req(&ts(2 + d, h, 5 * a), &id, "192.0.2.200", HOME, "m1", &p, 0);
            }
        }
    }
    // Coding agent: 6 users of one agent product at home, its scripted
    // tool-loop prompts, working hours, moved to the new model at once by
    // the product's "latest" alias.
    for a in 0..6 {
        let id = format!("agent{a}");
        l.account(
            &id,
            "2025-09-01T00:00:00Z",
            "mail.test",
            &format!("card-a{a}"),
            "standard",
        );
        for d in 0..4 {
            for h in 8..20 {
                let model = if 9 + d >= 10 { "m2" } else { "m1" };
                for k in 0..2 {
                    let n = d * 100 + h * 2 + k;
                    let p = format!(
                        "Continue. The tool returned: {n} unit tests passed; fix the failing test next."
                    );
                    let ip = format!("100.64.{a}.1");
                    l.req(&ts(9 + d, h, 20 * k + a), &id, &ip, HOME, model, &p, 6);
                }
            }
        }
    }
    // Reseller customers: 5 people whose requests a reseller spreads over
    // four hosting networks; their own questions, daytime.
    for a in 0..5 {
        let id = format!("resell{a}");
        l.account(
            &id,
            "2025-11-01T00:00:00Z",
            "mail.test",
            &format!("card-r{a}"),
            "reseller",
        );
        for d in 0..4 {
            for h in [9, 13, 18] {
                let p = own_question(1000 + a * 89 + d * 17 + h);
                let asn = HOSTING[((d + h) % 4) as usize];
                let ip = format!("198.18.{}.{}", d, h);
                l.req(&ts(3 + d, h, 7 * a), &id, &ip, asn, "m1", &p, 0);
            }
        }
    }
    // Early adopters: 5 people who try the new model the day it ships.
    for a in 0..5 {
        let id = format!("early{a}");
        l.account(
            &id,
            "2025-08-01T00:00:00Z",
            "mail.test",
            &format!("card-x{a}"),
            "standard",
        );
        for d in 0..3 {
            for h in [9, 10, 12, 16, 19, 21] {
                let model = if 9 + d >= 10 { "m2" } else { "m1" };
                let p = own_question(2000 + a * 83 + d * 19 + h);
                l.req(
                    &ts(9 + d, h, 11 * a),
                    &id,
                    &format!("100.80.{a}.9"),
                    HOME,
                    model,
                    &p,
                    0,
                );
            }
        }
    }
    // Ordinary users: a few questions each around the release, their own
    // address, staying on the old model (the population the pivot is
    // measured against).
    for a in 0..12 {
        let id = format!("ord{a:02}");
        l.account(
            &id,
            "2025-10-01T00:00:00Z",
            "mail.test",
            &format!("card-o{a}"),
            "standard",
        );
        for d in 0..3 {
            let w = WORDS[((a + d) % 12) as usize];
            let p = format!(
                "Is {w} vegetarian? Asking for {}.",
                "q".repeat(a as usize + d as usize + 1)
            );
            l.req(
                &ts(9 + d, 12 + d, a),
                &id,
                &format!("100.90.{a}.1"),
                HOME,
                "m1",
                &p,
                0,
            );
        }
    }
    std::fs::write(dir.join("exchanges.csv"), l.ex).unwrap();
    std::fs::write(dir.join("accounts.csv"), l.acc).unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "ts,kind,label\n2026-05-10T00:00:00Z,model_release,m2 released\n",
    )
    .unwrap();
}

fn group(id: &str) -> &str {
    id.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// Scans the hand-made incident once per test binary run.
fn scanned() -> &'static Scan {
    static SCAN: std::sync::OnceLock<(tempfile::TempDir, Scan)> = std::sync::OnceLock::new();
    &SCAN
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let logs = dir.path().join("logs");
            std::fs::create_dir(&logs).unwrap();
            write_incident(&logs);
            let case = pipeline::open(&logs, &OpenOptions::default(), &Progress::default())
                .expect("open the hand-made incident");
            let scan = detect::scan(
                &case.conn,
                &case.path,
                &DetectConfig::default(),
                &Progress::default(),
            )
            .expect("scan");
            (dir, scan)
        })
        .1
}

/// Own value of `signal` for every account of `group`.
fn own(scan: &Scan, grp: &str, signal: &str) -> Vec<f64> {
    scan.features
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| group(a) == grp)
        .map(|(i, _)| scan.own[i][index(signal)])
        .collect()
}

/// Whether `signal` fired in the verdict of every / no account of `group`.
fn fired(scan: &Scan, grp: &str, signal: &str) -> (bool, bool) {
    let bits: Vec<bool> = scan
        .features
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| group(a) == grp)
        .map(|(i, _)| scan.accounts[i].fired & (1 << index(signal)) != 0)
        .collect();
    (bits.iter().all(|b| *b), bits.iter().all(|b| !*b))
}

fn all_fire(scan: &Scan, grp: &str, signal: &str) {
    assert!(fired(scan, grp, signal).0, "{signal} should fire for {grp}");
}

fn none_fire(scan: &Scan, grp: &str, signal: &str) {
    assert!(
        fired(scan, grp, signal).1,
        "{signal} should not fire for {grp}"
    );
}

#[test]
fn the_campaign_is_flagged_and_no_look_alike_is() {
    let scan = scanned();
    let mut flagged: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, a) in scan.features.accounts.iter().enumerate() {
        let e = flagged.entry(group(a)).or_default();
        e.0 += 1;
        if scan.accounts[i].flagged {
            e.1 += 1;
        }
    }
    assert_eq!(flagged["camp"], (6, 6), "{flagged:?}");
    for g in ["eval", "nat", "uni", "agent", "resell", "early", "ord"] {
        assert_eq!(flagged[g].1, 0, "{g} flagged: {flagged:?}");
    }
    // One campaign, holding exactly the campaign's accounts.
    assert_eq!(scan.campaigns.len(), 1);
    let members: HashSet<&str> = scan.campaigns[0]
        .members
        .iter()
        .map(|m| scan.features.accounts[*m as usize].as_str())
        .collect();
    assert_eq!(members.len(), 6);
    assert!(members.iter().all(|m| m.starts_with("camp")));
}

#[test]
fn infrastructure_signals() {
    let scan = scanned();
    // Four hosting networks per campaign account, all traffic from them.
    assert!(
        own(scan, "camp", "proxy_rotation")
            .iter()
            .all(|v| *v == 4.0)
    );
    assert!(own(scan, "camp", "hosting_share").iter().all(|v| *v == 1.0));
    all_fire(scan, "camp", "proxy_rotation");
    // The reseller's customers rotate as well: infrastructure alone.
    assert!(
        own(scan, "resell", "proxy_rotation")
            .iter()
            .all(|v| *v == 4.0)
    );
    all_fire(scan, "resell", "proxy_rotation");
    // One cloud host: hosting, but no rotation.
    assert!(
        own(scan, "eval", "proxy_rotation")
            .iter()
            .all(|v| *v == 1.0)
    );
    all_fire(scan, "eval", "hosting_share");
    none_fire(scan, "eval", "proxy_rotation");
    // Home and office networks are not hosting.
    for g in ["nat", "uni", "agent", "early", "ord"] {
        assert!(
            own(scan, g, "hosting_share").iter().all(|v| *v == 0.0),
            "{g}"
        );
        none_fire(scan, g, "proxy_rotation");
    }
    // Shared addresses link the office, the class and the harness.
    for g in ["nat", "uni", "camp"] {
        all_fire(scan, g, "shared_infrastructure");
    }
    none_fire(scan, "ord", "shared_infrastructure");
    // Everything was logged in a supported country.
    assert!(
        scan.own
            .iter()
            .all(|v| v[index("unsupported_region")] == 0.0)
    );
}

#[test]
fn content_signals() {
    let scan = scanned();
    // Scripted templates: the campaign, the harness, the agent, the class.
    for g in ["camp", "eval", "agent", "uni"] {
        assert!(
            own(scan, g, "template_reuse").iter().all(|v| *v == 1.0),
            "{g}: {:?}",
            own(scan, g, "template_reuse")
        );
    }
    // People's own questions are not.
    for g in ["nat", "resell", "early", "ord"] {
        assert!(
            own(scan, g, "template_reuse").iter().all(|v| *v == 0.0),
            "{g}"
        );
        none_fire(scan, g, "template_reuse");
    }
    // Chain-of-thought elicitation is the harness's whole traffic.
    assert!(own(scan, "eval", "elicitation").iter().all(|v| *v == 1.0));
    all_fire(scan, "eval", "elicitation");
    none_fire(scan, "camp", "elicitation");
    // Coding: the campaign and the agent are all targeted capabilities.
    all_fire(scan, "camp", "capability_concentration");
    all_fire(scan, "agent", "capability_concentration");
    none_fire(scan, "ord", "capability_concentration");
    // Fraudar finds the campaign's block of accounts × templates.
    all_fire(scan, "camp", "dense_block");
    assert!(!scan.blocks.is_empty());
    // Output per input token is 0.8 for every request here.
    assert!(
        scan.own
            .iter()
            .all(|v| (v[index("output_ratio")] - 0.8).abs() < 1e-9)
    );
    none_fire(scan, "camp", "output_ratio");
}

#[test]
fn timing_signals() {
    let scan = scanned();
    // Every hour of the day alike: log2(24) bits.
    for g in ["camp", "eval"] {
        assert!(
            own(scan, g, "round_the_clock")
                .iter()
                .all(|v| (v - 24f64.log2()).abs() < 1e-9),
            "{g}"
        );
        all_fire(scan, g, "round_the_clock");
        // Two minutes between requests at median.
        assert!(
            own(scan, g, "machine_pace").iter().all(|v| *v == 120.0),
            "{g}"
        );
        all_fire(scan, g, "machine_pace");
    }
    for g in ["nat", "uni", "agent", "resell", "early", "ord"] {
        none_fire(scan, g, "round_the_clock");
    }
    none_fire(scan, "nat", "machine_pace");
    // The release pivot: everything on m2 after its release, far above the
    // population; the agent and the early adopters move too (timing only).
    for g in ["camp", "agent", "early"] {
        assert!(
            own(scan, g, "release_pivot").iter().all(|v| *v > 0.25),
            "{g}: {:?}",
            own(scan, g, "release_pivot")
        );
    }
    // Silent in the window: no value.
    assert!(own(scan, "nat", "release_pivot").iter().all(|v| v.is_nan()));
    // Synchronised use of one template within minutes: co-activity.
    assert!(own(scan, "camp", "coactivity").iter().all(|v| *v >= 3.0));
    assert!(own(scan, "ord", "coactivity").iter().all(|v| *v == 0.0));
}

#[test]
fn account_origin_signals() {
    let scan = scanned();
    // Fresh + education + shared card: farmed.
    assert!(
        own(scan, "camp", "farmed_accounts")
            .iter()
            .all(|v| *v == 1.0)
    );
    // Fresh + education (own cards): the class is farmed-looking too.
    assert!(
        own(scan, "uni", "farmed_accounts")
            .iter()
            .all(|v| *v == 1.0)
    );
    // A shared company card alone is not.
    assert!(
        own(scan, "nat", "farmed_accounts")
            .iter()
            .all(|v| *v == 0.0)
    );
    // Cohorts through an easy path: 10 students, 6 campaign accounts; the
    // harness's 5 standard-path keys made the same day do not count.
    assert!(own(scan, "uni", "signup_cohort").iter().all(|v| *v == 10.0));
    assert!(own(scan, "camp", "signup_cohort").iter().all(|v| *v == 6.0));
    assert!(own(scan, "eval", "signup_cohort").iter().all(|v| *v == 1.0));
}

#[test]
fn every_flag_is_explained_in_words() {
    let scan = scanned();
    let i = scan.account_index("camp0").unwrap();
    let lines = scan.explain_account(i);
    assert!(lines[0].starts_with("score 4.0 of 4"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("hosting and cloud networks"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("moved 100% of its traffic to m2 in the 72 h")),
        "{lines:?}"
    );
    let c = scan.clusters.iter().find(|c| c.flagged).unwrap();
    assert_eq!(
        c.explanation.len(),
        1 + (0..20)
            .filter(|b| c.fired & (1 << b) != 0)
            .filter(|b| scan.config.signal(*b).weight > 0.0)
            .count()
    );
}

#[test]
fn scan_cli_writes_accounts_and_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_incident(&logs);
    let out = dir.path().join("flagged.csv");
    let run = common::cli(&[
        "scan",
        logs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), detect::account_header());
    let flagged: Vec<&str> = lines
        .filter(|l| l.split(',').nth(1) == Some("true"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        flagged,
        ["camp0", "camp1", "camp2", "camp3", "camp4", "camp5"]
    );
    let clusters = dir.path().join("clusters.csv");
    let run = common::cli(&[
        "scan",
        logs.to_str().unwrap(),
        "--clusters",
        "--out",
        clusters.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let text = std::fs::read_to_string(&clusters).unwrap();
    assert!(text.starts_with(&detect::cluster_header()));
    assert!(
        text.lines().nth(1).unwrap().contains(",true,4.00,1,6,"),
        "{text}"
    );
    // A broken settings file is refused with its name and the reason.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[score]\nflag_threshold = 0.5\n").unwrap();
    let run = common::cli(&[
        "scan",
        logs.to_str().unwrap(),
        "--out",
        dir.path().join("x.csv").to_str().unwrap(),
        "--config",
        bad.to_str().unwrap(),
    ]);
    assert!(!run.ok);
    assert!(run.stderr.contains("bad.toml"), "{}", run.stderr);
    assert!(!dir.path().join("x.csv").exists());
}

/// The bundled demo: every campaign found, no hard negative flagged, each
/// campaign attributed on its own (truth.csv is read by this test only).
#[test]
fn demo_scan_finds_every_campaign_and_no_hard_negative() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flagged.csv");
    let demo = root.join("sample_data/demo");
    let run = common::cli(&[
        "scan",
        demo.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let truth = std::fs::read_to_string(demo.join("truth.csv")).unwrap();
    let label: BTreeMap<&str, &str> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[1])
        })
        .collect();
    let text = std::fs::read_to_string(&out).unwrap();
    // label -> (accounts, flagged, campaigns)
    let mut per: BTreeMap<&str, (usize, usize, HashSet<String>)> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let e = per.entry(label[f[0]]).or_default();
        e.0 += 1;
        if f[1] == "true" {
            e.1 += 1;
            e.2.insert(f[4].to_owned());
        }
    }
    for c in ["c1_precise", "c2_midsize", "c3_large", "c4_2026"] {
        let (n, f, camps) = &per[c];
        assert!(*f as f64 >= 0.95 * *n as f64, "{c}: {f} of {n} flagged");
        assert_eq!(camps.len(), 1, "{c} split over campaigns {camps:?}");
    }
    for hard in [
        "nat_company",
        "university_class",
        "eval_harness_ci",
        "coding_agent",
        "reseller_customer",
        "early_adopter",
        "ordinary",
    ] {
        assert_eq!(per[hard].1, 0, "{hard} flagged");
    }
    let campaign_ids: HashSet<&String> = ["c1_precise", "c2_midsize", "c3_large", "c4_2026"]
        .iter()
        .flat_map(|c| per[c].2.iter())
        .collect();
    assert_eq!(campaign_ids.len(), 4, "each campaign attributed apart");
}

#[test]
fn a_second_scan_takes_the_scan_kept_in_the_case_and_says_when_it_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_incident(&logs);
    let opts = OpenOptions {
        for_work: true,
        ..Default::default()
    };
    // A connection of its own each time (the app's next session): nothing
    // of an earlier scan's temporary tables is left.
    let open = || pipeline::open(&logs, &opts, &Progress::default()).expect("open");
    let scan = |cfg: &DetectConfig| {
        let case = open();
        detect::scan(&case.conn, &case.path, cfg, &Progress::default()).expect("scan")
    };
    let shown = |cfg: &DetectConfig| {
        let case = open();
        detect::scan_or_kept(&case.conn, &case.path, cfg, &Progress::default()).expect("scan")
    };
    let stages = |s: &Scan| -> Vec<String> { s.timings.iter().map(|(n, _)| n.clone()).collect() };
    let first = scan(&DetectConfig::default());
    assert!(stages(&first).contains(&"read features (DuckDB)".to_owned()));
    assert!(first.kept.is_none());
    let second = scan(&DetectConfig::default());
    assert_eq!(stages(&second), ["taken from the case"]);
    assert_eq!(second.kept.as_ref().map(|k| k.stale.len()), Some(0));
    // The same answer to the digit (Debug prints NaN alike, where == cannot),
    // explanations included (they read the rebuilt baselines).
    let answer = |s: &Scan| {
        let explained: Vec<Vec<String>> = (0..s.accounts.len())
            .step_by(7)
            .map(|i| s.explain_account(i))
            .collect();
        format!(
            "{:?}",
            (
                &s.features,
                &s.accounts,
                &s.clusters,
                &s.campaigns,
                &s.alone,
                &s.blocks,
                &s.availability,
                &s.config.score.flag_threshold,
                explained
            )
        )
    };
    assert_eq!(answer(&first), answer(&second));
    // Other settings: what the views show at once is the kept scan, marked
    // stale with what changed; a scan reads the log again and keeps its own.
    let mut other = DetectConfig::default();
    other.lists.hosting_asn_words.push_str("|examplehost");
    let stale = shown(&other);
    let why = stale.kept.as_ref().expect("kept").stale.clone();
    assert_eq!(
        why,
        ["the detection settings or the analyst's network marks changed"],
        "{why:?}"
    );
    assert_eq!(answer(&stale), answer(&first));
    let third = scan(&other);
    assert!(stages(&third).contains(&"read features (DuckDB)".to_owned()));
    assert!(shown(&other).kept.expect("kept").stale.is_empty());
    // A rebuilt network is a change of state too.
    {
        let case = open();
        case.conn
            .execute_batch("UPDATE graph_meta SET value = value || ' ' WHERE key = (SELECT min(key) FROM graph_meta);")
            .unwrap();
    }
    let after = shown(&other).kept.expect("kept").stale;
    assert_eq!(
        after,
        ["the account network was rebuilt with other settings"]
    );
}
