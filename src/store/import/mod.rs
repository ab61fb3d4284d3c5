//! Importers for real LLM gateway and cloud logs (LOG_FORMATS.md): LiteLLM
//! spend logs, OpenTelemetry GenAI spans in OTLP JSON, AWS Bedrock model
//! invocation logs. Each maps its records onto the `exchanges` contract;
//! rows are staged with their file and line, checked, and only then loaded.

pub mod bedrock;
pub mod json;
pub mod litellm;
pub mod otel;

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use super::error::{Context as _, StoreError, StoreResult};
use super::progress::Progress;
use super::runner::SqlRunner;
use super::schema::literal;

/// The log formats we import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// LiteLLM proxy spend logs (LiteLLM_SpendLogs as JSON Lines, CSV or Parquet).
    Litellm,
    /// OpenTelemetry GenAI spans as OTLP JSON (one document or JSON Lines).
    Otel,
    /// AWS Bedrock model-invocation logs (JSON Lines, optionally gzipped).
    Bedrock,
    /// Decide from the content of each file.
    Auto,
}

impl LogFormat {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Litellm => "litellm",
            LogFormat::Otel => "otel",
            LogFormat::Bedrock => "bedrock",
            LogFormat::Auto => "auto",
        }
    }

    /// Where each contract column comes from in this format's records.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            LogFormat::Litellm => litellm::FIELDS,
            LogFormat::Otel => otel::FIELDS,
            LogFormat::Bedrock => bedrock::FIELDS,
            LogFormat::Auto => &[],
        }
    }

    /// The format by its lower-case name.
    pub fn from_name(name: &str) -> Option<LogFormat> {
        [LogFormat::Litellm, LogFormat::Otel, LogFormat::Bedrock]
            .into_iter()
            .find(|f| f.name() == name)
    }

    /// The format in words.
    pub fn title(self) -> &'static str {
        match self {
            LogFormat::Litellm => "LiteLLM spend log",
            LogFormat::Otel => "OpenTelemetry GenAI spans (OTLP JSON)",
            LogFormat::Bedrock => "AWS Bedrock invocation log",
            LogFormat::Auto => "log (format decided per file)",
        }
    }
}

/// One request mapped onto the contract, before type checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeRow {
    /// Unique request id.
    pub exchange_id: Option<String>,
    /// Arrival time as the log wrote it (ISO text or epoch digits).
    pub ts: Option<String>,
    /// Billed account.
    pub account_id: Option<String>,
    /// Key used.
    pub api_key_id: Option<String>,
    /// Organisation.
    pub org_id: Option<String>,
    /// Client address (first of a forwarded list is taken later).
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Model requested.
    pub model: Option<String>,
    /// Prompt tokens.
    pub input_tokens: Option<i64>,
    /// Completion tokens.
    pub output_tokens: Option<i64>,
    /// Last user turn.
    pub prompt: Option<String>,
    /// Tool definitions sent.
    pub tool_count: Option<i64>,
    /// An image was sent.
    pub has_image: Option<bool>,
    /// Session or conversation id.
    pub session_id: Option<String>,
}

/// A mapped row with the line (or row) of its file it came from.
pub type MappedRow = (u64, ExchangeRow);

/// A record read from a file, with where it came from.
pub struct Record {
    /// 1-based line (or row) number.
    pub line: u64,
    /// The record.
    pub value: Value,
}

/// Opens a file, decompressing `.gz`.
pub(crate) fn open_text(path: &Path) -> StoreResult<Box<dyn std::io::Read>> {
    let file = std::fs::File::open(path).at(path, "cannot open")?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// Reads a JSON Lines file (or a single JSON document spanning lines).
pub fn read_json_records(path: &Path) -> StoreResult<Vec<Record>> {
    let mut text = String::new();
    open_text(path)?
        .read_to_string(&mut text)
        .map_err(|e| StoreError::NotWhatItSays {
            path: path.into(),
            reason: format!("not readable UTF-8 text ({e})"),
        })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(StoreError::NotWhatItSays {
            path: path.into(),
            reason: "the file is empty".into(),
        });
    }
    // A single document (OTLP files often are one pretty-printed object).
    if !trimmed
        .lines()
        .next()
        .unwrap_or("")
        .trim_end()
        .ends_with('}')
        || trimmed.starts_with('[')
    {
        let value: Value = serde_json::from_str(trimmed).map_err(|e| StoreError::BadValue {
            path: path.into(),
            column: "(json)".into(),
            row: format!("line {}", e.line()),
            problem: format!("invalid JSON: {e}"),
        })?;
        return Ok(match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, value)| Record {
                    line: i as u64 + 1,
                    value,
                })
                .collect(),
            value => vec![Record { line: 1, value }],
        });
    }
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    lines
        .par_iter()
        .map(|(i, line)| parse_line(path, i + 1, line, None))
        .collect()
}

/// Lines parsed and staged at a time when streaming JSON Lines: memory is
/// bounded by a few batches in flight, whatever the file's size (20,000
/// lines of real-length prompts held a gigabyte across the pipeline).
const BATCH_LINES: usize = 5_000;

/// Rows staged between commits: about one DuckDB row group, so the
/// staged rows are written compressed and leave memory as they come.
const COMMIT_ROWS: usize = 120_000;

/// Counts the bytes read from the file underneath (before any gzip), for
/// progress by bytes.
struct CountingRead {
    inner: std::fs::File,
    read: u64,
    shared: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::io::Read for CountingRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.shared
            .store(self.read, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a JSON Lines file in batches of records and hands each batch to
/// `each`, so memory stays bounded whatever the file's size; progress
/// follows the bytes read. With `keys`, only those members of each record
/// are built. Reading and parsing run on their own thread, one batch ahead
/// of `each` (which maps and stages), so the two overlap. A file that is
/// one JSON document (OTLP exports often are a pretty-printed object, or
/// an array) is read whole and given as one batch. Errors name the file
/// and line.
pub fn for_each_json_batch(
    path: &Path,
    progress: &Progress,
    keys: Option<&[&str]>,
    map: fn(&Value) -> ExchangeRow,
    each: &mut dyn FnMut(&[MappedRow]) -> StoreResult<()>,
) -> StoreResult<()> {
    let head = first_record(path)?;
    let first_line = head.trim_start_matches('\u{feff}').trim_start();
    if first_line.is_empty() {
        return Err(StoreError::NotWhatItSays {
            path: path.into(),
            reason: "the file is empty".into(),
        });
    }
    let one_line = first_line.lines().next().unwrap_or("").trim_end();
    if !one_line.ends_with('}') || first_line.starts_with('[') {
        return each(&map_records(&read_json_records(path)?, map));
    }
    let size = std::fs::metadata(path)
        .at(path, "cannot open")?
        .len()
        .max(1);
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let file = CountingRead {
        inner: std::fs::File::open(path).at(path, "cannot open")?,
        read: 0,
        shared: read.clone(),
    };
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let inner: Box<dyn std::io::Read + Send> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, inner);
    // One mapped batch waits while the one before is staged.
    let (send, batches) = std::sync::mpsc::sync_channel::<StoreResult<Vec<MappedRow>>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut parse = |lines| {
                let parsed = parse_and_map(path, lines, keys, map);
                let failed = parsed.is_err();
                // A closed channel: the stage failed and stopped reading.
                send.send(parsed).is_ok() && !failed
            };
            let _ = read_lines_in_batches(path, reader, &mut parse);
        });
        for batch in batches {
            each(&batch?)?;
            let done = read.load(std::sync::atomic::Ordering::Relaxed);
            progress.set_fraction(done as f32 / size as f32);
            progress.check()?;
        }
        Ok(())
    })
}

/// Reads numbered non-empty lines from `reader` and hands them to `batch`
/// [`BATCH_LINES`] at a time, until the end or until `batch` says stop.
/// An unreadable line ends the reading with its error handed on.
fn read_lines_in_batches(
    path: &Path,
    mut reader: impl std::io::BufRead,
    batch: &mut dyn FnMut(StoreResult<Vec<(usize, String)>>) -> bool,
) -> bool {
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(BATCH_LINES);
    let mut line_no = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                return batch(Err(StoreError::NotWhatItSays {
                    path: path.into(),
                    reason: format!("not readable UTF-8 text at line {} ({e})", line_no + 1),
                }));
            }
        }
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        lines.push((line_no, line));
        if lines.len() == BATCH_LINES && !batch(Ok(std::mem::take(&mut lines))) {
            return false;
        }
    }
    lines.is_empty() || batch(Ok(lines))
}

/// Parses numbered JSON lines (only `keys`' members if given) and maps
/// each record, in parallel.
fn parse_and_map(
    path: &Path,
    lines: StoreResult<Vec<(usize, String)>>,
    keys: Option<&[&str]>,
    map: fn(&Value) -> ExchangeRow,
) -> StoreResult<Vec<MappedRow>> {
    lines?
        .par_iter()
        .map(|(i, line)| parse_line(path, *i, line, keys).map(|r| (r.line, map(&r.value))))
        .collect()
}

/// One JSON line as a record, or the error naming its line.
fn parse_line(
    path: &Path,
    line_no: usize,
    line: &str,
    keys: Option<&[&str]>,
) -> StoreResult<Record> {
    let line = line.trim_start_matches('\u{feff}');
    match keys {
        Some(keys) => json::parse_members(line, keys),
        None => serde_json::from_str(line),
    }
    .map(|value| Record {
        line: line_no as u64,
        value,
    })
    .map_err(|e| StoreError::BadValue {
        path: path.into(),
        column: "(json)".into(),
        row: format!("line {line_no}"),
        problem: format!("invalid JSON: {e}"),
    })
}

/// The text values of a result column (DuckDB hands VARCHAR to Arrow as
/// one of three string layouts).
fn text_column(col: &dyn duckdb::arrow::array::Array) -> Vec<Option<String>> {
    use duckdb::arrow::array::AsArray as _;
    use duckdb::arrow::datatypes::DataType;
    match col.data_type() {
        DataType::Utf8 => col
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect(),
        DataType::LargeUtf8 => col
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect(),
        DataType::Utf8View => col
            .as_string_view()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect(),
        _ => vec![None; col.len()],
    }
}

/// Reads a CSV or Parquet table through DuckDB as one JSON object per row,
/// streamed in batches of [`BATCH_LINES`] rows handed to `each`, so memory
/// stays bounded whatever the table's size. The query runs on a second
/// connection (the caller appends on the first). Progress follows the rows
/// read (of the row count Parquet declares; for CSV the count read so far).
pub fn for_each_table_batch(
    run: &SqlRunner<'_>,
    path: &Path,
    each: &mut dyn FnMut(Vec<Record>) -> StoreResult<()>,
) -> StoreResult<()> {
    let p = literal(&path.to_string_lossy());
    let parquet = super::source::format_from_name(path) == Some(super::source::FileFormat::Parquet);
    let relation = if parquet {
        format!("read_parquet({p})")
    } else {
        format!("read_csv({p}, header = true, all_varchar = true)")
    };
    let reader = run.conn.try_clone().at(path, "cannot read the table")?;
    run.progress.interrupt_on_cancel(&reader);
    let total: Option<i64> = if parquet {
        reader
            .query_row(
                &format!("SELECT sum(num_rows) FROM parquet_file_metadata({p})"),
                [],
                |r| r.get(0),
            )
            .ok()
    } else {
        None
    };
    let mut stmt = reader
        .prepare(&format!(
            "SELECT CAST(to_json(t) AS VARCHAR) FROM {relation} t"
        ))
        .at(path, "cannot read the table")?;
    // Executes as a stream: DuckDB hands over one chunk at a time.
    drop(stmt.stream_arrow([]).at(path, "cannot read the table")?);
    let mut batch: Vec<(u64, String)> = Vec::with_capacity(BATCH_LINES);
    let mut row = 0u64;
    let flush = |batch: &mut Vec<(u64, String)>,
                 each: &mut dyn FnMut(Vec<Record>) -> StoreResult<()>| {
        let records = std::mem::take(batch)
            .into_par_iter()
            .map(|(line, text)| {
                let value: Value =
                    serde_json::from_str(&text).map_err(|e| StoreError::BadValue {
                        path: path.into(),
                        column: "(row)".into(),
                        row: format!("row {line}"),
                        problem: e.to_string(),
                    })?;
                Ok(Record { line, value })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        each(records)
    };
    while let Some(chunk) = stmt.step().at(path, "cannot read the table")? {
        for text in text_column(chunk.column(0).as_ref()) {
            row += 1;
            if let Some(text) = text {
                batch.push((row, text));
            }
        }
        if batch.len() >= BATCH_LINES {
            flush(&mut batch, each)?;
            match total {
                Some(t) if t > 0 => run.progress.set_fraction(row as f32 / t as f32),
                _ => run.progress.stage(&format!(
                    "Reading {}: {row} rows",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ))?,
            }
            run.progress.check()?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, each)?;
    }
    Ok(())
}

/// Reads the first non-empty line (or bytes) of a file, for sniffing.
fn first_record(path: &Path) -> StoreResult<String> {
    let reader = std::io::BufReader::new(open_text(path)?);
    let mut head = String::new();
    for line in reader.lines().take(200) {
        let line = line.map_err(|e| StoreError::NotWhatItSays {
            path: path.into(),
            reason: format!("not readable text ({e})"),
        })?;
        head.push_str(&line);
        if head.len() > 4096 {
            break;
        }
    }
    Ok(head)
}

/// Decides a file's format from its first record (JSON) or its columns
/// (CSV, Parquet).
pub fn sniff(path: &Path) -> StoreResult<LogFormat> {
    super::recognise::log_format(path)?.ok_or_else(|| StoreError::NotWhatItSays {
        path: path.into(),
        reason: "cannot tell the log format (no LiteLLM request_id and startTime, OTLP resourceSpans, or Bedrock modelId and input fields); name it with --format".into(),
    })
}

/// Maps one file's records to rows and hands them to `append` batch by
/// batch: LiteLLM and Bedrock JSON Lines and LiteLLM CSV and Parquet exports
/// stream in bounded memory; OTLP documents (whose spans refer to each
/// other) are read whole.
pub fn map_file(
    run: &SqlRunner<'_>,
    path: &Path,
    format: LogFormat,
    append: &mut dyn FnMut(&[MappedRow]) -> StoreResult<()>,
) -> StoreResult<()> {
    let format = if format == LogFormat::Auto {
        sniff(path)?
    } else {
        format
    };
    let table = super::source::format_from_name(path).filter(|f| {
        matches!(
            f,
            super::source::FileFormat::Parquet | super::source::FileFormat::Csv
        )
    });
    match (format, table) {
        (LogFormat::Litellm, Some(table)) => {
            super::source::check_magic(path, table)?;
            for_each_table_batch(run, path, &mut |records| {
                append(&map_records(&records, litellm::map))
            })
        }
        (LogFormat::Litellm, None) => for_each_json_batch(
            path,
            run.progress,
            Some(litellm::KEYS),
            litellm::map,
            append,
        ),
        (LogFormat::Bedrock, _) => {
            for_each_json_batch(path, run.progress, None, bedrock::map, append)
        }
        (LogFormat::Otel, _) => {
            let records = read_json_records(path)?;
            if !records
                .iter()
                .any(|r| r.value.get("resourceSpans").is_some())
            {
                return Err(StoreError::NotWhatItSays {
                    path: path.into(),
                    reason: "no OTLP resourceSpans found".into(),
                });
            }
            append(&otel::map(&records))
        }
        (LogFormat::Auto, _) => unreachable!("resolved above"),
    }
}

/// Maps records one by one, in parallel, keeping their line numbers.
fn map_records(records: &[Record], map: fn(&Value) -> ExchangeRow) -> Vec<(u64, ExchangeRow)> {
    records
        .par_iter()
        .map(|r| (r.line, map(&r.value)))
        .collect()
}

/// The staging table the importers fill, in a scratch database: a
/// temporary table held the prompts uncompressed, in memory and then
/// spilled (an 11.7 GB export of real-length prompts ran out of 21 GB of
/// disk); here they are written compressed as they arrive.
const CREATE_STAGING: &str = "CREATE TABLE staging_db.staging (
    exchange_id VARCHAR, ts VARCHAR, account_id VARCHAR, api_key_id VARCHAR, org_id VARCHAR,
    ip VARCHAR, user_agent VARCHAR, model VARCHAR, input_tokens BIGINT, output_tokens BIGINT,
    prompt VARCHAR USING COMPRESSION zstd, tool_count INTEGER, has_image BOOLEAN, session_id VARCHAR,
    src_file VARCHAR, src_line BIGINT);
    CREATE TEMP VIEW staging AS SELECT * FROM staging_db.staging;";

/// The staged logs: the view `staging` over a scratch database, detached
/// and deleted by [`Staged::drop_staging`] or when dropped.
pub struct Staged<'a> {
    run: &'a SqlRunner<'a>,
    _dir: tempfile::TempDir,
    /// Rows staged per file.
    pub counts: Vec<usize>,
}

/// Removes the staging view and detaches its database.
const DROP_STAGING: &str = "DROP VIEW IF EXISTS staging; DETACH DATABASE IF EXISTS staging_db;";

impl Staged<'_> {
    /// Drops the staging view and its database, saying if that failed.
    pub fn drop_staging(self) -> StoreResult<()> {
        self.run.exec("dropping the staging table", DROP_STAGING)
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        // Detached before its folder goes, whatever happened (a second
        // time after `drop_staging` changes nothing).
        let _ = self.run.conn.execute_batch(DROP_STAGING);
    }
}

/// Imports log files into the staging table (the view `staging`).
pub fn stage_files<'a>(
    run: &'a SqlRunner<'a>,
    files: &[PathBuf],
    format: LogFormat,
) -> StoreResult<Staged<'a>> {
    let ctx = "cannot create the staging table";
    let dir = run.scratch_dir("staging", ctx)?;
    let db = dir.path().join("staging.duckdb");
    run.exec(
        ctx,
        &format!(
            "ATTACH {} AS staging_db (STORAGE_VERSION 'latest');",
            super::schema::literal(&db.to_string_lossy())
        ),
    )?;
    let mut staged = Staged {
        run,
        _dir: dir,
        counts: Vec::new(),
    };
    run.exec(ctx, CREATE_STAGING)?;
    // Rows go in by transactions of about a row group, the appender flushed
    // after every batch: DuckDB's appender otherwise buffers 204,800 rows
    // outside its memory limit (over a gigabyte of real-length prompts),
    // and one transaction for all kept every staged row in memory.
    run.exec(ctx, "BEGIN TRANSACTION")?;
    match stage_each(run, files, format, &mut staged.counts) {
        Ok(()) => run.exec(ctx, "COMMIT")?,
        Err(e) => {
            // The scratch file goes anyway; the reading's error is the news.
            let _ = run.conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    Ok(staged)
}

/// Stages every file, counting each one's rows into `counts`.
fn stage_each(
    run: &SqlRunner<'_>,
    files: &[PathBuf],
    format: LogFormat,
    counts: &mut Vec<usize>,
) -> StoreResult<()> {
    for (i, path) in files.iter().enumerate() {
        run.progress.stage(&format!(
            "Reading {} (file {} of {})",
            path.display(),
            i + 1,
            files.len()
        ))?;
        let file = path.to_string_lossy().into_owned();
        let mut app = run
            .conn
            .appender_to_catalog_and_db("staging", "staging_db", "main")
            .at(path, "cannot stage rows")?;
        let mut rows_staged = 0usize;
        let mut uncommitted = 0usize;
        map_file(run, path, format, &mut |rows| {
            rows_staged += rows.len();
            append_rows(&mut app, path, &file, rows)?;
            app.flush().at(path, "cannot stage rows")?;
            uncommitted += rows.len();
            if uncommitted >= COMMIT_ROWS {
                run.exec("cannot stage rows", "COMMIT; BEGIN TRANSACTION")?;
                uncommitted = 0;
            }
            Ok(())
        })?;
        app.flush().at(path, "cannot stage rows")?;
        counts.push(rows_staged);
    }
    Ok(())
}

/// Appends mapped rows to the staging table, each with its file and line.
fn append_rows(
    app: &mut duckdb::Appender<'_>,
    path: &Path,
    file: &str,
    rows: &[(u64, ExchangeRow)],
) -> StoreResult<()> {
    for (line, r) in rows {
        app.append_row(duckdb::params![
            r.exchange_id,
            r.ts,
            r.account_id,
            r.api_key_id,
            r.org_id,
            r.ip,
            r.user_agent,
            r.model,
            r.input_tokens,
            r.output_tokens,
            r.prompt,
            r.tool_count,
            r.has_image,
            r.session_id,
            file,
            *line as i64
        ])
        .at(path, "cannot stage rows")?;
    }
    Ok(())
}
