//! The whole graph's positions, two levels deep: every cluster is laid out
//! on its own (in parallel), the clusters as super-nodes sized by their
//! membership, then each cluster's picture is scaled to its radius and set
//! at its super-node. Accounts linked to nobody fill a disc beside it.

use rayon::prelude::*;

use super::Graph;
use super::layout::{Layout, LayoutSettings, spiral};

/// Radius of a cluster's disc, in layout units, for `nodes` members: the
/// area grows with the members, one unit of spacing each.
pub fn cluster_radius(nodes: usize) -> f32 {
    0.6 * (nodes as f32).sqrt() + 0.5
}

/// ForceAtlas2 iterations for a cluster of `n` nodes: enough to converge
/// small ones, bounded for the few large ones.
fn iterations(n: usize) -> usize {
    match n {
        0..=2_000 => 150,
        2_001..=10_000 => 80,
        _ => 40,
    }
}

/// Centres positions on their mean and scales them into the unit disc.
pub fn normalise(x: &mut [f32], y: &mut [f32]) {
    let n = x.len().max(1) as f32;
    let (mx, my) = (x.iter().sum::<f32>() / n, y.iter().sum::<f32>() / n);
    let far = x
        .iter()
        .zip(y.iter())
        .map(|(a, b)| ((a - mx).powi(2) + (b - my).powi(2)).sqrt())
        .fold(0.0f32, f32::max)
        .max(1e-6);
    for (a, b) in x.iter_mut().zip(y.iter_mut()) {
        *a = (*a - mx) / far;
        *b = (*b - my) / far;
    }
}

/// Moves discs (centres `x`, `y`, radii `r`) off each other: largest
/// first, each from where the layout put it outwards along a spiral to the
/// first free place, so linked clusters stay near and none overlap.
pub fn remove_overlaps(x: &mut [f32], y: &mut [f32], r: &[f32]) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| r[*b].total_cmp(&r[*a]).then(a.cmp(b)));
    let mut sorted_r: Vec<f32> = r.to_vec();
    sorted_r.sort_by(f32::total_cmp);
    let cell = (2.0 * sorted_r[n / 2]).max(1.0);
    let mut grid: rustc_hash::FxHashMap<(i32, i32), Vec<usize>> = Default::default();
    let key = |v: f32| (v / cell).floor() as i32;
    let gap = 0.3;
    for &i in &order {
        let (tx, ty) = (x[i], y[i]);
        // Walk a spiral outwards: about 0.7 radius along the arc per step
        // and one radius further out per turn, both growing with the
        // distance walked (far from the start, a free place is seldom just
        // one step on, and crowded centres are crossed in few turns).
        let growth = r[i].max(0.5);
        let arc = (0.7 * r[i]).max(0.4);
        let (mut angle, mut dist) = (0.0f32, 0.0f32);
        loop {
            let (px, py) = (tx + dist * angle.cos(), ty + dist * angle.sin());
            let reach = r[i] + gap;
            let free = {
                // Placed discs sit in every cell they cover, so only the
                // cells this disc would cover need a look.
                let (gx0, gx1) = (key(px - reach), key(px + reach));
                let (gy0, gy1) = (key(py - reach), key(py + reach));
                let mut ok = true;
                'cells: for gx in gx0..=gx1 {
                    for gy in gy0..=gy1 {
                        for &j in grid.get(&(gx, gy)).map_or(&[][..], |v| v.as_slice()) {
                            let d = ((px - x[j]).powi(2) + (py - y[j]).powi(2)).sqrt();
                            if d < reach + r[j] {
                                ok = false;
                                break 'cells;
                            }
                        }
                    }
                }
                ok
            };
            if free {
                x[i] = px;
                y[i] = py;
                break;
            }
            let turn = arc.max(0.1 * dist) / dist.max(arc);
            angle += turn;
            dist += growth.max(dist / 6.0) * turn / std::f32::consts::TAU;
        }
        for gx in key(x[i] - r[i])..=key(x[i] + r[i]) {
            for gy in key(y[i] - r[i])..=key(y[i] + r[i]) {
                grid.entry((gx, gy)).or_default().push(i);
            }
        }
    }
}

/// Computes `g.x` and `g.y` for every node; records its stages' seconds
/// in `g.timings`.
pub fn lay_out(g: &mut Graph) {
    let mut clock = std::time::Instant::now();
    let mut lap = |g: &mut Graph, stage: &str| {
        g.timings
            .push((format!("layout: {stage}"), clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let total = g.node_count();
    let k = g.clusters.len().max(1);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); k];
    let local_index: Vec<u32> = g
        .cluster
        .iter()
        .enumerate()
        .map(|(node, c)| {
            let m = &mut members[*c as usize];
            m.push(node as u32);
            (m.len() - 1) as u32
        })
        .collect();
    let mut local_edges: Vec<Vec<(u32, u32, f32)>> = vec![Vec::new(); k];
    let mut between: std::collections::HashMap<(u32, u32), f32> = Default::default();
    for e in &g.edges {
        let (a, b) = (e.source as usize, e.target as usize);
        let (ca, cb) = (g.cluster[a], g.cluster[b]);
        if ca == cb && ca != 0 {
            local_edges[ca as usize].push((local_index[a], local_index[b], e.weight));
        } else if ca != 0 && cb != 0 {
            *between.entry((ca.min(cb) - 1, ca.max(cb) - 1)).or_default() += e.weight;
        }
    }
    // Each cluster on its own.
    let local: Vec<(Vec<f32>, Vec<f32>)> = local_edges
        .into_par_iter()
        .zip(members.par_iter())
        .skip(1)
        .map(|(edges, m)| {
            let n = m.len();
            let mut l = Layout::new(n, edges, None, LayoutSettings::default());
            l.run(iterations(n));
            let (mut x, mut y) = (l.x, l.y);
            normalise(&mut x, &mut y);
            (x, y)
        })
        .collect();
    lap(g, "each cluster");
    // Clusters as super-nodes.
    let radius: Vec<f32> = (1..k).map(|c| cluster_radius(members[c].len())).collect();
    let mut super_edges: Vec<(u32, u32, f32)> =
        between.into_iter().map(|((a, b), w)| (a, b, w)).collect();
    super_edges.sort_by_key(|e| (e.0, e.1));
    let mut sup = Layout::new(
        k - 1,
        super_edges,
        Some(spiral(k - 1, 10.0 * (k as f32).sqrt())),
        LayoutSettings {
            lin_log: true,
            ..LayoutSettings::default()
        },
    );
    sup.set_mass(radius.iter().map(|r| 1.0 + r).collect());
    sup.run(match k {
        0..=2_000 => 300,
        2_001..=20_000 => 120,
        _ => 60,
    });
    // Scale the super-layout so its area holds every disc with room to
    // spare (linear in clusters; pairwise spacing would be quadratic).
    lap(g, "clusters as super-nodes");
    let need: f32 = radius.iter().map(|r| (2.4 * r).powi(2)).sum();
    let (x0, x1) = sup
        .x
        .iter()
        .fold((f32::MAX, f32::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
    let (y0, y1) = sup
        .y
        .iter()
        .fold((f32::MAX, f32::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
    let have = ((x1 - x0).max(1.0) * (y1 - y0).max(1.0)).max(1.0);
    let scale = if k > 2 { (need / have).sqrt() } else { 1.0 };
    let (mut cx, mut cy): (Vec<f32>, Vec<f32>) = (
        sup.x.iter().map(|v| v * scale).collect(),
        sup.y.iter().map(|v| v * scale).collect(),
    );
    remove_overlaps(&mut cx, &mut cy, &radius);
    lap(g, "overlaps");
    g.x = vec![0.0; total];
    g.y = vec![0.0; total];
    for c in 1..k {
        let (lx, ly) = &local[c - 1];
        for (i, node) in members[c].iter().enumerate() {
            g.x[*node as usize] = cx[c - 1] + radius[c - 1] * lx[i];
            g.y[*node as usize] = cy[c - 1] + radius[c - 1] * ly[i];
        }
    }
    // The unlinked: a disc to the right.
    let right = (1..k)
        .map(|c| cx[c - 1] + radius[c - 1])
        .fold(0.0f32, f32::max);
    let mid = if k > 1 {
        cy.iter().sum::<f32>() / (k - 1) as f32
    } else {
        0.0
    };
    let lone = &members[0];
    let r0 = cluster_radius(lone.len());
    let (sx, sy) = spiral(lone.len(), r0);
    for (i, node) in lone.iter().enumerate() {
        g.x[*node as usize] = right + r0 + 3.0 + sx[i];
        g.y[*node as usize] = mid + sy[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_discs_are_moved_apart_and_free_ones_stay() {
        // A crowd of discs piled near the origin, one big, and one far away.
        let n = 400;
        let mut x: Vec<f32> = (0..n).map(|i| ((i * 37) % 11) as f32 * 0.1).collect();
        let mut y: Vec<f32> = (0..n).map(|i| ((i * 53) % 7) as f32 * 0.1).collect();
        let mut r: Vec<f32> = (0..n).map(|i| 0.5 + (i % 5) as f32 * 0.3).collect();
        r[0] = 12.0;
        x[n - 1] = 500.0;
        y[n - 1] = 500.0;
        remove_overlaps(&mut x, &mut y, &r);
        for i in 0..n {
            assert!(x[i].is_finite() && y[i].is_finite());
            for j in i + 1..n {
                let d = ((x[i] - x[j]).powi(2) + (y[i] - y[j]).powi(2)).sqrt();
                assert!(d >= r[i] + r[j], "discs {i} and {j} overlap");
            }
        }
        assert_eq!((x[n - 1], y[n - 1]), (500.0, 500.0));
    }
}
