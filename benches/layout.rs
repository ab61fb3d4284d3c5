//! ForceAtlas2 on a 30,000-node, 300,000-edge graph, 100 iterations:
//! distillscope's layout against the `fa2` crate (graphology's Rust port)
//! and, as the field's reference, Python's `fa2_modified` on the same edge
//! list. Prints one table and the ratios.
//!
//! Run: `cargo test --release --bench layout` (Python part needs
//! `pip install fa2-modified scipy`; it is skipped with a note otherwise).
//! Sizes: `LAYOUT_NODES`, `LAYOUT_EDGES`, `LAYOUT_ITERATIONS`.

use std::io::Write as _;
use std::time::Instant;

use distillscope::analysis::graph::layout::{Layout, LayoutSettings, spiral};
use rand::{RngExt as _, SeedableRng as _};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A planted-partition graph: clusters of 50 to 500 nodes, 90% of edges
/// inside a cluster, like an expanded view of an operation.
fn graph(nodes: usize, edges: usize, seed: u64) -> Vec<(u32, u32, f32)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut cluster_of = Vec::with_capacity(nodes);
    let mut starts = Vec::new();
    while cluster_of.len() < nodes {
        let size = rng.random_range(50..500).min(nodes - cluster_of.len());
        starts.push((cluster_of.len(), size));
        let id = starts.len() - 1;
        cluster_of.extend(std::iter::repeat_n(id, size));
    }
    let mut out = Vec::with_capacity(edges);
    while out.len() < edges {
        let a = rng.random_range(0..nodes);
        let b = if rng.random::<f32>() < 0.9 {
            let (s, n) = starts[cluster_of[a]];
            s + rng.random_range(0..n)
        } else {
            rng.random_range(0..nodes)
        };
        if a != b {
            out.push((a as u32, b as u32, 1.0 + rng.random::<f32>()));
        }
    }
    out
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64(), out)
}

fn ours(nodes: usize, edges: &[(u32, u32, f32)], iters: usize, theta: f32) -> (f64, bool) {
    let mut l = Layout::new(
        nodes,
        edges.to_vec(),
        Some(spiral(nodes, 100.0)),
        LayoutSettings {
            theta,
            ..LayoutSettings::default()
        },
    );
    let (secs, ()) = time(|| l.run(iters));
    (secs, l.x.iter().chain(&l.y).all(|v| v.is_finite()))
}

fn fa2_crate(nodes: usize, edges: &[(u32, u32, f32)], iters: usize) -> f64 {
    let (x, y) = spiral(nodes, 100.0);
    let mut data = fa2::FA2Data::<f32>::with_capacity(nodes, edges.len());
    for i in 0..nodes {
        data.add_node_with_position(x[i], y[i]);
    }
    for &(a, b, w) in edges {
        data.add_edge_with_weight(a as usize, b as usize, w);
    }
    let mut layout = fa2::FA2Settings::<f32>::default()
        .with_barnes_hut()
        .scaling_ratio(2.0)
        .gravity(1.0)
        .parallel(true)
        .build(data);
    time(|| layout.run(iters)).0
}

const PYTHON: &str = r#"
import sys, time
import numpy as np, scipy.sparse as sp
from fa2_modified import ForceAtlas2
path, n, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
e = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
m = sp.coo_matrix((e[:, 2], (e[:, 0].astype(int), e[:, 1].astype(int))), shape=(n, n))
m = (m + m.T).tolil()
ang = np.arange(n) * np.pi * (3 - np.sqrt(5))
r = 100 * np.sqrt((np.arange(n) + 0.5) / n)
pos = np.column_stack([r * np.cos(ang), r * np.sin(ang)])
fa = ForceAtlas2(barnesHutOptimize=True, barnesHutTheta=1.2, scalingRatio=2.0, gravity=1.0, verbose=False)
t = time.perf_counter()
fa.forceatlas2(m, pos=pos, iterations=iters)
print(time.perf_counter() - t)
"#;

fn python(nodes: usize, edges: &[(u32, u32, f32)], iters: usize) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("edges.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| e.to_string())?);
    for (a, b, w) in edges {
        writeln!(f, "{a},{b},{w}").map_err(|e| e.to_string())?;
    }
    drop(f);
    let out = std::process::Command::new("python3")
        .args(["-c", PYTHON, path.to_str().unwrap_or_default()])
        .arg(nodes.to_string())
        .arg(iters.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))
}

fn main() {
    let nodes = env_or("LAYOUT_NODES", 30_000);
    let edge_count = env_or("LAYOUT_EDGES", 300_000);
    let iters = env_or("LAYOUT_ITERATIONS", 100);
    let edges = graph(nodes, edge_count, 7);
    println!(
        "ForceAtlas2, {nodes} nodes, {} edges, {iters} iterations, {} rayon threads",
        edges.len(),
        rayon::current_num_threads()
    );
    let (ours_secs, finite) = ours(nodes, &edges, iters, 1.2);
    let (ours_05, _) = ours(nodes, &edges, iters, 0.5);
    let crate_secs = fa2_crate(nodes, &edges, iters);
    println!("{:<52} {:>9}", "implementation", "seconds");
    println!(
        "{:<52} {ours_secs:>9.2}",
        "distillscope (Barnes-Hut theta 1.2, Gephi's default)"
    );
    println!(
        "{:<52} {ours_05:>9.2}",
        "distillscope (Barnes-Hut theta 0.5)"
    );
    println!(
        "{:<52} {crate_secs:>9.2}",
        "fa2 crate 0.3 (Barnes-Hut theta 0.5, parallel)"
    );
    match python(nodes, &edges, iters) {
        Ok(py) => {
            println!(
                "{:<52} {py:>9.2}",
                "python fa2_modified 0.4 (Barnes-Hut theta 1.2, Cython)"
            );
            println!("ratio python / distillscope: {:.1}x", py / ours_secs);
        }
        Err(e) => println!("python fa2_modified: not run ({e})"),
    }
    println!(
        "ratio fa2 crate / distillscope (theta 0.5 both): {:.2}x",
        crate_secs / ours_05
    );
    println!("positions finite after {iters} iterations: {finite}");
    assert!(finite, "the layout produced a NaN");
}
