//! CSV output done one way everywhere: RFC 4180 quoting and UTF-8 (DuckDB's
//! writer), ISO-8601 UTC times, and text cells a spreadsheet would execute
//! (starting with =, +, -, @, tab or carriage return) neutralised by a
//! leading apostrophe. Files meant for a spreadsheet (the evidence pack's)
//! start with a UTF-8 byte-order mark, without which Excel reads them as
//! Windows-1252 and garbles every non-ASCII character.

use std::path::Path;

use duckdb::Connection;

use super::error::{Context as _, StoreResult};
use crate::store::schema::{ident, literal};

/// The rule applied to text cells, stated in every pack.
pub const FORMULA_RULE: &str = "Text cells that begin with =, +, -, @, a tab or a carriage return are prefixed with an apostrophe (') so spreadsheets show them as text instead of executing them.";

/// The UTF-8 byte-order mark that opens a CSV meant for a spreadsheet.
pub const BOM: &str = "\u{feff}";

/// Whether a CSV starts with [`BOM`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Plain UTF-8, for files read back by tools and scripts.
    Utf8,
    /// UTF-8 after a byte-order mark, for files a reviewer opens in a spreadsheet.
    Utf8Bom,
}

/// SQL making a text expression safe for spreadsheets.
pub fn neutralise(expr: &str) -> String {
    // The same first-character rule as `cell`. Not a CASE expression:
    // DuckDB 1.5.6 interleaves blocks of 4,096 rows of a sorted query when
    // the projection above it holds a CASE (a pack's exchanges.csv was out
    // of order); this keeps the order and costs 9% more on exchanges.csv.
    format!(r"regexp_replace({expr}, '^([=+\-@\t\r])', '''\1')")
}

/// Writes the result of `query` to `path` as CSV, atomically: the file
/// appears complete or not at all. Text columns are neutralised, timestamps
/// written as ISO-8601 UTC.
pub fn write_query(
    conn: &Connection,
    query: &str,
    path: &Path,
    encoding: Encoding,
) -> StoreResult<()> {
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
    // DuckDB writes no byte-order mark: with one, the header goes in its
    // PREFIX (which excludes HEADER) and a SUFFIX ends the last row.
    let (options, header) = match encoding {
        Encoding::Utf8 => ("HEADER true".to_owned(), String::new()),
        Encoding::Utf8Bom => {
            let names: Vec<String> = cols.iter().map(|c| cell(&c.name)).collect();
            let header = format!("{BOM}{}\n", names.join(","));
            let options = format!("HEADER false, PREFIX {}, SUFFIX '\n'", literal(&header));
            (options, header)
        }
    };
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM ({query})) TO {} (FORMAT csv, {options}, QUOTE '\"', ESCAPE '\"');",
        select.join(", "),
        literal(&tmp_path.to_string_lossy())
    ))
    .at(path, "cannot write CSV")?;
    if !header.is_empty() && cols.len() > 1 {
        // No rows: DuckDB still writes the suffix, an empty line after the
        // header (any row of two or more columns holds a comma, so is longer).
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&tmp_path)
            .at(path, "cannot write CSV")?;
        let len = file.metadata().at(path, "cannot write CSV")?.len();
        if len == header.len() as u64 + 1 {
            file.set_len(header.len() as u64)
                .at(path, "cannot write CSV")?;
        }
    }
    // On the disk before it takes its name: a crash never leaves a named,
    // half-written file.
    tmp.as_file()
        .sync_all()
        .at(path, "cannot flush the CSV to disk")?;
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
    tmp.as_file()
        .sync_all()
        .at(path, "cannot flush the output file to disk")?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .at(path, "cannot move the output file into place")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(query: &str, encoding: Encoding) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let conn = Connection::open_in_memory().unwrap();
        // Configured as every connection of ours is.
        crate::store::case::configure(&conn, &path).unwrap();
        write_query(&conn, query, &path, encoding).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    /// A sorted query of many rows comes out in its order (DuckDB's
    /// parallel writer interleaved blocks of a sorted query under a CASE
    /// projection), and every formula start is neutralised as `cell` does.
    #[test]
    fn a_sorted_query_is_written_in_its_order_with_every_formula_neutralised() {
        let starts = ["=", "+", "-", "@", "\t", "\r", "x"];
        let query =
            "SELECT i, ['=', '+', '-', '@', chr(9), chr(13), 'x'][i % 7 + 1] || 'v' || i AS text
                     FROM range(300000) r(i) ORDER BY i DESC";
        let out = written(query, Encoding::Utf8);
        let mut expected = 300_000i64;
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("i,text"));
        for line in lines {
            expected -= 1;
            let (i, text) = line.split_once(',').unwrap();
            assert_eq!(i.parse::<i64>().unwrap(), expected, "out of order");
            let start = starts[(expected % 7) as usize];
            assert_eq!(text, cell(&format!("{start}v{expected}")), "row {expected}");
        }
        assert_eq!(expected, 0);
    }

    #[test]
    fn a_spreadsheet_csv_starts_with_a_byte_order_mark_and_ends_its_last_row_once() {
        let rows =
            "SELECT * FROM (VALUES (1, 'x · y'), (2, 'a,b'), (3, '=1+1')) t(n, text) ORDER BY n";
        assert_eq!(
            written(rows, Encoding::Utf8Bom),
            "\u{feff}n,text\n1,x · y\n2,\"a,b\"\n3,'=1+1\n"
        );
        assert_eq!(
            written(rows, Encoding::Utf8),
            "n,text\n1,x · y\n2,\"a,b\"\n3,'=1+1\n"
        );
        let none = "SELECT 1 AS n, 'x' AS text WHERE false";
        assert_eq!(written(none, Encoding::Utf8Bom), "\u{feff}n,text\n");
        assert_eq!(written(none, Encoding::Utf8), "n,text\n");
    }
}
