//! Opening anything the analyst points at: a case file is opened as it is;
//! any other source gets a case file beside it, built once (load, check,
//! derive) and reused while the evidence is unchanged.

use std::path::{Path, PathBuf};

use crate::analysis::{derive, sql, taxonomy::Taxonomy};
use crate::store::case::{self, Case, CaseBuilder, CaseMeta, FieldSource};
use crate::store::error::{StoreError, StoreResult};
use crate::store::fingerprint;
use crate::store::import::{self, LogFormat};
use crate::store::ipdb::IpDb;
use crate::store::load::{self, LoadOptions};
use crate::store::mapping::ColumnMapping;
use crate::store::progress::Progress;
use crate::store::runner::SqlRunner;
use crate::store::source::{FileFormat, Source, SourceKind, TableRef};

/// How to open a source.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Where the case file goes (default: beside the source).
    pub case_path: Option<PathBuf>,
    /// Column mapping for `exchanges` (default: the one the case remembers).
    pub mapping: Option<ColumnMapping>,
    /// IP enrichment database.
    pub ip_db: Option<PathBuf>,
    /// Taxonomy file (default: the shipped one).
    pub taxonomy: Option<PathBuf>,
    /// Rebuild the case even if one exists.
    pub rebuild: bool,
    /// Open the case for the analyst's work (campaigns, tags, notes):
    /// writable where possible.
    pub for_work: bool,
    /// Open a case whose evidence changed since it was made (the analyst
    /// was told); its tables describe the evidence as it was.
    pub accept_changed_evidence: bool,
}

/// The derived columns added to `exchanges` while loading.
pub fn derived_columns() -> Vec<(&'static str, String)> {
    vec![
        ("day", "CAST(ts AS DATE)".to_owned()),
        ("template_id", sql::template_id("prompt")),
    ]
}

fn kind_name(kind: &SourceKind) -> &'static str {
    match kind {
        SourceKind::Case => "case",
        SourceKind::DuckDb => "duckdb",
        SourceKind::Folder => "folder",
        SourceKind::File(FileFormat::Parquet) => "parquet",
        SourceKind::File(FileFormat::Csv) => "csv",
        SourceKind::File(FileFormat::JsonLines) => "jsonl",
        SourceKind::Logs => "logs",
    }
}

/// Opens `path` as a case, building the case file first when needed.
///
/// An existing case is reused while its evidence, format, mapping and IP
/// database are unchanged, and relabelled in place when the taxonomy
/// changed. Otherwise it is rebuilt, and the analyst's work is carried
/// into the new case and checked before the new case replaces the old. A
/// case that cannot be opened is reported (locked: by which program;
/// unreadable: `--rebuild` moves it aside), never built over.
pub fn open(path: &Path, opts: &OpenOptions, progress: &Progress) -> StoreResult<Case> {
    let source = Source::detect(path)?;
    if source.kind == SourceKind::Case {
        let case = Case::open(path, false)?;
        if let Some(reason) = rebuild_reason(&case, opts)? {
            let meta = case.meta.clone();
            drop(case);
            return rebuild_from_record(path, &meta, reason, opts, progress);
        }
        check_evidence(&case, opts, None)?;
        let case = relabel_if_needed(case, opts, progress)?;
        return reopen(case, opts);
    }
    // Beside the evidence, or in the workspace when its folder is read-only.
    let case_path = opts
        .case_path
        .clone()
        .unwrap_or_else(|| case::case_location(path));
    // `logs.csv` and `logs.jsonl` side by side would share a case name: a
    // case made from another source is never taken for this one.
    let case_path = match made_from_other(&case_path, path) {
        Some(other) if opts.case_path.is_some() => {
            return Err(StoreError::NotWhatItSays {
                path: case_path,
                reason: format!(
                    "this case was made from {}, not from {}; choose another --case",
                    other.display(),
                    path.display()
                ),
            });
        }
        Some(_) => case::case_path_keeping_extension(&case_path, path),
        None => case_path,
    };
    let mut previous = None;
    let mut notices = Vec::new();
    // The mapping given once for this source, remembered by its case.
    let mut remembered = ColumnMapping::default();
    if case_path.exists() {
        match Case::open(&case_path, false) {
            Ok(existing) => match rebuild_reason(&existing, opts)? {
                None => {
                    check_evidence(&existing, opts, Some(&source))?;
                    let case = relabel_if_needed(existing, opts, progress)?;
                    return reopen(case, opts);
                }
                Some(reason) => {
                    remembered = existing.meta.mapping.clone();
                    drop(existing);
                    previous = Some(Previous {
                        path: case_path.clone(),
                        reason,
                    });
                }
            },
            Err(StoreError::NotWhatItSays { .. }) => {
                return Err(StoreError::NotWhatItSays {
                    path: case_path,
                    reason: "a file is in the case file's place but is not a distillscope case; move it or choose another place with --case".into(),
                });
            }
            Err(e @ StoreError::CaseLocked { .. }) => return Err(e),
            Err(e) if opts.rebuild => {
                let aside = case::set_aside(&case_path)?;
                notices.push(format!(
                    "the case file could not be read ({e}); it was moved aside to {} with whatever work it held, and a new case was built",
                    aside.display()
                ));
            }
            Err(e) => {
                return Err(StoreError::CaseUnreadable {
                    path: case_path,
                    reason: e.to_string(),
                });
            }
        }
    }
    if source.kind == SourceKind::Logs {
        if opts.mapping.as_ref().is_some_and(|m| !m.is_empty()) {
            return Err(StoreError::BadMapping(format!(
                "{} was recognised as a gateway log, whose fields are mapped by the importer; --map is for tables",
                path.display()
            )));
        }
        let report = import_into(&Logs::of(&source), &case_path, opts, progress, previous)?;
        notices.extend(report.notices);
        return opened_fresh(&case_path, notices, opts);
    }
    let mapping = opts.mapping.clone().unwrap_or(remembered);
    let report = build(
        &source,
        &case_path,
        &mapping,
        opts,
        progress,
        false,
        previous.as_ref(),
    )?;
    notices.extend(report.notices);
    opened_fresh(&case_path, notices, opts)
}

/// The source the case at `case_path` was made from, when it is a readable
/// case made from something other than `source`.
fn made_from_other(case_path: &Path, source: &Path) -> Option<PathBuf> {
    if !case_path.is_file() {
        return None;
    }
    let recorded = Case::open(case_path, false).ok()?.meta.source_path;
    let same = match (recorded.canonicalize(), source.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(source).is_ok_and(|s| s == recorded),
    };
    (!same).then_some(recorded)
}

/// A case just built, opened as asked, with what building it did.
fn opened_fresh(case_path: &Path, notices: Vec<String>, opts: &OpenOptions) -> StoreResult<Case> {
    let mut case = reopen(Case::open(case_path, false)?, opts)?;
    case.notices = notices;
    case.fresh = true;
    Ok(case)
}

/// Rebuilds the case file at `path` (opened by itself) from the evidence it
/// records: real logs are imported again, any other source loaded again;
/// the work is carried over.
fn rebuild_from_record(
    path: &Path,
    meta: &CaseMeta,
    reason: String,
    opts: &OpenOptions,
    progress: &Progress,
) -> StoreResult<Case> {
    let previous = Previous {
        path: path.to_path_buf(),
        reason,
    };
    let imported = is_import(meta);
    let notices = if imported {
        // A folder of logs is listed again (new daily exports join in);
        // files given one by one are read again as they were.
        let source = if meta.source_path.is_dir() {
            Source::detect(&meta.source_path)?
        } else {
            Source {
                path: meta.source_path.clone(),
                kind: SourceKind::Logs,
                files: meta.evidence.iter().map(|f| f.path.clone()).collect(),
                skipped: meta.skipped.clone(),
            }
        };
        import_into(&Logs::of(&source), path, opts, progress, Some(previous))?.notices
    } else {
        let source = Source::detect(&meta.source_path)?;
        let mapping = opts.mapping.clone().unwrap_or_else(|| meta.mapping.clone());
        build(
            &source,
            path,
            &mapping,
            opts,
            progress,
            false,
            Some(&previous),
        )?
        .notices
    };
    opened_fresh(path, notices, opts)
}

/// A case about to be rebuilt: where it is and why.
#[derive(Debug, Clone)]
pub struct Previous {
    /// The case file whose work is carried over.
    pub path: PathBuf,
    /// Why it is rebuilt, in words (for the audit log).
    pub reason: String,
}

/// Why an existing case cannot serve these options, or `None` when it can.
fn rebuild_reason(existing: &Case, opts: &OpenOptions) -> StoreResult<Option<String>> {
    if opts.rebuild {
        return Ok(Some("rebuild asked for".into()));
    }
    if existing.meta.format != case::CASE_FORMAT {
        return Ok(Some(format!(
            "case format {} made by distillscope {} upgraded to format {}",
            existing.meta.format,
            existing.meta.tool_version,
            case::CASE_FORMAT
        )));
    }
    if opts
        .mapping
        .as_ref()
        .is_some_and(|m| *m != existing.meta.mapping)
    {
        return Ok(Some("another column mapping (--map)".into()));
    }
    if let Some(db) = &opts.ip_db {
        let given = fingerprint::fingerprint_files(std::slice::from_ref(db))?.pop();
        let same =
            given.as_ref().map(|g| &g.sha256) == existing.meta.ip_db.as_ref().map(|r| &r.sha256);
        if !same {
            return Ok(Some(format!(
                "IP enrichment from {} (--ip-db)",
                db.display()
            )));
        }
    }
    Ok(None)
}

/// Whether the case was imported from gateway logs (not read as tables).
fn is_import(meta: &CaseMeta) -> bool {
    !meta.source_kind.is_empty()
        && meta
            .source_kind
            .split('+')
            .all(|k| LogFormat::from_name(k).is_some())
}

/// The evidence check, unless the analyst accepted a changed evidence file
/// (a missing one is never accepted). A folder of logs is listed again
/// (`listed`: the source as just detected, so its files are not read
/// twice): a log that arrived since (tomorrow's export) is reported, so
/// the case never silently leaves it out.
fn check_evidence(case: &Case, opts: &OpenOptions, listed: Option<&Source>) -> StoreResult<()> {
    match case.check_evidence() {
        Err(StoreError::EvidenceChanged { .. }) if opts.accept_changed_evidence => return Ok(()),
        other => other?,
    }
    let meta = &case.meta;
    if opts.accept_changed_evidence || !is_import(meta) || !meta.source_path.is_dir() {
        return Ok(());
    }
    let logs = match listed {
        Some(source) if source.kind == SourceKind::Logs => source.files.clone(),
        _ => crate::store::recognise::log_files(&meta.source_path)?.0,
    };
    let known: std::collections::HashSet<PathBuf> = meta
        .evidence
        .iter()
        .map(|f| std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone()))
        .collect();
    let added: Vec<PathBuf> = logs
        .into_iter()
        .filter(|p| !known.contains(&std::path::absolute(p).unwrap_or_else(|_| p.clone())))
        .collect();
    if added.is_empty() {
        Ok(())
    } else {
        Err(StoreError::EvidenceAdded {
            path: meta.source_path.clone(),
            files: added,
        })
    }
}

/// The checked case, opened again for the analyst's work when asked (its
/// analyst tables made). Opening records nothing: a case only looked at
/// keeps its bytes; the first change of a session goes into the chain of
/// custody with that change.
fn reopen(case: Case, opts: &OpenOptions) -> StoreResult<Case> {
    if !opts.for_work {
        return Ok(case);
    }
    let path = case.path.clone();
    let notices = case.notices.clone();
    drop(case);
    let mut case = Case::open_for_work(&path)?;
    if case.read_only.is_none() {
        crate::case::store::ensure_tables(&case.conn, &path)?;
    }
    case.notices = notices;
    Ok(case)
}

/// The taxonomy to label with: the one given, else the case's own file,
/// else the shipped one; with the SHA-256 of its text.
struct TaxonomyChoice {
    taxonomy: Taxonomy,
    sha256: String,
    file: Option<PathBuf>,
}

fn choose_taxonomy(opts: &OpenOptions, meta: Option<&CaseMeta>) -> StoreResult<TaxonomyChoice> {
    // Absolute, so the case finds it again from any working directory.
    let file = opts
        .taxonomy
        .as_ref()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .or_else(|| meta.and_then(|m| m.taxonomy_file.clone()));
    let text = match &file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| StoreError::NotWhatItSays {
            path: p.clone(),
            reason: format!("cannot read the taxonomy ({e})"),
        })?,
        None => crate::analysis::taxonomy::DEFAULT_TAXONOMY.to_owned(),
    };
    let taxonomy = Taxonomy::parse(&text).map_err(|e| StoreError::NotWhatItSays {
        path: file
            .clone()
            .unwrap_or_else(|| "assets/taxonomy.toml".into()),
        reason: e.to_string(),
    })?;
    // The model the taxonomy votes with is part of what labelled the case.
    let mut fingerprinted = text.into_bytes();
    if taxonomy.model.is_some() {
        fingerprinted
            .extend_from_slice(crate::analysis::prompt_model::PromptModel::builtin_bytes());
    }
    Ok(TaxonomyChoice {
        taxonomy,
        sha256: fingerprint::sha256_bytes(&fingerprinted),
        file,
    })
}

/// Labels the case's templates again, in place, when the taxonomy in force
/// differs from the one it was labelled with (a `--taxonomy` given, or a new
/// shipped taxonomy after an upgrade), or an earlier relabelling was cut
/// off. Cases that do not record their taxonomy are relabelled only when a
/// taxonomy is given.
fn relabel_if_needed(case: Case, opts: &OpenOptions, progress: &Progress) -> StoreResult<Case> {
    let recorded = case.meta.taxonomy_sha256.clone();
    if recorded.is_none() && opts.taxonomy.is_none() && !case.meta.relabel_pending {
        return Ok(case);
    }
    let choice = choose_taxonomy(opts, Some(&case.meta))?;
    if recorded.as_deref() == Some(choice.sha256.as_str()) && !case.meta.relabel_pending {
        return Ok(case);
    }
    let path = case.path.clone();
    let mut notices = case.notices.clone();
    drop(case);
    notices.push(relabel(&path, &choice, progress)?);
    let mut case = Case::open(&path, false)?;
    case.notices = notices;
    Ok(case)
}

/// Relabels the case at `path` with `choice`; returns what it did, in words
/// (also written to the audit log and the chain of custody).
fn relabel(path: &Path, choice: &TaxonomyChoice, progress: &Progress) -> StoreResult<String> {
    use crate::store::error::Context as _;
    let case = Case::open(path, true)?;
    let mut meta = case.meta.clone();
    meta.relabel_pending = true;
    case::write_meta(&case.conn, path, &meta)?;
    case.conn
        .execute_batch(
            "CREATE OR REPLACE TEMP TABLE labels_before AS SELECT template_id, category FROM template_labels;",
        )
        .at(path, "relabelling")?;
    let run = SqlRunner::new(&case.conn, path, progress);
    derive::derive_labelled(&run, &choice.taxonomy)?;
    let (templates, changed): (i64, i64) = case
        .conn
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE b.category IS DISTINCT FROM l.category)
             FROM template_labels l LEFT JOIN labels_before b USING (template_id)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .at(path, "relabelling")?;
    let name = choice.file.as_ref().map_or_else(
        || "the shipped taxonomy".to_owned(),
        |p| p.display().to_string(),
    );
    let detail = format!(
        "templates labelled again with {name} (sha256 {}): {templates} templates, {changed} in another category than before",
        choice.sha256
    );
    meta.relabel_pending = false;
    meta.taxonomy_sha256 = Some(choice.sha256.clone());
    meta.taxonomy_file = choice.file.clone();
    case.conn
        .execute_batch("BEGIN TRANSACTION;")
        .at(path, "relabelling")?;
    let recorded = case::write_meta(&case.conn, path, &meta)
        .and_then(|()| {
            crate::case::store::append_audit(
                &case.conn,
                path,
                &crate::case::Change {
                    action: "relabel".into(),
                    campaign_id: None,
                    campaign: None,
                    detail: detail.clone(),
                },
                &crate::case::default_analyst(),
                &crate::case::now(),
            )
        })
        .and_then(|()| crate::case::store::record_custody(&case.conn, path, "relabelled", &detail));
    match recorded {
        Ok(()) => case
            .conn
            .execute_batch("COMMIT; CHECKPOINT;")
            .at(path, "relabelling")?,
        Err(e) => {
            let _ = case.conn.execute_batch("ROLLBACK;");
            return Err(e);
        }
    }
    Ok(detail)
}

/// What a build produced.
pub struct BuildReport {
    /// Where the case file is.
    pub case_path: PathBuf,
    /// Every SQL statement run, when recording.
    pub statements: Vec<String>,
    /// What the analyst should know (the work carried over).
    pub notices: Vec<String>,
}

/// Builds a case file for `source` at `case_path` (all or nothing). With a
/// `previous` case, its analyst work is carried into the new case and
/// checked before the new case takes its place.
pub fn build(
    source: &Source,
    case_path: &Path,
    mapping: &ColumnMapping,
    opts: &OpenOptions,
    progress: &Progress,
    record: bool,
    previous: Option<&Previous>,
) -> StoreResult<BuildReport> {
    let choice = choose_taxonomy(opts, None)?;
    let ip_db = opts.ip_db.as_deref().map(IpDb::load).transpose()?;
    if let Some(p) = previous {
        // Fails at once when another program holds the old case; puts
        // edits a crash left in its write-ahead log into the file.
        case::fold_wal(&p.path)?;
    }
    let builder = CaseBuilder::start(case_path)?;
    let run = if record {
        SqlRunner::recording(builder.conn(), &source.path, progress)
    } else {
        SqlRunner::new(builder.conn(), &source.path, progress)
    };
    // Hash the evidence on another thread while DuckDB reads it.
    let files = source.files.clone();
    let hashing = std::thread::Builder::new()
        .name("evidence-hash".into())
        .spawn(move || fingerprint::fingerprint_files(&files))
        .expect("spawn hashing thread");
    let derived = derived_columns();
    let read_from = load::load_source(
        &run,
        source,
        &LoadOptions {
            mapping,
            ip_db: ip_db.as_ref(),
            derived: &derived,
        },
    )?;
    derive::derive(&run, &choice.taxonomy)?;
    let statements = run.statements();
    if matches!(source.kind, SourceKind::DuckDb) {
        run.exec(
            "cannot detach the evidence",
            &format!("DETACH {};", crate::store::source::EVIDENCE_ALIAS),
        )?;
    }
    let fields = field_sources(builder.conn(), &source.path, &|column| {
        let from = read_from
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, s)| s.clone());
        match (column, from) {
            (_, Some(from)) => enriched(column, from, opts),
            ("exchange_id", None) => "row number (the evidence has no request id)".to_owned(),
            (_, None) => enriched(column, String::new(), opts),
        }
    })?;
    progress.stage("Hashing evidence")?;
    let evidence = hashing.join().expect("hashing thread")?;
    let ip_db_fp = match &opts.ip_db {
        Some(p) => fingerprint::fingerprint_files(std::slice::from_ref(p))?.pop(),
        None => None,
    };
    let meta = CaseMeta {
        format: case::CASE_FORMAT,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_at: case::now_utc(builder.conn()),
        source_path: std::path::absolute(&source.path).unwrap_or_else(|_| source.path.clone()),
        source_kind: kind_name(&source.kind).into(),
        evidence,
        mapping: mapping.clone(),
        ip_db: ip_db_fp,
        taxonomy_sha256: Some(choice.sha256.clone()),
        taxonomy_file: choice.file.clone(),
        relabel_pending: false,
        fields,
        skipped: Vec::new(),
    };
    let notices = finish_case(builder, &meta, previous, progress)?;
    Ok(BuildReport {
        case_path: case_path.to_path_buf(),
        statements,
        notices,
    })
}

/// Carries the previous case's work over (checked row for row), records
/// the build in the audit log and the chain of custody, and swaps the new
/// case into place. Returns what the analyst should know.
fn finish_case(
    builder: CaseBuilder,
    meta: &CaseMeta,
    previous: Option<&Previous>,
    progress: &Progress,
) -> StoreResult<Vec<String>> {
    use crate::case::store as work;
    let mut notices = Vec::new();
    let conn = builder.conn();
    let at = &builder.tmp_path;
    let sources: Vec<String> = meta
        .evidence
        .iter()
        .map(|f| format!("{} (sha256 {})", f.path.display(), f.sha256))
        .collect();
    match previous {
        Some(p) => {
            progress.stage("Carrying the analyst's work over")?;
            let carried = crate::case::carry::carry_over(conn, at, &p.path)?;
            let detail = format!("case rebuilt: {}; {}", p.reason, carried.summary());
            work::append_audit(
                conn,
                at,
                &crate::case::Change {
                    action: "rebuild".into(),
                    campaign_id: None,
                    campaign: None,
                    detail: detail.clone(),
                },
                &crate::case::default_analyst(),
                &crate::case::now(),
            )?;
            work::record_custody(
                conn,
                at,
                "rebuilt",
                &format!("{}; from {}", p.reason, sources.join(", ")),
            )?;
            notices.push(detail);
        }
        None => {
            work::ensure_tables(conn, at)?;
            work::record_custody(conn, at, "built", &format!("from {}", sources.join(", ")))?;
        }
    }
    progress.stage("Writing the case file")?;
    builder.finish(meta)?;
    Ok(notices)
}

/// Loads the taxonomy the options name (the shipped one when none).
pub fn load_taxonomy(opts: &OpenOptions) -> StoreResult<Taxonomy> {
    choose_taxonomy(opts, None).map(|c| c.taxonomy)
}

/// What an import produced.
pub struct ImportReport {
    /// Where the case file is.
    pub case_path: PathBuf,
    /// Exchanges imported.
    pub exchanges: i64,
    /// What the analyst should know (work carried over from a case replaced).
    pub notices: Vec<String>,
}

/// Imports real log files into a new case file (all or nothing); an
/// existing case at `case_path` is replaced with its work carried over.
pub fn import_logs(
    files: &[PathBuf],
    format: LogFormat,
    case_path: &Path,
    opts: &OpenOptions,
    progress: &Progress,
) -> StoreResult<ImportReport> {
    // Importing over an existing case keeps its work.
    let previous = match case_path.exists() {
        true => match Case::open(case_path, false) {
            Ok(_) => Some(Previous {
                path: case_path.to_path_buf(),
                reason: "logs imported again (import --out onto this case)".into(),
            }),
            Err(e @ StoreError::CaseLocked { .. }) => return Err(e),
            Err(e) => {
                return Err(StoreError::NotWhatItSays {
                    path: case_path.to_path_buf(),
                    reason: format!(
                        "a file is in the case's place and cannot be read as a case ({e}); move it or choose another --out"
                    ),
                });
            }
        },
        false => None,
    };
    let first = files.first().cloned().unwrap_or_default();
    let logs = Logs {
        source_path: &first,
        files,
        skipped: &[],
        format,
    };
    import_into(&logs, case_path, opts, progress, previous)
}

/// Log files to import: what the analyst opened, the files, the table
/// files of a log folder left out, and their format (or `Auto`).
struct Logs<'a> {
    source_path: &'a Path,
    files: &'a [PathBuf],
    skipped: &'a [PathBuf],
    format: LogFormat,
}

impl<'a> Logs<'a> {
    /// A source recognised as logs, each file's format decided by its content.
    fn of(source: &'a Source) -> Logs<'a> {
        Logs {
            source_path: &source.path,
            files: &source.files,
            skipped: &source.skipped,
            format: LogFormat::Auto,
        }
    }
}

/// DuckDB's memory limit during an import of logs: parsed batches of log
/// records are held beside DuckDB, and DuckDB's resident memory runs up to
/// 1.2 GB past its limit in the sort and the graph build, so 2.5 GB keeps a
/// 2-million-request import of real-length prompts within 4 GB (measured in
/// BENCHMARKS.md).
const IMPORT_DUCKDB_MEMORY: &str = "SET memory_limit = '2.5GB'";

/// The import itself, carrying `previous`'s work over when given.
fn import_into(
    logs: &Logs<'_>,
    case_path: &Path,
    opts: &OpenOptions,
    progress: &Progress,
    previous: Option<Previous>,
) -> StoreResult<ImportReport> {
    let files = logs.files;
    for f in files {
        if !f.is_file() {
            return Err(StoreError::NotFound { path: f.clone() });
        }
    }
    let choice = choose_taxonomy(opts, None)?;
    let ip_db = opts.ip_db.as_deref().map(IpDb::load).transpose()?;
    if let Some(p) = &previous {
        case::fold_wal(&p.path)?;
    }
    let builder = CaseBuilder::start(case_path)?;
    let first = files.first().cloned().unwrap_or_default();
    let run = SqlRunner::new(builder.conn(), &first, progress);
    run.exec(
        "limiting DuckDB's memory for the import",
        IMPORT_DUCKDB_MEMORY,
    )?;
    let hashed = files.to_vec();
    let hashing = std::thread::Builder::new()
        .name("evidence-hash".into())
        .spawn(move || fingerprint::fingerprint_files(&hashed))
        .expect("spawn hashing thread");
    let formats: Vec<LogFormat> = files
        .iter()
        .map(|f| {
            if logs.format == LogFormat::Auto {
                import::sniff(f)
            } else {
                Ok(logs.format)
            }
        })
        .collect::<StoreResult<_>>()?;
    let staged = import::stage_files(&run, files, logs.format)?;
    let derived = derived_columns();
    let staging = TableRef {
        table: "exchanges",
        relation: "staging".into(),
        file: first.clone(),
        files: files.to_vec(),
    };
    let _ = load::load_tables(
        &run,
        &[staging],
        &LoadOptions {
            mapping: &ColumnMapping::default(),
            ip_db: ip_db.as_ref(),
            derived: &derived,
        },
    )?;
    staged.drop_staging()?;
    derive::derive(&run, &choice.taxonomy)?;
    let exchanges: i64 = builder
        .conn()
        .query_row("SELECT count(*) FROM exchanges", [], |r| r.get(0))
        .map_err(|e| StoreError::DuckDb {
            path: first.clone(),
            context: "counting".into(),
            source: e,
        })?;
    let mut kinds: Vec<LogFormat> = formats.clone();
    kinds.sort_by_key(|f| f.name());
    kinds.dedup();
    let fields = field_sources(builder.conn(), &first, &|column| {
        let from: Vec<String> = kinds
            .iter()
            .filter_map(|k| {
                let f = k.fields().iter().find(|(c, _)| *c == column)?.1;
                Some(if kinds.len() > 1 {
                    format!("{}: {f}", k.name())
                } else {
                    f.to_owned()
                })
            })
            .collect();
        enriched(column, from.join("; "), opts)
    })?;
    progress.stage("Hashing evidence")?;
    let evidence = hashing.join().expect("hashing thread")?;
    let source_path = logs.source_path.to_path_buf();
    let meta = CaseMeta {
        format: case::CASE_FORMAT,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_at: case::now_utc(builder.conn()),
        source_path: std::path::absolute(&source_path).unwrap_or(source_path),
        source_kind: kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("+"),
        evidence,
        mapping: ColumnMapping::default(),
        ip_db: match &opts.ip_db {
            Some(p) => fingerprint::fingerprint_files(std::slice::from_ref(p))?.pop(),
            None => None,
        },
        taxonomy_sha256: Some(choice.sha256.clone()),
        taxonomy_file: choice.file.clone(),
        relabel_pending: false,
        fields,
        skipped: logs
            .skipped
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect(),
    };
    let mut notices = finish_case(builder, &meta, previous.as_ref(), progress)?;
    if !logs.skipped.is_empty() {
        notices.push(skipped_notice(logs.source_path, logs.skipped));
    }
    Ok(ImportReport {
        case_path: case_path.to_path_buf(),
        exchanges,
        notices,
    })
}

/// The files of a log folder that were left out, in words.
pub fn skipped_notice(folder: &Path, skipped: &[PathBuf]) -> String {
    let named: Vec<String> = skipped
        .iter()
        .take(5)
        .map(|p| p.strip_prefix(folder).unwrap_or(p).display().to_string())
        .collect();
    format!(
        "{} file(s) in the folder are not LiteLLM, OpenTelemetry or Bedrock logs and were left out: {}{}",
        skipped.len(),
        named.join(", "),
        if skipped.len() > 5 { ", …" } else { "" }
    )
}

/// `from` for a column, with IP enrichment named for the network columns
/// when an IP database was given.
fn enriched(column: &str, from: String, opts: &OpenOptions) -> String {
    let network = matches!(column, "asn" | "asn_org" | "country");
    match (network, opts.ip_db.as_ref()) {
        (true, Some(db)) if from.is_empty() => format!("IP enrichment ({})", db.display()),
        (true, Some(db)) => format!("{from}, else IP enrichment ({})", db.display()),
        _ => from,
    }
}

/// Where each `exchanges` column of the case being built came from
/// (`from(column)`), with how many rows have a value.
fn field_sources(
    conn: &duckdb::Connection,
    at: &Path,
    from: &dyn Fn(&str) -> String,
) -> StoreResult<Vec<FieldSource>> {
    use crate::store::error::Context as _;
    use crate::store::schema::{EXCHANGES, ident};
    // The log's own category is kept apart from the classifier's.
    let counts = EXCHANGES
        .iter()
        .map(|c| match c.name {
            "category" => "count(log_category)".to_owned(),
            name => format!("count({})", ident(name)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let filled: Vec<i64> = conn
        .query_row(&format!("SELECT {counts} FROM exchanges"), [], |r| {
            (0..EXCHANGES.len()).map(|i| r.get(i)).collect()
        })
        .at(at, "counting the values of each column")?;
    Ok(EXCHANGES
        .iter()
        .zip(filled)
        .map(|(c, filled)| FieldSource {
            column: c.name.to_owned(),
            from: from(c.name),
            filled,
        })
        .collect())
}

/// Labels the case's templates with another taxonomy into the temporary
/// table `labels_override` (the case file is not changed).
pub fn relabel_into_temp(case: &Case, taxonomy: &Taxonomy) -> StoreResult<()> {
    use crate::store::error::Context as _;
    let labels = derive::label_case_templates(
        &case.conn,
        &case.path,
        taxonomy,
        &crate::store::progress::Progress::default(),
    )?;
    case.conn
        .execute_batch(
            &sql::CREATE_TEMPLATE_LABELS
                .replace("TABLE template_labels", "TEMP TABLE labels_override"),
        )
        .at(&case.path, "labelling templates")?;
    derive::write_labels(
        &case.conn,
        &case.path,
        derive::LabelTable::Temp("labels_override"),
        &labels,
    )
}
