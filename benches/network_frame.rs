//! CPU time to build one Network-view frame with 30,000 nodes and 300,000
//! edges visible: the shapes (`ui::network::draw::frame`, culling and level
//! of detail included) and egui's tessellation of them, off-screen.
//!
//! Run: `cargo test --release --bench network_frame` (links to the GPU as
//! the wgpu renderer draws them; `FRAME_GPU=0` for the glow renderer's
//! CPU mesh).
//! Sizes: `FRAME_NODES`, `FRAME_EDGES`, `FRAME_RUNS`.

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use distillscope::analysis::graph::clusters::ClusterInfo;
use distillscope::analysis::graph::layout::{Layout, LayoutSettings};
use distillscope::analysis::graph::scene::Scene;
use distillscope::analysis::graph::{Edge, Graph, LinkKind};
use distillscope::ui::network::draw::{self, Camera, Colour, DrawOptions};
use distillscope::ui::network::gpu;
use rand::{RngExt as _, SeedableRng as _};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Clusters of 100 to 1,000 accounts, most links inside, laid out by our
/// ForceAtlas2 so the picture is a real one.
fn scene(nodes: usize, edges: usize) -> Scene {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut cluster = Vec::with_capacity(nodes);
    let mut starts = Vec::new();
    while cluster.len() < nodes {
        let size = rng.random_range(100..1000).min(nodes - cluster.len());
        starts.push((cluster.len(), size));
        cluster.extend(std::iter::repeat_n(starts.len() as u32, size));
    }
    let kinds = [
        LinkKind::Ip,
        LinkKind::Payment,
        LinkKind::Template,
        LinkKind::Coactivity,
    ];
    let mut list = Vec::with_capacity(edges);
    while list.len() < edges {
        let a = rng.random_range(0..nodes);
        let b = if rng.random::<f32>() < 0.9 {
            let (s, n) = starts[(cluster[a] - 1) as usize];
            s + rng.random_range(0..n)
        } else {
            rng.random_range(0..nodes)
        };
        if a != b {
            list.push(Edge {
                source: a.min(b) as u32,
                target: a.max(b) as u32,
                kind: kinds[list.len() % kinds.len()],
                weight: 1.0,
            });
        }
    }
    let mut layout = Layout::new(
        nodes,
        list.iter()
            .map(|e| (e.source, e.target, e.weight))
            .collect(),
        None,
        LayoutSettings::default(),
    );
    layout.run(60);
    let clusters = (0..=starts.len() as u32)
        .map(|id| ClusterInfo {
            id,
            name: format!("cluster {id}"),
            size: if id == 0 {
                0
            } else {
                starts[id as usize - 1].1
            },
            volume: 1_000,
            ..ClusterInfo::default()
        })
        .collect();
    let g = Graph {
        accounts: (0..nodes).map(|i| format!("acct-{i:06}")).collect(),
        volume: (0..nodes).map(|i| 1 + (i as u64 * 7919) % 5000).collect(),
        edges: list,
        cluster,
        clusters,
        x: layout.x,
        y: layout.y,
        ..Graph::default()
    };
    Scene::new(g, vec!["software_engineering".into(); nodes])
}

fn main() {
    let nodes = env_or("FRAME_NODES", 30_000);
    let edges = env_or("FRAME_EDGES", 300_000);
    let runs = env_or("FRAME_RUNS", 30);
    let s = scene(nodes, edges);
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0));
    let cam = Camera::fit(&s.graph.x, &s.graph.y, rect);
    let expanded: BTreeSet<u32> = (1..s.members.len() as u32).collect();
    let (extra, selected) = (HashSet::new(), HashSet::new());
    // FRAME_GPU=0 measures the CPU-mesh links the glow renderer draws.
    let gpu_lines = env_or("FRAME_GPU", 1) == 1;
    let opt = DrawOptions {
        colour: Colour::Cluster,
        show: [true; distillscope::analysis::graph::LinkKind::COUNT],
        expanded: &expanded,
        extra: &extra,
        selected: &selected,
        hovered: None,
        dark: true,
        record: false,
        hub_links: true,
        gpu_lines,
        min_cluster_size: 1,
        campaigns: &[],
    };
    let ctx = egui::Context::default();
    let _ = ctx.run_ui(egui::RawInput::default(), |_| {});
    let mut build = Vec::new();
    let mut tess = Vec::new();
    let mut drawn = (0, 0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let mut frame = draw::frame(&s, &s.graph.x, &s.graph.y, &cam, rect, &opt);
        // What the view paints: the GPU links go in as a paint callback.
        let mut shapes = std::mem::take(&mut frame.shapes);
        if !frame.lines.is_empty() {
            let lines = std::sync::Arc::new(std::mem::take(&mut frame.lines));
            shapes.insert(1, gpu::shape(rect, lines));
        }
        build.push(t.elapsed().as_secs_f64() * 1000.0);
        drawn = (frame.nodes.len(), frame.edges, 0);
        let shapes: Vec<egui::epaint::ClippedShape> = shapes
            .into_iter()
            .map(|shape| egui::epaint::ClippedShape {
                clip_rect: rect,
                shape,
                transform_after_tessellation: egui::emath::TSTransform::IDENTITY,
            })
            .collect();
        let t = Instant::now();
        let prims = ctx.tessellate(shapes, 1.0);
        tess.push(t.elapsed().as_secs_f64() * 1000.0);
        drawn.2 = prims
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
    }
    let total: Vec<f64> = build.iter().zip(&tess).map(|(a, b)| a + b).collect();
    let stats = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        (s[s.len() / 2], s[s.len() - 1])
    };
    let (bm, bx) = stats(&build);
    let (tm, tx) = stats(&tess);
    let (am, ax) = stats(&total);
    println!(
        "Network frame, 1920x1080, {} nodes and {} edges drawn, {} mesh vertices, links {}, {runs} runs",
        drawn.0,
        drawn.1,
        drawn.2,
        if gpu_lines {
            "to the GPU as a line list (wgpu)"
        } else {
            "in the CPU mesh (glow)"
        }
    );
    println!("build shapes   median {bm:6.2} ms   max {bx:6.2} ms");
    println!("tessellate     median {tm:6.2} ms   max {tx:6.2} ms");
    println!("frame total    median {am:6.2} ms   max {ax:6.2} ms   (target < 16 ms)");
}
