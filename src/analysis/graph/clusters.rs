//! What each cluster is: size, volume, date span, dominant categories, the
//! values its accounts share most, and a readable name made from them.

use std::collections::HashMap;
use std::path::Path;

use duckdb::Connection;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::incidence::Incidence;
use super::links::LinkKind;
use super::{Graph, Hub};
use crate::analysis::views::query_rows;
use crate::store::error::StoreResult;

/// A value many accounts of a cluster share.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SharedValue {
    /// What is shared.
    pub kind: LinkKind,
    /// The value.
    pub value: String,
    /// Accounts of the cluster that used it.
    pub accounts: u32,
}

/// One cluster (id 0 gathers the accounts linked to no other account).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClusterInfo {
    /// Cluster id: 1 is the largest, 0 the unlinked accounts.
    pub id: u32,
    /// Readable name from its strongest shared values.
    pub name: String,
    /// Accounts.
    pub size: usize,
    /// Hubs placed with it.
    pub hubs: usize,
    /// Exchanges of its accounts.
    pub volume: u64,
    /// First exchange, seconds since the epoch.
    pub first_seen: i64,
    /// Last exchange, seconds since the epoch.
    pub last_seen: i64,
    /// Categories with their share of the cluster's exchanges, largest first.
    pub top_categories: Vec<(String, f64)>,
    /// Values shared by most of its accounts, strongest first.
    pub top_shared: Vec<SharedValue>,
}

/// Exchanges of every account, by graph index.
pub fn account_volumes(conn: &Connection, path: &Path) -> StoreResult<Vec<u64>> {
    query_rows(
        conn,
        path,
        "reading account volumes",
        "SELECT s.exchanges::BIGINT FROM graph_account a JOIN account_summary s USING (account_id)
         ORDER BY a.idx",
        |r| Ok(r.get::<_, i64>(0)?.max(0) as u64),
    )
}

/// Template hubs carry the template's first words after its id, so an
/// analyst can read what was sent.
pub fn label_template_hubs(conn: &Connection, path: &Path, hubs: &mut [Hub]) -> StoreResult<()> {
    let ids: Vec<&str> = hubs
        .iter()
        .filter(|h| h.kind == LinkKind::Template)
        .map(|h| h.value.as_str())
        .collect();
    let samples = template_snippets(conn, path, &ids)?;
    for h in hubs.iter_mut().filter(|h| h.kind == LinkKind::Template) {
        if let Some(s) = samples.get(&h.value) {
            h.value = format!("{} \"{}…\"", h.value, s.trim());
        }
    }
    Ok(())
}

/// Shared template values of the clusters get the same readable text, and
/// the clusters their names.
pub fn label_clusters(
    conn: &Connection,
    path: &Path,
    clusters: &mut [ClusterInfo],
) -> StoreResult<()> {
    let ids: Vec<String> = clusters
        .iter()
        .flat_map(|c| c.top_shared.iter())
        .filter(|v| v.kind == LinkKind::Template)
        .map(|v| v.value.clone())
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let samples = template_snippets(conn, path, &refs)?;
    for c in clusters.iter_mut() {
        for v in c
            .top_shared
            .iter_mut()
            .filter(|v| v.kind == LinkKind::Template)
        {
            if let Some(s) = samples.get(&v.value) {
                v.value = format!("{} \"{}…\"", v.value, s.trim());
            }
        }
        if c.id != 0 {
            c.name = name(c);
        }
    }
    Ok(())
}

/// The first words of templates, by template id. Every template two or
/// more accounts sent is read and the asked ones kept: an `IN` list of
/// thousands of ids made DuckDB compare each row with each id.
fn template_snippets(
    conn: &Connection,
    path: &Path,
    ids: &[&str],
) -> StoreResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let wanted: std::collections::HashSet<&str> = ids.iter().copied().collect();
    let samples: HashMap<String, String> = query_rows(
        conn,
        path,
        "reading template samples",
        "SELECT CAST(template_id AS VARCHAR), regexp_replace(left(sample_prompt, 60), '\\s+', ' ', 'g')
         FROM templates WHERE accounts >= 2",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )?
    .into_iter()
    .filter(|(id, _)| wanted.contains(id.as_str()))
    .collect();
    Ok(samples)
}

/// Cluster id per node: Leiden communities of two or more accounts are
/// numbered 1.. by decreasing size; lone accounts get 0. A hub joins the
/// cluster most of its clustered accounts are in when that is at least a
/// tenth of its accounts (the reseller proxy sits with the campaign using
/// it), else 0.
pub fn cluster_ids(g: &Graph, membership: &[u32]) -> Vec<u32> {
    let n = g.accounts.len();
    let mut size: HashMap<u32, usize> = HashMap::new();
    for c in membership {
        *size.entry(*c).or_default() += 1;
    }
    // `membership` is numbered by decreasing size: communities of two or
    // more come first, so their ids shift by one.
    let mut ids: Vec<u32> = membership
        .iter()
        .map(|c| if size[c] >= 2 { c + 1 } else { 0 })
        .collect();
    let mut hub_votes: Vec<HashMap<u32, u32>> = vec![HashMap::new(); g.hubs.len()];
    let mut linked = vec![0u32; g.hubs.len()];
    for e in &g.edges {
        let t = e.target as usize;
        if t >= n {
            linked[t - n] += 1;
            let c = ids[e.source as usize];
            if c != 0 {
                *hub_votes[t - n].entry(c).or_default() += 1;
            }
        }
    }
    for (h, votes) in hub_votes.iter().enumerate() {
        let best = votes
            .iter()
            .max_by_key(|(c, v)| (**v, std::cmp::Reverse(**c)))
            .filter(|(_, v)| **v as f64 >= 0.1 * f64::from(linked[h]));
        ids.push(best.map_or(0, |(c, _)| *c));
    }
    ids
}

/// Summaries of every cluster, id 0 (unlinked) first.
pub fn describe(
    conn: &Connection,
    path: &Path,
    g: &Graph,
    incidences: &[(LinkKind, Incidence)],
) -> StoreResult<Vec<ClusterInfo>> {
    let n = g.accounts.len();
    let k = g.cluster.iter().max().map_or(0, |m| *m as usize + 1).max(1);
    let mut out: Vec<ClusterInfo> = (0..k as u32)
        .map(|id| ClusterInfo {
            id,
            name: if id == 0 {
                "unlinked accounts".into()
            } else {
                format!("cluster {id}")
            },
            size: 0,
            hubs: 0,
            volume: 0,
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            top_categories: Vec::new(),
            top_shared: Vec::new(),
        })
        .collect();
    for (node, c) in g.cluster.iter().enumerate() {
        let info = &mut out[*c as usize];
        if node < n {
            info.size += 1;
            info.volume += g.volume[node];
        } else {
            info.hubs += 1;
        }
    }
    // Spans and categories from the per-account aggregates.
    let spans = query_rows(
        conn,
        path,
        "reading account spans",
        "SELECT a.idx, epoch(s.first_seen)::BIGINT, epoch(s.last_seen)::BIGINT
         FROM graph_account a JOIN account_summary s USING (account_id)",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    for (idx, first, last) in spans {
        let info = &mut out[g.cluster[idx as usize] as usize];
        info.first_seen = info.first_seen.min(first);
        info.last_seen = info.last_seen.max(last);
    }
    let cats = query_rows(
        conn,
        path,
        "reading account categories",
        "SELECT a.idx, d.category, sum(d.exchanges)::BIGINT
         FROM account_day d JOIN graph_account a USING (account_id) GROUP BY ALL",
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    let mut by_cluster: Vec<HashMap<String, i64>> = vec![HashMap::new(); k];
    for (idx, cat, x) in cats {
        *by_cluster[g.cluster[idx as usize] as usize]
            .entry(cat)
            .or_default() += x;
    }
    for (info, cats) in out.iter_mut().zip(by_cluster) {
        let total: i64 = cats.values().sum();
        let mut v: Vec<(String, f64)> = cats
            .into_iter()
            .map(|(c, x)| (c, x as f64 / total.max(1) as f64))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(3);
        info.top_categories = v;
        if info.first_seen == i64::MAX {
            (info.first_seen, info.last_seen) = (0, 0);
        }
    }
    // Values shared inside each cluster, kind by kind in parallel; texts
    // are copied only for each cluster's top five.
    let per_kind: Vec<Vec<Vec<(f32, u32, u32)>>> = incidences
        .par_iter()
        .map(|(kind, inc)| {
            let w = g.config.weight(*kind);
            let mut shared: Vec<Vec<(f32, u32, u32)>> = vec![Vec::new(); k];
            let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
            for v in 0..inc.len() {
                counts.clear();
                for m in inc.members(v) {
                    let c = g.cluster[m.account as usize];
                    if c != 0 {
                        *counts.entry(c).or_default() += 1;
                    }
                }
                for (c, x) in &counts {
                    if *x >= 2 {
                        shared[*c as usize].push((*x as f32 * w, v as u32, *x));
                    }
                }
            }
            shared
        })
        .collect();
    for (c, info) in out.iter_mut().enumerate() {
        let mut best: Vec<(f32, usize, u32, u32)> = per_kind
            .iter()
            .enumerate()
            .flat_map(|(ki, s)| s[c].iter().map(move |(w, v, x)| (*w, ki, *v, *x)))
            .collect();
        let text = |ki: usize, v: u32| incidences[ki].1.values[v as usize].as_str();
        best.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| text(a.1, a.2).cmp(text(b.1, b.2)))
        });
        best.truncate(5);
        info.top_shared = best
            .into_iter()
            .map(|(_, ki, v, x)| SharedValue {
                kind: incidences[ki].0,
                value: text(ki, v).to_owned(),
                accounts: x,
            })
            .collect();
    }
    Ok(out)
}

/// "software_engineering 45% · ip 39.126.2.173 (500 accounts)": the
/// dominant category, the strongest shared value (infrastructure or
/// payment before templates, whose text says less), and the size.
pub fn name(info: &ClusterInfo) -> String {
    let short = |s: &SharedValue| {
        let text = match s.value.split_once(' ') {
            Some((_, words)) if s.kind == LinkKind::Template => words.trim_matches('"'),
            _ => s.value.as_str(),
        };
        let v: String = text.chars().take(32).collect();
        let more = if text.chars().count() > 32 { "…" } else { "" };
        format!("{} {v}{more}", s.kind.name())
    };
    let value = info
        .top_shared
        .iter()
        .find(|v| v.kind != LinkKind::Template)
        .or(info.top_shared.first())
        .map(short);
    let category = info
        .top_categories
        .first()
        .map(|(c, share)| format!("{c} {:.0}%", share * 100.0));
    let parts: Vec<String> = category.into_iter().chain(value).collect();
    format!("{} ({} accounts)", parts.join(" · "), info.size)
}
