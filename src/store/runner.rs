//! Runs the SQL of a job: checks for cancellation between statements, adds
//! the file to errors, and can record every statement so a benchmark can
//! replay the same SQL on a bare DuckDB connection.

use std::path::Path;
use std::sync::Mutex;

use duckdb::Connection;

use super::error::{Context as _, StoreResult};
use super::progress::Progress;

/// SQL execution for one job on one connection.
pub struct SqlRunner<'a> {
    /// The connection the job owns.
    pub conn: &'a Connection,
    /// The file named in error messages.
    pub file: &'a Path,
    /// Progress and cancellation.
    pub progress: &'a Progress,
    record: Option<Mutex<Vec<String>>>,
}

impl<'a> SqlRunner<'a> {
    /// A runner that does not record.
    pub fn new(conn: &'a Connection, file: &'a Path, progress: &'a Progress) -> Self {
        progress.interrupt_on_cancel(conn);
        SqlRunner {
            conn,
            file,
            progress,
            record: None,
        }
    }

    /// A runner that keeps every statement it runs.
    pub fn recording(conn: &'a Connection, file: &'a Path, progress: &'a Progress) -> Self {
        SqlRunner {
            record: Some(Mutex::new(Vec::new())),
            ..Self::new(conn, file, progress)
        }
    }

    /// Runs statements that return nothing.
    pub fn exec(&self, context: &str, sql: &str) -> StoreResult<()> {
        self.progress.check()?;
        if let Some(record) = &self.record {
            record
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(sql.to_owned());
        }
        self.conn.execute_batch(sql).at(self.file, context)
    }

    /// The statements run so far (empty unless recording).
    pub fn statements(&self) -> Vec<String> {
        self.record
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }
}

/// Creates (or replaces) a temporary table with `columns` (SQL column
/// definitions) and appends `rows` to it: how Rust-side answers (a
/// classification, a lookup) join the log in SQL.
pub fn temp_table<P: duckdb::AppenderParams>(
    conn: &Connection,
    file: &Path,
    context: &str,
    name: &str,
    columns: &str,
    rows: impl IntoIterator<Item = P>,
) -> StoreResult<()> {
    conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE {name} ({columns});"))
        .at(file, context)?;
    let mut app = conn
        .appender_to_catalog_and_db(name, "temp", "main")
        .at(file, context)?;
    for row in rows {
        app.append_row(row).at(file, context)?;
    }
    app.flush().at(file, context)
}
