//! Leiden community detection (Traag, Waltman & van Eck, Sci. Rep. 2019)
//! with the modularity quality function: fast local moving, refinement
//! into well-connected sub-communities, aggregation, repeated until no
//! node moves. Deterministic for a seed (node orders are shuffled by a
//! seeded ChaCha stream; ties go to the first candidate), and the refined
//! step picks the best merge greedily (θ → 0).

use std::collections::VecDeque;

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

/// An undirected weighted graph in compressed sparse rows (both directions
/// stored), with each node's strength kept apart so aggregated graphs keep
/// the weight inside their nodes.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    offsets: Vec<usize>,
    nbrs: Vec<u32>,
    weights: Vec<f64>,
    strength: Vec<f64>,
    total: f64,
}

impl Csr {
    /// Builds the graph of `n` nodes from undirected edges; parallel edges
    /// are summed, self-loops and non-positive weights dropped.
    pub fn from_edges(n: usize, edges: impl IntoIterator<Item = (u32, u32, f64)>) -> Csr {
        let mut both: Vec<(u32, u32, f64)> = Vec::new();
        for (a, b, w) in edges {
            if a != b && w > 0.0 && w.is_finite() {
                both.push((a, b, w));
                both.push((b, a, w));
            }
        }
        Csr::from_directed(n, both, None)
    }

    /// From directed half-edges (each undirected edge present twice).
    fn from_directed(n: usize, mut both: Vec<(u32, u32, f64)>, strength: Option<Vec<f64>>) -> Csr {
        both.sort_unstable_by_key(|e| (e.0, e.1));
        let mut offsets = vec![0usize; n + 1];
        let mut nbrs = Vec::with_capacity(both.len());
        let mut weights: Vec<f64> = Vec::with_capacity(both.len());
        let mut last = (u32::MAX, u32::MAX);
        for (a, b, w) in both {
            if (a, b) == last {
                *weights.last_mut().expect("a previous edge") += w;
            } else {
                nbrs.push(b);
                weights.push(w);
                offsets[a as usize + 1] += 1;
                last = (a, b);
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let strength = strength.unwrap_or_else(|| {
            (0..n)
                .map(|v| weights[offsets[v]..offsets[v + 1]].iter().sum())
                .collect()
        });
        let total = strength.iter().sum();
        Csr {
            offsets,
            nbrs,
            weights,
            strength,
            total,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.strength.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.strength.is_empty()
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.nbrs.len() / 2
    }

    /// Neighbours of `v` with the weights of the edges to them.
    pub fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[v]..self.offsets[v + 1];
        self.nbrs[r.clone()]
            .iter()
            .zip(&self.weights[r])
            .map(|(u, w)| (*u as usize, *w))
    }

    /// Modularity of a partition (`membership[v]` = community of `v`).
    pub fn modularity(&self, membership: &[u32], resolution: f64) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let k = membership.iter().max().map_or(0, |m| *m as usize + 1);
        let mut inside = 0.0;
        let mut tot = vec![0.0f64; k];
        for v in 0..self.len() {
            tot[membership[v] as usize] += self.strength[v];
            for (u, w) in self.neighbours(v) {
                if membership[u] == membership[v] {
                    inside += w;
                }
            }
        }
        let expected: f64 = tot.iter().map(|t| t * t).sum::<f64>() / (self.total * self.total);
        inside / self.total - resolution * expected
    }
}

/// A partition found by [`leiden`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Community of each node, numbered from 0 by decreasing size (ties by
    /// smallest member), so the numbering is the same whenever the graph is.
    pub membership: Vec<u32>,
    /// Number of communities.
    pub count: usize,
    /// Modularity of the partition.
    pub modularity: f64,
    /// Aggregation levels run.
    pub levels: usize,
}

/// Scratch space for summing weights per community without clearing all of it.
struct Tally {
    weight: Vec<f64>,
    touched: Vec<usize>,
}

impl Tally {
    fn new(n: usize) -> Tally {
        Tally {
            weight: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, c: usize, w: f64) {
        if self.weight[c] == 0.0 {
            self.touched.push(c);
        }
        self.weight[c] += w;
    }

    fn clear(&mut self) {
        for &c in &self.touched {
            self.weight[c] = 0.0;
        }
        self.touched.clear();
    }
}

fn shuffled(n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // Fisher–Yates: uniform in 0..=i (the same draws the generator's
        // `below(i + 1)` makes, so partitions are unchanged).
        let j = if i == 0 {
            0
        } else {
            rng.random_range(0..i + 1)
        };
        order.swap(i, j);
    }
    order
}

/// Fast local moving: nodes move to the neighbouring community with the
/// best modularity gain, their neighbours are queued again when they move.
/// Returns whether any node moved.
fn move_nodes(g: &Csr, part: &mut [u32], gamma: f64, rng: &mut ChaCha8Rng) -> bool {
    let n = g.len();
    let mut comm_strength = vec![0.0f64; n];
    let mut comm_size = vec![0u32; n];
    for v in 0..n {
        comm_strength[part[v] as usize] += g.strength[v];
        comm_size[part[v] as usize] += 1;
    }
    let mut empty: Vec<usize> = (0..n).filter(|&c| comm_size[c] == 0).collect();
    let mut queue: VecDeque<usize> = shuffled(n, rng).into();
    let mut queued = vec![true; n];
    let mut tally = Tally::new(n);
    let mut moved = false;
    while let Some(v) = queue.pop_front() {
        queued[v] = false;
        let cur = part[v] as usize;
        let kv = g.strength[v];
        for (u, w) in g.neighbours(v) {
            tally.add(part[u] as usize, w);
        }
        comm_strength[cur] -= kv;
        comm_size[cur] -= 1;
        let gain = |c: usize, w: f64| w - gamma * kv * comm_strength[c] / g.total;
        let mut best = cur;
        let mut best_gain = gain(cur, tally.weight[cur]);
        for &c in &tally.touched {
            let gc = gain(c, tally.weight[c]);
            if gc > best_gain + 1e-12 {
                best = c;
                best_gain = gc;
            }
        }
        if best_gain < 0.0 && comm_size[cur] > 0 {
            // Alone is better than anywhere: an empty community.
            if let Some(c) = empty.pop() {
                best = c;
            }
        }
        tally.clear();
        comm_strength[best] += kv;
        comm_size[best] += 1;
        if comm_size[cur] == 0 && best != cur {
            empty.push(cur);
        }
        if best != cur {
            moved = true;
            part[v] = best as u32;
            for (u, _) in g.neighbours(v) {
                if !queued[u] && part[u] as usize != best {
                    queued[u] = true;
                    queue.push_back(u);
                }
            }
        }
    }
    moved
}

/// Refinement: inside each community, singletons merge greedily into
/// well-connected sub-communities, so every community found is connected.
fn refine(g: &Csr, part: &[u32], gamma: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let n = g.len();
    let mut comm_strength = vec![0.0f64; n];
    for v in 0..n {
        comm_strength[part[v] as usize] += g.strength[v];
    }
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut r_strength: Vec<f64> = g.strength.clone();
    let mut r_size = vec![1u32; n];
    // Weight from each node to the rest of its community.
    let ext_node: Vec<f64> = (0..n)
        .map(|v| {
            g.neighbours(v)
                .filter(|(u, _)| part[*u] == part[v])
                .map(|(_, w)| w)
                .sum()
        })
        .collect();
    let mut r_ext = ext_node.clone();
    let mut tally = Tally::new(n);
    for v in shuffled(n, rng) {
        let own = refined[v] as usize;
        if r_size[own] != 1 {
            continue;
        }
        let c = part[v] as usize;
        let kv = g.strength[v];
        let kc = comm_strength[c];
        if ext_node[v] < gamma * kv * (kc - kv) / g.total {
            continue;
        }
        for (u, w) in g.neighbours(v) {
            if part[u] as usize == c {
                tally.add(refined[u] as usize, w);
            }
        }
        let mut best = own;
        let mut best_gain = 0.0;
        for &s in &tally.touched {
            if s == own {
                continue;
            }
            let ks = r_strength[s];
            if r_ext[s] < gamma * ks * (kc - ks) / g.total {
                continue;
            }
            let gs = tally.weight[s] - gamma * kv * ks / g.total;
            if gs > best_gain + 1e-12 {
                best = s;
                best_gain = gs;
            }
        }
        if best != own {
            r_ext[best] += ext_node[v] - 2.0 * tally.weight[best];
            r_strength[best] += kv;
            r_size[best] += 1;
            r_size[own] = 0;
            refined[v] = best as u32;
        }
        tally.clear();
    }
    refined
}

/// Renumbers labels to 0..k in order of first appearance; returns k.
fn renumber(labels: &mut [u32]) -> usize {
    let mut map = vec![u32::MAX; labels.len().max(1)];
    let mut next = 0u32;
    for l in labels.iter_mut() {
        let m = &mut map[*l as usize];
        if *m == u32::MAX {
            *m = next;
            next += 1;
        }
        *l = *m;
    }
    next as usize
}

/// The graph whose nodes are the groups of `labels` (0..k).
fn aggregate(g: &Csr, labels: &[u32], k: usize) -> Csr {
    let mut strength = vec![0.0f64; k];
    let mut half: Vec<(u32, u32, f64)> = Vec::new();
    for v in 0..g.len() {
        let lv = labels[v];
        strength[lv as usize] += g.strength[v];
        for (u, w) in g.neighbours(v) {
            if labels[u] != lv {
                half.push((lv, labels[u], w));
            }
        }
    }
    Csr::from_directed(k, half, Some(strength))
}

/// Runs Leiden with modularity at `resolution` (1 = standard).
pub fn leiden(g: &Csr, resolution: f64, seed: u64) -> Clustering {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = g.len();
    let mut level = g.clone();
    let mut node_of: Vec<u32> = (0..n as u32).collect();
    let mut part: Vec<u32> = (0..n as u32).collect();
    let mut levels = 0;
    loop {
        levels += 1;
        let moved = move_nodes(&level, &mut part, resolution, &mut rng);
        let k = renumber(&mut part);
        if !moved || k == level.len() || levels > 50 {
            break;
        }
        let mut refined = refine(&level, &part, resolution, &mut rng);
        let mut kr = renumber(&mut refined);
        if kr == level.len() {
            // Refinement merged nothing: aggregate by the communities
            // themselves (a Louvain step) so the loop makes progress.
            refined = part.clone();
            kr = k;
        }
        let mut next_part = vec![0u32; kr];
        for v in 0..level.len() {
            next_part[refined[v] as usize] = part[v];
        }
        for x in node_of.iter_mut() {
            *x = refined[*x as usize];
        }
        level = aggregate(&level, &refined, kr);
        part = next_part;
    }
    let mut membership: Vec<u32> = node_of.iter().map(|x| part[*x as usize]).collect();
    let count = canonical_numbering(&mut membership);
    let modularity = g.modularity(&membership, resolution);
    Clustering {
        membership,
        count,
        modularity,
        levels,
    }
}

/// Numbers communities by decreasing size, ties by smallest member; returns
/// the count.
pub fn canonical_numbering(membership: &mut [u32]) -> usize {
    let k = renumber(membership);
    let mut size = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (v, c) in membership.iter().enumerate() {
        size[*c as usize] += 1;
        first[*c as usize] = first[*c as usize].min(v);
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(size[c]), first[c]));
    let mut rank = vec![0u32; k];
    for (r, c) in order.into_iter().enumerate() {
        rank[c] = r as u32;
    }
    for c in membership.iter_mut() {
        *c = rank[*c as usize];
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cliques` cliques of `size` nodes, each joined to the next by one edge.
    fn ring_of_cliques(cliques: usize, size: usize) -> Csr {
        let mut edges = Vec::new();
        for c in 0..cliques {
            let base = (c * size) as u32;
            for i in 0..size as u32 {
                for j in i + 1..size as u32 {
                    edges.push((base + i, base + j, 1.0));
                }
            }
            let next = (((c + 1) % cliques) * size) as u32;
            edges.push((base, next + 1, 1.0));
        }
        Csr::from_edges(cliques * size, edges)
    }

    #[test]
    fn finds_the_cliques_of_a_ring() {
        let g = ring_of_cliques(12, 6);
        let c = leiden(&g, 1.0, 1);
        assert_eq!(c.count, 12);
        for clique in 0..12 {
            let first = c.membership[clique * 6];
            assert!((0..6).all(|i| c.membership[clique * 6 + i] == first));
        }
        assert!(c.modularity > 0.8, "{}", c.modularity);
    }

    #[test]
    fn same_seed_same_answer_and_isolated_nodes_stay_alone() {
        let mut edges = Vec::new();
        for c in 0..30u32 {
            for i in 0..5 {
                for j in i + 1..5 {
                    edges.push((c * 5 + i, c * 5 + j, 1.0 + f64::from((i + j) % 3)));
                }
            }
            edges.push((c * 5, ((c + 7) % 30) * 5 + 2, 0.5));
        }
        let g = Csr::from_edges(160, edges);
        let a = leiden(&g, 1.0, 42);
        let b = leiden(&g, 1.0, 42);
        assert_eq!(a, b);
        // Nodes 150..160 have no edges: each is its own community.
        let alone: std::collections::HashSet<u32> = (150..160).map(|v| a.membership[v]).collect();
        assert_eq!(alone.len(), 10);
        assert!(a.modularity > 0.5);
    }

    #[test]
    fn modularity_of_known_partitions() {
        // Two triangles joined by one edge: the split scores 5/14 ≈ 0.357.
        let g = Csr::from_edges(
            6,
            vec![
                (0, 1, 1.0),
                (1, 2, 1.0),
                (0, 2, 1.0),
                (3, 4, 1.0),
                (4, 5, 1.0),
                (3, 5, 1.0),
                (2, 3, 1.0),
            ],
        );
        let q = g.modularity(&[0, 0, 0, 1, 1, 1], 1.0);
        assert!((q - 5.0 / 14.0).abs() < 1e-9, "{q}");
        assert_eq!(g.modularity(&[0; 6], 1.0), 0.0);
        assert_eq!(leiden(&g, 1.0, 3).count, 2);
    }
}
