//! ForceAtlas2 running in the background on the nodes the analyst opened:
//! warm-started from their current positions, publishing new positions as
//! it converges (the view animates), pausable, with pinned nodes. The
//! published picture keeps the subgraph's centre and spread, so an opened
//! cluster rearranges in place instead of drifting over its neighbours.

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
    /// Published = layout units × scale.
    scale: f32,
}

/// A running layout of some nodes.
pub struct Live {
    /// The graph nodes it moves, by layout index.
    pub nodes: Vec<u32>,
    local_of: std::collections::HashMap<u32, usize>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    centre: (f32, f32),
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
        let k = nodes.len().max(1) as f32;
        let cx = nodes.iter().map(|n| x[*n as usize]).sum::<f32>() / k;
        let cy = nodes.iter().map(|n| y[*n as usize]).sum::<f32>() / k;
        let lx: Vec<f32> = nodes.iter().map(|n| x[*n as usize] - cx).collect();
        let ly: Vec<f32> = nodes.iter().map(|n| y[*n as usize] - cy).collect();
        let spread = rms(&lx, &ly).max(1e-3);
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
                    let scale = spread / rms(&layout.x, &layout.y).max(1e-6);
                    let mut sh = lock(&s2);
                    sh.x = layout.x.iter().map(|v| v * scale).collect();
                    sh.y = layout.y.iter().map(|v| v * scale).collect();
                    sh.iterations = layout.iterations;
                    sh.scale = scale;
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
            centre: (cx, cy),
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
            x[*n as usize] = self.centre.0 + sh.x[i];
            y[*n as usize] = self.centre.1 + sh.y[i];
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
            let (lx, ly) = (x - self.centre.0, y - self.centre.1);
            // Published positions are scaled to the starting spread; the
            // layout's own units differ by that factor.
            let mut sh = lock(&self.shared);
            let scale = if sh.scale > 0.0 { sh.scale } else { 1.0 };
            sh.pins.push((i, lx / scale, ly / scale));
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

fn rms(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().max(1) as f32;
    let (mx, my) = (x.iter().sum::<f32>() / n, y.iter().sum::<f32>() / n);
    (x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx).powi(2) + (b - my).powi(2))
        .sum::<f32>()
        / n)
        .sqrt()
}
