//! Detection quality and speed against a generator's ground truth:
//! recall per campaign, precision, false-positive rate per legitimate
//! archetype, adjusted Rand index of the attribution, and the scan's time.
//! The app never reads truth.csv; only this benchmark does.
//!
//! `cargo test --release --bench detection` scans the bundled demo;
//! `DETECT_CASE=… DETECT_TRUTH=… cargo test --release --bench detection`
//! scans another case (a full-scale incident, another seed).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use distillscope::analysis::detect::{self, DetectConfig, attribution::adjusted_rand_index};
use distillscope::pipeline::{self, OpenOptions};
use distillscope::store::progress::Progress;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let case = std::env::var("DETECT_CASE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("sample_data/demo"));
    let truth_path = std::env::var("DETECT_TRUTH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("sample_data/demo/truth.csv"));
    let cfg = match std::env::var("DETECT_CONFIG") {
        Ok(p) => DetectConfig::load(std::path::Path::new(&p)).expect("settings"),
        Err(_) => DetectConfig::default(),
    };
    // A case file is opened as it is (its evidence may have been deleted to
    // make room for the next seed's incident); anything else is imported.
    let opened = if distillscope::store::case::is_case(&case) {
        distillscope::store::case::Case::open(&case, false).expect("open the case file")
    } else {
        pipeline::open(&case, &OpenOptions::default(), &Progress::default()).expect("open the case")
    };
    let started = Instant::now();
    let scan = detect::scan(&opened.conn, &opened.path, &cfg, &Progress::default()).expect("scan");
    let seconds = started.elapsed().as_secs_f64();

    // truth.csv: account_id,label,is_campaign,group
    let text = std::fs::read_to_string(&truth_path).expect("truth.csv");
    let mut truth: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        truth.insert(f[0].to_owned(), (f[1].to_owned(), f[2] == "true"));
    }
    // Per label: accounts (with traffic), flagged.
    let mut per: BTreeMap<String, (usize, usize, bool)> = BTreeMap::new();
    let (mut flagged, mut flagged_true) = (0usize, 0usize);
    let mut ari_truth = Vec::new();
    let mut ari_pred = Vec::new();
    let mut label_ids: BTreeMap<String, u32> = BTreeMap::new();
    for (i, id) in scan.features.accounts.iter().enumerate() {
        let Some((label, is_campaign)) = truth.get(id) else {
            continue;
        };
        let e = per.entry(label.clone()).or_insert((0, 0, *is_campaign));
        e.0 += 1;
        let v = &scan.accounts[i];
        if v.flagged {
            e.1 += 1;
            flagged += 1;
            if *is_campaign {
                flagged_true += 1;
            }
            let n = label_ids.len() as u32;
            let t = if *is_campaign {
                *label_ids.entry(label.clone()).or_insert(n)
            } else {
                u32::MAX
            };
            ari_truth.push(t);
            ari_pred.push(v.campaign.unwrap_or(0));
        }
    }
    println!("case: {}", opened.path.display());
    println!(
        "scan: {seconds:.1} s ({})",
        scan.timings
            .iter()
            .map(|(s, t)| format!("{s} {t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("evidence:");
    for line in scan.availability.lines() {
        println!("  {line}");
    }
    println!(
        "{:<20} {:>8} {:>8} {:>8}",
        "label", "accounts", "flagged", "rate"
    );
    for (label, (n, f, c)) in &per {
        println!(
            "{label:<20} {n:>8} {f:>8} {:>7.4}  {}",
            *f as f64 / (*n).max(1) as f64,
            if *c { "recall" } else { "false-positive rate" }
        );
    }
    println!(
        "precision: {:.4} ({} of {} flagged accounts are campaign accounts)",
        flagged_true as f64 / flagged.max(1) as f64,
        flagged_true,
        flagged
    );
    println!(
        "attribution ARI over flagged accounts (legitimate ones as one extra group): {:.4}; {} campaigns found",
        adjusted_rand_index(&ari_truth, &ari_pred),
        scan.campaigns.len()
    );
    // Why legitimate accounts were flagged (their fired signals) and why
    // campaign accounts were missed, by archetype.
    let mut why: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, id) in scan.features.accounts.iter().enumerate() {
        let v = &scan.accounts[i];
        if let Some((label, false)) = truth.get(id)
            && v.flagged
        {
            let fired = detect::explain::fired_list(&v.values, v.fired)
                .split(';')
                .map(|kv| kv.split('=').next().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
                .join("+");
            let by = if v.by_cluster { "cluster" } else { "account" };
            *why.entry((label.clone(), format!("{by}: {fired}")))
                .or_default() += 1;
        }
    }
    // Campaign accounts missed: how they were judged and their score.
    for (i, id) in scan.features.accounts.iter().enumerate() {
        let v = &scan.accounts[i];
        if let Some((label, true)) = truth.get(id)
            && !v.flagged
        {
            let fams = detect::score::families_of(v.fired, &scan.config).join("+");
            let by = if v.by_cluster { "cluster" } else { "account" };
            *why.entry((
                label.clone(),
                format!("missed, {by}, score {:.1}: {fams}", v.score),
            ))
            .or_default() += 1;
        }
    }
    for ((label, fired), n) in &why {
        println!("  {label} x{n}: {fired}");
    }
    // Accounts judged with a flagged cluster: their own scores, campaign
    // against legitimate (what a floor on own evidence would cost and save).
    let mut own: BTreeMap<(bool, String), usize> = BTreeMap::new();
    for (i, id) in scan.features.accounts.iter().enumerate() {
        let v = &scan.accounts[i];
        if !(v.by_cluster && v.flagged) {
            continue;
        }
        if let Some((_, is_campaign)) = truth.get(id) {
            let (_, s) = detect::score::score(&scan.own[i], &scan.config);
            *own.entry((*is_campaign, format!("{s:.1}"))).or_default() += 1;
        }
    }
    for ((c, s), n) in &own {
        println!(
            "  in a flagged cluster, {} with own score {s}: {n}",
            if *c { "campaign" } else { "legitimate" }
        );
    }
    for c in scan.campaigns.iter().take(12) {
        let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
        for &m in &c.members {
            if let Some((l, _)) = truth.get(&scan.features.accounts[m as usize]) {
                *labels.entry(l.as_str()).or_default() += 1;
            }
        }
        println!(
            "  campaign {:>3}: {:>6} accounts, {:>3} clusters, {:?}",
            c.number,
            c.members.len(),
            c.clusters.len(),
            labels
        );
    }
}
