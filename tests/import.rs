//! End to end: each real log format imported through the CLI, awkward
//! real-world cases included, and broken files of each kind refused with a
//! message that names the file, the column and the line.

mod common;

use common::{cli, query_one, scratch, unchanged};

#[test]
fn litellm_jsonl_maps_accounts_forwarded_ips_agents_and_truncated_prompts() {
    let dir = scratch(&["litellm_spend_logs.jsonl"]);
    let log = dir.path().join("litellm_spend_logs.jsonl");
    let case = dir.path().join("l.case.duckdb");
    let run = unchanged(std::slice::from_ref(&log), || {
        cli(&[
            "import",
            "--format",
            "litellm",
            log.to_str().unwrap(),
            "--out",
            case.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(query_one::<i64>(&case, "SELECT count(*) FROM exchanges"), 4);
    // end_user, else user, else team_id.
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT string_agg(account_id, ',' ORDER BY exchange_id) FROM exchanges"
        ),
        "cust-4471,u_ops,t_eval,cust-4471"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT ip FROM exchanges WHERE exchange_id = 'chatcmpl-9f2c'"
        ),
        "203.0.113.45"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT user_agent FROM exchanges WHERE exchange_id = 'chatcmpl-9f2c'"
        ),
        "python-httpx/0.27.0"
    );
    assert_eq!(
        query_one::<i32>(
            &case,
            "SELECT tool_count FROM exchanges WHERE exchange_id = 'chatcmpl-9f2c'"
        ),
        2
    );
    assert!(query_one::<bool>(
        &case,
        "SELECT has_image FROM exchanges WHERE exchange_id = 'chatcmpl-9f2d'"
    ));
    // The offset is honoured: 11:30+02:00 is 09:30 UTC.
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT strftime(ts, '%H:%M') FROM exchanges WHERE exchange_id = 'chatcmpl-9f2f'"
        ),
        "09:30"
    );
    // Older releases kept the prompt in `messages`; model falls back to model_group.
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT model FROM exchanges WHERE exchange_id = 'chatcmpl-9f2f'"
        ),
        "claude-haiku"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT category FROM exchanges_v WHERE exchange_id = 'chatcmpl-9f2f'"
        ),
        "reasoning_cot"
    );
    // A prompt truncated LiteLLM-style still classifies.
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT category FROM exchanges_v WHERE exchange_id = 'chatcmpl-9f2e'"
        ),
        "rubric_grading"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT category FROM exchanges_v WHERE exchange_id = 'chatcmpl-9f2d'"
        ),
        "vision_computer_use"
    );
}

#[test]
fn litellm_csv_export_is_read_too() {
    let dir = scratch(&["litellm_spend_logs.csv"]);
    let log = dir.path().join("litellm_spend_logs.csv");
    let case = dir.path().join("c.case.duckdb");
    let run = unchanged(std::slice::from_ref(&log), || {
        cli(&[
            "import",
            log.to_str().unwrap(),
            "--out",
            case.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT string_agg(account_id, ',' ORDER BY exchange_id) FROM exchanges"
        ),
        "cust-9,u_ops"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT ip FROM exchanges WHERE exchange_id = 'chatcmpl-c1'"
        ),
        "203.0.113.9"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT user_agent FROM exchanges WHERE exchange_id = 'chatcmpl-c1'"
        ),
        "curl/8.5.0"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT category FROM exchanges_v WHERE exchange_id = 'chatcmpl-c1'"
        ),
        "writing"
    );
}

#[test]
fn otel_spans_take_identity_from_parent_spans_and_the_resource() {
    let dir = scratch(&["otel_spans.json"]);
    let log = dir.path().join("otel_spans.json");
    let case = dir.path().join("o.case.duckdb");
    let run = unchanged(std::slice::from_ref(&log), || {
        cli(&[
            "import",
            "--format",
            "otel",
            log.to_str().unwrap(),
            "--out",
            case.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    // Two inference spans; the execute_tool span and the HTTP span are not requests.
    assert_eq!(query_one::<i64>(&case, "SELECT count(*) FROM exchanges"), 2);
    let row = "FROM exchanges WHERE exchange_id = 'msg_01'";
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT account_id {row}")),
        "acct_220"
    );
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT ip {row}")),
        "203.0.113.45"
    );
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT user_agent {row}")),
        "python-httpx/0.27.0"
    );
    assert_eq!(
        query_one::<i64>(&case, &format!("SELECT input_tokens {row}")),
        1840
    );
    assert_eq!(
        query_one::<i64>(&case, &format!("SELECT output_tokens {row}")),
        1280
    );
    assert_eq!(
        query_one::<i32>(&case, &format!("SELECT tool_count {row}")),
        3
    );
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT session_id {row}")),
        "conv_81a"
    );
    assert_eq!(
        query_one::<String>(
            &case,
            &format!("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%g') {row}")
        ),
        "2026-05-03T02:14:07.512"
    );
    let other = "FROM exchanges WHERE exchange_id = 'bbbb0000bbbb0000'";
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT account_id {other}")),
        "acct_221"
    );
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT user_agent {other}")),
        "gateway-resource-ua/1.0"
    );
    assert_eq!(
        query_one::<i64>(&case, &format!("SELECT output_tokens {other}")),
        40
    );
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT prompt {other}")),
        "Write a short poem about the sea."
    );
}

#[test]
fn bedrock_gzipped_logs_with_streaming_bodies() {
    use std::io::Write as _;
    let dir = scratch(&[]);
    let gz = dir.path().join("invocations.jsonl.gz");
    let text = std::fs::read(common::fixtures().join("bedrock_invocations.jsonl")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    let case = dir.path().join("b.case.duckdb");
    let run = unchanged(std::slice::from_ref(&gz), || {
        cli(&[
            "import",
            gz.to_str().unwrap(),
            "--out",
            case.to_str().unwrap(),
            "-q",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(query_one::<i64>(&case, "SELECT count(*) FROM exchanges"), 3);
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT account_id FROM exchanges WHERE exchange_id = '3f6c1a2e-7d1b-4f1e-9a51-0c2d9e8b7a10'"
        ),
        "cust-4471"
    );
    let streaming = "FROM exchanges WHERE exchange_id = '5a7d0000-0000-4000-8000-000000000002'";
    assert_eq!(
        query_one::<String>(&case, &format!("SELECT account_id {streaming}")),
        "arn:aws:sts::111122223333:assumed-role/reseller-app/sess-92"
    );
    assert!(query_one::<bool>(
        &case,
        &format!("SELECT has_image {streaming}")
    ));
    assert_eq!(
        query_one::<i32>(&case, &format!("SELECT tool_count {streaming}")),
        2
    );
    assert_eq!(
        query_one::<i64>(&case, &format!("SELECT output_tokens {streaming}")),
        300
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT category FROM exchanges_v WHERE exchange_id = '5a7d0000-0000-4000-8000-000000000003'"
        ),
        "math"
    );
}

#[test]
fn auto_format_reads_a_mix_and_enriches_ips() {
    let dir = scratch(&[
        "litellm_spend_logs.jsonl",
        "otel_spans.json",
        "bedrock_invocations.jsonl",
    ]);
    let files: Vec<std::path::PathBuf> = [
        "litellm_spend_logs.jsonl",
        "otel_spans.json",
        "bedrock_invocations.jsonl",
    ]
    .iter()
    .map(|f| dir.path().join(f))
    .collect();
    let ipdb = dir.path().join("ip2asn.tsv");
    std::fs::write(&ipdb, "203.0.113.0\t203.0.113.255\t64500\tSG\tEXAMPLE-PROXY-NET\n2001:db8::\t2001:db8::ffff\t64501\tDE\tV6-NET\n").unwrap();
    let case = dir.path().join("mix.case.duckdb");
    let mut args = vec![
        "import",
        "-q",
        "--out",
        case.to_str().unwrap(),
        "--ip-db",
        ipdb.to_str().unwrap(),
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let mut evidence = files.clone();
    evidence.push(ipdb.clone());
    let run = unchanged(&evidence, || cli(&args));
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(query_one::<i64>(&case, "SELECT count(*) FROM exchanges"), 9);
    assert_eq!(
        query_one::<i32>(
            &case,
            "SELECT asn FROM exchanges WHERE exchange_id = 'chatcmpl-9f2c'"
        ),
        64500
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT country FROM exchanges WHERE exchange_id = 'chatcmpl-9f2f'"
        ),
        "DE"
    );
    assert_eq!(
        query_one::<i64>(
            &case,
            "SELECT count(*) FROM exchanges WHERE asn IS NOT NULL"
        ),
        4
    );
}

fn assert_refused(run: &common::Run, needles: &[&str]) {
    assert!(!run.ok, "should fail");
    for n in needles {
        assert!(run.stderr.contains(n), "stderr lacks {n:?}: {}", run.stderr);
    }
}

#[test]
fn broken_files_are_refused_with_file_column_and_line_and_leave_nothing() {
    let dir = scratch(&[
        "broken_litellm.jsonl",
        "bad_timestamp_bedrock.jsonl",
        "not_spans_otel.json",
    ]);
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let case = dir.path().join("x.case.duckdb");
    let out = case.to_str().unwrap();

    let run = cli(&[
        "import",
        "--format",
        "litellm",
        &p("broken_litellm.jsonl"),
        "--out",
        out,
        "-q",
    ]);
    assert_refused(&run, &["broken_litellm.jsonl", "line 3", "invalid JSON"]);

    let run = cli(&[
        "import",
        "--format",
        "bedrock",
        &p("bad_timestamp_bedrock.jsonl"),
        "--out",
        out,
        "-q",
    ]);
    assert_refused(
        &run,
        &[
            "bad_timestamp_bedrock.jsonl",
            "`ts`",
            "line 2",
            "yesterday at noon",
        ],
    );

    let run = cli(&[
        "import",
        "--format",
        "otel",
        &p("not_spans_otel.json"),
        "--out",
        out,
        "-q",
    ]);
    assert_refused(&run, &["not_spans_otel.json", "resourceSpans"]);

    let run = cli(&["import", &p("not_spans_otel.json"), "--out", out, "-q"]);
    assert_refused(&run, &["cannot tell the log format"]);

    // Nothing half-written: no case file, no temporary file.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("case") || n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_large_json_lines_log_streams_in_batches_and_a_late_bad_line_is_named() {
    // More lines than one batch (20,000), built from the fixture's first
    // record with a new request id and time each.
    let fixture =
        std::fs::read_to_string(common::fixtures().join("litellm_spend_logs.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(fixture.lines().next().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |bad_at: Option<usize>| {
        let path = dir.path().join("big.jsonl");
        let mut out = String::new();
        for i in 1..=45_000usize {
            if Some(i) == bad_at {
                out.push_str("{\"request_id\": \"cut off\n");
                continue;
            }
            let mut v = first.clone();
            v["request_id"] = format!("req-{i}").into();
            v["startTime"] =
                format!("2026-05-03T02:{:02}:{:02}.000Z", (i / 60) % 60, i % 60).into();
            out.push_str(&v.to_string());
            out.push('\n');
        }
        std::fs::write(&path, out).unwrap();
        path
    };
    let log = write(Some(44_321));
    let case = dir.path().join("big.case.duckdb");
    let args = [
        "import",
        "-q",
        "--format",
        "litellm",
        log.to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
    ];
    refused_then_imported(&args, &["line 44321", "big.jsonl"], &case, || {
        write(None);
    });
}

/// Runs `args`, which must fail naming every needle and leave no case;
/// then, after `mend`, must import 45,000 exchanges (every batch once).
fn refused_then_imported(
    args: &[&str],
    needles: &[&str],
    case: &std::path::Path,
    mend: impl FnOnce(),
) {
    let run = cli(args);
    assert_refused(&run, needles);
    assert!(!case.exists(), "nothing half-imported");
    mend();
    let run = cli(args);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(
        query_one::<i64>(case, "SELECT count(*) FROM exchanges"),
        45_000,
        "every batch staged once"
    );
}

/// `summary --json` of `path`, parsed.
fn summary_json(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["summary", "-q", "--json", path.to_str().unwrap()];
    args.extend(extra);
    let run = cli(&args);
    assert!(run.ok, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("summary JSON")
}

#[test]
fn every_gateway_log_opens_directly_with_its_format_and_fields_said() {
    let files = [
        (
            "litellm_spend_logs.jsonl",
            "LiteLLM spend log",
            4,
            "startTime",
        ),
        (
            "litellm_spend_logs.csv",
            "LiteLLM spend log",
            2,
            "startTime",
        ),
        (
            "otel_spans.json",
            "OpenTelemetry GenAI spans",
            2,
            "startTimeUnixNano",
        ),
        (
            "bedrock_invocations.jsonl",
            "AWS Bedrock invocation log",
            3,
            "timestamp",
        ),
    ];
    let dir = scratch(&files.map(|f| f.0));
    for (file, format, exchanges, ts_from) in files {
        let log = dir.path().join(file);
        let s = unchanged(std::slice::from_ref(&log), || summary_json(&log, &[]));
        assert_eq!(s["exchanges"], exchanges, "{file}");
        assert!(
            s["format"].as_str().unwrap().starts_with(format),
            "{file}: {}",
            s["format"]
        );
        let ts = s["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["column"] == "ts")
            .unwrap();
        assert_eq!(ts["filled"], exchanges, "{file}");
        assert_eq!(ts["from"], ts_from, "{file}");
        // The text summary says it too, and the case is reused next time.
        let run = cli(&["summary", "-q", log.to_str().unwrap()]);
        assert!(run.ok, "{}", run.stderr);
        assert!(
            run.stdout.contains(&format!("Format    {format}")),
            "{}",
            run.stdout
        );
    }
    // The CSV and the JSON Lines export side by side get a case each.
    assert!(dir.path().join("litellm_spend_logs.case.duckdb").is_file());
    assert!(
        dir.path()
            .join("litellm_spend_logs.csv.case.duckdb")
            .is_file()
    );
}

#[test]
fn a_folder_of_daily_exports_opens_and_a_new_day_is_reported_then_read() {
    let dir = scratch(&["litellm_spend_logs.jsonl", "bedrock_invocations.jsonl"]);
    let folder = dir.path().join("exports");
    let day = folder.join("2026-05");
    std::fs::create_dir_all(&day).unwrap();
    let text = std::fs::read_to_string(dir.path().join("litellm_spend_logs.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(day.join("day-1.jsonl"), lines[..2].join("\n") + "\n").unwrap();
    // The second day gzipped, as exports often are.
    let gz = std::fs::File::create(day.join("day-2.jsonl.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    std::io::Write::write_all(&mut enc, (lines[2..].join("\n") + "\n").as_bytes()).unwrap();
    enc.finish().unwrap();
    std::fs::copy(
        dir.path().join("bedrock_invocations.jsonl"),
        folder.join("bedrock.jsonl"),
    )
    .unwrap();
    std::fs::write(folder.join("notes.csv"), "who,what\nme,export notes\n").unwrap();
    std::fs::write(folder.join("README.md"), "daily exports\n").unwrap();
    let s = summary_json(&folder, &[]);
    assert_eq!(s["exchanges"], 7);
    assert_eq!(
        s["skipped"].as_array().unwrap().len(),
        1,
        "{}",
        s["skipped"]
    );
    assert!(s["skipped"][0].as_str().unwrap().ends_with("notes.csv"));
    let format = s["format"].as_str().unwrap();
    assert!(
        format.contains("LiteLLM") && format.contains("Bedrock") && format.contains("3 files"),
        "{format}"
    );
    // Tomorrow's export arrives: the case says so rather than leave it out.
    let third = lines[0]
        .replace("chatcmpl-9f2c", "chatcmpl-next")
        .replace("2026-05-03T02:14:07", "2026-05-05T02:14:07");
    std::fs::write(day.join("day-3.jsonl"), third + "\n").unwrap();
    let run = cli(&["summary", "-q", folder.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("1 new log file(s)") && run.stderr.contains("day-3.jsonl"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--rebuild"), "{}", run.stderr);
    let s = summary_json(&folder, &["--rebuild"]);
    assert_eq!(s["exchanges"], 8);
}

#[test]
fn a_table_with_other_column_names_says_what_would_open_it_and_remembers_the_map() {
    let dir = scratch(&["mapped_table.csv"]);
    let table = dir.path().join("mapped_table.csv");
    let run = cli(&["summary", "-q", table.to_str().unwrap()]);
    assert_refused(
        &run,
        &[
            "mapped_table.csv",
            "columns found: ts, customer, prompt",
            "missing: account_id",
            "closest known format: the `exchanges` table",
            "--map account_id=customer",
        ],
    );
    assert!(!dir.path().join("mapped_table.case.duckdb").exists());
    // A LiteLLM export with its columns renamed is named as the closest.
    let renamed = dir.path().join("renamed.csv");
    std::fs::write(
        &renamed,
        "request_id,call_type,api_key,spend,start,model,end_user\nr1,acompletion,k,0.1,2026-05-03T02:14:07Z,m,u1\n",
    )
    .unwrap();
    let run = cli(&["summary", "-q", renamed.to_str().unwrap()]);
    assert_refused(&run, &["closest known format: a LiteLLM spend log"]);
    // The suggested mapping opens it, and the case remembers it.
    let s = summary_json(&table, &["--map", "account_id=customer"]);
    assert_eq!(s["exchanges"], 2);
    assert!(
        s["format"]
            .as_str()
            .unwrap()
            .contains("account_id=customer")
    );
    let s = summary_json(&table, &[]);
    assert_eq!(s["exchanges"], 2);
}

#[test]
fn a_large_parquet_export_streams_in_batches_and_a_late_bad_row_is_named() {
    // A LiteLLM export as Parquet with more rows than one batch (20,000).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spend.parquet");
    let write = |bad_at: i64| {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "COPY (SELECT 'req-' || i AS request_id, 'acompletion' AS call_type,
                          CASE WHEN i = {bad_at} THEN 'not a time'
                               ELSE strftime(TIMESTAMP '2026-05-03' + INTERVAL (i) SECOND, '%Y-%m-%dT%H:%M:%SZ') END AS startTime,
                          'u_' || (i % 37) AS \"user\", 'model-x' AS model,
                          '{{\"messages\": [{{\"role\": \"user\", \"content\": \"task ' || (i % 11) || '\"}}]}}' AS proxy_server_request
                   FROM range(1, 45001) r(i)) TO '{}' (FORMAT parquet)",
            log.to_str().unwrap().replace('\'', "''")
        ))
        .unwrap();
    };
    write(44_321);
    let case = dir.path().join("spend.case.duckdb");
    let args = [
        "import",
        "-q",
        log.to_str().unwrap(),
        "--out",
        case.to_str().unwrap(),
    ];
    refused_then_imported(&args, &["44321", "spend.parquet"], &case, || write(-1));
    assert_eq!(
        query_one::<i64>(&case, "SELECT count(DISTINCT account_id) FROM exchanges"),
        37
    );
    assert_eq!(
        query_one::<String>(
            &case,
            "SELECT prompt FROM exchanges WHERE exchange_id = 'req-44321'"
        ),
        "task 2"
    );
}
