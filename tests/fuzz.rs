//! Bad input, fuzzed: every reader is fed random mutations of a valid
//! input (truncated, bytes flipped or inserted, lines dropped, duplicated
//! or swapped, structural characters sprinkled in), from a seeded
//! generator so a failure can be replayed. Each must give an error that
//! names the file, never panic, and never leave a case or a partial file
//! behind. `DISTILLSCOPE_FUZZ_CASES` sets how many inputs per reader
//! (default 24 for readers that build a case, 300 for parsers); every test
//! prints how many it tried.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use common::hidden;
use distillscope::analysis::detect::DetectConfig;
use distillscope::analysis::taxonomy::{DEFAULT_TAXONOMY, Taxonomy};
use distillscope::pipeline::{self, OpenOptions};
use distillscope::store::import::LogFormat;
use distillscope::store::ipdb::IpDb;
use distillscope::store::mapping::ColumnMapping;
use distillscope::store::progress::Progress;
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

fn cases(default: usize) -> usize {
    std::env::var("DISTILLSCOPE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One random mutation of `input`.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = rng.random_range(1..4);
    for _ in 0..rounds {
        if out.is_empty() {
            out.push(b'{');
        }
        let at = rng.random_range(0..out.len());
        match rng.random_range(0..7) {
            0 => out.truncate(at),
            1 => {
                for _ in 0..rng.random_range(1..9) {
                    let i = rng.random_range(0..out.len());
                    out[i] ^= 1 << rng.random_range(0..8);
                }
            }
            2 => {
                let junk: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                out.splice(at..at, junk);
            }
            3 => {
                let structural = b"{}[]\",:\n\r\\'0-.eE\x00";
                for _ in 0..rng.random_range(1..6) {
                    let i = rng.random_range(0..out.len());
                    out[i] = structural[rng.random_range(0..structural.len())];
                }
            }
            4 => {
                let end = (at + rng.random_range(1..200)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                // Line surgery: drop, duplicate or swap lines.
                let mut lines: Vec<Vec<u8>> =
                    out.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                if lines.len() > 1 {
                    let i = rng.random_range(0..lines.len());
                    let j = rng.random_range(0..lines.len());
                    match rng.random_range(0..3) {
                        0 => {
                            lines.remove(i);
                        }
                        1 => {
                            let copy = lines[i].clone();
                            lines.insert(j, copy);
                        }
                        _ => lines.swap(i, j),
                    }
                }
                out = lines.join(&b'\n');
            }
        }
    }
    out
}

/// Feeds `n` mutations of `valid` (written as `name`) to `build`, which
/// makes a case at the path it is given. Errors must name the file and
/// leave no case; nothing may panic. Returns (tried, rejected).
fn fuzz_builds(
    seed: u64,
    valid: &[u8],
    name: &str,
    n: usize,
    build: impl Fn(&Path, &Path) -> Result<(), String>,
) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rejected = 0;
    for i in 0..n {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join(name);
        let bytes = mutate(&mut rng, valid);
        std::fs::write(&input, &bytes).unwrap();
        let case = dir.path().join("fuzz.case.duckdb");
        let result = catch_unwind(AssertUnwindSafe(|| build(&input, &case)));
        let result = result.unwrap_or_else(|_| {
            let kept = PathBuf::from(format!("/tmp/fuzz-panic-{seed}-{i}-{name}"));
            let _ = std::fs::write(&kept, &bytes);
            panic!(
                "input {i} of {name} (seed {seed}) panicked; kept as {}",
                kept.display()
            )
        });
        if let Err(text) = result {
            rejected += 1;
            assert!(
                text.contains(name),
                "input {i} of {name} (seed {seed}): the error does not name the file: {text}"
            );
            assert!(!case.exists(), "input {i}: a case was left after {text}");
        }
        assert!(
            hidden(dir.path()).is_empty(),
            "input {i} of {name}: left {:?}",
            hidden(dir.path())
        );
    }
    eprintln!(
        "{name}: {n} mutated inputs tried, {rejected} rejected with the file named, none panicked"
    );
    (n, rejected)
}

fn import(format: LogFormat) -> impl Fn(&Path, &Path) -> Result<(), String> {
    move |input, case| {
        pipeline::import_logs(
            &[input.to_path_buf()],
            format,
            case,
            &OpenOptions::default(),
            &Progress::default(),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    }
}

fn open_source(input: &Path, case: &Path) -> Result<(), String> {
    pipeline::open(
        input,
        &OpenOptions {
            case_path: Some(case.to_path_buf()),
            ..Default::default()
        },
        &Progress::default(),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[test]
fn mutated_litellm_logs_are_rejected_with_the_file_named() {
    let n = cases(24);
    for (seed, file) in [
        (1, "litellm_spend_logs.jsonl"),
        (2, "litellm_spend_logs.csv"),
    ] {
        let valid = std::fs::read(common::fixtures().join(file)).unwrap();
        fuzz_builds(seed, &valid, file, n, import(LogFormat::Litellm));
    }
}

#[test]
fn mutated_otel_spans_are_rejected_with_the_file_named() {
    let valid = std::fs::read(common::fixtures().join("otel_spans.json")).unwrap();
    fuzz_builds(
        3,
        &valid,
        "otel_spans.json",
        cases(24),
        import(LogFormat::Otel),
    );
}

#[test]
fn mutated_bedrock_logs_are_rejected_with_the_file_named() {
    let valid = std::fs::read(common::fixtures().join("bedrock_invocations.jsonl")).unwrap();
    fuzz_builds(
        4,
        &valid,
        "bedrock_invocations.jsonl",
        cases(24),
        import(LogFormat::Bedrock),
    );
}

#[test]
fn mutated_table_sources_are_rejected_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = common::small_incident(dir.path());
    let valid = std::fs::read(&csv).unwrap();
    fuzz_builds(5, &valid, "small.csv", cases(24), open_source);
    // The same rows as JSON Lines and as Parquet, written by DuckDB.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let jsonl = dir.path().join("small.jsonl");
    let parquet = dir.path().join("small.parquet");
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM read_csv('{}')) TO '{}' (FORMAT json);
         COPY (SELECT * FROM read_csv('{}')) TO '{}' (FORMAT parquet);",
        csv.display(),
        jsonl.display(),
        csv.display(),
        parquet.display()
    ))
    .unwrap();
    fuzz_builds(
        6,
        &std::fs::read(&jsonl).unwrap(),
        "small.jsonl",
        cases(24),
        open_source,
    );
    fuzz_builds(
        7,
        &std::fs::read(&parquet).unwrap(),
        "small.parquet",
        cases(24),
        open_source,
    );
}

#[test]
fn mutated_ip_databases_are_rejected_with_the_file_named() {
    let valid = b"1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
10.0.0.0\t10.0.0.255\t64500\tSG\tEXAMPLE-NET\n\
2001:db8::\t2001:db8::ffff\t64501\tDE\tV6-NET\n\
203.0.113.0\t203.0.113.255\t64502\tNL\tHosting Ltd\n";
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let n = cases(300);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let path = dir.path().join(format!("ip2asn-{i}.tsv"));
        std::fs::write(&path, mutate(&mut rng, valid)).unwrap();
        let result = catch_unwind(|| IpDb::load(&path).map(|_| ()).map_err(|e| e.to_string()))
            .unwrap_or_else(|_| panic!("input {i} panicked"));
        if let Err(e) = result {
            assert!(e.contains(&format!("ip2asn-{i}.tsv")), "{e}");
        }
    }
    eprintln!("ip2asn.tsv: {n} mutated inputs tried, none panicked");
}

#[test]
fn mutated_settings_taxonomies_and_mappings_never_panic() {
    let n = cases(300);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let settings = distillscope::analysis::detect::config::DEFAULT_CONFIG.as_bytes();
    let mut rejected = [0usize; 3];
    for i in 0..n {
        let text = String::from_utf8_lossy(&mutate(&mut rng, settings)).into_owned();
        let r = catch_unwind(|| DetectConfig::parse(&text).map(|_| ()))
            .unwrap_or_else(|_| panic!("settings input {i} panicked"));
        rejected[0] += usize::from(r.is_err());
    }
    for i in 0..n {
        let text =
            String::from_utf8_lossy(&mutate(&mut rng, DEFAULT_TAXONOMY.as_bytes())).into_owned();
        let r = catch_unwind(|| Taxonomy::parse(&text).map(|_| ()))
            .unwrap_or_else(|_| panic!("taxonomy input {i} panicked"));
        rejected[1] += usize::from(r.is_err());
    }
    let mapping = b"ts=request_time,account_id=user,prompt=messages,accounts.created_at=signup";
    for i in 0..n {
        let text = String::from_utf8_lossy(&mutate(&mut rng, mapping)).into_owned();
        let r = catch_unwind(|| {
            ColumnMapping::parse(&text)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| panic!("mapping input {i} panicked"));
        rejected[2] += usize::from(r.is_err());
    }
    eprintln!(
        "{n} mutated detection settings ({} rejected), {n} taxonomies ({} rejected), {n} column mappings ({} rejected); none panicked",
        rejected[0], rejected[1], rejected[2]
    );
    // Files on disk are named in their errors.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken-taxonomy.toml");
    std::fs::write(&bad, "[[category]\nid = ").unwrap();
    let err = pipeline::load_taxonomy(&OpenOptions {
        taxonomy: Some(bad),
        ..Default::default()
    })
    .err()
    .expect("rejected");
    assert!(err.to_string().contains("broken-taxonomy.toml"), "{err}");
}
