//! From account × value incidence to weighted account–account links,
//! without quadratic blow-up: a value shared by more accounts than the hub
//! cap becomes one hub node (edges account → hub), smaller ones link each
//! pair of their accounts with a rarity weight, scaled by how much the two
//! accounts' use of the value overlapped in time. Co-activity follows
//! SynchroTrap: accounts acting on the same object in the same time bucket.

use rayon::prelude::*;
use serde::Serialize;

use super::incidence::{Actions, Incidence, Member};
use super::links::{GraphConfig, LinkKind, rarity};

/// A value shared by more accounts than the cap: one node in the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hub {
    /// What is shared.
    pub kind: LinkKind,
    /// The shared value (address, network, ASN, user agent, template id...).
    pub value: String,
    /// Accounts that used it.
    pub degree: u32,
    /// First use, hours since the epoch.
    pub first_h: f64,
    /// Last use, hours since the epoch.
    pub last_h: f64,
    /// Exchanges that carried it.
    pub exchanges: u64,
}

/// One weighted link. Account nodes are numbered first, hubs after them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Edge {
    /// Smaller node id (an account).
    pub source: u32,
    /// Larger node id (an account or a hub).
    pub target: u32,
    /// What the two share.
    pub kind: LinkKind,
    /// Link weight.
    pub weight: f32,
}

/// How much two uses of a value overlap in time, 0 to 1: the intersection
/// of the two use periods, each widened by half the window on both sides,
/// over the shorter one. Two single uses link when less than a window apart.
pub fn time_overlap(a: &Member, b: &Member, window_h: f32) -> f32 {
    let pad = f64::from(window_h) * 1800.0;
    let (a0, a1) = (f64::from(a.first_s) - pad, f64::from(a.last_s) + pad);
    let (b0, b1) = (f64::from(b.first_s) - pad, f64::from(b.last_s) + pad);
    let inter = (a1.min(b1) - a0.max(b0)).max(0.0);
    let shorter = (a1 - a0).min(b1 - b0).max(1e-9);
    (inter / shorter).min(1.0) as f32
}

fn pair_key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

fn unkey(k: u64) -> (u32, u32) {
    ((k >> 32) as u32, k as u32)
}

/// Sorts (pair, weight) contributions and sums those of the same pair.
fn sum_pairs(mut parts: Vec<(u64, f32)>, kind: LinkKind) -> Vec<Edge> {
    parts.par_sort_unstable_by_key(|p| p.0);
    let mut out: Vec<Edge> = Vec::new();
    let mut last = u64::MAX;
    for (k, w) in parts {
        if k == last {
            if let Some(e) = out.last_mut() {
                e.weight += w;
            }
        } else {
            let (source, target) = unkey(k);
            out.push(Edge {
                source,
                target,
                kind,
                weight: w,
            });
            last = k;
        }
    }
    out
}

/// The links and hubs one kind contributes. Hub node ids start at `first_hub`.
pub fn project(
    inc: &Incidence,
    kind: LinkKind,
    cfg: &GraphConfig,
    first_hub: u32,
) -> (Vec<Edge>, Vec<Hub>) {
    let w = cfg.weight(kind);
    let cap = cfg.hub_cap.max(2);
    let hub_values: Vec<usize> = (0..inc.len())
        .filter(|&v| inc.members(v).len() > cap)
        .collect();
    let parts: Vec<(u64, f32)> = (0..inc.len())
        .into_par_iter()
        .with_min_len(64)
        .flat_map_iter(|v| {
            let ms = inc.members(v);
            let d = ms.len();
            let base = w * rarity(d);
            let pairs = if (2..=cap).contains(&d) {
                d * (d - 1) / 2
            } else {
                0
            };
            let mut out = Vec::with_capacity(pairs);
            let linked = if pairs > 0 { d } else { 0 };
            for i in 0..linked {
                for j in i + 1..d {
                    let f = if kind.time_aware() {
                        time_overlap(&ms[i], &ms[j], cfg.window_hours)
                    } else {
                        1.0
                    };
                    if f > 0.0 {
                        out.push((pair_key(ms[i].account, ms[j].account), base * f));
                    }
                }
            }
            out
        })
        .collect();
    let mut edges = sum_pairs(parts, kind);
    let mut hubs = Vec::with_capacity(hub_values.len());
    for (h, &v) in hub_values.iter().enumerate() {
        let ms = inc.members(v);
        let id = first_hub + h as u32;
        let weight = w * rarity(ms.len());
        // A hub links to the `hub_cap` accounts that used it most (its
        // degree counts them all): a proxy exit of 20,000 accounts would
        // otherwise add 20,000 edges that say one thing.
        let mut top: Vec<&Member> = ms.iter().collect();
        top.sort_by(|a, b| {
            b.exchanges
                .cmp(&a.exchanges)
                .then(a.account.cmp(&b.account))
        });
        top.truncate(cap);
        top.sort_by_key(|m| m.account);
        edges.extend(top.into_iter().map(|m| Edge {
            source: m.account,
            target: id,
            kind,
            weight,
        }));
        hubs.push(Hub {
            kind,
            value: inc.values[v].clone(),
            degree: ms.len() as u32,
            first_h: f64::from(ms.iter().map(|m| m.first_s).min().unwrap_or(0)) / 3600.0,
            last_h: f64::from(ms.iter().map(|m| m.last_s).max().unwrap_or(0)) / 3600.0,
            exchanges: ms.iter().map(|m| u64::from(m.exchanges)).sum(),
        });
    }
    (edges, hubs)
}

/// SynchroTrap co-activity links from (slot, account) actions: two accounts
/// that acted in at least `coactivity_min_shared` of the same slots (one
/// template within one bucket), with Jaccard similarity of their action
/// sets at least `coactivity_min_similarity`. Slots with more accounts than
/// the hub cap say nothing about who acts together and are skipped. The
/// weight saturates with similarity: w · s / (s + 0.05).
///
/// Shared slots are counted account by account (each account's slots, each
/// slot's later accounts, into a dense counter): the hundreds of millions
/// of pair occurrences are never stored or sorted.
pub fn coactivity(actions: Actions, cfg: &GraphConfig) -> Vec<Edge> {
    let Actions {
        shared: actions,
        per_account,
    } = actions;
    let accounts = per_account.len();
    // Slots of 2..=cap accounts as runs of account ids (sorted within).
    let cap = cfg.hub_cap.max(2);
    let mut slot_off: Vec<usize> = vec![0];
    let mut slot_members: Vec<u32> = Vec::new();
    let mut start = 0;
    for i in 1..=actions.len() {
        if i == actions.len() || actions[i].0 != actions[start].0 {
            if (2..=cap).contains(&(i - start)) {
                slot_members.extend(actions[start..i].iter().map(|a| a.1));
                slot_off.push(slot_members.len());
            }
            start = i;
        }
    }
    drop(actions);
    // Each account's slots.
    let mut acc_off = vec![0usize; accounts + 1];
    for a in &slot_members {
        acc_off[*a as usize + 1] += 1;
    }
    for i in 0..accounts {
        acc_off[i + 1] += acc_off[i];
    }
    let mut fill = acc_off.clone();
    let mut acc_slots = vec![0u32; slot_members.len()];
    for s in 0..slot_off.len() - 1 {
        for a in &slot_members[slot_off[s]..slot_off[s + 1]] {
            acc_slots[fill[*a as usize]] = s as u32;
            fill[*a as usize] += 1;
        }
    }
    drop(fill);
    let w = cfg.weight(LinkKind::Coactivity);
    (0..accounts as u32)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || (vec![0u32; accounts], Vec::<u32>::new()),
            |(count, touched), a| {
                for s in &acc_slots[acc_off[a as usize]..acc_off[a as usize + 1]] {
                    let m = &slot_members[slot_off[*s as usize]..slot_off[*s as usize + 1]];
                    let later = m.partition_point(|b| *b <= a);
                    for b in &m[later..] {
                        if count[*b as usize] == 0 {
                            touched.push(*b);
                        }
                        count[*b as usize] += 1;
                    }
                }
                touched.sort_unstable();
                let mut out = Vec::new();
                for b in touched.drain(..) {
                    let shared = std::mem::take(&mut count[b as usize]);
                    if shared < cfg.coactivity_min_shared {
                        continue;
                    }
                    let union = per_account[a as usize] + per_account[b as usize] - shared;
                    let sim = shared as f32 / union.max(1) as f32;
                    if sim >= cfg.coactivity_min_similarity {
                        out.push(Edge {
                            source: a,
                            target: b,
                            kind: LinkKind::Coactivity,
                            weight: w * sim / (sim + 0.05),
                        });
                    }
                }
                out
            },
        )
        .flatten_iter()
        .collect()
}

/// Keeps the account pairs whose links of every kind sum to at least
/// `min_link` (all their links), and every account → hub link.
pub fn drop_weak_pairs(mut edges: Vec<Edge>, accounts: usize, min_link: f32) -> Vec<Edge> {
    let mut sums: Vec<(u64, f32)> = edges
        .iter()
        .filter(|e| (e.target as usize) < accounts)
        .map(|e| (pair_key(e.source, e.target), e.weight))
        .collect();
    sums.par_sort_unstable_by_key(|p| p.0);
    let mut strong: Vec<u64> = Vec::new();
    let mut i = 0;
    while i < sums.len() {
        let mut total = 0.0;
        let mut j = i;
        while j < sums.len() && sums[j].0 == sums[i].0 {
            total += sums[j].1;
            j += 1;
        }
        if total >= min_link {
            strong.push(sums[i].0);
        }
        i = j;
    }
    drop(sums);
    edges.retain(|e| {
        (e.target as usize) >= accounts
            || strong.binary_search(&pair_key(e.source, e.target)).is_ok()
    });
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(account: u32, first_h: f64, last_h: f64) -> Member {
        Member {
            account,
            first_s: (first_h * 3600.0) as u32,
            last_s: (last_h * 3600.0) as u32,
            exchanges: 1,
        }
    }

    #[test]
    fn weak_pairs_go_unless_their_kinds_add_up() {
        let e = |source, target, kind, weight| Edge {
            source,
            target,
            kind,
            weight,
        };
        let edges = vec![
            e(0, 1, LinkKind::Asn, 0.3),
            e(0, 1, LinkKind::Template, 0.4),
            e(2, 3, LinkKind::Asn, 0.3),
            e(2, 9, LinkKind::Ip, 0.01),
        ];
        let kept = drop_weak_pairs(edges, 5, 0.6);
        // 0–1 sum to 0.7 and keep both links; 2–3 go; the hub link stays.
        assert_eq!(kept.len(), 3);
        assert!(kept.iter().all(|x| (x.source, x.target) != (2, 3)));
    }

    #[test]
    fn coactivity_counts_shared_slots_and_their_jaccard() {
        let cfg = GraphConfig::default();
        // 0 and 1 act in slots 10, 11, 12 together; 1 also alone in 13; 2
        // meets 0 once (slot 10); slot 99 holds 3 accounts but one shared
        // slot is below the minimum of 3.
        let actions = vec![
            (10, 0),
            (10, 1),
            (10, 2),
            (11, 0),
            (11, 1),
            (12, 1),
            (12, 0),
            (13, 1),
            (13, 1),
        ];
        let edges = coactivity(Actions::from_all(actions, 3), &cfg);
        assert_eq!(edges.len(), 1);
        let e = edges[0];
        assert_eq!((e.source, e.target, e.kind), (0, 1, LinkKind::Coactivity));
        // Jaccard 3 / 4: w · s / (s + 0.05).
        let w = cfg.weight(LinkKind::Coactivity);
        assert!((e.weight - w * 0.75 / 0.8).abs() < 1e-6);
    }

    #[test]
    fn overlap_is_one_for_the_same_period_and_zero_far_apart() {
        let a = member(0, 100.0, 200.0);
        assert_eq!(time_overlap(&a, &member(1, 100.0, 200.0), 24.0), 1.0);
        assert_eq!(time_overlap(&a, &member(1, 300.0, 400.0), 24.0), 0.0);
        // Single uses 6 h apart with a 24 h window overlap by 18/24.
        let x = member(0, 10.0, 10.0);
        let y = member(1, 16.0, 16.0);
        assert!((time_overlap(&x, &y, 24.0) - 0.75).abs() < 1e-6);
    }
}
