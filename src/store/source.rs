//! What a path on disk is, and how DuckDB reads each contract table from it.
//!
//! A source is a DuckDB database, a single Parquet / CSV / JSON Lines file
//! (taken as `exchanges`), or a folder holding `exchanges.*`, `accounts.*`
//! and `events.*`. A case file made by `import` is recognised too.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::error::{Context as _, StoreError, StoreResult};
use super::schema::literal;

/// File formats DuckDB reads for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileFormat {
    /// Apache Parquet.
    Parquet,
    /// Comma- or tab-separated text with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// What kind of thing a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A case file made by distillscope.
    Case,
    /// A DuckDB database holding the contract tables.
    DuckDb,
    /// A folder of table files.
    Folder,
    /// One table file, taken as `exchanges`.
    File(FileFormat),
    /// Gateway or cloud logs (LiteLLM, OTel GenAI, Bedrock): one file, or
    /// a folder of them (daily exports); imported rather than read as tables.
    Logs,
}

/// A contract table located in a source: the SQL that reads it.
#[derive(Debug, Clone)]
pub struct TableRef {
    /// Contract table name.
    pub table: &'static str,
    /// SQL relation (a table function call or a qualified table name).
    pub relation: String,
    /// The file (or parts folder) this table comes from, for messages.
    pub file: PathBuf,
    /// Every file whose bytes make up the table.
    pub files: Vec<PathBuf>,
}

/// An opened-for-reading source: its kind and where each table is.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path the user gave.
    pub path: PathBuf,
    /// What it is.
    pub kind: SourceKind,
    /// The evidence files whose bytes the case records.
    pub files: Vec<PathBuf>,
    /// Table files of a log folder that are not logs: left out, and said so.
    pub skipped: Vec<PathBuf>,
}

/// The name a DuckDB evidence database is attached under (unlikely to clash
/// with the catalog name DuckDB derives from a case file's name).
pub const EVIDENCE_ALIAS: &str = "distillscope_evidence";

const DUCKDB_MAGIC_OFFSET: usize = 8;

/// Reads the first bytes of a file.
fn head(path: &Path, n: usize) -> StoreResult<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut file = std::fs::File::open(path).at(path, "cannot open")?;
    let mut read = 0;
    while read < n {
        let got = file.read(&mut buf[read..]).at(path, "cannot read")?;
        if got == 0 {
            break;
        }
        read += got;
    }
    buf.truncate(read);
    Ok(buf)
}

/// Whether the bytes start like a DuckDB database file.
fn is_duckdb_file(bytes: &[u8]) -> bool {
    bytes.len() >= DUCKDB_MAGIC_OFFSET + 4
        && &bytes[DUCKDB_MAGIC_OFFSET..DUCKDB_MAGIC_OFFSET + 4] == b"DUCK"
}

/// Lower-case file name without a trailing `.gz`, and whether it had one.
fn name_without_gz(path: &Path) -> (String, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_owned(), true),
        None => (name, false),
    }
}

/// The table format a file name announces, if any.
pub fn format_from_name(path: &Path) -> Option<FileFormat> {
    let (name, _) = name_without_gz(path);
    let ext = name.rsplit('.').next()?;
    match ext {
        "parquet" | "pq" => Some(FileFormat::Parquet),
        "csv" | "tsv" => Some(FileFormat::Csv),
        "jsonl" | "ndjson" | "json" => Some(FileFormat::JsonLines),
        _ => None,
    }
}

/// Checks that a file's first bytes fit the format its name announces.
pub fn check_magic(path: &Path, format: FileFormat) -> StoreResult<()> {
    let (_, gz) = name_without_gz(path);
    let bytes = head(path, 64)?;
    if bytes.is_empty() {
        return Err(StoreError::NotWhatItSays {
            path: path.into(),
            reason: "the file is empty".into(),
        });
    }
    if gz {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Ok(());
        }
        return Err(StoreError::NotWhatItSays {
            path: path.into(),
            reason: "named .gz but not gzip-compressed".into(),
        });
    }
    let ok = match format {
        FileFormat::Parquet => bytes.starts_with(b"PAR1"),
        FileFormat::JsonLines => bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            .is_some_and(|b| *b == b'{' || *b == b'['),
        FileFormat::Csv => !bytes.starts_with(b"PAR1") && !bytes.contains(&0),
    };
    if ok {
        Ok(())
    } else {
        let what = match format {
            FileFormat::Parquet => "named as Parquet but has no Parquet header (PAR1)",
            FileFormat::JsonLines => "named as JSON but does not start with a JSON object",
            FileFormat::Csv => "named as CSV but holds binary data",
        };
        Err(StoreError::NotWhatItSays {
            path: path.into(),
            reason: what.into(),
        })
    }
}

/// SQL that reads one table file.
pub fn read_file_sql(path: &Path, format: FileFormat) -> String {
    let p = literal(&path.to_string_lossy());
    match format {
        FileFormat::Parquet => format!("read_parquet({p})"),
        FileFormat::Csv => format!("read_csv({p}, header = true, sample_size = 100000)"),
        // `.json` may be one array of records rather than one per line.
        FileFormat::JsonLines if name_without_gz(path).0.ends_with(".json") => {
            format!("read_json({p}, format = 'auto', sample_size = 100000)")
        }
        FileFormat::JsonLines => {
            format!("read_json({p}, format = 'newline_delimited', sample_size = 100000)")
        }
    }
}

/// Whether a DuckDB file is a case file (it has our metadata table).
fn is_case_file(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".case.duckdb")
}

impl Source {
    /// Finds out what `path` is. Reads a few header bytes; opens nothing.
    pub fn detect(path: &Path) -> StoreResult<Source> {
        let meta = std::fs::metadata(path).map_err(|_| StoreError::NotFound {
            path: path.to_path_buf(),
        })?;
        if meta.is_dir() {
            return match folder_tables(path) {
                Ok(tables) => Ok(Source {
                    path: path.into(),
                    kind: SourceKind::Folder,
                    files: tables.into_iter().flat_map(|t| t.files).collect(),
                    skipped: Vec::new(),
                }),
                Err(no_tables) => log_folder(path, no_tables),
            };
        }
        let bytes = head(path, 16)?;
        if is_duckdb_file(&bytes) {
            let kind = if is_case_file(path) || super::case::is_case(path) {
                SourceKind::Case
            } else {
                SourceKind::DuckDb
            };
            return Ok(Source {
                path: path.into(),
                kind,
                files: vec![path.into()],
                skipped: Vec::new(),
            });
        }
        let Some(format) = format_from_name(path) else {
            return Err(StoreError::NotWhatItSays {
                path: path.into(),
                reason: "not a DuckDB database, and the name does not say Parquet (.parquet), CSV (.csv, .tsv) or JSON Lines (.jsonl, .ndjson, .json)".into(),
            });
        };
        check_magic(path, format)?;
        let kind = match super::recognise::log_format(path)? {
            Some(_) => SourceKind::Logs,
            None => SourceKind::File(format),
        };
        Ok(Source {
            path: path.into(),
            kind,
            files: vec![path.into()],
            skipped: Vec::new(),
        })
    }

    /// The contract tables this source holds. For a DuckDB database the
    /// caller must have attached it as [`EVIDENCE_ALIAS`].
    pub fn tables(&self) -> StoreResult<Vec<TableRef>> {
        match &self.kind {
            SourceKind::Folder => folder_tables(&self.path),
            SourceKind::File(format) => Ok(vec![TableRef {
                table: "exchanges",
                relation: read_file_sql(&self.path, *format),
                file: self.path.clone(),
                files: vec![self.path.clone()],
            }]),
            SourceKind::Logs => Err(StoreError::NotWhatItSays {
                path: self.path.clone(),
                reason: "a gateway log: it is imported, not read as contract tables".into(),
            }),
            SourceKind::DuckDb | SourceKind::Case => Ok(super::schema::TABLES
                .iter()
                .map(|(name, _)| TableRef {
                    table: name,
                    relation: format!("{EVIDENCE_ALIAS}.{name}"),
                    file: self.path.clone(),
                    files: vec![self.path.clone()],
                })
                .collect()),
        }
    }
}

/// A folder without contract tables, taken as a folder of logs when it
/// holds any (searched in sub-folders too); otherwise `no_tables`, the
/// error that says what a table folder needs, with what was found.
fn log_folder(dir: &Path, no_tables: StoreError) -> StoreResult<Source> {
    let (logs, others) = super::recognise::log_files(dir)?;
    if logs.is_empty() {
        return Err(match no_tables {
            StoreError::MissingTable { path, reason } if !others.is_empty() => {
                let named: Vec<String> = others
                    .iter()
                    .take(5)
                    .map(|p| p.strip_prefix(dir).unwrap_or(p).display().to_string())
                    .collect();
                StoreError::MissingTable {
                    path,
                    reason: format!(
                        "{reason}, and no LiteLLM, OpenTelemetry or Bedrock log among its {} table file(s) ({}{})",
                        others.len(),
                        named.join(", "),
                        if others.len() > 5 { ", …" } else { "" }
                    ),
                }
            }
            other => other,
        });
    }
    Ok(Source {
        path: dir.into(),
        kind: SourceKind::Logs,
        files: logs,
        skipped: others,
    })
}

/// The table files of a folder: `exchanges.<ext>` (required), `accounts.<ext>`
/// and `events.<ext>`, each optionally gzipped; or, for a table, a sub-folder
/// of that name holding Parquet parts (`exchanges/part-0000.parquet`, ...).
fn folder_tables(dir: &Path) -> StoreResult<Vec<TableRef>> {
    let entries = std::fs::read_dir(dir).at(dir, "cannot list folder")?;
    let mut found: Vec<TableRef> = Vec::new();
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        if path.is_dir() {
            let dir_name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let Some((table, _)) = super::schema::TABLES.iter().find(|(t, _)| *t == dir_name)
            else {
                continue;
            };
            let mut parts: Vec<PathBuf> = std::fs::read_dir(&path)
                .at(&path, "cannot list folder")?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| format_from_name(p) == Some(FileFormat::Parquet))
                .collect();
            parts.sort();
            if parts.is_empty() {
                continue;
            }
            for part in &parts {
                check_magic(part, FileFormat::Parquet)?;
            }
            if found.iter().any(|t| t.table == *table) {
                return Err(StoreError::MissingTable {
                    path: dir.into(),
                    reason: format!("more than one file for table `{table}`"),
                });
            }
            let glob = path.join("*.parquet");
            found.push(TableRef {
                table,
                relation: format!("read_parquet({})", literal(&glob.to_string_lossy())),
                file: path.clone(),
                files: parts,
            });
            continue;
        }
        let (name, _) = name_without_gz(&path);
        for (table, _) in super::schema::TABLES {
            let is_table = name
                .strip_prefix(table)
                .is_some_and(|rest| rest.starts_with('.'));
            if !is_table {
                continue;
            }
            if found.iter().any(|t| t.table == *table) {
                return Err(StoreError::MissingTable {
                    path: dir.into(),
                    reason: format!("more than one file for table `{table}`"),
                });
            }
            let Some(format) = format_from_name(&path) else {
                continue;
            };
            check_magic(&path, format)?;
            found.push(TableRef {
                table,
                relation: read_file_sql(&path, format),
                file: path.clone(),
                files: vec![path.clone()],
            });
        }
    }
    if !found.iter().any(|t| t.table == "exchanges") {
        return Err(StoreError::MissingTable {
            path: dir.into(),
            reason: "no exchanges file (exchanges.parquet, .csv, .jsonl or .json, optionally .gz)"
                .into(),
        });
    }
    Ok(found)
}
