//! ForceAtlas2 running in the background on the nodes the analyst opened:
//! warm-started from their current positions, publishing new positions as
//! it converges (the view animates), pausable, with pinned nodes. Each
//! opened cluster keeps its own centre and spread in the published picture,
//! so it rearranges in place instead of drifting over its neighbours (with
//! one centre for all, gravity pulled every opened cluster into one blob).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::analysis::graph::layout::{Layout, LayoutSettings};
use crate::analysis::graph::scene::Scene;

/// Iterations after which the layout stops by itself.
pub const MAX_ITERATIONS: usize = 1500;

#[derive(Debug, Default)]
struct Shared {
    x: Vec<f32>,
    y: Vec<f32>,
    paused: bool,
    pins: Vec<(usize, f32, f32)>,
    settings: Option<LayoutSettings>,
    iterations: usize,
    fresh: bool,
    /// Per group, published = centre + (layout − mean) × factor: the
    /// layout's mean and the factor of the last publish.
    fit: Vec<(f32, f32, f32)>,
}

/// Where a group of nodes (one cluster's) sits in the picture.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    cx: f32,
    cy: f32,
    spread: f32,
}

/// A running layout of some nodes.
pub struct Live {
    /// The graph nodes it moves, by layout index.
    pub nodes: Vec<u32>,
    local_of: std::collections::HashMap<u32, usize>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    group: Vec<usize>,
    anchors: Vec<Anchor>,
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    /// Starts laying out `nodes` (graph ids) from positions `x`/`y`.
    pub fn start(
        scene: Arc<Scene>,
        nodes: Vec<u32>,
        x: &[f32],
        y: &[f32],
        settings: LayoutSettings,
        ctx: egui::Context,
    ) -> Live {
        let local_of: std::collections::HashMap<u32, usize> =
            nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        // Nodes grouped by cluster, each group anchored where it is now.
        let mut group_of: std::collections::HashMap<u32, usize> = Default::default();
        let group: Vec<usize> = nodes
            .iter()
            .map(|n| {
                let next = group_of.len();
                *group_of
                    .entry(scene.graph.cluster[*n as usize])
                    .or_insert(next)
            })
            .collect();
        let lx: Vec<f32> = nodes.iter().map(|n| x[*n as usize]).collect();
        let ly: Vec<f32> = nodes.iter().map(|n| y[*n as usize]).collect();
        let anchors: Vec<Anchor> = group_stats(&group, group_of.len(), &lx, &ly)
            .into_iter()
            .map(|(cx, cy, spread)| Anchor { cx, cy, spread })
            .collect();
        let (group2, anchors2) = (group.clone(), anchors.clone());
        // The layout itself works around the origin (its gravity's centre).
        let k = nodes.len().max(1) as f32;
        let (mx, my) = (lx.iter().sum::<f32>() / k, ly.iter().sum::<f32>() / k);
        let lx: Vec<f32> = lx.iter().map(|v| v - mx).collect();
        let ly: Vec<f32> = ly.iter().map(|v| v - my).collect();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, stop2) = (shared.clone(), stop.clone());
        let (layout_nodes, layout_index) = (nodes.clone(), local_of.clone());
        let handle = std::thread::Builder::new()
            .name("network-layout".into())
            .spawn(move || {
                // The subgraph's edges are gathered here, off the UI thread.
                let mut edges = Vec::new();
                for (i, n) in layout_nodes.iter().enumerate() {
                    for &e in scene.incident_edges(*n as usize) {
                        let e = &scene.graph.edges[e as usize];
                        let other = if e.source == *n { e.target } else { e.source };
                        if let Some(&j) = layout_index.get(&other).filter(|j| i < **j) {
                            edges.push((i as u32, j as u32, e.weight));
                        }
                    }
                }
                let mut layout = Layout::new(layout_nodes.len(), edges, Some((lx, ly)), settings);
                while !stop2.load(Ordering::Relaxed) {
                    {
                        let mut sh = lock(&s2);
                        if let Some(st) = sh.settings.take() {
                            layout.settings = st;
                        }
                        for (i, px, py) in sh.pins.drain(..) {
                            layout.x[i] = px;
                            layout.y[i] = py;
                            layout.pinned[i] = true;
                        }
                        if sh.paused || layout.iterations >= MAX_ITERATIONS {
                            drop(sh);
                            std::thread::sleep(std::time::Duration::from_millis(30));
                            continue;
                        }
                    }
                    let t = std::time::Instant::now();
                    while t.elapsed().as_millis() < 30 && layout.iterations < MAX_ITERATIONS {
                        layout.step();
                    }
                    let fit: Vec<(f32, f32, f32)> =
                        group_stats(&group2, anchors2.len(), &layout.x, &layout.y)
                            .into_iter()
                            .zip(&anchors2)
                            .map(|((mx, my, r), a)| {
                                (mx, my, if r > 1e-6 { a.spread / r } else { 1.0 })
                            })
                            .collect();
                    let mut sh = lock(&s2);
                    let place = |i: usize, v: f32, axis: usize| {
                        let (mx, my, f) = fit[group2[i]];
                        let a = anchors2[group2[i]];
                        if axis == 0 {
                            a.cx + (v - mx) * f
                        } else {
                            a.cy + (v - my) * f
                        }
                    };
                    sh.x = (0..layout.x.len())
                        .map(|i| place(i, layout.x[i], 0))
                        .collect();
                    sh.y = (0..layout.y.len())
                        .map(|i| place(i, layout.y[i], 1))
                        .collect();
                    sh.iterations = layout.iterations;
                    sh.fit = fit;
                    sh.fresh = true;
                    drop(sh);
                    ctx.request_repaint();
                }
            })
            .ok();
        Live {
            nodes,
            local_of,
            shared,
            stop,
            handle,
            group,
            anchors,
        }
    }

    /// Copies new positions into `x`/`y`; returns whether there were any.
    pub fn apply(&self, x: &mut [f32], y: &mut [f32]) -> bool {
        let mut sh = lock(&self.shared);
        if !sh.fresh {
            return false;
        }
        sh.fresh = false;
        for (i, n) in self.nodes.iter().enumerate() {
            x[*n as usize] = sh.x[i];
            y[*n as usize] = sh.y[i];
        }
        true
    }

    /// Pauses or resumes.
    pub fn set_paused(&self, paused: bool) {
        lock(&self.shared).paused = paused;
    }

    /// Whether it is paused.
    pub fn is_paused(&self) -> bool {
        lock(&self.shared).paused
    }

    /// Iterations run so far.
    pub fn iterations(&self) -> usize {
        lock(&self.shared).iterations
    }

    /// Whether it still moves nodes.
    pub fn is_running(&self) -> bool {
        let sh = lock(&self.shared);
        !sh.paused && sh.iterations < MAX_ITERATIONS
    }

    /// New settings from the next step on.
    pub fn set_settings(&self, settings: LayoutSettings) {
        lock(&self.shared).settings = Some(settings);
    }

    /// Pins a node where the analyst dropped it (graph coordinates).
    pub fn pin(&self, node: u32, x: f32, y: f32) {
        if let Some(&i) = self.local_of.get(&node) {
            // Back from the published picture to the layout's own units.
            let g = self.group[i];
            let a = self.anchors[g];
            let mut sh = lock(&self.shared);
            let (mx, my, f) = sh.fit.get(g).copied().unwrap_or((a.cx, a.cy, 1.0));
            sh.pins.push((i, mx + (x - a.cx) / f, my + (y - a.cy) / f));
        }
    }

    /// Whether a node is moved by this layout.
    pub fn contains(&self, node: u32) -> bool {
        self.local_of.contains_key(&node)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Per group: mean x, mean y and root-mean-square distance from the mean.
fn group_stats(group: &[usize], groups: usize, x: &[f32], y: &[f32]) -> Vec<(f32, f32, f32)> {
    let mut sum = vec![(0.0f32, 0.0f32, 0usize); groups];
    for (i, g) in group.iter().enumerate() {
        sum[*g].0 += x[i];
        sum[*g].1 += y[i];
        sum[*g].2 += 1;
    }
    let means: Vec<(f32, f32)> = sum
        .iter()
        .map(|(sx, sy, n)| (sx / (*n).max(1) as f32, sy / (*n).max(1) as f32))
        .collect();
    let mut sq = vec![0.0f32; groups];
    for (i, g) in group.iter().enumerate() {
        sq[*g] += (x[i] - means[*g].0).powi(2) + (y[i] - means[*g].1).powi(2);
    }
    (0..groups)
        .map(|g| {
            (
                means[g].0,
                means[g].1,
                (sq[g] / sum[g].2.max(1) as f32).sqrt(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::{Edge, Graph, LinkKind};

    #[test]
    fn each_opened_cluster_stays_where_it_was() {
        // Two rings of 20 accounts, clusters 1 and 2, far apart.
        let n = 40;
        let mut edges = Vec::new();
        for c in 0..2u32 {
            for i in 0..20u32 {
                let (a, b) = (c * 20 + i, c * 20 + (i + 1) % 20);
                edges.push(Edge {
                    source: a.min(b),
                    target: a.max(b),
                    kind: LinkKind::Ip,
                    weight: 1.0,
                });
            }
        }
        let x: Vec<f32> = (0..n)
            .map(|i| if i < 20 { -100.0 } else { 100.0 } + (i % 20) as f32 * 0.3)
            .collect();
        let y: Vec<f32> = (0..n).map(|i| ((i * 7) % 20) as f32 * 0.3).collect();
        let g = Graph {
            accounts: (0..n).map(|i| format!("a{i:02}")).collect(),
            volume: vec![1; n],
            edges,
            cluster: (0..n).map(|i| if i < 20 { 1 } else { 2 }).collect(),
            x: x.clone(),
            y: y.clone(),
            ..Graph::default()
        };
        let scene = Arc::new(Scene::new(g, vec![String::new(); n]));
        let nodes: Vec<u32> = (0..n as u32).collect();
        let live = Live::start(
            scene,
            nodes,
            &x,
            &y,
            LayoutSettings::default(),
            egui::Context::default(),
        );
        let start = std::time::Instant::now();
        while live.iterations() < 200 && start.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let (mut nx, mut ny) = (x.clone(), y.clone());
        live.apply(&mut nx, &mut ny);
        let group: Vec<usize> = (0..n).map(|i| usize::from(i >= 20)).collect();
        let before = group_stats(&group, 2, &x, &y);
        let after = group_stats(&group, 2, &nx, &ny);
        for g in 0..2 {
            assert!((before[g].0 - after[g].0).abs() < 1e-2, "x centre of {g}");
            assert!((before[g].1 - after[g].1).abs() < 1e-2, "y centre of {g}");
            assert!((before[g].2 - after[g].2).abs() < 1e-2, "spread of {g}");
        }
        assert!(nx.iter().chain(&ny).all(|v| v.is_finite()));
        assert_ne!(nx, x, "the layout moved the nodes");
    }
}
