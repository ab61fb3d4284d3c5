//! CSV output done one way everywhere: RFC 4180 quoting and UTF-8 (DuckDB's
//! writer), ISO-8601 UTC times, and text cells a spreadsheet would execute
//! (starting with =, +, -, @, tab or carriage return) neutralised by a
//! leading apostrophe.

use std::path::Path;

use duckdb::Connection;

use crate::store::error::{Context as _, StoreResult};
use crate::store::schema::{ident, literal};

/// The rule applied to text cells, stated in every pack.
pub const FORMULA_RULE: &str = "Text cells that begin with =, +, -, @, a tab or a carriage return are prefixed with an apostrophe (') so spreadsheets show them as text instead of executing them.";

/// SQL making a text expression safe for spreadsheets.
pub fn neutralise(expr: &str) -> String {
    // The same first-character rule as `cell`.
    format!(
        "CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || {expr} ELSE {expr} END"
    )
}

/// Writes the result of `query` to `path` as CSV, atomically: the file
/// appears complete or not at all. Text columns are neutralised, timestamps
/// written as ISO-8601 UTC.
pub fn write_query(conn: &Connection, query: &str, path: &Path) -> StoreResult<()> {
    let cols = crate::store::normalize::describe(conn, &format!("({query})"), path)?;
    let select: Vec<String> = cols
        .iter()
        .map(|c| {
            let q = ident(&c.name);
            if c.sql_type == "VARCHAR" {
                format!("{} AS {q}", neutralise(&q))
            } else if c.sql_type.starts_with("TIMESTAMP") {
                format!("strftime(CAST({q} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ') AS {q}")
            } else {
                q
            }
        })
        .collect();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".distillscope-")
        .suffix(".csv.partial")
        .tempfile_in(dir)
        .at(path, "cannot create the output file")?;
    let tmp_path = tmp.path().to_path_buf();
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM ({query})) TO {} (FORMAT csv, HEADER true, QUOTE '\"', ESCAPE '\"');",
        select.join(", "),
        literal(&tmp_path.to_string_lossy())
    ))
    .at(path, "cannot write CSV")?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .at(path, "cannot move the CSV into place")?;
    Ok(())
}

/// One CSV cell written from Rust: the same neutralisation as
/// [`neutralise`], then RFC 4180 quoting when needed.
pub fn cell(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, renamed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> StoreResult<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".distillscope-")
        .suffix(".partial")
        .tempfile_in(dir)
        .at(path, "cannot create the output file")?;
    tmp.write_all(bytes)
        .at(path, "cannot write the output file")?;
    // Temporary files are private (0600); what we export is meant to be read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .at(path, "cannot move the output file into place")?;
    Ok(())
}
