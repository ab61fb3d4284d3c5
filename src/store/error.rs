//! Errors of the storage layer. Each names what went wrong and where: the
//! file, then the column and row when they are known. The path comes last.

use std::path::PathBuf;

/// What can go wrong while opening, checking, importing or deriving.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The path does not exist.
    #[error("no such file or folder: {}", path.display())]
    NotFound { path: PathBuf },

    /// The file is not what its name (or the requested format) says.
    #[error("{reason}: {}", path.display())]
    NotWhatItSays { path: PathBuf, reason: String },

    /// A required column of the data contract is absent. `hint` says what
    /// was expected, the closest known format and the `--map` that would
    /// open the table (the app's mapping dialog starts from it).
    #[error("table `{table}` has no column {column} (columns found: {}); {}: {}", .diagnosis.found.join(", "), .diagnosis.hint, path.display())]
    MissingColumn {
        path: PathBuf,
        table: String,
        column: String,
        diagnosis: Box<crate::store::recognise::Diagnosis>,
    },

    /// A value could not be converted to its contract type.
    #[error("column `{column}`, {row}: {problem} in {}", path.display())]
    BadValue {
        path: PathBuf,
        column: String,
        /// "row N" for tables, "line N" for text files.
        row: String,
        problem: String,
    },

    /// A table that must hold rows holds none.
    #[error("table `{table}` is empty in {}", path.display())]
    EmptyTable { path: PathBuf, table: String },

    /// A folder or database without the tables the contract needs.
    #[error("{reason} in {}", path.display())]
    MissingTable { path: PathBuf, reason: String },

    /// A `--map` argument that cannot be used.
    #[error("column mapping: {0}")]
    BadMapping(String),

    /// The case file was made from other evidence bytes than those on disk.
    #[error(
        "the evidence has changed since this case was made (case recorded sha256 {recorded}, size {recorded_size}; now sha256 {actual}, size {actual_size}): {}",
        path.display()
    )]
    EvidenceChanged {
        path: PathBuf,
        recorded: String,
        recorded_size: u64,
        actual: String,
        actual_size: u64,
    },

    /// Logs arrived in an evidence folder since the case was made.
    #[error(
        "{} new log file(s) in the evidence folder since this case was made ({}{}); rebuild the case (--rebuild) to read them: {}",
        files.len(),
        files.iter().take(3).map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
        if files.len() > 3 { ", …" } else { "" },
        path.display()
    )]
    EvidenceAdded { path: PathBuf, files: Vec<PathBuf> },

    /// The folder where the case file belongs cannot be written.
    #[error("cannot write the case file beside the evidence ({reason}); choose another place with --case: {}", path.display())]
    CaseNotWritable { path: PathBuf, reason: String },

    /// Another program holds the case file open (DuckDB's lock names it).
    #[error("the case file is open in another program ({holder}); close it there first: {}", path.display())]
    CaseLocked { path: PathBuf, holder: String },

    /// A case file that cannot be read (damaged, or not finished).
    #[error("the case file cannot be read ({reason}); `--rebuild` builds a new one and keeps this one aside, with any campaigns in it: {}", path.display())]
    CaseUnreadable { path: PathBuf, reason: String },

    /// The work was cancelled by the user.
    #[error("cancelled")]
    Cancelled,

    /// DuckDB reported an error while working on a file.
    #[error("{context}: {source} ({})", path.display())]
    DuckDb {
        path: PathBuf,
        context: String,
        #[source]
        source: duckdb::Error,
    },

    /// An operating-system error on a file.
    #[error("{context}: {source}: {}", path.display())]
    Io {
        path: PathBuf,
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result of the storage layer.
pub type StoreResult<T> = Result<T, StoreError>;

/// Adds the file and a short context to DuckDB and I/O errors.
pub trait Context<T> {
    /// Attaches `context` and `path` to the error.
    fn at(self, path: &std::path::Path, context: &str) -> StoreResult<T>;
}

impl<T> Context<T> for Result<T, duckdb::Error> {
    fn at(self, path: &std::path::Path, context: &str) -> StoreResult<T> {
        self.map_err(|source| {
            if is_interrupt(&source) {
                StoreError::Cancelled
            } else {
                StoreError::DuckDb {
                    path: path.to_path_buf(),
                    context: context.to_owned(),
                    source,
                }
            }
        })
    }
}

impl<T> Context<T> for Result<T, std::io::Error> {
    fn at(self, path: &std::path::Path, context: &str) -> StoreResult<T> {
        self.map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            context: context.to_owned(),
            source,
        })
    }
}

impl<T> Context<T> for Result<T, duckdb::arrow::error::ArrowError> {
    fn at(self, path: &std::path::Path, context: &str) -> StoreResult<T> {
        self.map_err(|e| StoreError::NotWhatItSays {
            path: path.to_path_buf(),
            reason: format!("{context}: {e}"),
        })
    }
}

/// The program holding a DuckDB file's lock, when `err` says another
/// process holds it ("Conflicting lock is held in PROGRAM (PID N)").
pub fn lock_holder(err: &duckdb::Error) -> Option<String> {
    let text = err.to_string();
    let (_, rest) = text.split_once("Conflicting lock is held in ")?;
    let holder = rest.split(". See also").next().unwrap_or(rest);
    Some(holder.trim().trim_end_matches('.').to_owned())
}

/// Whether a DuckDB error is the one an interrupt produces.
pub fn is_interrupt(err: &duckdb::Error) -> bool {
    err.to_string().contains("INTERRUPT")
}
