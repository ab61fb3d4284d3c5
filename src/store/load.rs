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
    run.create_table_compressed(
        "cannot load exchanges",
        "exchanges",
        &format!(
            "SELECT {} FROM (SELECT {} FROM {}) n {join}",
            outer.join(", "),
            normalize::select_list(&resolved),
            exchanges.relation
        ),
        &["prompt"],
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
