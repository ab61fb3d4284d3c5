//! Per-account numbers behind the signals, read from the case file: a few
//! DuckDB aggregations over the log and the derived tables (accounts are
//! numbered once in a temporary table so every query answers with small
//! integers), and the account × scripted-template uses that dense blocks
//! and attribution work on.

use std::path::Path;

use duckdb::Connection;

use super::config::DetectConfig;
use crate::analysis::views::query_rows;
use crate::store::error::{Context as _, StoreResult};
use crate::store::progress::Progress;
use crate::store::runner::temp_table;
use crate::store::schema::literal;

/// Seconds since the epoch.
pub type Seconds = i64;

/// A model release from the events table, with the model it names.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// When it was released.
    pub ts: Seconds,
    /// The model (the longest logged model name found in the event label).
    pub model: String,
    /// The event label ("MODEL first seen in the log" for releases found in the log).
    pub label: String,
    /// Declared in the events or found in the log.
    pub source: crate::analysis::releases::ReleaseSource,
    /// The population's move: the mean over accounts active in the window
    /// of their share of requests on the new model (each account counts
    /// once, so heavy users, a campaign above all, do not set the baseline).
    pub population_share: f64,
}

/// What the scan knows about one account before scoring.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountFacts {
    /// Requests.
    pub exchanges: u64,
    /// First and last request.
    pub first_seen: Seconds,
    /// Last request.
    pub last_seen: Seconds,
    /// Graph cluster (0: linked to no one; `-1`: not in the graph).
    pub cluster: i32,
    /// Infrastructure links in the graph (ip, network, ASN, payment, sign-up address).
    pub infra_links: u32,
    /// Co-activity links in the graph.
    pub coactivity_links: u32,
    /// Distinct autonomous systems.
    pub asns: u32,
    /// Distinct hosting, cloud and VPS autonomous systems.
    pub hosting_asns: u32,
    /// Distinct addresses.
    pub ips: u32,
    /// Share of requests from hosting networks.
    pub hosting_share: f64,
    /// Share of requests from unsupported regions.
    pub unsupported_share: f64,
    /// Share of requests on scripted templates.
    pub scripted_share: f64,
    /// Share of requests in targeted capabilities.
    pub targeted_share: f64,
    /// Share of elicitation requests.
    pub elicitation_share: f64,
    /// Output tokens per input token.
    pub output_ratio: f64,
    /// Entropy of the hour of day (bits).
    pub hour_entropy: f64,
    /// Median seconds between requests (NaN with fewer than two).
    pub median_gap: f64,
    /// Per release: requests in the window and those on the new model.
    pub release_requests: Vec<(u32, u32)>,
    /// Two of fresh, easy verification, shared payment.
    pub farmed: bool,
    /// Accounts created the same day through the same easy verification
    /// path with the same mail domain (itself included; 1 for other paths).
    pub cohort: u32,
}

/// (account index, scripted template index, uses).
pub type TemplateUse = (u32, u32, u32);

/// Everything read from the case for a scan.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Features {
    /// Account ids, sorted.
    pub accounts: Vec<String>,
    /// Facts per account (same order).
    pub facts: Vec<AccountFacts>,
    /// Model releases found in the events.
    pub releases: Vec<Release>,
    /// Account × scripted template uses: (account index, template index, uses).
    pub template_uses: Vec<TemplateUse>,
    /// Scripted templates (near-duplicate group ids, or template ids when
    /// `scripted_templates_by = "exact"`) by index.
    pub templates: Vec<u64>,
    /// Every network of the log with whether it counts as hosting and why.
    pub networks: Vec<NetworkKind>,
    /// Verification paths of the accounts table that count as easy.
    pub easy_paths: Vec<String>,
    /// Verification paths of the accounts table that do not.
    pub other_paths: Vec<String>,
    /// Release-like events the scan could not tie to a logged model.
    pub unmatched_events: Vec<crate::analysis::releases::UnmatchedEvent>,
    /// What the evidence holds, for [`super::evidence`].
    pub inputs: super::evidence::Inputs,
}

/// One autonomous system of the log and how the scan read it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkKind {
    /// AS number, when the log has one.
    pub asn: Option<i64>,
    /// AS name, when the log has one.
    pub org: Option<String>,
    /// Requests from it.
    pub requests: u64,
    /// Counted as hosting, cloud or VPS.
    pub hosting: bool,
    /// Why ("name says \"cloud\"", "known provider \"amazon\"", "analyst: hosting").
    pub reason: String,
}

/// Numbers the accounts in id order (`detect_account`, a temporary table
/// the scan's later SQL joins on): the order of [`Features::accounts`].
fn number_accounts(conn: &Connection, path: &Path) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE detect_account AS
         SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1)::INTEGER AS idx
         FROM account_summary;",
    )
    .at(path, "numbering accounts for the scan")
}

/// SQL list of text literals (`NULL` when empty, so `IN (NULL)` matches nothing).
fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        return "NULL".into();
    }
    items
        .iter()
        .map(|s| literal(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads every per-account number the signals need, telling `progress`
/// what is being read (and stopping when it is cancelled).
pub fn read(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    progress: &Progress,
) -> StoreResult<Features> {
    let l = &cfg.lists;
    progress.stage("Numbering accounts")?;
    number_accounts(conn, path)?;
    let ctx = "reading account volumes and sign-up records";
    let (easy_paths, other_paths) = easy_paths(conn, path, cfg)?;
    temp_table(
        conn,
        path,
        ctx,
        "detect_easy_path",
        "path VARCHAR",
        easy_paths.iter().map(|p| [p]),
    )?;
    let easy = "verification_path IN (SELECT path FROM detect_easy_path)";
    // Without a sign-up time, an account first seen after the log's first
    // `fresh_account_days` days was created inside the log: its first
    // request is its sign-up (account age from the log itself).
    let log_start: Option<i64> = query_rows(
        conn,
        path,
        ctx,
        "SELECT epoch(min(first_seen))::BIGINT FROM account_summary",
        |r| r.get(0),
    )?
    .into_iter()
    .next()
    .flatten();
    let fresh_window = i64::from(l.fresh_account_days) * 86_400;
    let base = query_rows(
        conn,
        path,
        ctx,
        &format!(
            "WITH acc AS (
               SELECT account_id, created_at, verification_path,
                      CASE WHEN payment_fingerprint IS NULL THEN 1
                           ELSE count(*) OVER (PARTITION BY payment_fingerprint) END AS pay_accounts,
                      CASE WHEN created_at IS NULL OR email_domain IS NULL OR NOT coalesce({easy}, false) THEN 1
                           ELSE count(*) OVER (PARTITION BY created_at::DATE, verification_path, email_domain) END AS cohort
               FROM (SELECT DISTINCT ON (account_id) * FROM accounts)
             )
             SELECT d.account_id, s.exchanges, epoch(s.first_seen)::BIGINT, epoch(s.last_seen)::BIGINT,
                    coalesce(s.asns, 0), coalesce(s.ips, 0),
                    coalesce(s.output_tokens, 0)::DOUBLE / greatest(coalesce(s.input_tokens, 0), 1),
                    epoch(a.created_at)::BIGINT, coalesce({easy}, false),
                    coalesce(a.pay_accounts, 1), coalesce(a.cohort, 1)
             FROM detect_account d JOIN account_summary s USING (account_id)
             LEFT JOIN acc a USING (account_id)
             ORDER BY d.idx"
        ),
        |r| {
            let created: Option<i64> = r.get(7)?;
            let first: i64 = r.get(2)?;
            let created = created.or_else(|| {
                log_start
                    .filter(|start| first - start > fresh_window)
                    .map(|_| first)
            });
            let fresh = created.is_some_and(|c| first - c <= fresh_window);
            let easy: bool = r.get(8)?;
            let shared_pay = r.get::<_, i64>(9)? >= i64::from(l.shared_payment_accounts);
            let facts = AccountFacts {
                exchanges: r.get::<_, i64>(1)?.max(0) as u64,
                first_seen: first,
                last_seen: r.get(3)?,
                cluster: -1,
                asns: r.get::<_, i64>(4)?.max(0) as u32,
                ips: r.get::<_, i64>(5)?.max(0) as u32,
                output_ratio: r.get(6)?,
                farmed: (fresh as u8 + easy as u8 + shared_pay as u8) >= 2,
                cohort: r.get::<_, i64>(10)?.max(1) as u32,
                median_gap: f64::NAN,
                hour_entropy: f64::NAN,
                ..AccountFacts::default()
            };
            Ok((r.get::<_, String>(0)?, facts))
        },
    )?;
    let (accounts, mut facts): (Vec<String>, Vec<AccountFacts>) = base.into_iter().unzip();

    progress.stage("Reading traffic shape")?;
    let ctx = "reading hour of day, hosting and region shares";
    let networks = classify_networks(conn, path, cfg)?;
    temp_table(
        conn,
        path,
        ctx,
        "detect_hosting",
        "asn INTEGER, asn_org VARCHAR",
        networks
            .iter()
            .filter(|n| n.hosting)
            .map(|n| (n.asn, n.org.as_deref())),
    )?;
    let countries = quoted_list(&l.unsupported_countries);
    // A network is its AS number where the log has one, else its name.
    let hosting = "CASE WHEN asn IS NOT NULL THEN asn IN (SELECT asn FROM detect_hosting WHERE asn IS NOT NULL)
                   ELSE asn_org IN (SELECT asn_org FROM detect_hosting WHERE asn IS NULL) END";
    for (idx, entropy, hosting, unsupported, hosting_asns) in query_rows(
        conn,
        path,
        ctx,
        &format!(
            "SELECT d.idx, t.* EXCLUDE (account_id) FROM (
               SELECT account_id, entropy(hour(ts)) AS hour_entropy,
                      avg(CASE WHEN {hosting} THEN 1.0 ELSE 0.0 END),
                      avg(CASE WHEN country IN ({countries}) THEN 1.0 ELSE 0.0 END),
                      count(DISTINCT coalesce(asn, -1 - (hash(asn_org) % 1000000000)::BIGINT)) FILTER (WHERE {hosting})
               FROM exchanges GROUP BY account_id) t JOIN detect_account d USING (account_id)"
        ),
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, Option<f64>>(1)?,
                r.get::<_, Option<f64>>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, i64>(4)?,
            ))
        },
    )? {
        let f = &mut facts[idx as usize];
        f.hosting_asns = hosting_asns.max(0) as u32;
        f.hour_entropy = entropy.unwrap_or(f64::NAN);
        f.hosting_share = hosting.unwrap_or(0.0);
        f.unsupported_share = unsupported.unwrap_or(0.0);
    }

    progress.stage("Reading request pace")?;
    // The window partitions on the 64-bit hash of the id: sorting
    // 64 million strings was the slow part.
    for (idx, gap) in query_rows(
        conn,
        path,
        "reading the gaps between requests",
        &format!(
            "SELECT d.idx, g.median_gap FROM (
               SELECT a, median(gap) FILTER (WHERE gap <= {max}) AS median_gap FROM (
                 SELECT hash(account_id) AS a,
                        epoch(ts) - lag(epoch(ts)) OVER (PARTITION BY hash(account_id) ORDER BY ts) AS gap
                 FROM exchanges)
               GROUP BY a) g JOIN detect_account d ON hash(d.account_id) = g.a",
            max = l.pace_max_gap_seconds
        ),
        |r| Ok((r.get::<_, i32>(0)?, r.get::<_, Option<f64>>(1)?)),
    )? {
        facts[idx as usize].median_gap = gap.unwrap_or(f64::NAN);
    }

    progress.stage("Reading capability mix")?;
    let targeted = quoted_list(&l.targeted_categories);
    let elicit = quoted_list(&l.elicitation_categories);
    for (idx, t, e) in query_rows(
        conn,
        path,
        "reading capability shares",
        &format!(
            "SELECT d.idx,
                    sum(exchanges) FILTER (WHERE category IN ({targeted}))::DOUBLE / sum(exchanges),
                    sum(exchanges) FILTER (WHERE category IN ({elicit}))::DOUBLE / sum(exchanges)
             FROM account_day JOIN detect_account d USING (account_id) GROUP BY d.idx"
        ),
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, Option<f64>>(1)?,
                r.get::<_, Option<f64>>(2)?,
            ))
        },
    )? {
        let f = &mut facts[idx as usize];
        f.targeted_share = t.unwrap_or(0.0);
        f.elicitation_share = e.unwrap_or(0.0);
    }

    progress.stage("Reading scripted templates")?;
    let (templates, template_uses) = scripted_uses(conn, path, cfg, &mut facts)?;

    progress.stage("Reading the account graph")?;
    let ctx = "reading graph clusters and links";
    for (idx, cluster) in query_rows(
        conn,
        path,
        ctx,
        "SELECT d.idx, n.cluster FROM graph_nodes n JOIN detect_account d ON d.account_id = n.id
         WHERE n.kind = 'account'",
        |r| Ok((r.get::<_, i32>(0)?, r.get::<_, Option<i32>>(1)?)),
    )? {
        facts[idx as usize].cluster = cluster.unwrap_or(-1);
    }
    for (idx, co, infra) in query_rows(
        conn,
        path,
        ctx,
        // Shared infrastructure: addresses, networks, payment, sign-up
        // addresses and API keys (a secret several accounts send with).
        // Teams are left out: colleagues share one by design.
        "WITH e AS (
           SELECT source AS node, kind FROM graph_edges
           WHERE kind IN ('ip', 'net', 'asn', 'payment', 'signup_ip', 'api_key', 'coactivity')
           UNION ALL
           SELECT target, kind FROM graph_edges
           WHERE kind IN ('ip', 'net', 'asn', 'payment', 'signup_ip', 'api_key', 'coactivity')
         ), per_node AS (
           SELECT node, count(*) FILTER (WHERE kind = 'coactivity') AS co,
                  count(*) FILTER (WHERE kind <> 'coactivity') AS infra
           FROM e GROUP BY node
         )
         SELECT d.idx, p.co, p.infra FROM per_node p
         JOIN graph_nodes n ON n.node = p.node AND n.kind = 'account'
         JOIN detect_account d ON d.account_id = n.id",
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )? {
        let f = &mut facts[idx as usize];
        f.coactivity_links = co.max(0) as u32;
        f.infra_links = infra.max(0) as u32;
    }

    progress.stage("Reading model releases")?;
    let (releases, unmatched_events) = read_releases(conn, path, cfg, &mut facts)?;
    let inputs = super::evidence::Inputs::read(conn, path, &easy_paths, &releases)?;
    Ok(Features {
        accounts,
        facts,
        releases,
        template_uses,
        templates,
        networks,
        easy_paths,
        other_paths,
        unmatched_events,
        inputs,
    })
}

/// Which scripted templates each account used, and how often. A scripted
/// template is a near-duplicate group of templates (reworded scripts and
/// lightly edited items count as one; `scripted_templates_by = "exact"`
/// keeps exact templates apart) used by at least `scripted_template_accounts`
/// accounts, each at least `scripted_template_uses_per_account` times on
/// average. Fills each account's scripted share; returns the scripted
/// groups (by index) and the (account, group, uses) triples.
fn scripted_uses(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    facts: &mut [AccountFacts],
) -> StoreResult<(Vec<u64>, Vec<TemplateUse>)> {
    let l = &cfg.lists;
    let ctx = "reading scripted template use";
    let group = if l.scripted_templates_by == "exact" {
        "t.template_id"
    } else {
        "coalesce(g.template_group, t.template_id)"
    };
    // Candidates by upper bounds from the template table (a group's
    // accounts are at most the sum of its templates'), then exact counts
    // from the rows of the candidates only.
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE detect_template_group AS
         SELECT t.template_id, {group} AS grp, t.accounts, t.exchanges
         FROM templates t LEFT JOIN template_labels g USING (template_id);
         CREATE OR REPLACE TEMP TABLE detect_candidate AS
         SELECT template_id, grp FROM detect_template_group WHERE grp IN (
           SELECT grp FROM detect_template_group GROUP BY grp
           HAVING sum(accounts) >= {a} AND sum(exchanges) >= {u} * {a});",
        a = l.scripted_template_accounts,
        u = l.scripted_template_uses_per_account
    ))
    .at(path, ctx)?;
    let uses = query_rows(
        conn,
        path,
        ctx,
        "SELECT d.idx, u.grp, u.n FROM (
           SELECT e.account_id, c.grp, count(*)::INTEGER AS n FROM exchanges e
           JOIN detect_candidate c USING (template_id)
           GROUP BY ALL) u JOIN detect_account d USING (account_id)",
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, i32>(2)?,
            ))
        },
    )?;
    let mut per_group: rustc_hash::FxHashMap<u64, (u32, u64)> = Default::default();
    for &(_, g, n) in &uses {
        let e = per_group.entry(g).or_default();
        e.0 += 1;
        e.1 += n.max(0) as u64;
    }
    let mut templates: Vec<u64> = per_group
        .iter()
        .filter(|(_, (accounts, exchanges))| {
            *accounts >= l.scripted_template_accounts
                && *exchanges as f64 >= l.scripted_template_uses_per_account * f64::from(*accounts)
        })
        .map(|(g, _)| *g)
        .collect();
    templates.sort_unstable();
    let index: rustc_hash::FxHashMap<u64, u32> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i as u32))
        .collect();
    let mut template_uses = Vec::with_capacity(uses.len());
    for (idx, g, n) in uses {
        if let Some(&ti) = index.get(&g) {
            facts[idx as usize].scripted_share += f64::from(n);
            template_uses.push((idx as u32, ti, n.max(0) as u32));
        }
    }
    for f in facts.iter_mut() {
        f.scripted_share /= f.exchanges.max(1) as f64;
    }
    template_uses.sort_unstable();
    Ok((templates, template_uses))
}

/// The distinct verification paths of the accounts table, split into the
/// easy ones (by the settings' rule) and the rest.
fn easy_paths(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
) -> StoreResult<(Vec<String>, Vec<String>)> {
    let rule = cfg.easy_path_rule();
    let all: Vec<String> = query_rows(
        conn,
        path,
        "reading verification paths",
        "SELECT DISTINCT verification_path FROM accounts WHERE verification_path IS NOT NULL
         ORDER BY 1",
        |r| r.get(0),
    )?;
    Ok(all.into_iter().partition(|p| rule.is_match(p)))
}

/// Every network of the log (AS number and name) with its request count,
/// read as hosting or not by the settings' rule.
pub fn classify_networks(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
) -> StoreResult<Vec<NetworkKind>> {
    let rule = cfg.hosting_rule();
    let rows: Vec<(Option<i64>, Option<String>, i64)> = query_rows(
        conn,
        path,
        "reading the log's networks",
        "SELECT asn, asn_org, count(*) FROM exchanges
         WHERE asn IS NOT NULL OR asn_org IS NOT NULL GROUP BY ALL ORDER BY 3 DESC",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    // An AS number is hosting when any of its names says so (IP databases
    // spell one network several ways).
    let mut by_asn: rustc_hash::FxHashMap<i64, (bool, String)> = Default::default();
    let mut out: Vec<NetworkKind> = rows
        .into_iter()
        .map(|(asn, org, n)| {
            let (hosting, reason) = rule.classify(asn, org.as_deref());
            if let Some(a) = asn {
                let e = by_asn.entry(a).or_insert((false, String::new()));
                if hosting && !e.0 {
                    *e = (true, reason.clone());
                }
            }
            NetworkKind {
                asn,
                org,
                requests: n.max(0) as u64,
                hosting,
                reason,
            }
        })
        .collect();
    for n in &mut out {
        if let Some((true, reason)) = n.asn.and_then(|a| by_asn.get(&a)) {
            n.hosting = true;
            n.reason.clone_from(reason);
        }
    }
    Ok(out)
}

fn read_releases(
    conn: &Connection,
    path: &Path,
    cfg: &DetectConfig,
    facts: &mut [AccountFacts],
) -> StoreResult<(Vec<Release>, Vec<crate::analysis::releases::UnmatchedEvent>)> {
    let ctx = "reading model releases";
    let found = crate::analysis::releases::read(conn, path)?;
    let window = i64::from(cfg.lists.release_window_hours) * 3600;
    let mut releases = Vec::new();
    for r in found.found {
        let slot = releases.len();
        for f in facts.iter_mut() {
            f.release_requests.push((0, 0));
        }
        let rows = query_rows(
            conn,
            path,
            ctx,
            &format!(
                "SELECT d.idx, count(*)::INTEGER, (count(*) FILTER (WHERE model = {m}))::INTEGER
                 FROM exchanges e JOIN detect_account d USING (account_id)
                 WHERE e.ts >= make_timestamp({ts}::BIGINT * 1000000) AND e.ts < make_timestamp({end}::BIGINT * 1000000)
                 GROUP BY d.idx",
                m = literal(&r.model),
                ts = r.ts,
                end = r.ts + window
            ),
            |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, i32>(1)?,
                    r.get::<_, i32>(2)?,
                ))
            },
        )?;
        let (mut active, mut shares) = (0usize, 0.0f64);
        for (idx, n, m) in rows {
            facts[idx as usize].release_requests[slot] = (n.max(0) as u32, m.max(0) as u32);
            if n > 0 {
                active += 1;
                shares += f64::from(m) / f64::from(n);
            }
        }
        releases.push(Release {
            ts: r.ts,
            model: r.model,
            label: r.label,
            source: r.source,
            population_share: if active == 0 {
                0.0
            } else {
                shares / active as f64
            },
        });
    }
    Ok((releases, found.unmatched))
}
