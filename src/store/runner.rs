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

    /// Creates (or replaces) `table` from the query `select`, storing the
    /// `zstd` columns compressed with ZSTD. Long free text (prompts) takes
    /// several times less room that way than with DuckDB's automatic choice
    /// (dictionary and FSST), which is what kept a case near ten times the
    /// size of its evidence; it is read whole only when deriving.
    pub fn create_table_compressed(
        &self,
        context: &str,
        table: &str,
        select: &str,
        zstd: &[&str],
    ) -> StoreResult<()> {
        self.create_empty_compressed(context, table, select, zstd)?;
        self.exec(context, &format!("INSERT INTO {table} {select};"))
    }

    /// A scratch folder in DuckDB's temporary folder for the case
    /// (NAME.tmp beside it, swept with the partial case if a build is
    /// killed), removed when the returned guard is dropped: the build
    /// succeeded, failed or was cancelled alike.
    pub fn scratch_dir(&self, prefix: &str, context: &str) -> StoreResult<tempfile::TempDir> {
        let temp: String = self
            .conn
            .query_row(
                "SELECT coalesce(nullif(current_setting('temp_directory'), ''),
                                 (SELECT path FROM duckdb_databases() WHERE database_name = current_database()) || '.tmp')",
                [],
                |r| r.get(0),
            )
            .at(self.file, context)?;
        std::fs::create_dir_all(&temp).at(Path::new(&temp), context)?;
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(&temp)
            .at(Path::new(&temp), context)
    }

    /// Creates (or replaces) `table`, empty, with the columns of the query
    /// `select`, the `zstd` ones compressed with ZSTD (see
    /// [`SqlRunner::create_table_compressed`]).
    pub fn create_empty_compressed(
        &self,
        context: &str,
        table: &str,
        select: &str,
        zstd: &[&str],
    ) -> StoreResult<()> {
        self.progress.check()?;
        let columns = super::normalize::describe(self.conn, &format!("({select})"), self.file)?;
        let defs: Vec<String> = columns
            .iter()
            .map(|c| {
                let name = super::schema::ident(&c.name);
                if zstd.contains(&c.name.as_str()) {
                    format!("{name} {} USING COMPRESSION zstd", c.sql_type)
                } else {
                    format!("{name} {}", c.sql_type)
                }
            })
            .collect();
        self.exec(
            context,
            &format!("CREATE OR REPLACE TABLE {table} ({});", defs.join(", ")),
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_stored_zstd_compressed_in_a_new_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.duckdb");
        let conn = crate::store::case::new_database(&path).unwrap();
        let progress = Progress::default();
        let run = SqlRunner::new(&conn, &path, &progress);
        run.create_table_compressed(
            "test",
            "t",
            "SELECT i AS id, 'Refactor the function number ' || i || ' so that it ' || md5(i::VARCHAR) AS prompt
             FROM range(200000) r(i)",
            &["prompt"],
        )
        .unwrap();
        conn.execute_batch("CHECKPOINT;").unwrap();
        let methods: Vec<String> = conn
            .prepare(
                "SELECT DISTINCT compression FROM pragma_storage_info('t') WHERE column_name = 'prompt'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(methods.iter().any(|m| m == "ZSTD"), "{methods:?}");
        assert!(!methods.iter().any(|m| m == "Uncompressed"), "{methods:?}");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 200_000);
    }
}
