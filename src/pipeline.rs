//! Opening anything the analyst points at: a case file is opened as it is;
//! any other source gets a case file beside it, built once (load, check,
//! derive) and reused while the evidence is unchanged.

use std::path::{Path, PathBuf};

use crate::analysis::{derive, sql, taxonomy::Taxonomy};
use crate::store::case::{self, Case, CaseBuilder, CaseMeta};
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
    }
}

/// Opens `path` as a case, building the case file first when needed.
pub fn open(path: &Path, opts: &OpenOptions, progress: &Progress) -> StoreResult<Case> {
    let source = Source::detect(path)?;
    if source.kind == SourceKind::Case {
        let case = Case::open(path, false)?;
        check_evidence(&case, opts)?;
        return reopen(case, opts);
    }
    let case_path = opts
        .case_path
        .clone()
        .unwrap_or_else(|| case::default_case_path(path));
    if case_path.exists() && !opts.rebuild {
        match Case::open(&case_path, false) {
            Ok(existing) => {
                let same_mapping = opts
                    .mapping
                    .as_ref()
                    .is_none_or(|m| *m == existing.meta.mapping);
                if existing.meta.format == case::CASE_FORMAT && same_mapping && opts.ip_db.is_none()
                {
                    check_evidence(&existing, opts)?;
                    return reopen(existing, opts);
                }
            }
            Err(StoreError::NotWhatItSays { .. }) => {
                return Err(StoreError::NotWhatItSays {
                    path: case_path,
                    reason: "a file is in the case file's place but is not a distillscope case; move it or choose another place with --case".into(),
                });
            }
            Err(_) => {}
        }
    }
    let mapping = match &opts.mapping {
        Some(m) => m.clone(),
        // Remember the mapping given once for this source.
        None => Case::open(&case_path, false)
            .map(|c| c.meta.mapping)
            .unwrap_or_default(),
    };
    build(&source, &case_path, &mapping, opts, progress, false)?;
    let case = Case::open(&case_path, false)?;
    reopen(case, opts)
}

/// The evidence check, unless the analyst accepted a changed evidence file
/// (a missing one is never accepted).
fn check_evidence(case: &Case, opts: &OpenOptions) -> StoreResult<()> {
    match case.check_evidence() {
        Err(StoreError::EvidenceChanged { .. }) if opts.accept_changed_evidence => Ok(()),
        other => other,
    }
}

/// The checked case, opened again for the analyst's work when asked.
fn reopen(case: Case, opts: &OpenOptions) -> StoreResult<Case> {
    if !opts.for_work {
        return Ok(case);
    }
    let path = case.path.clone();
    drop(case);
    Case::open_for_work(&path)
}

/// What a build produced (used by benchmarks).
pub struct BuildReport {
    /// Where the case file is.
    pub case_path: PathBuf,
    /// Every SQL statement run, when recording.
    pub statements: Vec<String>,
}

/// Builds a case file for `source` at `case_path` (all or nothing).
pub fn build(
    source: &Source,
    case_path: &Path,
    mapping: &ColumnMapping,
    opts: &OpenOptions,
    progress: &Progress,
    record: bool,
) -> StoreResult<BuildReport> {
    let taxonomy = load_taxonomy(opts)?;
    let ip_db = opts.ip_db.as_deref().map(IpDb::load).transpose()?;
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
    load::load_source(
        &run,
        source,
        &LoadOptions {
            mapping,
            ip_db: ip_db.as_ref(),
            derived: &derived,
        },
    )?;
    derive::derive(&run, &taxonomy)?;
    let statements = run.statements();
    if matches!(source.kind, SourceKind::DuckDb) {
        run.exec(
            "cannot detach the evidence",
            &format!("DETACH {};", crate::store::source::EVIDENCE_ALIAS),
        )?;
    }
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
    };
    progress.stage("Writing the case file")?;
    let case_path = builder.finish(&meta)?;
    Ok(BuildReport {
        case_path,
        statements,
    })
}

/// Loads the taxonomy the options name.
pub fn load_taxonomy(opts: &OpenOptions) -> StoreResult<Taxonomy> {
    Taxonomy::load(opts.taxonomy.as_deref()).map_err(|e| StoreError::NotWhatItSays {
        path: opts
            .taxonomy
            .clone()
            .unwrap_or_else(|| "assets/taxonomy.toml".into()),
        reason: e.to_string(),
    })
}

/// What an import produced.
pub struct ImportReport {
    /// Where the case file is.
    pub case_path: PathBuf,
    /// Exchanges imported.
    pub exchanges: i64,
}

/// Imports real log files into a new case file (all or nothing).
pub fn import_logs(
    files: &[PathBuf],
    format: LogFormat,
    case_path: &Path,
    opts: &OpenOptions,
    progress: &Progress,
) -> StoreResult<ImportReport> {
    for f in files {
        if !f.is_file() {
            return Err(StoreError::NotFound { path: f.clone() });
        }
    }
    let taxonomy = load_taxonomy(opts)?;
    let ip_db = opts.ip_db.as_deref().map(IpDb::load).transpose()?;
    let builder = CaseBuilder::start(case_path)?;
    let first = files.first().cloned().unwrap_or_default();
    let run = SqlRunner::new(builder.conn(), &first, progress);
    let hashed = files.to_vec();
    let hashing = std::thread::Builder::new()
        .name("evidence-hash".into())
        .spawn(move || fingerprint::fingerprint_files(&hashed))
        .expect("spawn hashing thread");
    let formats: Vec<LogFormat> = files
        .iter()
        .map(|f| {
            if format == LogFormat::Auto {
                import::sniff(f)
            } else {
                Ok(format)
            }
        })
        .collect::<StoreResult<_>>()?;
    import::stage_files(&run, files, format)?;
    let derived = derived_columns();
    let staging = TableRef {
        table: "exchanges",
        relation: "staging".into(),
        file: first.clone(),
        files: files.to_vec(),
    };
    load::load_tables(
        &run,
        &[staging],
        &LoadOptions {
            mapping: &ColumnMapping::default(),
            ip_db: ip_db.as_ref(),
            derived: &derived,
        },
    )?;
    run.exec("dropping the staging table", "DROP TABLE staging;")?;
    derive::derive(&run, &taxonomy)?;
    let exchanges: i64 = builder
        .conn()
        .query_row("SELECT count(*) FROM exchanges", [], |r| r.get(0))
        .map_err(|e| StoreError::DuckDb {
            path: first.clone(),
            context: "counting".into(),
            source: e,
        })?;
    progress.stage("Hashing evidence")?;
    let evidence = hashing.join().expect("hashing thread")?;
    let mut kinds: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    kinds.dedup();
    let meta = CaseMeta {
        format: case::CASE_FORMAT,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_at: case::now_utc(builder.conn()),
        source_path: std::path::absolute(&first).unwrap_or(first),
        source_kind: kinds.join("+"),
        evidence,
        mapping: ColumnMapping::default(),
        ip_db: match &opts.ip_db {
            Some(p) => fingerprint::fingerprint_files(std::slice::from_ref(p))?.pop(),
            None => None,
        },
    };
    progress.stage("Writing the case file")?;
    let case_path = builder.finish(&meta)?;
    Ok(ImportReport {
        case_path,
        exchanges,
    })
}

/// Labels the case's templates with another taxonomy into the temporary
/// table `labels_override` (the case file is not changed).
pub fn relabel_into_temp(case: &Case, taxonomy: &Taxonomy) -> StoreResult<()> {
    use crate::store::error::Context as _;
    let rows = derive::read_templates(&case.conn, &case.path)?;
    let labels = derive::label_templates(taxonomy, &rows);
    case.conn
        .execute_batch(
            &sql::CREATE_TEMPLATE_LABELS
                .replace("TABLE template_labels", "TEMP TABLE labels_override"),
        )
        .at(&case.path, "labelling templates")?;
    derive::write_labels(&case.conn, &case.path, "labels_override", &labels)
}
