//! Turns any table with the contract's columns (under their own names or
//! mapped ones, in any of the accepted types) into the contract's types.
//! Values that do not convert are reported by file, column and row before
//! anything is written.

use std::path::Path;

use duckdb::Connection;

use super::error::{Context as _, StoreError, StoreResult};
use super::mapping::ColumnMapping;
use super::schema::{Column, ident};

/// A column of a source relation: name and DuckDB type.
#[derive(Debug, Clone)]
pub struct SourceColumn {
    /// Name as the source spells it.
    pub name: String,
    /// DuckDB type name.
    pub sql_type: String,
}

/// Lists the columns of an SQL relation.
pub fn describe(conn: &Connection, relation: &str, file: &Path) -> StoreResult<Vec<SourceColumn>> {
    let mut stmt = conn
        .prepare(&format!("DESCRIBE SELECT * FROM {relation}"))
        .at(file, "cannot read the table's columns")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SourceColumn {
                name: r.get(0)?,
                sql_type: r.get(1)?,
            })
        })
        .at(file, "cannot read the table's columns")?;
    rows.collect::<Result<Vec<_>, _>>()
        .at(file, "cannot read the table's columns")
}

fn is_integer(t: &str) -> bool {
    matches!(
        t,
        "TINYINT"
            | "SMALLINT"
            | "INTEGER"
            | "BIGINT"
            | "HUGEINT"
            | "UTINYINT"
            | "USMALLINT"
            | "UINTEGER"
            | "UBIGINT"
            | "UHUGEINT"
    )
}

fn is_number(t: &str) -> bool {
    is_integer(t) || t == "FLOAT" || t == "DOUBLE" || t.starts_with("DECIMAL")
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds to TIMESTAMP,
/// told apart by magnitude (anything after 1973 in seconds is below 1e11).
fn epoch_to_timestamp(v: &str) -> String {
    format!(
        "CASE WHEN abs({v}) >= 1e17 THEN make_timestamp(CAST({v} / 1000 AS BIGINT))
              WHEN abs({v}) >= 1e14 THEN make_timestamp(CAST({v} AS BIGINT))
              WHEN abs({v}) >= 1e11 THEN make_timestamp(CAST({v} * 1000 AS BIGINT))
              ELSE make_timestamp(CAST({v} * 1000000 AS BIGINT)) END"
    )
}

/// SQL converting source expression `x` of type `src` to the contract type.
/// Returns the expression and whether a non-null input can become null
/// (a failed conversion that must be reported).
fn convert(x: &str, src: &str, target: &str) -> (String, bool) {
    let src = src.to_uppercase();
    match target {
        "TIMESTAMP" => {
            if src.starts_with("TIMESTAMP") || src == "DATE" {
                (format!("CAST({x} AS TIMESTAMP)"), false)
            } else if is_integer(&src) {
                (epoch_to_timestamp(x), false)
            } else if is_number(&src) {
                (epoch_to_timestamp(&format!("CAST({x} AS DOUBLE)")), false)
            } else {
                let t = format!("trim(CAST({x} AS VARCHAR))");
                let num = format!("TRY_CAST({t} AS DOUBLE)");
                (
                    format!(
                        "CASE WHEN regexp_full_match({t}, '-?[0-9]+(\\.[0-9]+)?') THEN {}
                              ELSE TRY_CAST(TRY_CAST({t} AS TIMESTAMPTZ) AS TIMESTAMP) END",
                        epoch_to_timestamp(&num)
                    ),
                    true,
                )
            }
        }
        "VARCHAR" => {
            if src == "VARCHAR" {
                (format!("NULLIF({x}, '')"), false)
            } else {
                (format!("CAST({x} AS VARCHAR)"), false)
            }
        }
        "BOOLEAN" => {
            if src == "BOOLEAN" {
                (x.to_owned(), false)
            } else if is_number(&src) {
                (format!("({x} <> 0)"), false)
            } else {
                (
                    format!("TRY_CAST(NULLIF(trim(CAST({x} AS VARCHAR)), '') AS BOOLEAN)"),
                    true,
                )
            }
        }
        _ => {
            if src == target {
                (x.to_owned(), false)
            } else if src == "VARCHAR" {
                (format!("TRY_CAST(NULLIF(trim({x}), '') AS {target})"), true)
            } else {
                (format!("TRY_CAST({x} AS {target})"), true)
            }
        }
    }
}

/// One contract column resolved against a source.
#[derive(Debug, Clone)]
pub struct ResolvedColumn {
    /// The contract column.
    pub column: Column,
    /// Source column feeding it, if any.
    pub source: Option<SourceColumn>,
    /// SQL producing the contract value (NULL when absent).
    pub expr: String,
    /// Whether conversion failures must be checked.
    pub checked: bool,
}

/// Resolves contract `columns` against a source's columns with a mapping.
pub fn resolve(
    table: &str,
    columns: &[Column],
    source_columns: &[SourceColumn],
    mapping: &ColumnMapping,
    file: &Path,
) -> StoreResult<Vec<ResolvedColumn>> {
    let found: Vec<String> = source_columns.iter().map(|c| c.name.clone()).collect();
    let mut out = Vec::new();
    for col in columns {
        let wanted = mapping.source_in(table, col.name);
        let explicit = wanted != col.name;
        let source = source_columns
            .iter()
            .find(|c| c.name == wanted)
            .or_else(|| {
                source_columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(wanted))
            })
            .cloned();
        match source {
            Some(src) => {
                let (expr, checked) = convert(&ident(&src.name), &src.sql_type, col.sql_type);
                out.push(ResolvedColumn {
                    column: *col,
                    source: Some(src),
                    expr,
                    checked,
                });
            }
            None if col.required || explicit => {
                let column = if explicit {
                    format!("`{wanted}` (mapped to `{}`)", col.name)
                } else {
                    format!("`{}`, which is required", col.name)
                };
                return Err(StoreError::MissingColumn {
                    path: file.into(),
                    table: table.into(),
                    column,
                    diagnosis: Box::new(super::recognise::diagnose(table, &found, mapping)),
                });
            }
            None => out.push(ResolvedColumn {
                column: *col,
                source: None,
                expr: format!("CAST(NULL AS {})", col.sql_type),
                checked: false,
            }),
        }
    }
    Ok(out)
}

/// Checks every row of `relation`: required columns present, conversions
/// that succeed, at least one row. Fails with the first bad row.
pub fn validate(
    conn: &Connection,
    table: &str,
    relation: &str,
    resolved: &[ResolvedColumn],
    file: &Path,
) -> StoreResult<()> {
    // Fast pass: counts only, in parallel. Row numbers are looked up only
    // when something is wrong (they need an ordered scan).
    let mut conditions: Vec<(String, String, &'static str)> = Vec::new();
    for rc in resolved {
        let Some(src) = &rc.source else { continue };
        let raw = ident(&src.name);
        if rc.column.required {
            let empty = if src.sql_type == "VARCHAR" {
                format!("({raw} IS NULL OR trim({raw}) = '')")
            } else {
                format!("({raw} IS NULL)")
            };
            conditions.push((src.name.clone(), empty, "empty value in a required column"));
        }
        if rc.checked {
            let problem = match rc.column.sql_type {
                "TIMESTAMP" => "cannot be read as a timestamp",
                "BOOLEAN" => "cannot be read as true/false",
                _ => "cannot be read as a number",
            };
            conditions.push((
                src.name.clone(),
                format!(
                    "({raw} IS NOT NULL AND trim(CAST({raw} AS VARCHAR)) <> '' AND ({}) IS NULL)",
                    rc.expr
                ),
                problem,
            ));
        }
    }
    let counts: Vec<String> = std::iter::once("count(*)".to_owned())
        .chain(
            conditions
                .iter()
                .map(|(_, c, _)| format!("coalesce(count_if({c}), 0)")),
        )
        .collect();
    let sql = format!("SELECT {} FROM {relation}", counts.join(", "));
    let values: Vec<i64> = conn
        .query_row(&sql, [], |r| {
            (0..counts.len()).map(|i| r.get::<_, i64>(i)).collect()
        })
        .at(file, &format!("cannot read table `{table}`"))?;
    if values[0] == 0 && table == "exchanges" {
        return Err(StoreError::EmptyTable {
            path: file.into(),
            table: table.into(),
        });
    }
    for (i, (column, condition, problem)) in conditions.iter().enumerate() {
        if values[i + 1] == 0 {
            continue;
        }
        // Staged imports know each row's file and line; other sources are
        // numbered in scan order.
        let staged = relation == "staging";
        let sql = if staged {
            format!(
                "SELECT src_line, CAST({} AS VARCHAR), src_file FROM staging WHERE {condition}
                 ORDER BY src_file, src_line LIMIT 1",
                ident(column)
            )
        } else {
            format!(
                "SELECT rn, CAST(raw AS VARCHAR), NULL FROM (
                   SELECT row_number() OVER () AS rn, {} AS raw, {condition} AS bad FROM {relation})
                 WHERE bad ORDER BY rn LIMIT 1",
                ident(column)
            )
        };
        let (row, raw, src_file): (i64, Option<String>, Option<String>) = conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .at(file, "cannot locate the bad row")?;
        let problem = match raw {
            Some(raw) if !raw.trim().is_empty() => {
                let shown: String = raw.chars().take(80).collect();
                format!("{shown:?} {problem} ({} such rows)", values[i + 1])
            }
            _ => format!("{problem} ({} such rows)", values[i + 1]),
        };
        return Err(StoreError::BadValue {
            path: src_file.map(Into::into).unwrap_or_else(|| file.into()),
            column: column.clone(),
            row: if staged {
                format!("line {row}")
            } else {
                format!("row {row}")
            },
            problem,
        });
    }
    Ok(())
}

/// The SELECT list producing contract columns from a resolved source, with
/// a row number standing in for a missing `exchange_id`.
pub fn select_list(resolved: &[ResolvedColumn]) -> String {
    resolved
        .iter()
        .map(|rc| {
            if rc.column.name == "exchange_id" && rc.source.is_none() {
                "CAST(row_number() OVER () AS VARCHAR) AS exchange_id".to_owned()
            } else {
                format!("{} AS {}", rc.expr, rc.column.name)
            }
        })
        .collect::<Vec<_>>()
        .join(",\n       ")
}
