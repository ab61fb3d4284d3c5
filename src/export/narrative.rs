//! timeline.md: a drafted narrative of the operation from the pack's own
//! rows (first and last activity, ramp-up, peaks, volume per day, the
//! capability mix and how it shifted, reactions to releases and
//! enforcement, the infrastructure), each figure naming the CSV it is read
//! from, for the reviewer to edit and sign.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::pack::Facts;
use crate::analysis::days::iso;
use crate::analysis::summary::group_digits;

/// Days either side of an event compared for the reaction.
const REACTION_DAYS: i32 = 3;

/// Mix changes smaller than this (in share points) are not mentioned.
const MIX_SHIFT_POINTS: f64 = 5.0;

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn n(x: i64) -> String {
    group_digits(x)
}

/// Exchanges per day (every day of the span, zeros included).
fn per_day(f: &Facts) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for r in &f.daily {
        *out.entry(r.day).or_insert(0) += r.exchanges;
    }
    out
}

/// Category shares over days `[from, to]`.
fn mix(f: &Facts, from: i32, to: i32) -> (i64, BTreeMap<&str, f64>) {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for r in f.daily.iter().filter(|r| (from..=to).contains(&r.day)) {
        *counts.entry(r.category.as_str()).or_default() += r.exchanges;
    }
    let total: i64 = counts.values().sum();
    let shares = counts
        .into_iter()
        .map(|(c, k)| {
            (
                c,
                if total > 0 {
                    k as f64 / total as f64
                } else {
                    0.0
                },
            )
        })
        .collect();
    (total, shares)
}

/// The categories whose share moved most between two windows, largest
/// move first, only moves of at least `MIX_SHIFT_POINTS`.
fn shifts<'a>(a: &BTreeMap<&'a str, f64>, b: &BTreeMap<&'a str, f64>) -> Vec<(&'a str, f64, f64)> {
    let mut cats: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
    cats.sort_unstable();
    cats.dedup();
    let mut out: Vec<(&str, f64, f64)> = cats
        .into_iter()
        .map(|c| {
            (
                c,
                a.get(c).copied().unwrap_or(0.0),
                b.get(c).copied().unwrap_or(0.0),
            )
        })
        .filter(|(_, x, y)| (y - x).abs() * 100.0 >= MIX_SHIFT_POINTS)
        .collect();
    out.sort_by(|x, y| {
        (y.2 - y.1)
            .abs()
            .total_cmp(&(x.2 - x.1).abs())
            .then(x.0.cmp(y.0))
    });
    out
}

/// A pause this long or longer splits the activity into periods.
const GAP_DAYS: i32 = 7;

/// Periods of activity separated by pauses of `GAP_DAYS` or more: first
/// day, last day, requests.
fn periods(days: &BTreeMap<i32, i64>) -> Vec<(i32, i32, i64)> {
    let mut out: Vec<(i32, i32, i64)> = Vec::new();
    for (&d, &k) in days.iter().filter(|(_, k)| **k > 0) {
        match out.last_mut() {
            Some(p) if d - p.1 < GAP_DAYS => {
                p.1 = d;
                p.2 += k;
            }
            _ => out.push((d, d, k)),
        }
    }
    out
}

/// The drafted timeline.
pub fn draft(f: &Facts) -> String {
    let c = &f.campaign;
    let days = per_day(f);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Campaign \"{}\": drafted timeline of the operation\n",
        c.props.name
    );
    let _ = writeln!(
        s,
        "Status **{}**, analyst confidence {}%. Drafted by distillscope {} for {} on {}. \
         This is a draft for the reviewer to edit; every figure names the CSV file of this pack it is read from.\n",
        c.props.status.name(),
        c.props.confidence,
        env!("CARGO_PKG_VERSION"),
        f.analyst,
        f.drafted_at
    );
    if !c.props.notes.trim().is_empty() {
        let _ = writeln!(s, "> {}\n", c.props.notes.trim().replace('\n', "\n> "));
    }
    let (Some((&first, _)), Some((&last, _))) = (days.first_key_value(), days.last_key_value())
    else {
        let _ = writeln!(
            s,
            "The campaign's {} accounts sent no requests in this evidence (accounts.csv).",
            n(c.accounts.len() as i64)
        );
        return s;
    };
    let span = last - first + 1;
    let active = days.len() as i64;
    let total: i64 = days.values().sum();

    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(
        s,
        "- **{}** accounts in the campaign, {} of them active (accounts.csv).",
        n(c.accounts.len() as i64),
        n(f.active_accounts)
    );
    let _ = writeln!(
        s,
        "- **{}** requests from **{}** to **{}**: {} days, {} of them with traffic (daily_timeline.csv).",
        n(total),
        iso(first),
        iso(last),
        span,
        active
    );
    if let Some(flagged) = f.flagged {
        let _ = writeln!(
            s,
            "- Detection flagged {} of the {} accounts (accounts.csv, detection_flagged).",
            n(flagged),
            n(c.accounts.len() as i64)
        );
    }
    if !f.clusters.is_empty() {
        let top: Vec<String> = f
            .clusters
            .iter()
            .take(3)
            .map(|(id, name, k)| {
                if *id == 0 {
                    format!("{} accounts linked to no other account", n(*k))
                } else {
                    format!("cluster {id} \"{name}\" ({} accounts)", n(*k))
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "- In the account network its accounts fall in {} cluster(s): {} (accounts.csv, cluster_id).",
            f.clusters.len(),
            top.join("; ")
        );
    }

    let _ = writeln!(s, "\n## Timeline\n");
    let _ = writeln!(
        s,
        "- **{}**: first activity, {} requests that day (daily_timeline.csv).",
        iso(first),
        n(days[&first])
    );
    let (peak_day, peak) = days
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(d, k)| (*d, *k))
        .unwrap_or((first, 0));
    if let Some((&half_day, &half)) = days.iter().find(|(_, k)| **k * 2 >= peak) {
        if half_day > first {
            let _ = writeln!(
                s,
                "- **{}**: ramp-up reaches half the peak volume ({} requests), {} days after the first activity.",
                iso(half_day),
                n(half),
                half_day - first
            );
        } else {
            let _ = writeln!(
                s,
                "- No ramp-up: the first day already ran at {} of the peak volume.",
                pct(days[&first] as f64 / peak.max(1) as f64)
            );
        }
    }
    let periods = periods(&days);
    if periods.len() > 1 {
        let parts: Vec<String> = periods
            .iter()
            .map(|(a, b, k)| format!("{} – {} ({} requests)", iso(*a), iso(*b), n(*k)))
            .collect();
        let _ = writeln!(
            s,
            "- Activity came in {} separate periods, each after a pause of {GAP_DAYS} days or more: {} (daily_timeline.csv).",
            periods.len(),
            parts.join("; ")
        );
    }
    let mut by_volume: Vec<(i32, i64)> = days.iter().map(|(d, k)| (*d, *k)).collect();
    by_volume.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let peaks: Vec<String> = by_volume
        .iter()
        .take(3)
        .map(|(d, k)| format!("{} ({})", iso(*d), n(*k)))
        .collect();
    let _ = writeln!(
        s,
        "- **{}**: peak day, {} requests. The three busiest days: {} (daily_timeline.csv).",
        iso(peak_day),
        n(peak),
        peaks.join(", ")
    );
    let mut volumes: Vec<i64> = days.values().copied().collect();
    volumes.sort_unstable();
    let median = volumes[volumes.len() / 2];
    let _ = writeln!(
        s,
        "- Volume per active day: mean {}, median {} requests (daily_timeline.csv).",
        n(total / active.max(1)),
        n(median)
    );
    let _ = writeln!(
        s,
        "- **{}**: last activity, {} requests that day (daily_timeline.csv).",
        iso(last),
        n(days[&last])
    );

    let _ = writeln!(s, "\n## Capability mix\n");
    for r in f.categories.iter().filter(|r| r.campaign > 0).take(5) {
        let lift = r
            .lift
            .map(|l| format!("{l:.1}× the baseline share of {}", pct(r.baseline_share)))
            .unwrap_or_else(|| "absent from the baseline".into());
        let _ = writeln!(
            s,
            "- {}: {} of the campaign's requests ({}), {} (categories.csv).",
            r.category,
            pct(r.campaign_share),
            n(r.campaign),
            lift
        );
    }
    if span >= 9 {
        let third = span / 3;
        let (a_total, a) = mix(f, first, first + third - 1);
        let (b_total, b) = mix(f, last - third + 1, last);
        let moved = shifts(&a, &b);
        if a_total > 0 && b_total > 0 {
            if moved.is_empty() {
                let _ = writeln!(
                    s,
                    "- The mix held steady: no category's share moved by {MIX_SHIFT_POINTS} points or more between the first third of the span ({} – {}) and the last ({} – {}) (daily_timeline.csv).",
                    iso(first),
                    iso(first + third - 1),
                    iso(last - third + 1),
                    iso(last)
                );
            } else {
                let parts: Vec<String> = moved
                    .iter()
                    .take(4)
                    .map(|(cat, x, y)| format!("{cat} {} → {}", pct(*x), pct(*y)))
                    .collect();
                let _ = writeln!(
                    s,
                    "- The mix shifted between the first third of the span ({} – {}) and the last ({} – {}): {} (daily_timeline.csv).",
                    iso(first),
                    iso(first + third - 1),
                    iso(last - third + 1),
                    iso(last),
                    parts.join("; ")
                );
            }
        }
    }

    let _ = writeln!(s, "\n## Reactions to model releases and enforcement\n");
    let near: Vec<_> = f
        .events
        .iter()
        .filter(|e| e.day >= first - 7 && e.day <= last + 7)
        .collect();
    if near.is_empty() {
        let _ = writeln!(
            s,
            "- No recorded event falls within a week of the campaign's span (events.csv)."
        );
    }
    for e in near {
        let window = |from: i32, to: i32| -> i64 {
            (from..=to)
                .map(|d| days.get(&d).copied().unwrap_or(0))
                .sum()
        };
        let before = window(e.day - REACTION_DAYS, e.day - 1);
        let after = window(e.day + 1, e.day + REACTION_DAYS);
        let per = |k: i64| n(k / i64::from(REACTION_DAYS));
        let change = if before > 0 {
            format!("×{:.2}", after as f64 / before as f64)
        } else if after > 0 {
            "from nothing".into()
        } else {
            "no traffic either side".into()
        };
        let mut line = format!(
            "- **{}**, {} — {}: {}-day mean {} requests/day before, {} after ({change})",
            iso(e.day),
            e.kind.replace('_', " "),
            e.label,
            REACTION_DAYS,
            per(before),
            per(after)
        );
        if e.day >= last && e.kind == "enforcement" {
            let _ = write!(line, "; the campaign's last activity was {}", iso(last));
        } else if before > 0 && after > 0 {
            let (_, a) = mix(f, e.day - REACTION_DAYS, e.day - 1);
            let (_, b) = mix(f, e.day + 1, e.day + REACTION_DAYS);
            if let Some((cat, x, y)) = shifts(&a, &b).first() {
                let _ = write!(line, "; largest mix change {cat} {} → {}", pct(*x), pct(*y));
            }
        }
        let _ = writeln!(s, "{line} (events.csv, daily_timeline.csv).");
    }

    let _ = writeln!(s, "\n## Infrastructure\n");
    let mut kinds: BTreeMap<&str, Vec<&super::pack::InfraRow>> = BTreeMap::new();
    for r in &f.infrastructure {
        kinds.entry(r.kind.as_str()).or_default().push(r);
    }
    if kinds.is_empty() {
        let _ = writeln!(
            s,
            "- No address, network, payment instrument or template is shared by two of its accounts (infrastructure.csv)."
        );
    }
    for (kind, rows) in &kinds {
        let exclusive = rows
            .iter()
            .filter(|r| r.case_accounts == r.campaign_accounts)
            .count();
        let top: Vec<String> = rows
            .iter()
            .take(3)
            .map(|r| {
                let shown = if *kind == "template" {
                    let short: String = r.detail.chars().take(60).collect();
                    format!("\"{}…\"", short.replace('\n', " "))
                } else if r.detail.is_empty() {
                    r.value.clone()
                } else {
                    format!("{} ({})", r.value, r.detail)
                };
                format!(
                    "{shown}: {} campaign accounts of {} in the case",
                    n(r.campaign_accounts),
                    n(r.case_accounts)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "- {}: {} shared value(s), {} used by no account outside the campaign. Most shared: {} (infrastructure.csv).",
            kind.replace('_', " "),
            n(rows.len() as i64),
            n(exclusive as i64),
            top.join("; ")
        );
    }

    if !f.notes.is_empty() {
        let _ = writeln!(s, "\n## Analyst notes\n");
        for note in &f.notes {
            let _ = writeln!(s, "- {note} (notes.csv)");
        }
    }
    let _ = writeln!(
        s,
        "\n## Sources\n\nDaily figures are sums of `exchanges` by `day` in daily_timeline.csv; shares and lifts are categories.csv's columns; events are events.csv; shared values are infrastructure.csv; accounts are accounts.csv. The full audit trail of the campaign is in notes.csv, and manifest.json holds every file's SHA-256 and the SQL that produced it."
    );
    s
}
