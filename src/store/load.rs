//! Loads a source's contract tables into a case being built: checks every
//! row, converts types, enriches IP addresses, and adds the derived columns
//! the caller asks for, in one pass over the evidence.

use duckdb::params;

use super::error::{Context as _, StoreError, StoreResult};
use super::ipdb::{IpDb, parse_ip};
use super::mapping::ColumnMapping;
use super::normalize::{self, ResolvedColumn};
use super::runner::SqlRunner;
use super::schema::{self, literal};
use super::source::{EVIDENCE_ALIAS, Source, SourceKind, TableRef};

/// What to apply while loading.
pub struct LoadOptions<'a> {
    /// Column mapping for `exchanges`.
    pub mapping: &'a ColumnMapping,
    /// Optional IP enrichment.
    pub ip_db: Option<&'a IpDb>,
    /// Extra columns of `exchanges`: (name, SQL over the contract columns).
    pub derived: &'a [(&'a str, String)],
}

/// Attaches a DuckDB evidence file read-only.
pub fn attach_evidence(run: &SqlRunner<'_>, source: &Source) -> StoreResult<()> {
    if matches!(source.kind, SourceKind::DuckDb | SourceKind::Case) {
        let path = std::path::absolute(&source.path).unwrap_or_else(|_| source.path.clone());
        run.exec(
            "cannot open the evidence database read-only",
            &format!(
                "ATTACH {} AS {EVIDENCE_ALIAS} (READ_ONLY);",
                literal(&path.to_string_lossy())
            ),
        )?;
    }
    Ok(())
}

/// Names of the tables and views in the attached evidence database.
fn evidence_tables(run: &SqlRunner<'_>) -> StoreResult<Vec<String>> {
    let mut stmt = run
        .conn
        .prepare(
            "SELECT DISTINCT table_name FROM information_schema.tables WHERE table_catalog = ?",
        )
        .at(run.file, "cannot list the evidence tables")?;
    let rows = stmt
        .query_map([EVIDENCE_ALIAS], |r| r.get::<_, String>(0))
        .at(run.file, "cannot list the evidence tables")?;
    rows.collect::<Result<Vec<_>, _>>()
        .at(run.file, "cannot list the evidence tables")
}

/// Loads all contract tables of `source` into the case connection.
pub fn load_source(
    run: &SqlRunner<'_>,
    source: &Source,
    opts: &LoadOptions<'_>,
) -> StoreResult<ReadFrom> {
    attach_evidence(run, source)?;
    let mut tables = source.tables()?;
    if matches!(source.kind, SourceKind::DuckDb | SourceKind::Case) {
        let present = evidence_tables(run)?;
        if !present.iter().any(|t| t == "exchanges") {
            return Err(StoreError::MissingTable {
                path: source.path.clone(),
                reason: format!(
                    "the database has no `exchanges` table (tables found: {})",
                    if present.is_empty() {
                        "none".into()
                    } else {
                        present.join(", ")
                    }
                ),
            });
        }
        tables.retain(|t| present.iter().any(|p| p == t.table));
    }
    load_tables(run, &tables, opts)
}

/// The source column each contract column of `exchanges` was read from
/// (`None`: not in the evidence).
pub type ReadFrom = Vec<(&'static str, Option<String>)>;

/// Loads the given table relations (exchanges required); returns where
/// each column of `exchanges` was read from.
pub fn load_tables(
    run: &SqlRunner<'_>,
    tables: &[TableRef],
    opts: &LoadOptions<'_>,
) -> StoreResult<ReadFrom> {
    let exchanges = tables
        .iter()
        .find(|t| t.table == "exchanges")
        .expect("sources always locate an exchanges table");
    run.progress.stage("Checking exchanges")?;
    let cols = normalize::describe(run.conn, &exchanges.relation, &exchanges.file)?;
    let resolved = normalize::resolve(
        "exchanges",
        schema::EXCHANGES,
        &cols,
        opts.mapping,
        &exchanges.file,
    )?;
    normalize::validate(
        run.conn,
        "exchanges",
        &exchanges.relation,
        &resolved,
        &exchanges.file,
    )?;
    let read_from: ReadFrom = resolved
        .iter()
        .map(|rc| (rc.column.name, rc.source.as_ref().map(|c| c.name.clone())))
        .collect();
    let resolved = with_first_forwarded_ip(resolved);

    let enrich = match opts.ip_db {
        Some(db) => {
            run.progress.stage("Enriching IP addresses")?;
            build_ip_info(run, db, &exchanges.relation, &resolved)?;
            true
        }
        None => false,
    };

    run.progress.stage("Loading exchanges")?;
    let mut outer: Vec<String> = Vec::new();
    for rc in &resolved {
        let name = rc.column.name;
        outer.push(match name {
            "asn" | "asn_org" | "country" if enrich => {
                format!("coalesce(n.{name}, ipi.{name}) AS {name}")
            }
            "category" => "n.category AS log_category".into(),
            _ => format!("n.{name}"),
        });
    }
    for (name, expr) in opts.derived {
        outer.push(format!("{expr} AS {name}"));
    }
    let join = if enrich {
        "LEFT JOIN ip_info ipi ON ipi.ip = n.ip"
    } else {
        ""
    };
    let rows = format!(
        "SELECT {} FROM {}",
        normalize::select_list(&resolved),
        exchanges.relation
    );
    load_in_storage_order(
        run,
        &rows,
        &format!("SELECT {} FROM ({rows}) n {join}", outer.join(", ")),
        ROWS_PER_PART,
    )?;
    if enrich {
        run.exec("dropping IP lookups", "DROP TABLE ip_info;")?;
    }

    run.progress.stage("Loading accounts and events")?;
    load_optional(run, tables, "accounts", opts.mapping)?;
    load_optional(run, tables, "events", opts.mapping)?;
    normalise_countries(run, "exchanges", "country")?;
    normalise_countries(run, "accounts", "signup_country")?;
    Ok(read_from)
}

/// The order `exchanges` is stored in: day by day, and within a day
/// account by account, oldest first (exchange ids break ties, so the order
/// is one and the same for every build of the same evidence). DuckDB's
/// min/max zone maps then find both a span of days (the first page of a
/// week or a category, a pack written oldest first) and one account's rows
/// (a row group or two per day it was active) without reading the rest.
/// Account order alone made the file 17% smaller, but a page of a week
/// read 200 row groups: 9 s (BENCHMARKS.md).
pub const STORAGE_ORDER: &str = "day, account_id, ts, exchange_id";

/// Rows one ordering pass sorts at most; a larger log is cut into parts
/// of consecutive days, each sorted alone (a sort of the whole wide table
/// spilled 19 GB on the full incident, measured).
const ROWS_PER_PART: i64 = 2_000_000;

/// Creates `exchanges` from `select` (which has the columns of
/// [`STORAGE_ORDER`]) stored in that order. `rows` is the same rows before
/// enrichment (the days are counted from it). A log of more than
/// [`ROWS_PER_PART`] rows is written once as Parquet parts of consecutive
/// days (in DuckDB's temporary folder for the case, removed after), then
/// the parts are sorted one at a time into the table: memory stays bounded
/// by one part. A single day of more requests than that is a part of its
/// own, sorted by DuckDB's spilling sort.
fn load_in_storage_order(
    run: &SqlRunner<'_>,
    rows: &str,
    select: &str,
    rows_per_part: i64,
) -> StoreResult<()> {
    let ctx = "cannot load exchanges";
    run.exec(
        ctx,
        &format!(
            "CREATE OR REPLACE TEMP TABLE load_days AS
             SELECT CAST(ts AS DATE) AS day, count(*) AS n FROM ({rows}) GROUP BY 1;"
        ),
    )?;
    let total: i64 = run
        .conn
        .query_row(
            "SELECT coalesce(sum(n), 0)::BIGINT FROM load_days",
            [],
            |r| r.get(0),
        )
        .at(run.file, ctx)?;
    let parts = (total + rows_per_part - 1) / rows_per_part;
    if parts <= 1 {
        run.create_table_compressed(
            ctx,
            "exchanges",
            &format!("{select} ORDER BY {STORAGE_ORDER}"),
            &["prompt"],
        )?;
        return run.exec(ctx, "DROP TABLE load_days;");
    }
    run.exec(
        ctx,
        &format!(
            "CREATE OR REPLACE TEMP TABLE load_part AS
             SELECT day,
                    least({last}, (sum(n) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) - n) * {parts} // {total})::INTEGER AS part
             FROM load_days;
             DROP TABLE load_days;",
            last = parts - 1
        ),
    )?;
    let scratch = run.scratch_dir("exchanges-by-day", "cannot make room to order exchanges")?;
    let dir = scratch.path().to_string_lossy().into_owned();
    run.progress
        .stage("Loading exchanges (cut into parts by day)")?;
    run.exec(
        ctx,
        &format!(
            "COPY (SELECT p.part, e.* FROM ({select}) e
                   JOIN load_part p ON e.day IS NOT DISTINCT FROM p.day)
             TO {} (FORMAT parquet, PARTITION_BY (part), COMPRESSION zstd, OVERWRITE_OR_IGNORE);
             DROP TABLE load_part;",
            literal(&dir)
        ),
    )?;
    run.create_empty_compressed(ctx, "exchanges", select, &["prompt"])?;
    for part in 0..parts {
        run.progress.stage(&format!(
            "Loading exchanges in order (part {} of {parts})",
            part + 1
        ))?;
        let folder = scratch.path().join(format!("part={part}"));
        if !folder.exists() {
            continue;
        }
        let files = literal(&folder.join("*.parquet").to_string_lossy());
        run.exec(
            ctx,
            &format!(
                "INSERT INTO exchanges SELECT * FROM read_parquet({files}, hive_partitioning = false)
                 ORDER BY {STORAGE_ORDER};"
            ),
        )?;
        let _ = std::fs::remove_dir_all(&folder);
    }
    Ok(())
}

/// Rewrites a country column to ISO-3166 alpha-2 codes where it holds
/// names, lower-case or three-letter codes ("China", "cn", "CHN" → "CN");
/// values it cannot read are kept as written.
fn normalise_countries(run: &SqlRunner<'_>, table: &str, column: &str) -> StoreResult<()> {
    let ctx = format!("normalising {table}.{column}");
    let mut stmt = run
        .conn
        .prepare(&format!(
            "SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"
        ))
        .at(run.file, &ctx)?;
    let values: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .at(run.file, &ctx)?
        .collect::<Result<_, _>>()
        .at(run.file, &ctx)?;
    let changes: Vec<(String, String)> = values
        .into_iter()
        .filter_map(|v| {
            let code = super::country::iso_code(&v)?;
            (code != v).then_some((v, code))
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    super::runner::temp_table(
        run.conn,
        run.file,
        &ctx,
        "country_codes",
        "written VARCHAR, code VARCHAR",
        changes.iter().map(|(w, c)| (w.as_str(), c.as_str())),
    )?;
    run.exec(
        &ctx,
        &format!(
            "UPDATE {table} SET {column} = c.code FROM country_codes c WHERE {table}.{column} = c.written;
             DROP TABLE country_codes;"
        ),
    )
}

/// X-Forwarded-For style lists keep only the client (first) address.
fn with_first_forwarded_ip(mut resolved: Vec<ResolvedColumn>) -> Vec<ResolvedColumn> {
    for rc in &mut resolved {
        if rc.column.name == "ip" && rc.source.is_some() {
            rc.expr = format!("NULLIF(trim(split_part({}, ',', 1)), '')", rc.expr);
        }
    }
    resolved
}

/// Looks every distinct address up and stores the answers in `ip_info`.
fn build_ip_info(
    run: &SqlRunner<'_>,
    db: &IpDb,
    relation: &str,
    resolved: &[ResolvedColumn],
) -> StoreResult<()> {
    let ip_expr = &resolved
        .iter()
        .find(|r| r.column.name == "ip")
        .expect("ip is a contract column")
        .expr;
    let mut stmt = run
        .conn
        .prepare(&format!(
            "SELECT DISTINCT {ip_expr} FROM {relation} WHERE {ip_expr} IS NOT NULL"
        ))
        .at(run.file, "cannot list IP addresses")?;
    let ips: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .at(run.file, "cannot list IP addresses")?
        .collect::<Result<_, _>>()
        .at(run.file, "cannot list IP addresses")?;
    run.exec(
        "cannot store IP lookups",
        "CREATE TEMP TABLE ip_info (ip VARCHAR, asn INTEGER, asn_org VARCHAR, country VARCHAR);",
    )?;
    let mut app = run
        .conn
        .appender("ip_info")
        .at(run.file, "cannot store IP lookups")?;
    for ip in ips {
        if let Some(info) = parse_ip(&ip).and_then(|a| db.lookup(a)) {
            app.append_row(params![ip, info.asn, info.asn_org, info.country])
                .at(run.file, "cannot store IP lookups")?;
        }
    }
    app.flush().at(db.path(), "cannot store IP lookups")
}

/// Loads `accounts` or `events` when the source has them; otherwise creates
/// the table empty (events) or from the accounts seen in exchanges.
fn load_optional(
    run: &SqlRunner<'_>,
    tables: &[TableRef],
    name: &str,
    mapping: &ColumnMapping,
) -> StoreResult<()> {
    let columns = schema::table(name).expect("contract table");
    if let Some(t) = tables.iter().find(|t| t.table == name) {
        let cols = normalize::describe(run.conn, &t.relation, &t.file)?;
        let resolved = normalize::resolve(name, columns, &cols, mapping, &t.file)?;
        normalize::validate(run.conn, name, &t.relation, &resolved, &t.file)?;
        return run.exec(
            &format!("cannot load {name}"),
            &format!(
                "CREATE TABLE {name} AS SELECT {} FROM {};",
                normalize::select_list(&resolved),
                t.relation
            ),
        );
    }
    let sql = if name == "accounts" {
        "CREATE TABLE accounts AS SELECT account_id, CAST(NULL AS TIMESTAMP) AS created_at,
           CAST(NULL AS VARCHAR) AS email_domain, CAST(NULL AS VARCHAR) AS payment_fingerprint,
           CAST(NULL AS VARCHAR) AS signup_ip, CAST(NULL AS VARCHAR) AS signup_country,
           CAST(NULL AS VARCHAR) AS verification_path, any_value(org_id) AS org_id
         FROM exchanges GROUP BY account_id;"
            .to_owned()
    } else {
        format!("CREATE TABLE {name} ({});", schema::column_defs(columns))
    };
    run.exec(&format!("cannot create {name}"), &sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::progress::Progress;

    /// A log cut into parts comes out whole, in storage order, and its
    /// scratch folder is gone; a log of one part too. Parts larger than
    /// DuckDB's row group are sorted and inserted by parallel threads.
    #[test]
    fn a_log_cut_into_parts_is_stored_whole_in_storage_order() {
        stored_in_order(600_000, 150_000);
    }

    #[test]
    fn a_log_of_one_part_is_stored_in_storage_order() {
        stored_in_order(400_000, ROWS_PER_PART);
    }

    fn stored_in_order(rows: i64, rows_per_part: i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.duckdb");
        let conn = crate::store::case::new_database(&path).unwrap();
        let progress = Progress::default();
        let run = SqlRunner::new(&conn, &path, &progress);
        conn.execute_batch(&format!(
            "CREATE TABLE src AS
             SELECT CASE WHEN i % 97 = 0 THEN NULL ELSE 'acct_' || (i * 7919 % 613) END AS account_id,
                    TIMESTAMP '2026-01-01' + to_seconds(i * 3701 % (86400 * 9)) AS ts,
                    'x' || i AS exchange_id,
                    'prompt ' || i AS prompt
             FROM range({rows}) r(i);
             CREATE VIEW src_rows AS SELECT *, CAST(ts AS DATE) AS day FROM src;"
        ))
        .unwrap();
        load_in_storage_order(
            &run,
            "SELECT * FROM src",
            "SELECT * FROM src_rows",
            rows_per_part,
        )
        .unwrap();
        let (n, out_of_order, missing): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM exchanges),
                            (SELECT count(*) FROM (
                               SELECT row_number() OVER (ORDER BY rowid) AS stored,
                                      row_number() OVER (ORDER BY {STORAGE_ORDER}) AS wanted
                               FROM exchanges) WHERE stored <> wanted),
                            (SELECT count(*) FROM (SELECT * FROM src_rows EXCEPT ALL SELECT * FROM exchanges))"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((n, out_of_order, missing), (rows, 0, 0));
        let parts: i64 = conn
            .query_row("SELECT count(DISTINCT day) FROM exchanges", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(parts >= 9, "{parts} days");
        // The parts are gone (the case builder removes DuckDB's folder itself).
        let left: Vec<_> = std::fs::read_dir(dir.path().join("case.duckdb.tmp"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{left:?} left behind");
    }
}
