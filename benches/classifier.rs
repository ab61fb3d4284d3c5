//! The capability classifier on real public prompts: per-category recall,
//! balanced accuracy (mean per-category recall over the categories the
//! corpus holds), accuracy per language, and the confusion matrix.
//! The corpus is `benches/real_prompts/prompts.jsonl` (built by its
//! `build.py` from public benchmark and red-teaming packages; sources and
//! licences in SOURCES.md), kept apart from the generator's prompts.
//!
//! The corpus is split by a hash of each prompt: the rules were improved
//! looking at the development half only (`CLASSIFIER_SHOW=N` prints N of
//! its misses); the held-out half is reported apart and was never read.
//!
//! `cargo test --release --bench classifier` (`CLASSIFIER_TAXONOMY=FILE`
//! measures another taxonomy file).

use std::collections::BTreeMap;

use distillscope::analysis::taxonomy::Taxonomy;
use distillscope::generate::prompts::agreeing;

#[derive(serde::Deserialize)]
struct Prompt {
    text: String,
    category: String,
    lang: String,
    source: String,
    tool_count: u32,
    has_image: bool,
}

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/real_prompts/prompts.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("the corpus");
    let prompts: Vec<Prompt> = text
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1)))
        .collect();
    // CLASSIFIER_TAXONOMY=FILE measures another taxonomy (an older one, say).
    let tax = match std::env::var("CLASSIFIER_TAXONOMY") {
        Ok(f) => Taxonomy::parse(&std::fs::read_to_string(&f).expect("taxonomy file"))
            .unwrap_or_else(|e| panic!("{f}: {e}")),
        Err(_) => Taxonomy::builtin(),
    };
    let started = std::time::Instant::now();
    let labels: Vec<String> = prompts
        .iter()
        .map(|p| {
            tax.classify_request(&p.text, p.tool_count > 0, p.has_image)
                .category
                .to_owned()
        })
        .collect();
    let per_prompt_us = started.elapsed().as_secs_f64() * 1e6 / prompts.len().max(1) as f64;

    let held_out = |p: &Prompt| xxhash_rust::xxh3::xxh3_64(p.text.as_bytes()) % 2 == 1;
    println!("corpus: {} prompts from {path}", prompts.len());
    println!("classifier: {per_prompt_us:.1} us per prompt");
    for (name, part) in [("development", false), ("held-out", true)] {
        let rows: Vec<(&Prompt, &String)> = prompts
            .iter()
            .zip(&labels)
            .filter(|(p, _)| held_out(p) == part)
            .collect();
        report(name, &rows);
    }
    let all: Vec<(&Prompt, &String)> = prompts.iter().zip(&labels).collect();
    report("whole corpus", &all);
    let show: usize = std::env::var("CLASSIFIER_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for (p, got) in all
        .iter()
        .filter(|(p, got)| !held_out(p) && **got != p.category)
        .take(show)
    {
        println!(
            "  dev miss: {} -> {got}: {:?}",
            p.category,
            p.text.chars().take(160).collect::<String>()
        );
    }
    generator(&tax);
    hand_written(&tax);
}

/// The hand-written prompts of tests/fixtures/classifier_prompts.toml
/// (short, several languages): accuracy of the rules alone and of the
/// taxonomy measured.
fn hand_written(tax: &Taxonomy) {
    #[derive(serde::Deserialize)]
    struct Set {
        p: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        c: String,
        t: String,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/classifier_prompts.toml"
    );
    let set: Set =
        toml::from_str(&std::fs::read_to_string(path).expect("fixtures")).expect("fixtures parse");
    let rules_only = Taxonomy::builtin().rules_only();
    let hits = |t: &Taxonomy| {
        set.p
            .iter()
            .filter(|p| t.classify(&p.t).category == p.c)
            .count()
    };
    println!(
        "== hand-written prompts ({}): rules alone {} right, measured {} right",
        set.p.len(),
        hits(&rules_only),
        hits(tax)
    );
}

/// The generator's own prompts (seed 7, which the model's training did not
/// draw from): hits per voice and category, for the rules alone and for
/// the taxonomy measured.
fn generator(tax: &Taxonomy) {
    let rules_only = Taxonomy::builtin().rules_only();
    let per = 200;
    let sample = distillscope::generate::prompts::labelled_sample(7, per);
    println!("== the generator's prompts (seed 7, {per} per voice and category)");
    println!(
        "{:<40} {:>11} {:>9}",
        "voice / category", "rules alone", "measured"
    );
    let (mut sum_rules, mut sum_now) = (0, 0);
    for pair in sample.chunks(per) {
        let (before, now) = (agreeing(&rules_only, pair), agreeing(tax, pair));
        sum_rules += before;
        sum_now += now;
        let name = format!("{} / {}", pair[0].voice, pair[0].written_as);
        println!("{name:<40} {before:>11} {now:>9}");
    }
    println!(
        "{:<40} {:>11.3} {:>9.3}",
        "accuracy",
        sum_rules as f64 / sample.len() as f64,
        sum_now as f64 / sample.len() as f64
    );
}

/// Recall per category, balanced accuracy, accuracy per language and
/// source, and the confusions of one part of the corpus.
fn report(name: &str, rows: &[(&Prompt, &String)]) {
    let mut per_cat: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_lang: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut confusion: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (p, got) in rows {
        let ok = usize::from(**got == p.category);
        for (map, key) in [
            (&mut per_cat, p.category.as_str()),
            (&mut per_lang, p.lang.as_str()),
        ] {
            let e = map.entry(key).or_default();
            e.0 += ok;
            e.1 += 1;
        }
        // "bfcl live_multiple_12-3-1" -> "bfcl live_multiple"
        let source: String = p
            .source
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
            .split(|c: char| c.is_ascii_digit() || c == '/')
            .next()
            .unwrap_or("")
            .trim_end_matches('_')
            .to_owned();
        let e = per_source.entry(source).or_default();
        e.0 += ok;
        e.1 += 1;
        *confusion
            .entry((p.category.as_str(), got.as_str()))
            .or_default() += 1;
    }
    println!("== {name}: {} prompts", rows.len());
    println!("{:<28} {:>6} {:>8}", "category", "items", "recall");
    let mut recalls = Vec::new();
    for (c, (ok, n)) in &per_cat {
        let r = *ok as f64 / *n as f64;
        recalls.push(r);
        println!("{c:<28} {n:>6} {r:>8.3}");
    }
    println!(
        "balanced accuracy (mean recall over {} categories): {:.3}",
        recalls.len(),
        recalls.iter().sum::<f64>() / recalls.len().max(1) as f64
    );
    println!("{:<28} {:>6} {:>8}", "language", "items", "accuracy");
    for (l, (ok, n)) in &per_lang {
        println!("{l:<28} {n:>6} {:>8.3}", *ok as f64 / *n as f64);
    }
    println!("{:<28} {:>6} {:>8}", "source", "items", "accuracy");
    for (s, (ok, n)) in &per_source {
        println!("{s:<28} {n:>6} {:>8.3}", *ok as f64 / *n as f64);
    }
    println!("confusion (true -> labelled: count):");
    for ((t, g), n) in &confusion {
        if t != g {
            println!("  {t} -> {g}: {n}");
        }
    }
}
