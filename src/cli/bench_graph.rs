//! `bench graph CASE`: build the account network of a case from scratch
//! with every link type on (stage by stage, peak memory, edge counts),
//! then cluster its account links again and compare Leiden with igraph's
//! and leidenalg's on the same weighted edge list (Python, when installed).

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use crate::analysis::graph::{self, GraphConfig, leiden};
use crate::store::case::Case;
use crate::store::progress::Progress;

const PYTHON: &str = r#"
import sys, time
import igraph as ig
path, n = sys.argv[1], int(sys.argv[2])
edges, weights = [], []
with open(path) as f:
    for line in f:
        a, b, w = line.split(",")
        edges.append((int(a), int(b)))
        weights.append(float(w))
g = ig.Graph(n=n, edges=edges)
g.es["weight"] = weights
t = time.perf_counter()
p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
t1 = time.perf_counter() - t
print(f"igraph community_leiden (modularity, 2 iterations)\t{t1:.2f}\t{g.modularity(p.membership, weights='weight'):.4f}\t{len(p)}")
try:
    import leidenalg as la
    t = time.perf_counter()
    q = la.find_partition(g, la.ModularityVertexPartition, weights="weight", n_iterations=2, seed=7)
    t2 = time.perf_counter() - t
    print(f"leidenalg ModularityVertexPartition (2 iterations)\t{t2:.2f}\t{g.modularity(q.membership, weights='weight'):.4f}\t{len(q)}")
except ImportError:
    print("leidenalg\tnot installed\t\t")
"#;

/// Runs the benchmark on a case file.
pub fn graph(case: &Path) -> anyhow::Result<()> {
    let c = Case::open(case, false)?;
    let started = Instant::now();
    let g = graph::build(
        &c.conn,
        &c.path,
        &GraphConfig::default(),
        &Progress::default(),
    )?;
    let total = started.elapsed().as_secs_f64();
    let s = g.stats();
    println!("graph of {}", case.display());
    for (stage, secs) in &s.timings {
        println!("  {stage:<22} {secs:>7.2} s");
    }
    println!("  {:<22} {total:>7.2} s", "total");
    println!(
        "  peak memory {:.0} MiB",
        super::bench::peak_rss_mib().unwrap_or(0.0)
    );
    println!("  {}", s.line());
    // The clustering alone, on the combined account links.
    let n = g.accounts.len();
    let mut combined: Vec<(u32, u32, f64)> = g
        .edges
        .iter()
        .filter(|e| (e.target as usize) < n)
        .map(|e| (e.source, e.target, f64::from(e.weight)))
        .collect();
    combined.sort_by_key(|e| (e.0, e.1));
    combined.dedup_by(|b, a| {
        if a.0 == b.0 && a.1 == b.1 {
            a.2 += b.2;
            true
        } else {
            false
        }
    });
    let csr = leiden::Csr::from_edges(n, combined.iter().copied());
    let t = Instant::now();
    let found = leiden::leiden(&csr, 1.0, 7);
    let ours = t.elapsed().as_secs_f64();
    println!(
        "clustering {} nodes, {} weighted account links:",
        n,
        csr.edge_count()
    );
    println!(
        "  {:<54} {:>8} {:>10} {:>10}",
        "implementation", "seconds", "modularity", "clusters"
    );
    println!(
        "  {:<54} {ours:>8.2} {:>10.4} {:>10}",
        "distillscope Leiden (Rust, seed 7)", found.modularity, found.count
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("edges.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for (a, b, w) in &combined {
        writeln!(f, "{a},{b},{w}")?;
    }
    drop(f);
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            PYTHON,
            path.to_str().unwrap_or_default(),
            &n.to_string(),
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() == 4 {
                    println!("  {:<54} {:>8} {:>10} {:>10}", f[0], f[1], f[2], f[3]);
                }
            }
        }
        Ok(o) => println!(
            "  python igraph: not run ({})",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(e) => println!("  python igraph: not run ({e})"),
    }
    Ok(())
}
