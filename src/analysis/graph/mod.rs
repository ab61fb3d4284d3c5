//! The account network: accounts linked by what they share (addresses,
//! networks, ASNs, user agents, payment, sign-up data, templates, timing),
//! built without quadratic blow-up, clustered with Leiden and laid out with
//! ForceAtlas2. DuckDB produces the incidence; Rust (rayon) projects,
//! clusters and lays out; the result is cached in the case file.

pub mod clusters;
pub mod incidence;
pub mod layout;
pub mod leiden;
pub mod links;
pub mod place;
pub mod project;
pub mod scene;
pub mod store;

use std::path::Path;
use std::time::Instant;

use duckdb::Connection;
use serde::Serialize;

pub use clusters::ClusterInfo;
pub use links::{GraphConfig, LinkKind};
pub use project::{Edge, Hub};

use crate::store::error::{Context as _, StoreResult};
use crate::store::progress::Progress;

/// The built graph. Nodes `0..accounts.len()` are accounts, the rest hubs.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// How it was built.
    pub config: GraphConfig,
    /// Account ids by node id.
    pub accounts: Vec<String>,
    /// Exchanges per account.
    pub volume: Vec<u64>,
    /// Hub nodes, by node id minus the number of accounts.
    pub hubs: Vec<Hub>,
    /// Every link: account pairs per kind, and account → hub.
    pub edges: Vec<Edge>,
    /// Cluster of every node (0 = accounts linked to no other account).
    pub cluster: Vec<u32>,
    /// The clusters, by id (index 0 is the unlinked accounts).
    pub clusters: Vec<ClusterInfo>,
    /// Position of every node.
    pub x: Vec<f32>,
    /// Position of every node.
    pub y: Vec<f32>,
    /// Modularity of the clustering over the account links.
    pub modularity: f64,
    /// Seconds each build stage took.
    pub timings: Vec<(String, f64)>,
}

/// Counts reported after a build.
#[derive(Debug, Clone, Serialize)]
pub struct GraphStats {
    /// Account nodes.
    pub accounts: usize,
    /// Hub nodes.
    pub hubs: usize,
    /// Links, all kinds.
    pub edges: usize,
    /// Links per kind.
    pub edges_by_kind: Vec<(String, usize)>,
    /// Clusters of two or more accounts.
    pub clusters: usize,
    /// Accounts in those clusters.
    pub clustered_accounts: usize,
    /// Modularity of the clustering.
    pub modularity: f64,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
}

impl GraphStats {
    /// "5,218 accounts, 518 hubs, 384,417 edges (ip 71,906, ...), 70
    /// clusters of 2+ accounts holding 1,477 accounts, modularity 0.616".
    pub fn line(&self) -> String {
        format!(
            "{} accounts, {} hubs, {} edges ({}), {} clusters of 2+ accounts holding {} accounts, modularity {:.3}",
            self.accounts,
            self.hubs,
            self.edges,
            self.edges_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.clusters,
            self.clustered_accounts,
            self.modularity
        )
    }
}

impl Graph {
    /// Number of nodes (accounts and hubs).
    pub fn node_count(&self) -> usize {
        self.accounts.len() + self.hubs.len()
    }

    /// Whether node `n` is a hub.
    pub fn is_hub(&self, n: usize) -> bool {
        n >= self.accounts.len()
    }

    /// The hub behind node `n`, if it is one.
    pub fn hub(&self, n: usize) -> Option<&Hub> {
        n.checked_sub(self.accounts.len())
            .and_then(|h| self.hubs.get(h))
    }

    /// What a node is called: the account id, or `kind: value` for a hub.
    pub fn node_label(&self, n: usize) -> String {
        match self.hub(n) {
            Some(h) => format!("{}: {}", h.kind.name(), h.value),
            None => self.accounts.get(n).cloned().unwrap_or_default(),
        }
    }

    /// Exchanges of a node (an account's, or those carrying a hub's value).
    pub fn node_volume(&self, n: usize) -> u64 {
        match self.hub(n) {
            Some(h) => h.exchanges,
            None => self.volume.get(n).copied().unwrap_or(0),
        }
    }

    /// The node of an account id.
    pub fn account_node(&self, account: &str) -> Option<usize> {
        self.accounts
            .binary_search_by(|a| a.as_str().cmp(account))
            .ok()
    }

    /// Counts for reports.
    pub fn stats(&self) -> GraphStats {
        let mut by_kind = [0usize; LinkKind::COUNT];
        for e in &self.edges {
            by_kind[e.kind.index()] += 1;
        }
        GraphStats {
            accounts: self.accounts.len(),
            hubs: self.hubs.len(),
            edges: self.edges.len(),
            edges_by_kind: LinkKind::ALL
                .iter()
                .filter(|k| self.config.has(**k))
                .map(|k| (k.name().to_owned(), by_kind[k.index()]))
                .collect(),
            clusters: self.clusters.len().saturating_sub(1),
            clustered_accounts: self.clusters.iter().skip(1).map(|c| c.size).sum(),
            modularity: self.modularity,
            timings: self.timings.clone(),
        }
    }
}

/// The Network view's scene for `cfg`: the graph cached in the case when
/// it was built with these settings (or when none are given), else a new
/// build, with every account's top category.
pub fn scene(
    conn: &Connection,
    path: &Path,
    cfg: Option<&GraphConfig>,
    progress: &Progress,
) -> StoreResult<scene::Scene> {
    let cached = if store::has_graph(conn) {
        Some(store::read(conn, path, "main")?)
    } else {
        None
    };
    let graph = match (cached, cfg) {
        (Some(g), None) => g,
        (Some(g), Some(c)) if g.config == *c => g,
        (_, c) => build(conn, path, &c.cloned().unwrap_or_default(), progress)?,
    };
    let top = crate::analysis::views::query_rows(
        conn,
        path,
        "reading top categories",
        "SELECT coalesce(top_category, '') FROM account_summary ORDER BY account_id",
        |r| r.get(0),
    )?;
    Ok(scene::Scene::new(graph, top))
}

/// Builds the graph of a case: incidence per kind, projection with hubs,
/// co-activity, Leiden, cluster summaries and the layout.
pub fn build(
    conn: &Connection,
    path: &Path,
    cfg: &GraphConfig,
    progress: &Progress,
) -> StoreResult<Graph> {
    // DuckDB gets less memory while the graph's own arrays are alive, so
    // the two together stay under the build's memory budget; a caller's
    // lower limit (an import's) is kept, and restored after.
    let ctx = "limiting DuckDB's memory for the graph build";
    let before: String = conn
        .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
        .at(path, ctx)?;
    let lower = setting_bytes(&before).is_some_and(|b| b <= BUILD_DUCKDB_MEMORY_BYTES);
    if !lower {
        conn.execute_batch(&format!(
            "SET memory_limit = '{}B'",
            BUILD_DUCKDB_MEMORY_BYTES
        ))
        .at(path, ctx)?;
    }
    let built = build_graph(conn, path, cfg, progress);
    conn.execute_batch(&format!(
        "SET memory_limit = '{}'",
        before.replace('\'', "")
    ))
    .at(path, ctx)?;
    built
}

/// DuckDB's memory limit during a graph build (3 GB).
const BUILD_DUCKDB_MEMORY_BYTES: u64 = 3_000_000_000;

/// Bytes of a DuckDB size setting as it prints it ("2.3 GiB", "512.0 MiB").
fn setting_bytes(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let scale: f64 = match unit {
        "bytes" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some((number.parse::<f64>().ok()? * scale) as u64)
}

fn build_graph(
    conn: &Connection,
    path: &Path,
    cfg: &GraphConfig,
    progress: &Progress,
) -> StoreResult<Graph> {
    let mut g = Graph {
        config: cfg.clone(),
        ..Graph::default()
    };
    let mut clock = Instant::now();
    let mut lap = |g: &mut Graph, stage: &str| {
        g.timings
            .push((stage.to_owned(), clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    progress.stage("Graph: reading shared values")?;
    g.accounts = incidence::accounts(conn, path)?;
    g.volume = clusters::account_volumes(conn, path)?;
    let n = g.accounts.len();
    let hashes = incidence::account_hashes(conn, path)?;
    // One scan of the log for every log kind (the IP one too when only
    // networks are asked for), then the account-record kinds.
    let log_kinds: Vec<LinkKind> = LinkKind::ALL
        .into_iter()
        .filter(|k| cfg.has(*k) || (*k == LinkKind::Ip && cfg.has(LinkKind::Net)))
        .collect();
    lap(&mut g, "number accounts");
    let mut from_log = incidence::read_log_kinds(conn, path, &log_kinds, &hashes)?;
    lap(&mut g, "read log values");
    // Networks are the addresses grouped by /24 or /48.
    if cfg.has(LinkKind::Net) {
        let net = from_log
            .iter()
            .find(|(k, _)| *k == LinkKind::Ip)
            .map(|x| x.1.coarsen(incidence::network_of))
            .unwrap_or_default();
        from_log.push((LinkKind::Net, net));
        lap(&mut g, "derive networks");
    }
    let mut incidences = Vec::new();
    for kind in LinkKind::ALL {
        if kind == LinkKind::Coactivity || !cfg.has(kind) {
            continue;
        }
        progress.check()?;
        let inc = match from_log.iter().position(|(k, _)| *k == kind) {
            Some(i) => from_log.swap_remove(i).1,
            None => incidence::read_account_kind(conn, path, kind)?,
        };
        incidences.push((kind, inc));
    }
    drop(from_log);
    lap(&mut g, "read account values");

    progress.stage("Graph: linking accounts")?;
    for (kind, inc) in &incidences {
        progress.check()?;
        let first_hub = (n + g.hubs.len()) as u32;
        let (edges, hubs) = project::project(inc, *kind, cfg, first_hub);
        g.edges.extend(edges);
        g.hubs.extend(hubs);
    }
    lap(&mut g, "link accounts");
    if cfg.has(LinkKind::Coactivity) {
        progress.stage("Graph: co-activity")?;
        let actions = incidence::read_actions(conn, path, cfg.coactivity_minutes, &hashes)?;
        lap(&mut g, "read co-activity");
        g.edges.extend(project::coactivity(actions, cfg));
        lap(&mut g, "link co-activity");
    }
    g.edges = project::drop_weak_pairs(std::mem::take(&mut g.edges), n, cfg.min_link);
    lap(&mut g, "drop weak pairs");
    clusters::label_template_hubs(conn, path, &mut g.hubs)?;

    progress.stage("Graph: clustering")?;
    let account_graph = leiden::Csr::from_edges(
        n,
        g.edges
            .iter()
            .filter(|e| (e.target as usize) < n)
            .map(|e| (e.source, e.target, f64::from(e.weight))),
    );
    let found = leiden::leiden(&account_graph, cfg.resolution, cfg.seed);
    g.modularity = found.modularity;
    g.cluster = clusters::cluster_ids(&g, &found.membership);
    lap(&mut g, "cluster");

    progress.stage("Graph: describing clusters")?;
    g.clusters = clusters::describe(conn, path, &g, &incidences)?;
    clusters::label_clusters(conn, path, &mut g.clusters)?;
    lap(&mut g, "describe clusters");

    progress.stage("Graph: layout")?;
    place::lay_out(&mut g);
    lap(&mut g, "layout");
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_memory_settings_read_back_as_bytes() {
        let conn = Connection::open_in_memory().unwrap();
        for (set, low) in [("2.5GB", true), ("4GB", false), ("700MB", true)] {
            conn.execute_batch(&format!("SET memory_limit = '{set}'"))
                .unwrap();
            let shown: String = conn
                .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
                .unwrap();
            let bytes = setting_bytes(&shown).unwrap_or_else(|| panic!("{shown}"));
            assert_eq!(
                bytes <= BUILD_DUCKDB_MEMORY_BYTES,
                low,
                "{set} shown as {shown}"
            );
            // What is read back can be set again.
            conn.execute_batch(&format!("SET memory_limit = '{shown}'"))
                .unwrap();
        }
    }
}
