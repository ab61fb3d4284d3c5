//! Detection: the signals of DETECTION.md section 5 per account and per
//! graph cluster, scored so that independent kinds of evidence must agree,
//! explained in plain words, and the flagged accounts attributed to
//! campaigns. `scan` does it all from a case file; the CSV writers give
//! one row per account or per cluster.

pub mod attribution;
pub mod config;
pub mod evidence;
pub mod explain;
pub mod features;
pub mod fraudar;
pub mod kept;
pub mod score;

use std::path::Path;
use std::time::Instant;

use duckdb::Connection;
use rustc_hash::FxHashMap;

pub use config::DetectConfig;
use config::SIGNALS;
use features::{Features, Release};
use score::{Baseline, N};

use crate::store::csv::{cell, write_atomic};
use crate::store::error::{Context as _, StoreResult};
use crate::store::progress::Progress;

/// The verdict on one account.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountVerdict {
    /// The values it was judged by (its cluster's when `by_cluster`).
    pub values: [f64; N],
    /// Judged by its cluster's numbers.
    pub by_cluster: bool,
    /// Fired signals (bit i = signal i).
    pub fired: u32,
    /// Score 0 to 4.
    pub score: f64,
    /// At or over the flag threshold.
    pub flagged: bool,
    /// Campaign number (1-based) when flagged.
    pub campaign: Option<u32>,
}

/// The verdict on one graph cluster of at least the minimum size.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClusterVerdict {
    /// Graph cluster id.
    pub cluster: i32,
    /// The graph's readable name for it.
    pub name: String,
    /// Member account indices.
    pub members: Vec<u32>,
    /// Cluster values (member means; pooled release pivot).
    pub values: [f64; N],
    /// Fired signals.
    pub fired: u32,
    /// Score 0 to 4.
    pub score: f64,
    /// Flagged.
    pub flagged: bool,
    /// Campaign number (1-based) when flagged.
    pub campaign: Option<u32>,
    /// Requests of its members.
    pub exchanges: u64,
    /// First request.
    pub first_seen: i64,
    /// Last request.
    pub last_seen: i64,
    /// Release at which its pivot was largest.
    pub pivot_at: Option<usize>,
    /// Plain-word explanation, first line the verdict.
    pub explanation: Vec<String>,
    /// Members of a flagged cluster left unflagged: their own numbers
    /// score under `member_min_own_score`.
    pub spared: usize,
}

/// A campaign: flagged accounts attributed together.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Campaign {
    /// 1-based number, largest first.
    pub number: u32,
    /// Member account indices.
    pub members: Vec<u32>,
    /// Graph clusters it spans.
    pub clusters: Vec<i32>,
    /// Requests.
    pub exchanges: u64,
    /// First request.
    pub first_seen: i64,
    /// Last request.
    pub last_seen: i64,
}

/// A whole scan. Kept in the case by [`kept`]: a change to its fields (or
/// to a type inside it) must raise `kept::FORMAT`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scan {
    /// The settings used, with the flag threshold in force on this
    /// evidence (see [`evidence::Availability`]).
    pub config: DetectConfig,
    /// What the evidence let the scan see, and the threshold that follows.
    pub availability: evidence::Availability,
    /// What was read.
    pub features: Features,
    /// Own values per account.
    pub own: Vec<[f64; N]>,
    /// Verdict per account (same order as `features.accounts`).
    pub accounts: Vec<AccountVerdict>,
    /// Clusters of at least the minimum size, highest score first.
    pub clusters: Vec<ClusterVerdict>,
    /// Campaigns, largest first.
    pub campaigns: Vec<Campaign>,
    /// Accounts flagged on their own numbers (not in a cluster of the
    /// minimum size), by index.
    pub alone: Vec<u32>,
    /// Own values of every account (rebuilt from `own`, not kept).
    #[serde(skip)]
    pub population: Baseline,
    /// Values of the clusters of at least the minimum size (their peers).
    #[serde(skip)]
    pub cluster_baseline: Baseline,
    /// Dense blocks found (rows are account indices).
    pub blocks: Vec<fraudar::Block>,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
    /// Set when the scan was taken from the case: when it was made and
    /// what changed since.
    #[serde(skip)]
    pub kept: Option<kept::Kept>,
}

impl Scan {
    /// Rebuilds the baselines from the values (they are not kept).
    fn rebuild_baselines(&mut self) {
        self.population = Baseline::new(self.own.iter());
        self.cluster_baseline = Baseline::new(self.clusters.iter().map(|c| &c.values));
    }

    /// What changed since a scan kept in the case was made (empty when it
    /// is current or was just made).
    pub fn stale(&self) -> &[String] {
        self.kept.as_ref().map_or(&[], |k| k.stale.as_slice())
    }

    /// Accounts flagged.
    pub fn flagged_count(&self) -> usize {
        self.accounts.iter().filter(|a| a.flagged).count()
    }

    /// Index of an account id.
    pub fn account_index(&self, id: &str) -> Option<usize> {
        self.features
            .accounts
            .binary_search_by(|a| a.as_str().cmp(id))
            .ok()
    }

    /// Plain-word explanation of one account's verdict.
    pub fn explain_account(&self, i: usize) -> Vec<String> {
        let v = &self.accounts[i];
        let f = &self.features.facts[i];
        let pivot_at = score::pivot(
            &f.release_requests,
            &self.features.releases,
            self.config.lists.release_window_min_requests,
        )
        .1;
        let mut lines = explain::explain(
            &v.values,
            v.fired,
            v.score,
            &self.population,
            &self.features.releases,
            pivot_at,
            &self.config,
        );
        let own_score = score::score(&self.own[i], &self.config).1;
        lines.insert(
            1,
            if v.by_cluster && !v.flagged && v.score >= self.config.score.flag_threshold {
                format!(
                    "its graph cluster {} is flagged, but its own numbers score {own_score:.1}, under the {:.1} a member needs: not flagged",
                    f.cluster, self.config.score.member_min_own_score
                )
            } else if v.by_cluster {
                format!(
                    "judged with its graph cluster {} (numbers are the cluster's means; its own score {own_score:.1})",
                    f.cluster
                )
            } else {
                "judged on its own numbers (not in a graph cluster of the minimum size)".into()
            },
        );
        lines
    }
}

/// Runs every signal over a case and scores, explains and attributes; the
/// scan kept in the case when it is current (same evidence, labels, graph
/// and settings), else a new one, kept in the case when it is writable.
pub fn scan(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    progress: &Progress,
) -> StoreResult<Scan> {
    scan_with(conn, path, cfg, progress, false)
}

/// The scan kept in the case whatever changed since (marked stale with
/// what changed), or a new one when none is kept: what a reopened case
/// shows at once.
pub fn scan_or_kept(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    progress: &Progress,
) -> StoreResult<Scan> {
    scan_with(conn, path, cfg, progress, true)
}

/// The kept scan when it is current (or whatever its state, `stale_ok`),
/// else a new one.
fn scan_with(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    progress: &Progress,
    stale_ok: bool,
) -> StoreResult<Scan> {
    let t = Instant::now();
    let stamp = kept::Stamp::of(conn, path, cfg)?;
    match kept::load(conn, &stamp) {
        Some(mut s) if stale_ok || s.stale().is_empty() => {
            s.timings = vec![("taken from the case".into(), t.elapsed().as_secs_f64())];
            Ok(s)
        }
        _ => scan_and_keep(conn, path, cfg, &stamp, progress),
    }
}

/// A new scan, kept in the case (a read-only case is scanned again next
/// time; nothing is lost).
fn scan_and_keep(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    stamp: &kept::Stamp,
    progress: &Progress,
) -> StoreResult<Scan> {
    let mut s = scan_log(conn, path, cfg, progress)?;
    let t = Instant::now();
    if let Err(e) = kept::store(conn, path, stamp, &s) {
        log::info!("the scan is not kept in the case: {e}");
    }
    s.timings
        .push(("keep in the case".into(), t.elapsed().as_secs_f64()));
    Ok(s)
}

/// Reads the features from the log, then scores, explains and attributes.
fn scan_log(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    progress: &Progress,
) -> StoreResult<Scan> {
    let mut timings = Vec::new();
    let mut t = Instant::now();
    let lap = |name: &str, t: &mut Instant, timings: &mut Vec<(String, f64)>| {
        timings.push((name.to_owned(), t.elapsed().as_secs_f64()));
        *t = Instant::now();
    };
    let features = features::read(conn, path, cfg, progress)?;
    lap("read features (DuckDB)", &mut t, &mut timings);
    // Flag on the kinds of evidence this case can show.
    let availability = evidence::Availability::assess(&features.inputs, cfg);
    let mut effective = cfg.clone();
    effective.score.flag_threshold = availability.threshold;
    let cfg = &effective;
    let n = features.accounts.len();
    let names: FxHashMap<i32, String> = crate::analysis::views::query_rows(
        conn,
        path,
        "reading cluster names",
        "SELECT cluster, name FROM graph_clusters",
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        },
    )?
    .into_iter()
    .collect();

    progress.stage("Peeling dense blocks")?;
    let edges: Vec<(u32, u32)> = features
        .template_uses
        .iter()
        .map(|&(a, t, _)| (a, t))
        .collect();
    let blocks = fraudar::dense_blocks(
        n,
        features.templates.len(),
        &edges,
        cfg.score.dense_blocks,
        cfg.score.dense_block_min_accounts,
    );
    let mut in_block = vec![false; n];
    for b in &blocks {
        for &r in &b.rows {
            in_block[r as usize] = true;
        }
    }
    lap("dense blocks (Fraudar)", &mut t, &mut timings);

    progress.stage("Scoring")?;
    let rel: &[Release] = &features.releases;
    let own: Vec<[f64; N]> = features
        .facts
        .iter()
        .zip(&in_block)
        .map(|(f, b)| {
            let mut v = score::own_values(f, *b, rel, cfg);
            // A signal the evidence cannot show has no value, not zero.
            for (k, x) in v.iter_mut().enumerate() {
                if !availability.can_fire(k) {
                    *x = f64::NAN;
                }
            }
            v
        })
        .collect();
    let population = Baseline::new(own.iter());
    let mut members: FxHashMap<i32, Vec<u32>> = FxHashMap::default();
    // Cluster 0 holds the accounts the graph could not link: not a group.
    for (i, f) in features.facts.iter().enumerate() {
        if f.cluster > 0 {
            members.entry(f.cluster).or_default().push(i as u32);
        }
    }
    let min = cfg.score.min_cluster_size.max(1);
    let mut clusters: Vec<ClusterVerdict> = members
        .into_iter()
        .filter(|(_, m)| m.len() >= min)
        .map(|(c, m)| {
            let (values, pivot_at) = score::group_values(&m, &own, &features.facts, rel, cfg);
            let (fired, s) = score::score(&values, cfg);
            let facts = &features.facts;
            ClusterVerdict {
                cluster: c,
                name: names.get(&c).cloned().unwrap_or_default(),
                exchanges: m.iter().map(|&i| facts[i as usize].exchanges).sum(),
                first_seen: m
                    .iter()
                    .map(|&i| facts[i as usize].first_seen)
                    .min()
                    .unwrap_or(0),
                last_seen: m
                    .iter()
                    .map(|&i| facts[i as usize].last_seen)
                    .max()
                    .unwrap_or(0),
                members: m,
                values,
                fired,
                score: s,
                flagged: s >= cfg.score.flag_threshold,
                campaign: None,
                pivot_at,
                explanation: Vec::new(),
                spared: 0,
            }
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.members.len().cmp(&a.members.len()))
            .then(a.cluster.cmp(&b.cluster))
    });
    let mut accounts: Vec<AccountVerdict> = own
        .iter()
        .map(|v| {
            let (fired, s) = score::score(v, cfg);
            AccountVerdict {
                values: *v,
                by_cluster: false,
                fired,
                score: s,
                flagged: s >= cfg.score.flag_threshold,
                campaign: None,
            }
        })
        .collect();
    // A member of a flagged cluster is judged on its own numbers too, so
    // the cluster's verdict does not carry honest users along.
    let floor = cfg.score.member_min_own_score;
    for c in &mut clusters {
        for &m in &c.members {
            let own_score = accounts[m as usize].score;
            accounts[m as usize] = AccountVerdict {
                values: c.values,
                by_cluster: true,
                fired: c.fired,
                score: c.score,
                flagged: c.flagged && own_score >= floor,
                campaign: None,
            };
        }
        c.spared = c
            .members
            .iter()
            .filter(|&&m| c.flagged && !accounts[m as usize].flagged)
            .count();
    }
    lap("score", &mut t, &mut timings);

    progress.stage("Attributing campaigns")?;
    let alone: Vec<u32> = (0..n as u32)
        .filter(|&i| accounts[i as usize].flagged && !accounts[i as usize].by_cluster)
        .collect();
    let flagged: Vec<bool> = accounts.iter().map(|a| a.flagged).collect();
    let (campaigns, unit_campaign) =
        attribute(conn, path, &features, &alone, &clusters, &flagged, cfg)?;
    for (c, camp) in clusters.iter_mut().zip(&unit_campaign) {
        c.campaign = *camp;
        c.explanation = explain::explain(
            &c.values,
            c.fired,
            c.score,
            &population,
            rel,
            c.pivot_at,
            cfg,
        );
    }
    for camp in &campaigns {
        for &m in &camp.members {
            accounts[m as usize].campaign = Some(camp.number);
        }
    }
    lap("attribute and explain", &mut t, &mut timings);
    let cluster_baseline = Baseline::new(clusters.iter().map(|c| &c.values));
    Ok(Scan {
        config: cfg.clone(),
        availability,
        features,
        own,
        accounts,
        clusters,
        campaigns,
        alone,
        cluster_baseline,
        population,
        blocks,
        timings,
        kept: None,
    })
}

/// Groups flagged accounts into campaigns. Units are the flagged clusters
/// (in `clusters` order) followed by each account flagged alone.
/// Returns the campaigns and the campaign of each cluster in `clusters`.
fn attribute(
    conn: &Connection,
    path: &Path,
    features: &Features,
    alone: &[u32],
    clusters: &[ClusterVerdict],
    flagged: &[bool],
    cfg: &DetectConfig,
) -> StoreResult<(Vec<Campaign>, Vec<Option<u32>>)> {
    let mut units: Vec<Vec<u32>> = Vec::new();
    let mut unit_of_cluster = vec![None; clusters.len()];
    for (ci, c) in clusters.iter().enumerate() {
        if c.flagged {
            unit_of_cluster[ci] = Some(units.len());
            units.push(
                c.members
                    .iter()
                    .copied()
                    .filter(|&m| flagged[m as usize])
                    .collect(),
            );
        }
    }
    units.extend(alone.iter().map(|&i| vec![i]));
    let links = unit_links(conn, path, &units)?;
    let spans: Vec<(i64, i64)> = units
        .iter()
        .map(|m| {
            let f = |i: &u32| &features.facts[*i as usize];
            (
                m.iter().map(|i| f(i).first_seen).min().unwrap_or(0),
                m.iter().map(|i| f(i).last_seen).max().unwrap_or(0),
            )
        })
        .collect();
    let numbers = attribution::attribute(
        &attribution::Units {
            members: &units,
            spans: &spans,
        },
        &features.template_uses,
        features.accounts.len(),
        cfg.score.min_cluster_size.max(1),
        &links,
        cfg.score.merge_link_weight,
        cfg.score.attach_similarity,
    );
    let count = numbers.iter().map(|n| n + 1).max().unwrap_or(0) as usize;
    let mut campaigns: Vec<Campaign> = (0..count)
        .map(|i| Campaign {
            number: i as u32 + 1,
            members: Vec::new(),
            clusters: Vec::new(),
            exchanges: 0,
            first_seen: i64::MAX,
            last_seen: i64::MIN,
        })
        .collect();
    for (u, members) in units.iter().enumerate() {
        let camp = &mut campaigns[numbers[u] as usize];
        for &m in members {
            let f = &features.facts[m as usize];
            camp.members.push(m);
            camp.exchanges += f.exchanges;
            camp.first_seen = camp.first_seen.min(f.first_seen);
            camp.last_seen = camp.last_seen.max(f.last_seen);
            if f.cluster >= 0 && !camp.clusters.contains(&f.cluster) {
                camp.clusters.push(f.cluster);
            }
        }
    }
    for c in &mut campaigns {
        c.members.sort_unstable();
        c.clusters.sort_unstable();
    }
    let per_cluster = unit_of_cluster
        .iter()
        .map(|u| u.map(|u| numbers[u] + 1))
        .collect();
    Ok((campaigns, per_cluster))
}

/// The graph's links of the kinds an operation shares (address, network,
/// payment, sign-up address) between accounts of different units, directly
/// or through a shared hub (the lesser of the two sides), summed per pair
/// of units.
fn unit_links(
    conn: &Connection,
    path: &Path,
    units: &[Vec<u32>],
) -> StoreResult<Vec<(usize, usize, f64)>> {
    let ctx = "reading links between flagged clusters";
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE detect_unit (idx INTEGER, unit INTEGER);")
        .at(path, ctx)?;
    {
        let mut app = conn
            .appender_to_catalog_and_db("detect_unit", "temp", "main")
            .at(path, ctx)?;
        for (u, members) in units.iter().enumerate() {
            for &m in members {
                app.append_row([m as i32, u as i32]).at(path, ctx)?;
            }
        }
        app.flush().at(path, ctx)?;
    }
    crate::analysis::views::query_rows(
        conn,
        path,
        ctx,
        "WITH un AS (
           SELECT n.node, u.unit FROM detect_unit u
           JOIN detect_account d USING (idx)
           JOIN graph_nodes n ON n.id = d.account_id AND n.kind = 'account'
         )
         , e AS (
           SELECT source, target, kind, weight FROM graph_edges
           WHERE kind IN ('ip', 'net', 'payment', 'signup_ip', 'api_key')
         ), direct AS (
           SELECT a.unit AS ua, b.unit AS ub, e.weight FROM e
           JOIN un a ON a.node = e.source JOIN un b ON b.node = e.target
           WHERE a.unit <> b.unit
         ), hub AS (
           SELECT node FROM graph_nodes WHERE kind = 'hub'
         ), hubs AS (
           SELECT unit, hub, sum(weight) AS w FROM (
             SELECT un.unit, e.target AS hub, e.weight FROM e
             JOIN un ON un.node = e.source JOIN hub ON hub.node = e.target
             UNION ALL
             SELECT un.unit, e.source, e.weight FROM e
             JOIN un ON un.node = e.target JOIN hub ON hub.node = e.source
           ) GROUP BY ALL
         ), via_hub AS (
           SELECT a.unit AS ua, b.unit AS ub, least(a.w, b.w) AS weight FROM hubs a
           JOIN hubs b ON a.hub = b.hub AND a.unit < b.unit
         )
         SELECT ua, ub, sum(weight)::DOUBLE FROM (
           SELECT * FROM direct UNION ALL SELECT * FROM via_hub
         ) GROUP BY ALL",
        |r| {
            Ok((
                r.get::<_, i32>(0)? as usize,
                r.get::<_, i32>(1)? as usize,
                r.get(2)?,
            ))
        },
    )
}

/// Header of the per-account CSV (stable order, documented in the README).
pub fn account_header() -> String {
    let mut h = vec![
        "account_id",
        "flagged",
        "score",
        "cluster_id",
        "campaign",
        "judged_by",
        "exchanges",
        "first_seen",
        "last_seen",
        "signals_fired",
    ];
    h.extend(SIGNALS);
    h.join(",")
}

/// Writes one row per account (atomically).
pub fn write_accounts_csv(scan: &Scan, path: &Path) -> StoreResult<()> {
    let mut out = String::with_capacity(scan.accounts.len() * 200);
    out.push_str(&account_header());
    out.push('\n');
    for (i, v) in scan.accounts.iter().enumerate() {
        let f = &scan.features.facts[i];
        let mut row = vec![
            cell(&scan.features.accounts[i]),
            v.flagged.to_string(),
            format!("{:.2}", v.score),
            if f.cluster >= 0 {
                f.cluster.to_string()
            } else {
                String::new()
            },
            v.campaign.map(|c| c.to_string()).unwrap_or_default(),
            if v.by_cluster { "cluster" } else { "account" }.into(),
            f.exchanges.to_string(),
            iso_utc(f.first_seen),
            iso_utc(f.last_seen),
            cell(&explain::fired_list(&v.values, v.fired)),
        ];
        row.extend(v.values.iter().map(|x| explain::short(*x)));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    write_atomic(path, out.as_bytes())
}

/// Header of the per-cluster CSV.
pub fn cluster_header() -> String {
    let mut h = vec![
        "cluster_id",
        "flagged",
        "score",
        "campaign",
        "accounts",
        "exchanges",
        "first_seen",
        "last_seen",
        "name",
        "signals_fired",
        "explanation",
    ];
    h.extend(SIGNALS);
    h.join(",")
}

/// Writes one row per cluster of at least the minimum size (atomically).
pub fn write_clusters_csv(scan: &Scan, path: &Path) -> StoreResult<()> {
    let mut out = String::new();
    out.push_str(&cluster_header());
    out.push('\n');
    for c in &scan.clusters {
        let mut row = vec![
            c.cluster.to_string(),
            c.flagged.to_string(),
            format!("{:.2}", c.score),
            c.campaign.map(|n| n.to_string()).unwrap_or_default(),
            c.members.len().to_string(),
            c.exchanges.to_string(),
            iso_utc(c.first_seen),
            iso_utc(c.last_seen),
            cell(&c.name),
            cell(&explain::fired_list(&c.values, c.fired)),
            cell(&c.explanation.join("; ")),
        ];
        row.extend(c.values.iter().map(|x| explain::short(*x)));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    write_atomic(path, out.as_bytes())
}

/// The side file of a scan's CSV: `flagged.csv` → `flagged.evidence.txt`.
pub fn evidence_path(csv: &Path) -> std::path::PathBuf {
    let stem = csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scan".into());
    csv.with_file_name(format!("{stem}.evidence.txt"))
}

/// The evidence report in plain text: what each kind of evidence could
/// use, the threshold in force, the networks read as hosting, the
/// verification paths read as easy, the releases and the events that could
/// not be tied to a model.
pub fn evidence_report(scan: &Scan) -> String {
    use std::fmt::Write as _;
    let f = &scan.features;
    let mut s = String::from("# What the evidence let detection see\n\n");
    for line in scan.availability.lines() {
        let _ = writeln!(s, "- {line}");
    }
    let hosting: Vec<&features::NetworkKind> = f.networks.iter().filter(|n| n.hosting).collect();
    let _ = writeln!(
        s,
        "\n## Networks read as hosting, cloud or VPS ({} of {})\n",
        hosting.len(),
        f.networks.len()
    );
    for n in &hosting {
        let _ = writeln!(
            s,
            "- {} {}: {} ({} requests)",
            n.asn.map(|a| format!("AS{a}")).unwrap_or_default(),
            n.org.as_deref().unwrap_or(""),
            n.reason,
            n.requests
        );
    }
    let _ = writeln!(s, "\n## Verification paths\n");
    let _ = writeln!(
        s,
        "- easy ({}): {}",
        scan.config.lists.easy_verification_description,
        if f.easy_paths.is_empty() {
            "none".into()
        } else {
            f.easy_paths.join(", ")
        }
    );
    let _ = writeln!(
        s,
        "- other: {}",
        if f.other_paths.is_empty() {
            "none".into()
        } else {
            f.other_paths.join(", ")
        }
    );
    let _ = writeln!(s, "\n## Model releases\n");
    if f.releases.is_empty() {
        let _ = writeln!(s, "- none");
    }
    for r in &f.releases {
        let _ = writeln!(
            s,
            "- {} {} ({}): {}",
            iso_utc(r.ts),
            r.model,
            match r.source {
                crate::analysis::releases::ReleaseSource::Declared => "declared",
                crate::analysis::releases::ReleaseSource::FirstSeen => "found in the log",
            },
            r.label
        );
    }
    for e in &f.unmatched_events {
        let _ = writeln!(
            s,
            "- not tied to a logged model: {} {} \"{}\"",
            iso_utc(e.ts),
            e.kind,
            e.label
        );
    }
    s
}

/// Writes [`evidence_report`] (atomically).
pub fn write_evidence_report(scan: &Scan, path: &Path) -> StoreResult<()> {
    write_atomic(path, evidence_report(scan).as_bytes())
}

/// ISO-8601 UTC of epoch seconds ("2026-04-22T06:01:02Z").
fn iso_utc(s: i64) -> String {
    crate::analysis::days::iso_seconds(s).replace(' ', "T") + "Z"
}
