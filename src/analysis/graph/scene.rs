//! What the Network view draws, prepared off the UI thread: the graph, each
//! cluster's centre and radius, the weights between clusters, adjacency
//! for N-hop expansion, and picking (nearest node, lasso) in layout space.

use std::collections::HashMap;

use super::Graph;

/// A graph ready to draw.
#[derive(Debug, Clone, Default)]
pub struct Scene {
    /// The graph.
    pub graph: Graph,
    /// Top category of every account (by node id).
    pub top_category: Vec<String>,
    /// Centre x, centre y and radius of every cluster's members, by id.
    pub cluster_disc: Vec<(f32, f32, f32)>,
    /// Summed link weight between two clusters (smaller id first), both ≥ 1.
    pub between: Vec<(u32, u32, f32)>,
    /// Members of every cluster, by id.
    pub members: Vec<Vec<u32>>,
    adj_offsets: Vec<usize>,
    /// Edge indices per node, node after node.
    adj: Vec<u32>,
}

impl Scene {
    /// Prepares `graph` for drawing.
    pub fn new(graph: Graph, top_category: Vec<String>) -> Scene {
        let total = graph.node_count();
        let k = graph
            .clusters
            .len()
            .max(graph.cluster.iter().max().map_or(0, |c| *c as usize + 1))
            .max(1);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); k];
        for n in 0..total {
            members[graph.cluster[n] as usize].push(n as u32);
        }
        let cluster_disc = members
            .iter()
            .map(|m| {
                let c = m.len().max(1) as f32;
                let cx = m.iter().map(|n| graph.x[*n as usize]).sum::<f32>() / c;
                let cy = m.iter().map(|n| graph.y[*n as usize]).sum::<f32>() / c;
                let r = m
                    .iter()
                    .map(|n| {
                        ((graph.x[*n as usize] - cx).powi(2) + (graph.y[*n as usize] - cy).powi(2))
                            .sqrt()
                    })
                    .fold(0.0f32, f32::max);
                (cx, cy, r.max(0.5))
            })
            .collect();
        let mut between: HashMap<(u32, u32), f32> = HashMap::new();
        let mut degree = vec![0usize; total + 1];
        for e in &graph.edges {
            let (a, b) = (
                graph.cluster[e.source as usize],
                graph.cluster[e.target as usize],
            );
            if a != b && a != 0 && b != 0 {
                *between.entry((a.min(b), a.max(b))).or_default() += e.weight;
            }
            degree[e.source as usize + 1] += 1;
            degree[e.target as usize + 1] += 1;
        }
        for i in 0..total {
            degree[i + 1] += degree[i];
        }
        let mut fill = degree.clone();
        let mut adj = vec![0u32; degree[total]];
        for (i, e) in graph.edges.iter().enumerate() {
            adj[fill[e.source as usize]] = i as u32;
            fill[e.source as usize] += 1;
            adj[fill[e.target as usize]] = i as u32;
            fill[e.target as usize] += 1;
        }
        let mut between: Vec<(u32, u32, f32)> =
            between.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        between.sort_by_key(|e| (e.0, e.1));
        Scene {
            graph,
            top_category,
            cluster_disc,
            between,
            members,
            adj_offsets: degree,
            adj,
        }
    }

    /// Indices (into `graph.edges`) of the edges at a node.
    pub fn incident_edges(&self, n: usize) -> &[u32] {
        &self.adj[self.adj_offsets[n]..self.adj_offsets[n + 1]]
    }

    /// Neighbours of a node.
    pub fn neighbours(&self, n: usize) -> impl Iterator<Item = u32> + '_ {
        self.incident_edges(n).iter().map(move |e| {
            let e = &self.graph.edges[*e as usize];
            if e.source as usize == n {
                e.target
            } else {
                e.source
            }
        })
    }

    /// Nodes within `hops` links of `start` (itself included). Hubs are
    /// reached but not crossed: one proxy would otherwise pull in
    /// thousands of unrelated accounts.
    pub fn neighbourhood(&self, start: usize, hops: usize) -> Vec<u32> {
        let mut seen = std::collections::HashSet::from([start as u32]);
        let mut frontier = vec![start as u32];
        for _ in 0..hops {
            let mut next = Vec::new();
            for n in frontier {
                if self.graph.is_hub(n as usize) && n as usize != start {
                    continue;
                }
                for m in self.neighbours(n as usize) {
                    if seen.insert(m) {
                        next.push(m);
                    }
                }
            }
            frontier = next;
        }
        let mut out: Vec<u32> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// The node nearest to (x, y) among `candidates`, within `radius`.
    pub fn pick(
        &self,
        candidates: impl IntoIterator<Item = u32>,
        x: f32,
        y: f32,
        radius: f32,
    ) -> Option<u32> {
        let g = &self.graph;
        candidates
            .into_iter()
            .map(|n| {
                let d = (g.x[n as usize] - x).powi(2) + (g.y[n as usize] - y).powi(2);
                (n, d)
            })
            .filter(|(_, d)| *d <= radius * radius)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(n, _)| n)
    }

    /// The accounts among `candidates` inside a closed polygon (a lasso or
    /// a box) given in layout coordinates.
    pub fn inside(
        &self,
        candidates: impl IntoIterator<Item = u32>,
        polygon: &[(f32, f32)],
    ) -> Vec<u32> {
        let g = &self.graph;
        candidates
            .into_iter()
            .filter(|n| !g.is_hub(*n as usize))
            .filter(|n| point_in_polygon(g.x[*n as usize], g.y[*n as usize], polygon))
            .collect()
    }

    /// Finds a node by account id (exact, then prefix) or by a hub value
    /// containing the text (an IP, an ASN, a payment fingerprint).
    pub fn find(&self, text: &str) -> Option<u32> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let g = &self.graph;
        if let Some(n) = g.account_node(text) {
            return Some(n as u32);
        }
        let start = g.accounts.partition_point(|a| a.as_str() < text);
        if g.accounts.get(start).is_some_and(|a| a.starts_with(text)) {
            return Some(start as u32);
        }
        let lower = text.to_lowercase();
        g.hubs
            .iter()
            .position(|h| h.value.to_lowercase().contains(&lower))
            .map(|h| (g.accounts.len() + h) as u32)
    }
}

/// Even-odd rule.
pub fn point_in_polygon(x: f32, y: f32, polygon: &[(f32, f32)]) -> bool {
    let mut inside = false;
    let n = polygon.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = polygon[i];
        let (xj, yj) = polygon[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::super::{Edge, Hub, LinkKind};
    use super::*;

    /// Four accounts on a square, one hub in the middle linked to all.
    fn square() -> Scene {
        let g = Graph {
            accounts: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            volume: vec![1, 2, 3, 4],
            hubs: vec![Hub {
                kind: LinkKind::Ip,
                value: "198.51.100.7".into(),
                degree: 4,
                first_h: 0.0,
                last_h: 1.0,
                exchanges: 10,
            }],
            edges: (0..4)
                .map(|a| Edge {
                    source: a,
                    target: 4,
                    kind: LinkKind::Ip,
                    weight: 1.0,
                })
                .chain([Edge {
                    source: 0,
                    target: 1,
                    kind: LinkKind::Payment,
                    weight: 3.0,
                }])
                .collect(),
            cluster: vec![1, 1, 1, 1, 1],
            clusters: Vec::new(),
            x: vec![0.0, 10.0, 10.0, 0.0, 5.0],
            y: vec![0.0, 0.0, 10.0, 10.0, 5.0],
            ..Graph::default()
        };
        Scene::new(g, vec!["math".into(); 4])
    }

    #[test]
    fn picking_finds_the_nearest_node_within_reach() {
        let s = square();
        assert_eq!(s.pick(0..5, 9.0, 1.0, 2.0), Some(1));
        assert_eq!(s.pick(0..5, 5.5, 5.0, 1.0), Some(4));
        assert_eq!(s.pick(0..5, 2.5, 7.5, 1.0), None);
    }

    #[test]
    fn lasso_selects_the_accounts_inside_only() {
        let s = square();
        // A triangle around a, b and the hub; the hub is not an account.
        let lasso = [(-1.0, -1.0), (12.0, -1.0), (5.0, 7.0)];
        assert_eq!(s.inside(0..5, &lasso), vec![0, 1]);
        let everything = [(-1.0, -1.0), (11.0, -1.0), (11.0, 11.0), (-1.0, 11.0)];
        assert_eq!(s.inside(0..5, &everything), vec![0, 1, 2, 3]);
    }

    #[test]
    fn hops_do_not_cross_hubs_and_search_finds_ids_and_values() {
        let s = square();
        // From a: b by payment and the hub in one hop; the hub is not crossed.
        assert_eq!(s.neighbourhood(0, 2), vec![0, 1, 4]);
        // From the hub itself: all accounts.
        assert_eq!(s.neighbourhood(4, 1), vec![0, 1, 2, 3, 4]);
        assert_eq!(s.find("c"), Some(2));
        assert_eq!(s.find("100.7"), Some(4));
        assert_eq!(s.find("zzz"), None);
    }
}
