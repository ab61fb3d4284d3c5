//! Sharing a campaign's indicators: the STIX 2.1 bundle validates with the
//! OASIS validator and round-trips through the `stix2` library, and no
//! customer data (account ids, e-mail domains, payment fingerprints,
//! sign-up addresses, prompt text) is in it.
//!
//! Needs Python with `stix2-validator` and `stix2` (`.ci/run` installs them:
//! `pip install stix2-validator stix2`).

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::cli;

/// The bundled demo incident copied into `dir`, built into a case, with
/// the generator's fourth campaign recorded as "C4".
fn demo_with_campaign(dir: &Path) -> std::path::PathBuf {
    let src = common::demo_copy(dir);
    let run = cli(&["summary", src.to_str().unwrap(), "-q"]);
    assert!(run.ok, "{}", run.stderr);
    let truth = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/demo/truth.csv"),
    )
    .unwrap();
    let c4: Vec<&str> = truth
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("c4_2026"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(c4.len() > 100);
    let ids = dir.join("c4.txt");
    std::fs::write(&ids, c4.join("\n")).unwrap();
    let case = dir.join("demo.case.duckdb");
    let run = cli(&[
        "campaign",
        case.to_str().unwrap(),
        "-q",
        "--analyst",
        "ana",
        "create",
        "--name",
        "C4",
        "--accounts",
        ids.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}", run.stderr);
    case
}

/// Runs Python code with the bundle's path as its argument.
fn python(code: &str, arg: &Path, cwd: &Path) -> std::process::Output {
    std::process::Command::new("python3")
        .args(["-c", code, arg.to_str().unwrap()])
        .current_dir(cwd)
        .output()
        .expect("python3 runs (install stix2-validator and stix2 with pip)")
}

/// The needles of `needles` found anywhere in `text` (fixed-length windows
/// hashed once, so thousands of needles cost one pass).
fn found_in<'a>(text: &str, needles: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let bytes = text.as_bytes();
    let mut windows: std::collections::HashMap<usize, HashSet<&[u8]>> = Default::default();
    needles
        .into_iter()
        .filter(|n| n.len() >= 6)
        .filter(|n| {
            let set = windows
                .entry(n.len())
                .or_insert_with(|| bytes.windows(n.len()).collect());
            set.contains(n.as_bytes())
        })
        .collect()
}

#[test]
fn a_shared_bundle_validates_round_trips_and_holds_no_customer_data() {
    let dir = tempfile::tempdir().unwrap();
    let case = demo_with_campaign(dir.path());
    let out = dir.path().join("c4.stix.json");
    let run = cli(&[
        "share",
        case.to_str().unwrap(),
        "--campaign",
        "c4",
        "--out",
        out.to_str().unwrap(),
        "--tlp",
        "green",
        "--identity",
        "Example Provider",
        "-q",
    ]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("withheld (customer data)"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    let of_type = |t: &str| objects.iter().filter(|o| o["type"] == t).count();
    for t in [
        "identity",
        "campaign",
        "attack-pattern",
        "note",
        "report",
        "marking-definition",
    ] {
        assert_eq!(of_type(t), 1, "one {t}");
    }
    let indicators = of_type("indicator");
    assert!(indicators >= 3, "{indicators} indicators");
    assert!(of_type("relationship") > indicators);
    // Every kind of shared value is there on the demo's C4 (proxy addresses
    // and networks, AS numbers, user agents, template fingerprints).
    for prefix in [
        "[ipv4-addr:value =",
        "[ipv4-addr:value ISSUBSET",
        "[autonomous-system:number",
        "[network-traffic:extensions",
        "[artifact:hashes",
    ] {
        assert!(
            objects
                .iter()
                .any(|o| o["pattern"].as_str().is_some_and(|p| p.starts_with(prefix))),
            "no {prefix} indicator"
        );
    }
    let green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
    for o in objects.iter().filter(|o| o["type"] != "marking-definition") {
        assert_eq!(o["object_marking_refs"], serde_json::json!([green]), "{o}");
    }
    let report = objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(
        report["object_refs"].as_array().unwrap().len(),
        objects.len() - 2,
        "the report refers to every object but the marking and itself"
    );

    // No customer data: account ids, e-mail domains, payment fingerprints,
    // the addresses other customers signed up from, prompts. (The
    // campaign's own sign-up addresses may leave as the proxies they are.)
    let private = common::query_column(
        &case,
        "SELECT v FROM (SELECT account_id AS v FROM accounts
                        UNION ALL SELECT email_domain FROM accounts
                        UNION ALL SELECT payment_fingerprint FROM accounts
                        UNION ALL SELECT signup_ip FROM accounts
                          WHERE account_id NOT IN (SELECT account_id FROM campaign_accounts))
         WHERE v IS NOT NULL",
    );
    assert!(private.len() > 10_000);
    let leaked = found_in(&text, private.iter().map(String::as_str));
    assert!(leaked.is_empty(), "customer data in the bundle: {leaked:?}");
    // Prompts: the first 30 characters of every distinct prompt the
    // campaign sent.
    let prompts = common::query_column(
        &case,
        "SELECT DISTINCT left(prompt, 30) FROM exchanges
         SEMI JOIN campaign_accounts USING (account_id) WHERE prompt IS NOT NULL",
    );
    assert!(prompts.len() > 10, "{}", prompts.len());
    let leaked = found_in(&text, prompts.iter().map(String::as_str));
    assert!(leaked.is_empty(), "prompt text in the bundle: {leaked:?}");

    // The OASIS validator, then a round trip through the stix2 library.
    let check = python(
        "import sys\nfrom stix2validator import validate_file, print_results\n\
         r = validate_file(sys.argv[1])\nprint_results(r)\nsys.exit(0 if r.is_valid else 1)",
        &out,
        dir.path(),
    );
    assert!(
        check.status.success(),
        "stix2-validator: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let round = python(
        "import sys, json, stix2\n\
         b = stix2.parse(open(sys.argv[1]).read(), allow_custom=False)\n\
         again = json.loads(b.serialize())\n\
         assert len(again['objects']) == len(b.objects)\n\
         print(len(b.objects))",
        &out,
        dir.path(),
    );
    assert!(
        round.status.success(),
        "stix2 round trip: {}",
        String::from_utf8_lossy(&round.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&round.stdout).trim(),
        objects.len().to_string()
    );

    // An unknown campaign is refused, naming the ones there are, and no
    // bundle is written.
    let none = dir.path().join("none.json");
    let run = cli(&[
        "share",
        case.to_str().unwrap(),
        "--campaign",
        "C9",
        "--out",
        none.to_str().unwrap(),
        "-q",
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("no campaign called \"C9\"") && run.stderr.contains("C4"),
        "{}",
        run.stderr
    );
    assert!(!none.exists());
}
