//! `distillscope graph PATH --out DIR`: the account network as CSV files.

use std::path::PathBuf;

use clap::Args;

use super::{SourceArgs, stderr_progress};
use crate::analysis::graph::{self, GraphConfig, links};

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Folder to write nodes.csv, edges.csv and clusters.csv into (must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Link types to use: ip,net,asn,ua,payment,signup_ip,email_domain,template,coactivity,api_key,org (default: all).
    #[arg(long)]
    pub links: Option<String>,
    /// A value shared by more accounts than this becomes one hub node.
    #[arg(long)]
    pub hub_cap: Option<usize>,
    /// Hours within which two uses of an address, network, ASN, agent or template overlap.
    #[arg(long)]
    pub window_hours: Option<f32>,
    /// Least summed link weight for two accounts to be linked at all.
    #[arg(long)]
    pub min_link: Option<f32>,
    /// Leiden resolution (1 = standard modularity; higher = smaller clusters).
    #[arg(long)]
    pub resolution: Option<f64>,
    /// Seed of clustering and layout.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl GraphArgs {
    /// The settings these arguments describe.
    pub fn config(&self) -> anyhow::Result<GraphConfig> {
        let mut cfg = GraphConfig::default();
        if let Some(l) = &self.links {
            cfg.links = links::parse_list(l).map_err(anyhow::Error::msg)?;
        }
        if let Some(c) = self.hub_cap {
            anyhow::ensure!(c >= 2, "--hub-cap must be at least 2");
            cfg.hub_cap = c;
        }
        if let Some(w) = self.window_hours {
            anyhow::ensure!(w > 0.0, "--window-hours must be positive");
            cfg.window_hours = w;
        }
        if let Some(m) = self.min_link {
            anyhow::ensure!(m >= 0.0, "--min-link must not be negative");
            cfg.min_link = m;
        }
        if let Some(r) = self.resolution {
            anyhow::ensure!(r > 0.0, "--resolution must be positive");
            cfg.resolution = r;
        }
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        Ok(cfg)
    }
}

/// Runs `graph`: uses the graph cached in the case when the settings are
/// the cached ones, else builds one with these settings.
pub fn run(args: &GraphArgs) -> anyhow::Result<()> {
    let cfg = args.config()?;
    let progress = stderr_progress(args.source.quiet);
    let case = super::open_case(&args.source.path, &args.source.open_options()?, &progress)?;
    let cached = graph::store::has_graph(&case.conn)
        .then(|| graph::store::read(&case.conn, &case.path, "main"))
        .transpose()?;
    let (g, schema) = match cached {
        Some(g) if g.config == cfg => (g, "main"),
        _ => {
            let g = graph::build(&case.conn, &case.path, &cfg, &progress)?;
            graph::store::write(&case.conn, &case.path, &g, "temp")?;
            (g, "temp")
        }
    };
    graph::store::export_csv(&case.conn, &args.out, schema)?;
    let s = g.stats();
    if !args.source.quiet {
        eprintln!("{}", s.line());
        eprintln!("wrote {}", args.out.display());
    }
    Ok(())
}
