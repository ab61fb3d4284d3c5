//! Evidence the tool did not make: a LiteLLM gateway export with no
//! accounts and no events, networks whose names the defaults never saw, a
//! model released inside the log, and a folder whose accounts and events
//! tables use other column names, other verification paths and country
//! names. Detection must still find the planted campaign, leave the honest
//! users alone, and say which evidence it lacked.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::cli;

/// Hosting networks named as an IP database might, none of them in the
/// shipped provider list by that spelling, and one residential network.
const NETS: [(u32, &str, &str); 5] = [
    (64701, "Acme VPS", "10.1.0.0"),
    (64702, "Nimbus Cloud Services", "10.2.0.0"),
    (64703, "Example Hosting Ltd", "10.3.0.0"),
    (64704, "Polar Data Center AB", "10.4.0.0"),
    (64800, "Sunrise Broadband", "10.9.0.0"),
];

fn ip_db(dir: &Path) -> std::path::PathBuf {
    let mut s = String::new();
    for (asn, org, start) in NETS {
        let prefix = start.trim_end_matches(".0.0");
        let _ = writeln!(s, "{start}\t{prefix}.255.255\t{asn}\tUS\t{org}");
    }
    let p = dir.join("ip2asn.tsv");
    std::fs::write(&p, s).unwrap();
    p
}

/// One LiteLLM spend-log row (prompts stored, as `store_prompts_in_spend_logs` does).
fn row(out: &mut String, id: usize, ts: &str, user: &str, ip: &str, model: &str, prompt: &str) {
    let body = serde_json::json!({
        "request_id": format!("chatcmpl-{id}"),
        "call_type": "acompletion",
        "api_key": format!("hash-{user}"),
        "spend": 0.001,
        "prompt_tokens": 120,
        "completion_tokens": 400,
        "total_tokens": 520,
        "startTime": ts,
        "endTime": ts,
        "model": model,
        "user": "gateway",
        "end_user": user,
        "requester_ip_address": ip,
        "request_tags": ["User-Agent: python-httpx", "User-Agent: python-httpx/0.27.0"],
        "proxy_server_request": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        "status": "success"
    });
    out.push_str(&body.to_string());
    out.push('\n');
}

fn at(day: u32, hour: u32, minute: u32) -> String {
    format!("2026-05-{day:02}T{hour:02}:{minute:02}:00.000Z")
}

/// A gateway log: 8 campaign accounts rotating through four hosting
/// networks around the clock with scripted prompts, moving to `nova-3`
/// when it appears on 10 May; 12 people on one residential network asking
/// their own questions in the daytime, a few trying `nova-3` too.
fn gateway_log(dir: &Path) -> std::path::PathBuf {
    let mut out = String::new();
    let mut id = 0;
    for a in 0..8u32 {
        for h in 0..96u32 {
            let (day, hour) = (8 + h / 24, h % 24);
            for k in 0..3u32 {
                id += 1;
                let net = NETS[((h + a + k) % 4) as usize].2.trim_end_matches(".0.0");
                let ip = format!("{net}.{}.{}", (h + k) % 200, 10 + a);
                let model = if day >= 10 { "nova-3" } else { "nova-2" };
                let n = a * 1000 + h * 3 + k;
                let prompt = format!(
                    "Implement module {n} of the billing service in Rust with unit tests and explain each function."
                );
                row(
                    &mut out,
                    id,
                    &at(day, hour, k * 3 + a),
                    &format!("op-{a}"),
                    &ip,
                    model,
                    &prompt,
                );
            }
        }
    }
    let topics = [
        "my grandmother's soup",
        "a birthday poem for Ana",
        "why the sky is blue",
        "tax forms in Ohio",
        "a cover letter for a nurse job",
        "how tides work",
        "planting tomatoes in May",
        "a toast for my brother's wedding",
        "the plot of Hamlet",
        "cheap flights to Lisbon",
        "training a puppy",
        "fixing a squeaky door",
    ];
    for p in 0..12u32 {
        for d in 8..12u32 {
            for q in 0..4u32 {
                id += 1;
                let ip = format!("10.9.{}.{}", p, 1 + q);
                let model = if d >= 11 && p < 3 { "nova-3" } else { "nova-2" };
                let prompt = format!(
                    "Question {q} from person {p} on day {d}: tell me about {}",
                    topics[((p + q + d) % 12) as usize]
                );
                row(
                    &mut out,
                    id,
                    &at(d, 9 + q * 2 + p % 3, 7 * q + p),
                    &format!("person-{p}"),
                    &ip,
                    model,
                    &prompt,
                );
            }
        }
    }
    let p = dir.join("spend_logs.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

fn rows(csv: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(csv)
        .unwrap()
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn a_gateway_log_without_accounts_or_events_flags_the_campaign_and_says_what_it_lacked() {
    let dir = tempfile::tempdir().unwrap();
    let log = gateway_log(dir.path());
    let db = ip_db(dir.path());
    let case = dir.path().join("gateway.case.duckdb");
    let run = cli(&[
        "import",
        "--format",
        "litellm",
        log.to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
        "--ip-db",
        db.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let flagged = dir.path().join("flagged.csv");
    let run = cli(&[
        "scan",
        case.to_str().unwrap(),
        "--out",
        flagged.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}", run.stderr);
    // Said on the terminal and in the side file.
    assert!(run.stderr.contains("account cannot fire"), "{}", run.stderr);
    let report = std::fs::read_to_string(dir.path().join("flagged.evidence.txt")).unwrap();
    says(
        &report,
        &[
            "account cannot fire on this evidence: flag at 2.0 (configured 3.0",
            "no account records (accounts table)",
            "nova-3 first seen in the log",
            "Acme VPS: name says \"VPS\"",
            "Nimbus Cloud Services: name says \"Cloud\"",
            "Example Hosting Ltd: name says \"Hosting\"",
            "Polar Data Center AB: name says \"Data Center\"",
            "account age taken from the log",
        ],
    );
    assert!(!report.contains("Sunrise Broadband"), "{report}");
    let rows = rows(&flagged);
    let flagged_ids: Vec<&str> = rows
        .iter()
        .filter(|r| r[1] == "true")
        .map(|r| r[0].as_str())
        .collect();
    let campaign: Vec<&str> = flagged_ids
        .iter()
        .copied()
        .filter(|a| a.starts_with("op-"))
        .collect();
    assert_eq!(campaign.len(), 8, "flagged: {flagged_ids:?}");
    assert!(
        flagged_ids.iter().all(|a| a.starts_with("op-")),
        "honest users flagged: {flagged_ids:?}"
    );
    // Account-origin signals have no value rather than zero.
    let header = std::fs::read_to_string(&flagged).unwrap();
    let header: Vec<&str> = header
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .split(',')
        .collect();
    let farmed = header.iter().position(|h| *h == "farmed_accounts").unwrap();
    assert!(rows.iter().all(|r| r[farmed].is_empty()));
    // The release pivot was computed from the release found in the log.
    let pivot = header.iter().position(|h| *h == "release_pivot").unwrap();
    let op = rows.iter().find(|r| r[0] == "op-0").unwrap();
    assert!(op[pivot].parse::<f64>().unwrap() > 0.25, "{op:?}");

    // `summary` (and the Overview) list the release found in the log.
    let run = cli(&["summary", case.to_str().unwrap()]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("first_seen     nova-3 first seen in the log"),
        "{}",
        run.stdout
    );

    // The analyst marks a network whose name says nothing; the mark is
    // audited, kept with the case's work, and the next scan reads it.
    let run = cli(&[
        "campaign",
        case.to_str().unwrap(),
        "--analyst",
        "ana",
        "network",
        "--asn",
        "64800",
        "--kind",
        "hosting",
    ]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("AS64800 Sunrise Broadband marked hosting for detection"),
        "{}",
        run.stdout
    );
    let run = cli(&[
        "scan",
        case.to_str().unwrap(),
        "--out",
        flagged.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let report = std::fs::read_to_string(dir.path().join("flagged.evidence.txt")).unwrap();
    assert!(
        report.contains("Sunrise Broadband: analyst: hosting"),
        "{report}"
    );
    let run = cli(&[
        "campaign",
        case.to_str().unwrap(),
        "--analyst",
        "ana",
        "network",
        "--asn",
        "64800",
        "--kind",
        "cloudy",
    ]);
    assert!(
        !run.ok && run.stderr.contains("use hosting, not_hosting or clear"),
        "{}",
        run.stderr
    );
}

/// A folder whose accounts and events tables use their own column names
/// and vocabulary: sign-up time as `signup_time`, verification paths such
/// as "Student Plan", countries as names, events as (`when`, `type`,
/// `title`) with a release written "Nova 3 launched".
fn other_vocabulary_folder(dir: &Path) {
    let mut ex = String::from(
        "exchange_id,ts,account_id,ip,asn,asn_org,country,model,input_tokens,output_tokens,prompt\n",
    );
    let mut acc = String::from(
        "account_id,signup_time,email_domain,payment_fingerprint,verification_path,signup_country\n",
    );
    let mut n = 0;
    for a in 0..6 {
        let _ = writeln!(
            acc,
            "stu{a},2026-05-01T00:00:00Z,uni.test,card-{a},Student Plan,China"
        );
        for d in 1..4 {
            n += 1;
            let _ = writeln!(
                ex,
                "e{n},2026-05-0{d}T10:00:00Z,stu{a},10.1.0.{a},64701,Acme VPS,cn,nova-3,10,20,homework {a} {d}"
            );
        }
    }
    let _ = writeln!(
        acc,
        "biz0,2025-01-01T00:00:00Z,corp.test,card-b,self-serve,United States"
    );
    n += 1;
    let _ = writeln!(
        ex,
        "e{n},2026-05-02T10:00:00Z,biz0,10.9.0.1,64800,Sunrise Broadband,us,nova-2,10,20,hello"
    );
    std::fs::write(dir.join("exchanges.csv"), ex).unwrap();
    std::fs::write(dir.join("accounts.csv"), acc).unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "when,type,title\n2026-05-01T00:00:00Z,release,Nova 3 launched\n2026-05-03T00:00:00Z,release,Orion 9 launched\n2026-05-04T00:00:00Z,ban wave,20 accounts terminated\n",
    )
    .unwrap();
}

#[test]
fn accounts_and_events_with_other_column_names_open_through_map() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("logs");
    std::fs::create_dir(&src).unwrap();
    other_vocabulary_folder(&src);
    let flagged = dir.path().join("flagged.csv");
    // Without the mapping the events table cannot be read: it says which
    // file and column, and what was found.
    let run = cli(&[
        "scan",
        src.to_str().unwrap(),
        "--out",
        flagged.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("events.csv") && run.stderr.contains("when"),
        "{}",
        run.stderr
    );
    let run = cli(&[
        "scan",
        src.to_str().unwrap(),
        "--out",
        flagged.to_str().unwrap(),
        "--rebuild",
        "--map",
        "accounts.created_at=signup_time,events.ts=when,events.kind=type,events.label=title",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let report = std::fs::read_to_string(dir.path().join("flagged.evidence.txt")).unwrap();
    says(
        &report,
        &[
            "easy (education, startup, research or trial programs): Student Plan",
            "other: self-serve",
            "nova-3 (declared): Nova 3 launched",
            "not tied to a logged model: 2026-05-03T00:00:00Z release \"Orion 9 launched\"",
            "Acme VPS: name says \"VPS\"",
        ],
    );
    // The ban wave is not a release, so it is not reported as one.
    assert!(!report.contains("20 accounts terminated"), "{report}");
    // Countries were normalised to codes when the case was built.
    let case = dir.path().join("logs.case.duckdb");
    let conn = duckdb::Connection::open_with_flags(
        &case,
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap();
    let countries: Vec<String> = conn
        .prepare("SELECT DISTINCT country FROM exchanges UNION SELECT DISTINCT signup_country FROM accounts ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(countries, ["CN", "US"]);
}

/// Asserts that the evidence report says every one of `needles`.
fn says(report: &str, needles: &[&str]) {
    for needle in needles {
        assert!(report.contains(needle), "missing `{needle}` in:\n{report}");
    }
}
