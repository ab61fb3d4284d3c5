//! The graph in the case file (`graph_nodes`, `graph_edges`,
//! `graph_clusters`, `graph_meta`), read back for the app, and written as
//! nodes.csv, edges.csv and clusters.csv.

use std::path::Path;
use std::sync::Arc;

use duckdb::Connection;
use duckdb::arrow::array::AsArray as _;
use duckdb::arrow::array::{
    ArrayRef, Float32Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Float32Type, Int32Type};
use duckdb::arrow::record_batch::RecordBatch;

use super::clusters::{ClusterInfo, SharedValue};
use super::links::{GraphConfig, LinkKind};
use super::{Edge, Graph, Hub};
use crate::analysis::views::query_rows;
use crate::store::error::{Context as _, StoreError, StoreResult};
use crate::store::schema::literal;

/// The tables, in the order they are created.
const TABLES: [&str; 4] = ["graph_nodes", "graph_edges", "graph_clusters", "graph_meta"];

const BATCH: usize = 100_000;

/// Writes `g` into `schema` (`main` in a case being built, `temp` for a
/// graph built with other settings), replacing what was there.
pub fn write(conn: &Connection, path: &Path, g: &Graph, schema: &str) -> StoreResult<()> {
    let ctx = "writing the account graph";
    let t = |name: &str| format!("{schema}.{name}");
    // Temporary tables are created by their bare name (DuckDB's rule).
    let create = if schema == "temp" {
        "CREATE OR REPLACE TEMP TABLE"
    } else {
        "CREATE OR REPLACE TABLE"
    };
    conn.execute_batch(&format!(
        "{create} {} (node INTEGER, kind VARCHAR, id VARCHAR, link_kind VARCHAR,
            cluster INTEGER, volume BIGINT, degree INTEGER, first_seen TIMESTAMP, last_seen TIMESTAMP,
            x REAL, y REAL);
         {create} {} (source INTEGER, target INTEGER, kind VARCHAR, weight REAL);
         {create} {} (cluster INTEGER, name VARCHAR, size INTEGER, hubs INTEGER,
            volume BIGINT, first_seen TIMESTAMP, last_seen TIMESTAMP, top_categories VARCHAR,
            top_shared VARCHAR);
         {create} {} (key VARCHAR, value VARCHAR);",
        TABLES[0], TABLES[1], TABLES[2], TABLES[3]
    ))
    .at(path, ctx)?;
    let catalog = if schema == "temp" { "temp" } else { "" };
    let appender = |table: &str| {
        if catalog.is_empty() {
            conn.appender(table)
        } else {
            conn.appender_to_catalog_and_db(table, catalog, "main")
        }
    };
    // Nodes: accounts then hubs; account spans are filled from SQL below.
    let mut degree = vec![0i32; g.node_count()];
    for e in &g.edges {
        degree[e.source as usize] += 1;
        degree[e.target as usize] += 1;
    }
    {
        let mut app = appender("graph_nodes").at(path, ctx)?;
        for start in (0..g.node_count()).step_by(BATCH) {
            let end = (start + BATCH).min(g.node_count());
            let mut node = Int32Builder::new();
            let mut kind = StringBuilder::new();
            let mut id = StringBuilder::new();
            let mut link = StringBuilder::new();
            let mut cluster = Int32Builder::new();
            let mut volume = Int64Builder::new();
            let mut deg = Int32Builder::new();
            let mut x = Float32Builder::new();
            let mut y = Float32Builder::new();
            let mut first = TimestampMicrosecondBuilder::new();
            let mut last = TimestampMicrosecondBuilder::new();
            #[allow(clippy::needless_range_loop)] // `n` is the node id written
            for n in start..end {
                // Hubs carry their span; accounts get theirs from SQL below.
                match g
                    .hub(n)
                    .filter(|h| h.first_h.is_finite() && h.first_h > 0.0)
                {
                    Some(h) => {
                        first.append_value((h.first_h * 3.6e9) as i64);
                        last.append_value((h.last_h * 3.6e9) as i64);
                    }
                    None => {
                        first.append_null();
                        last.append_null();
                    }
                }
                node.append_value(n as i32);
                match g.hub(n) {
                    Some(h) => {
                        kind.append_value("hub");
                        id.append_value(hub_id(h));
                        link.append_value(h.kind.name());
                    }
                    None => {
                        kind.append_value("account");
                        id.append_value(&g.accounts[n]);
                        link.append_null();
                    }
                }
                cluster.append_value(g.cluster[n] as i32);
                volume.append_value(g.node_volume(n) as i64);
                // A hub's degree counts every account that used its value,
                // beyond the accounts it keeps links to.
                deg.append_value(g.hub(n).map_or(degree[n], |h| h.degree as i32));
                x.append_value(g.x[n]);
                y.append_value(g.y[n]);
            }
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("node", Arc::new(node.finish())),
                ("kind", Arc::new(kind.finish())),
                ("id", Arc::new(id.finish())),
                ("link_kind", Arc::new(link.finish())),
                ("cluster", Arc::new(cluster.finish())),
                ("volume", Arc::new(volume.finish())),
                ("degree", Arc::new(deg.finish())),
                ("first_seen", Arc::new(first.finish())),
                ("last_seen", Arc::new(last.finish())),
                ("x", Arc::new(x.finish())),
                ("y", Arc::new(y.finish())),
            ];
            let batch = RecordBatch::try_from_iter(cols).expect("equal columns");
            app.append_record_batch(batch).at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    {
        let mut app = appender("graph_edges").at(path, ctx)?;
        for chunk in g.edges.chunks(BATCH) {
            let mut s = Int32Builder::new();
            let mut t = Int32Builder::new();
            let mut k = StringBuilder::new();
            let mut w = Float32Builder::new();
            for e in chunk {
                s.append_value(e.source as i32);
                t.append_value(e.target as i32);
                k.append_value(e.kind.name());
                w.append_value(e.weight);
            }
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("source", Arc::new(s.finish())),
                ("target", Arc::new(t.finish())),
                ("kind", Arc::new(k.finish())),
                ("weight", Arc::new(w.finish())),
            ];
            let batch = RecordBatch::try_from_iter(cols).expect("equal columns");
            app.append_record_batch(batch).at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    // Account spans and hub spans, then clusters and settings.
    let nodes = t("graph_nodes");
    let mut sql = format!(
        "UPDATE {nodes} n SET first_seen = s.first_seen, last_seen = s.last_seen
         FROM account_summary s WHERE n.kind = 'account' AND s.account_id = n.id;"
    );
    {
        let mut app = appender("graph_clusters").at(path, ctx)?;
        for chunk in g.clusters.chunks(BATCH) {
            let mut id = Int32Builder::new();
            let mut name = StringBuilder::new();
            let mut size = Int32Builder::new();
            let mut hubs = Int32Builder::new();
            let mut volume = Int64Builder::new();
            let mut first = TimestampMicrosecondBuilder::new();
            let mut last = TimestampMicrosecondBuilder::new();
            let mut cats = StringBuilder::new();
            let mut shared = StringBuilder::new();
            for c in chunk {
                id.append_value(c.id as i32);
                name.append_value(&c.name);
                size.append_value(c.size as i32);
                hubs.append_value(c.hubs as i32);
                volume.append_value(c.volume as i64);
                first.append_value(c.first_seen * 1_000_000);
                last.append_value(c.last_seen * 1_000_000);
                cats.append_value(serde_json::to_string(&c.top_categories).unwrap_or_default());
                shared.append_value(serde_json::to_string(&c.top_shared).unwrap_or_default());
            }
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("cluster", Arc::new(id.finish())),
                ("name", Arc::new(name.finish())),
                ("size", Arc::new(size.finish())),
                ("hubs", Arc::new(hubs.finish())),
                ("volume", Arc::new(volume.finish())),
                ("first_seen", Arc::new(first.finish())),
                ("last_seen", Arc::new(last.finish())),
                ("top_categories", Arc::new(cats.finish())),
                ("top_shared", Arc::new(shared.finish())),
            ];
            let batch = RecordBatch::try_from_iter(cols).expect("equal columns");
            app.append_record_batch(batch).at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    let meta = [
        (
            "config",
            serde_json::to_string(&g.config).unwrap_or_default(),
        ),
        ("modularity", g.modularity.to_string()),
        (
            "timings",
            serde_json::to_string(&g.timings).unwrap_or_default(),
        ),
    ];
    for (k, v) in meta {
        sql.push_str(&format!(
            "INSERT INTO {} VALUES ({}, {});",
            t("graph_meta"),
            literal(k),
            literal(&v)
        ));
    }
    conn.execute_batch(&sql).at(path, ctx)?;
    Ok(())
}

/// A hub's id in CSV files: `kind:value`.
pub fn hub_id(h: &Hub) -> String {
    format!("{}:{}", h.kind.name(), h.value)
}

/// Whether the case holds a stored graph.
pub fn has_graph(conn: &Connection) -> bool {
    conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'graph_meta' AND NOT temporary",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .unwrap_or(false)
}

/// Reads the graph stored in `schema` (`main` or `temp`).
pub fn read(conn: &Connection, path: &Path, schema: &str) -> StoreResult<Graph> {
    let ctx = "reading the account graph";
    let t = |name: &str| format!("{schema}.{name}");
    let meta: Vec<(String, String)> = query_rows(
        conn,
        path,
        ctx,
        &format!("SELECT key, value FROM {}", t("graph_meta")),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let get = |k: &str| {
        meta.iter()
            .find(|m| m.0 == k)
            .map(|m| m.1.clone())
            .unwrap_or_default()
    };
    let config: GraphConfig =
        serde_json::from_str(&get("config")).map_err(|e| StoreError::NotWhatItSays {
            path: path.into(),
            reason: format!("unreadable graph settings ({e})"),
        })?;
    let mut g = Graph {
        config,
        modularity: get("modularity").parse().unwrap_or(0.0),
        timings: serde_json::from_str(&get("timings")).unwrap_or_default(),
        ..Graph::default()
    };
    type NodeRow = (
        String,
        String,
        Option<String>,
        i32,
        i64,
        f32,
        f32,
        Option<i64>,
        Option<i64>,
        i32,
    );
    let nodes: Vec<NodeRow> = query_rows(
        conn,
        path,
        ctx,
        &format!(
            "SELECT kind, id, link_kind, cluster, volume, x, y, epoch(first_seen)::BIGINT,
                    epoch(last_seen)::BIGINT, degree
             FROM {} ORDER BY node",
            t("graph_nodes")
        ),
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        },
    )?;
    for (kind, id, link, cluster, volume, x, y, first, last, degree) in nodes {
        if kind == "hub" {
            let lk = link
                .as_deref()
                .and_then(LinkKind::parse)
                .unwrap_or(LinkKind::Ip);
            let value = id
                .strip_prefix(&format!("{}:", lk.name()))
                .unwrap_or(&id)
                .to_owned();
            g.hubs.push(Hub {
                kind: lk,
                value,
                degree: degree.max(0) as u32,
                first_h: first.unwrap_or(0) as f64 / 3600.0,
                last_h: last.unwrap_or(0) as f64 / 3600.0,
                exchanges: volume.max(0) as u64,
            });
        } else {
            g.accounts.push(id);
            g.volume.push(volume.max(0) as u64);
        }
        g.cluster.push(cluster.max(0) as u32);
        g.x.push(x);
        g.y.push(y);
    }
    // Edges can number millions: read them as Arrow batches.
    let mut stmt = conn
        .prepare(&format!(
            "SELECT source, target, kind, weight::FLOAT FROM {}",
            t("graph_edges")
        ))
        .at(path, ctx)?;
    for b in stmt.query_arrow([]).at(path, ctx)? {
        let s = b.column(0).as_primitive::<Int32Type>();
        let d = b.column(1).as_primitive::<Int32Type>();
        let k = cast(b.column(2), &DataType::Utf8).at(path, ctx)?;
        let k = k.as_string::<i32>();
        let w = b.column(3).as_primitive::<Float32Type>();
        for r in 0..b.num_rows() {
            g.edges.push(Edge {
                source: s.value(r) as u32,
                target: d.value(r) as u32,
                kind: LinkKind::parse(k.value(r)).unwrap_or(LinkKind::Ip),
                weight: w.value(r),
            });
        }
    }
    g.clusters = query_rows(
        conn,
        path,
        ctx,
        &format!(
            "SELECT cluster, name, size, hubs, volume, epoch(first_seen)::BIGINT,
                    epoch(last_seen)::BIGINT, top_categories, top_shared
             FROM {} ORDER BY cluster",
            t("graph_clusters")
        ),
        |r| {
            let cats: String = r.get(7)?;
            let shared: String = r.get(8)?;
            Ok(ClusterInfo {
                id: r.get::<_, i32>(0)? as u32,
                name: r.get(1)?,
                size: r.get::<_, i32>(2)? as usize,
                hubs: r.get::<_, i32>(3)? as usize,
                volume: r.get::<_, i64>(4)?.max(0) as u64,
                first_seen: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                last_seen: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                top_categories: serde_json::from_str(&cats).unwrap_or_default(),
                top_shared: serde_json::from_str::<Vec<SharedValue>>(&shared).unwrap_or_default(),
            })
        },
    )?;
    Ok(g)
}

/// Writes nodes.csv, edges.csv and clusters.csv of the graph stored in
/// `schema` into `dir`, all or nothing: the files are written to a
/// temporary folder beside `dir` that is renamed when complete.
pub fn export_csv(conn: &Connection, dir: &Path, schema: &str) -> StoreResult<()> {
    let t = |name: &str| format!("{schema}.{name}");
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .at(dir, "cannot read the output folder")?
            .next()
            .is_none();
        if !empty {
            return Err(StoreError::NotWhatItSays {
                path: dir.into(),
                reason: "the output folder exists and is not empty".into(),
            });
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).at(parent, "cannot create the output folder")?;
    let tmp = tempfile::Builder::new()
        .prefix(".distillscope-graph-")
        .tempdir_in(parent)
        .at(parent, "cannot create a temporary folder")?;
    let files = [
        (
            "nodes.csv",
            format!(
                "SELECT id AS node, kind, link_kind, cluster, volume, degree, first_seen, last_seen,
                        round(x, 3) AS x, round(y, 3) AS y
                 FROM {} ORDER BY node",
                t("graph_nodes")
            ),
        ),
        (
            "edges.csv",
            format!(
                "SELECT s.id AS source, d.id AS target, e.kind AS type, round(e.weight, 5) AS weight
                 FROM {e} e JOIN {n} s ON s.node = e.source JOIN {n} d ON d.node = e.target
                 ORDER BY e.source, e.target, e.kind",
                e = t("graph_edges"),
                n = t("graph_nodes")
            ),
        ),
        (
            "clusters.csv",
            format!(
                "SELECT cluster AS id, name, size, hubs, volume, first_seen, last_seen,
                        top_categories, top_shared
                 FROM {} ORDER BY cluster",
                t("graph_clusters")
            ),
        ),
    ];
    for (name, query) in &files {
        crate::store::csv::write_query(
            conn,
            query,
            &tmp.path().join(name),
            crate::store::csv::Encoding::Utf8,
        )?;
    }
    if dir.exists() {
        std::fs::remove_dir(dir).at(dir, "cannot replace the empty output folder")?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, dir).at(dir, "cannot move the CSV files into place")?;
    Ok(())
}
