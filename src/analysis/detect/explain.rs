//! Flags in plain words: one phrase per fired signal, with the number and
//! what is typical for the population, and the kinds of evidence that agree.

use super::config::DetectConfig;
use super::features::Release;
use super::score::{Baseline, N, family_scores};
use crate::analysis::days;

fn pct(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{:.0}%", 100.0 * x)
    }
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A date from epoch seconds, as "2026-04-22".
pub fn date(seconds: i64) -> String {
    days::iso(seconds.div_euclid(86_400) as i32)
}

/// The phrase for signal `i` at value `v`; `typical` is the population
/// median (or mean for shares of accounts).
pub fn phrase(
    i: usize,
    v: f64,
    baseline: &Baseline,
    releases: &[Release],
    pivot_at: Option<usize>,
    cfg: &DetectConfig,
) -> String {
    let typ = baseline.median(i);
    let mean = baseline.mean(i);
    match super::config::SIGNALS[i] {
        "shared_infrastructure" => format!(
            "linked to {} other accounts by shared addresses, networks, payment, sign-up address or API key (typical: {})",
            num(v),
            num(typ)
        ),
        "proxy_rotation" => format!(
            "{} hosting and cloud networks (autonomous systems) per account (typical: {})",
            num(v),
            num(typ)
        ),
        "hosting_share" => format!(
            "{} of traffic from hosting and cloud networks (population: {})",
            pct(v),
            pct(mean)
        ),
        "unsupported_region" => format!(
            "{} of traffic from regions where the API is not sold (population: {})",
            pct(v),
            pct(mean)
        ),
        "template_reuse" => format!(
            "{} of traffic on scripted templates shared across accounts (population: {})",
            pct(v),
            pct(mean)
        ),
        "capability_concentration" => format!(
            "{} of traffic in targeted capabilities against {} baseline",
            pct(v),
            pct(mean)
        ),
        "elicitation" => format!(
            "{} chain-of-thought, rubric-grading and policy-rewrite prompts (population: {})",
            pct(v),
            pct(mean)
        ),
        "dense_block" => format!(
            "{} of accounts in a dense account × template block (Fraudar)",
            pct(v)
        ),
        "output_ratio" => format!(
            "{} output tokens per input token (typical: {})",
            num(v),
            num(typ)
        ),
        "coactivity" => format!(
            "{} co-activity links: the same templates within minutes of other accounts",
            num(v)
        ),
        "round_the_clock" => format!(
            "active around the clock ({v:.2} bits of hour-of-day entropy; typical {typ:.2}, 4.58 = every hour alike)"
        ),
        "machine_pace" => format!(
            "a request every {} s at median (typical: {} s)",
            num(v),
            num(typ)
        ),
        "release_pivot" => match pivot_at.and_then(|r| releases.get(r)) {
            Some(r) => format!(
                "moved {} of its traffic to {} in the {} h after its release on {} (the typical account: {})",
                pct(v + r.population_share),
                r.model,
                cfg.lists.release_window_hours,
                date(r.ts),
                pct(r.population_share)
            ),
            None => format!(
                "{} more of its traffic on a new model than the typical account",
                pct(v)
            ),
        },
        "farmed_accounts" => format!(
            "{} of accounts with two of: used within {} days of sign-up, signed up through {}, paying with a card shared by {}+ accounts (population: {})",
            pct(v),
            cfg.lists.fresh_account_days,
            cfg.lists.easy_verification_description,
            cfg.lists.shared_payment_accounts,
            pct(mean)
        ),
        "signup_cohort" => format!(
            "sign-up cohorts of {} accounts on one day through one of the {} and one mail domain",
            num(v),
            cfg.lists.easy_verification_description
        ),
        other => format!("{other} = {}", num(v)),
    }
}

/// The whole explanation of a fired set: the verdict, then one phrase per
/// fired signal that counts (weight > 0), strongest family first.
pub fn explain(
    values: &[f64; N],
    fired: u32,
    score: f64,
    baseline: &Baseline,
    releases: &[Release],
    pivot_at: Option<usize>,
    cfg: &DetectConfig,
) -> Vec<String> {
    let families = family_scores(fired, cfg);
    let parts: Vec<String> = families
        .iter()
        .map(|(f, w)| {
            if *w >= 1.0 {
                (*f).to_owned()
            } else {
                format!("{f} ×{}", short(*w))
            }
        })
        .collect();
    let mut lines = vec![format!(
        "score {score:.1} of 4 (flag at {:.1}){}",
        cfg.score.flag_threshold,
        if parts.is_empty() {
            ": no kind of evidence".to_owned()
        } else {
            format!(": evidence from {}", parts.join(", "))
        }
    )];
    for (i, v) in values.iter().enumerate() {
        if fired & (1 << i) != 0 && cfg.signal(i).weight > 0.0 {
            lines.push(phrase(i, *v, baseline, releases, pivot_at, cfg));
        }
    }
    lines
}

/// Signal `i` as `id=value` for CSV (`fired` lists).
pub fn fired_list(values: &[f64; N], fired: u32) -> String {
    (0..N)
        .filter(|i| fired & (1 << i) != 0)
        .map(|i| format!("{}={}", super::config::SIGNALS[i], short(values[i])))
        .collect::<Vec<_>>()
        .join(";")
}

/// A value with at most three decimals (no trailing zeros), empty if missing.
pub fn short(v: f64) -> String {
    if v.is_nan() {
        return String::new();
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::super::score::index;
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(short(0.5), "0.5");
        assert_eq!(short(41.0), "41");
        assert_eq!(short(f64::NAN), "");
    }

    #[test]
    fn explanation_names_the_agreeing_evidence() {
        let cfg = DetectConfig::default();
        let mut v = [0.0; N];
        v[index("proxy_rotation")] = 41.0;
        v[index("template_reuse")] = 0.97;
        let rows = vec![[0.0; N]; 10];
        let b = Baseline::new(rows.iter());
        let fired = (1 << index("proxy_rotation")) | (1 << index("template_reuse"));
        let lines = explain(&v, fired, 2.0, &b, &[], None, &cfg);
        assert!(
            lines[0].contains("score 2.0 of 4") && lines[0].contains("infrastructure, content"),
            "{}",
            lines[0]
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("41.0 hosting and cloud networks"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("97% of traffic on scripted templates"))
        );
    }
}
