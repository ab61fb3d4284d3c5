//! Fraudar (Hooi et al., KDD 2016) on the account × template graph: the
//! densest block by greedy peeling, with column weights 1 / ln(degree + 5)
//! so popular templates count less; peeled repeatedly to find several
//! blocks. O(E log V) per block with a lazy min-heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One dense block: its rows (accounts) and its density g(S) = f(S) / |S|.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    /// Row (account) indices, sorted.
    pub rows: Vec<u32>,
    /// Column (template) indices, sorted.
    pub cols: Vec<u32>,
    /// Weighted edges per node in the block.
    pub density: f64,
}

/// Bipartite edges as compressed adjacency both ways.
struct Bipartite {
    row_start: Vec<usize>,
    row_cols: Vec<u32>,
    col_start: Vec<usize>,
    col_rows: Vec<u32>,
}

impl Bipartite {
    fn new(rows: usize, cols: usize, edges: &[(u32, u32)]) -> Bipartite {
        // `flip` builds the column-major side from the same edges.
        let csr = |n: usize, flip: bool| {
            let key = |e: &(u32, u32)| if flip { (e.1, e.0) } else { *e };
            let mut start = vec![0usize; n + 1];
            for e in edges {
                start[key(e).0 as usize + 1] += 1;
            }
            for i in 0..n {
                start[i + 1] += start[i];
            }
            let mut fill = start.clone();
            let mut other = vec![0u32; edges.len()];
            for e in edges {
                let (a, b) = key(e);
                other[fill[a as usize]] = b;
                fill[a as usize] += 1;
            }
            (start, other)
        };
        let (row_start, row_cols) = csr(rows, false);
        let (col_start, col_rows) = csr(cols, true);
        Bipartite {
            row_start,
            row_cols,
            col_start,
            col_rows,
        }
    }
}

/// Priorities as ordered integers for the heap (weights are non-negative).
fn key(p: f64) -> u64 {
    (p.max(0.0) * 1e9) as u64
}

/// The densest block of `edges` (row, column), by greedy peeling.
/// Returns `None` when there are no edges.
pub fn densest_block(rows: usize, cols: usize, edges: &[(u32, u32)]) -> Option<Block> {
    if edges.is_empty() {
        return None;
    }
    let g = Bipartite::new(rows, cols, edges);
    let weight: Vec<f64> = (0..cols)
        .map(|j| {
            let d = (g.col_start[j + 1] - g.col_start[j]) as f64;
            1.0 / (d + 5.0).ln()
        })
        .collect();
    // Node ids: rows 0..rows, columns rows..rows+cols.
    let n = rows + cols;
    let mut prio = vec![0.0f64; n];
    let mut alive = vec![false; n];
    for r in 0..rows {
        let cs = &g.row_cols[g.row_start[r]..g.row_start[r + 1]];
        if !cs.is_empty() {
            prio[r] = cs.iter().map(|&c| weight[c as usize]).sum();
            alive[r] = true;
        }
    }
    for c in 0..cols {
        let d = g.col_start[c + 1] - g.col_start[c];
        if d > 0 {
            prio[rows + c] = weight[c] * d as f64;
            alive[rows + c] = true;
        }
    }
    let mut size = alive.iter().filter(|a| **a).count();
    let mut total: f64 = (0..cols)
        .map(|c| weight[c] * (g.col_start[c + 1] - g.col_start[c]) as f64)
        .sum();
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = (0..n)
        .filter(|&v| alive[v])
        .map(|v| Reverse((key(prio[v]), v as u32)))
        .collect();
    let mut order = Vec::with_capacity(size);
    let (mut best, mut best_removed) = (total / size as f64, 0usize);
    while let Some(Reverse((k, v))) = heap.pop() {
        let v = v as usize;
        if !alive[v] || k != key(prio[v]) {
            continue; // stale entry
        }
        alive[v] = false;
        order.push(v);
        total -= prio[v];
        size -= 1;
        if v < rows {
            for &c in &g.row_cols[g.row_start[v]..g.row_start[v + 1]] {
                let u = rows + c as usize;
                if alive[u] {
                    prio[u] -= weight[c as usize];
                    heap.push(Reverse((key(prio[u]), u as u32)));
                }
            }
        } else {
            let c = v - rows;
            for &r in &g.col_rows[g.col_start[c]..g.col_start[c + 1]] {
                let u = r as usize;
                if alive[u] {
                    prio[u] -= weight[c];
                    heap.push(Reverse((key(prio[u]), u as u32)));
                }
            }
        }
        if size > 0 && total / size as f64 > best {
            best = total / size as f64;
            best_removed = order.len();
        }
    }
    // The block is everything not removed by the best point.
    let mut in_block = vec![false; n];
    for &v in &order[best_removed..] {
        in_block[v] = true;
    }
    let block_rows: Vec<u32> = (0..rows)
        .filter(|&r| in_block[r])
        .map(|r| r as u32)
        .collect();
    let block_cols: Vec<u32> = (0..cols)
        .filter(|&c| in_block[rows + c])
        .map(|c| c as u32)
        .collect();
    Some(Block {
        rows: block_rows,
        cols: block_cols,
        density: best,
    })
}

/// Up to `count` blocks, each found after removing the previous blocks'
/// rows; blocks with fewer than `min_rows` rows are skipped (peeling
/// continues without their rows).
pub fn dense_blocks(
    rows: usize,
    cols: usize,
    edges: &[(u32, u32)],
    count: usize,
    min_rows: usize,
) -> Vec<Block> {
    let mut removed = vec![false; rows];
    let mut blocks = Vec::new();
    let mut remaining: Vec<(u32, u32)> = edges.to_vec();
    for _ in 0..count {
        let Some(b) = densest_block(rows, cols, &remaining) else {
            break;
        };
        for &r in &b.rows {
            removed[r as usize] = true;
        }
        remaining.retain(|e| !removed[e.0 as usize]);
        if b.rows.len() >= min_rows {
            blocks.push(b);
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 20 × 10 complete block hidden in sparse noise, with camouflage:
    /// the block's accounts also use popular templates everyone uses.
    #[test]
    fn finds_the_planted_block_despite_camouflage() {
        let (rows, cols) = (220usize, 60usize);
        let mut edges = Vec::new();
        for r in 0..20u32 {
            for c in 0..10u32 {
                edges.push((r, c));
            }
        }
        // Noise: each of 200 other accounts uses two templates among 10..60.
        for r in 20..220u32 {
            edges.push((r, 10 + (r * 7) % 50));
            edges.push((r, 10 + (r * 13 + 3) % 50));
        }
        // Camouflage: block accounts also use popular templates 10..13.
        for r in 0..20u32 {
            edges.push((r, 10 + r % 4));
        }
        edges.sort_unstable();
        edges.dedup();
        let b = densest_block(rows, cols, &edges).unwrap();
        assert_eq!(b.rows, (0..20).collect::<Vec<u32>>());
        assert!((0..10).all(|c| b.cols.contains(&c)));
    }

    #[test]
    fn peels_two_blocks_and_skips_small_ones() {
        let mut edges = Vec::new();
        for r in 0..15u32 {
            for c in 0..8u32 {
                edges.push((r, c));
            }
        }
        for r in 15..27u32 {
            for c in 8..14u32 {
                edges.push((r, c));
            }
        }
        edges.push((27, 14));
        let blocks = dense_blocks(28, 15, &edges, 3, 5);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].rows, (0..15).collect::<Vec<u32>>());
        assert_eq!(blocks[1].rows, (15..27).collect::<Vec<u32>>());
        assert!(densest_block(3, 3, &[]).is_none());
    }
}
