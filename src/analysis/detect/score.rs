//! Signal values per account and per cluster, their population baselines,
//! and the score: each family of evidence counts once (its largest fired
//! weight), families add up, and the flag needs the configured total.

use super::config::{DetectConfig, FAMILIES, SIGNALS};
use super::features::{AccountFacts, Release};

/// Number of signals.
pub const N: usize = SIGNALS.len();

/// Index of a signal id in [`SIGNALS`].
pub fn index(id: &str) -> usize {
    SIGNALS
        .iter()
        .position(|s| *s == id)
        .unwrap_or_else(|| panic!("unknown signal {id}"))
}

/// The release pivot of some requests: the largest excess of their share
/// on a new model over the population's (the typical account's; see
/// [`Release::population_share`]), with the release it happened at.
pub fn pivot(requests: &[(u32, u32)], releases: &[Release], min: u32) -> (f64, Option<usize>) {
    let mut best = (f64::NAN, None);
    for (i, (&(n, new), r)) in requests.iter().zip(releases).enumerate() {
        if n < min.max(1) {
            continue;
        }
        let excess = f64::from(new) / f64::from(n) - r.population_share;
        if best.0.is_nan() || excess > best.0 {
            best = (excess, Some(i));
        }
    }
    best
}

/// One account's own signal values.
pub fn own_values(
    f: &AccountFacts,
    in_block: bool,
    releases: &[Release],
    cfg: &DetectConfig,
) -> [f64; N] {
    let mut v = [f64::NAN; N];
    v[index("shared_infrastructure")] = f64::from(f.infra_links);
    v[index("proxy_rotation")] = f64::from(f.hosting_asns);
    v[index("hosting_share")] = f.hosting_share;
    v[index("unsupported_region")] = f.unsupported_share;
    v[index("template_reuse")] = f.scripted_share;
    v[index("capability_concentration")] = f.targeted_share;
    v[index("elicitation")] = f.elicitation_share;
    v[index("dense_block")] = if in_block { 1.0 } else { 0.0 };
    v[index("output_ratio")] = f.output_ratio;
    v[index("coactivity")] = f64::from(f.coactivity_links);
    v[index("round_the_clock")] = f.hour_entropy;
    v[index("machine_pace")] = f.median_gap;
    v[index("release_pivot")] = pivot(
        &f.release_requests,
        releases,
        cfg.lists.release_window_min_requests,
    )
    .0;
    v[index("farmed_accounts")] = if f.farmed { 1.0 } else { 0.0 };
    v[index("signup_cohort")] = f64::from(f.cohort);
    v
}

/// A group's values: the mean of its members' values (missing ones left
/// out), except the release pivot, which pools the members' requests; and
/// the release its pivot was largest at.
pub fn group_values(
    members: &[u32],
    own: &[[f64; N]],
    facts: &[AccountFacts],
    releases: &[Release],
    cfg: &DetectConfig,
) -> ([f64; N], Option<usize>) {
    let mut sum = [0.0f64; N];
    let mut count = [0u32; N];
    for &m in members {
        for (i, x) in own[m as usize].iter().enumerate() {
            if !x.is_nan() {
                sum[i] += x;
                count[i] += 1;
            }
        }
    }
    let mut v = [f64::NAN; N];
    for i in 0..N {
        if count[i] > 0 {
            v[i] = sum[i] / f64::from(count[i]);
        }
    }
    let (p, at) = pivot(
        &pooled_release_requests(members, facts, releases.len()),
        releases,
        cfg.lists.release_window_min_requests,
    );
    v[index("release_pivot")] = p;
    (v, at)
}

/// Members' release-window requests added up, per release.
fn pooled_release_requests(
    members: &[u32],
    facts: &[AccountFacts],
    releases: usize,
) -> Vec<(u32, u32)> {
    let mut pooled = vec![(0u32, 0u32); releases];
    for &m in members {
        for (p, r) in pooled.iter_mut().zip(&facts[m as usize].release_requests) {
            p.0 = p.0.saturating_add(r.0);
            p.1 = p.1.saturating_add(r.1);
        }
    }
    pooled
}

/// Which signals fire (bit i = signal i) and the score they make.
pub fn score(values: &[f64; N], cfg: &DetectConfig) -> (u32, f64) {
    let mut fired = 0u32;
    let mut family = [0.0f64; FAMILIES.len()];
    for (i, v) in values.iter().enumerate() {
        let s = cfg.signal(i);
        if s.fires(*v) {
            fired |= 1 << i;
            let f = cfg.family_of(i);
            family[f] = family[f].max(s.weight);
        }
    }
    (fired, family.iter().sum())
}

/// What each family added to the score of a fired set (families that
/// added nothing left out), in [`FAMILIES`] order.
pub fn family_scores(fired: u32, cfg: &DetectConfig) -> Vec<(&'static str, f64)> {
    let mut family = [0.0f64; FAMILIES.len()];
    for i in 0..N {
        if fired & (1 << i) != 0 {
            let f = cfg.family_of(i);
            family[f] = family[f].max(cfg.signal(i).weight);
        }
    }
    FAMILIES
        .iter()
        .zip(family)
        .filter(|(_, w)| *w > 0.0)
        .map(|(n, w)| (*n, w))
        .collect()
}

/// The families that contributed to a fired set, by name.
pub fn families_of(fired: u32, cfg: &DetectConfig) -> Vec<&'static str> {
    family_scores(fired, cfg)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Sorted values of each signal over a population (NaN left out), for
/// percentiles and medians.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    sorted: Vec<Vec<f64>>,
}

impl Baseline {
    /// Builds the baseline from value rows.
    pub fn new<'a>(rows: impl Iterator<Item = &'a [f64; N]>) -> Baseline {
        let mut sorted: Vec<Vec<f64>> = vec![Vec::new(); N];
        for r in rows {
            for (i, x) in r.iter().enumerate() {
                if !x.is_nan() {
                    sorted[i].push(*x);
                }
            }
        }
        for s in &mut sorted {
            s.sort_unstable_by(f64::total_cmp);
        }
        Baseline { sorted }
    }

    /// Percentile (0 to 100) of `value` for signal `i`: the share of the
    /// population at or below it.
    pub fn percentile(&self, i: usize, value: f64) -> f64 {
        let s = &self.sorted[i];
        if s.is_empty() || value.is_nan() {
            return f64::NAN;
        }
        let at_or_below = s.partition_point(|x| *x <= value);
        100.0 * at_or_below as f64 / s.len() as f64
    }

    /// Median of signal `i`.
    pub fn median(&self, i: usize) -> f64 {
        let s = &self.sorted[i];
        if s.is_empty() {
            f64::NAN
        } else {
            s[s.len() / 2]
        }
    }

    /// Mean of signal `i`.
    pub fn mean(&self, i: usize) -> f64 {
        let s = &self.sorted[i];
        if s.is_empty() {
            f64::NAN
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(set: &[(&str, f64)]) -> [f64; N] {
        // Quiet everywhere: nothing fires.
        let mut v = [0.0; N];
        v[index("round_the_clock")] = 3.0;
        v[index("machine_pace")] = 1_500.0;
        v[index("signup_cohort")] = 1.0;
        for (id, x) in set {
            v[index(id)] = *x;
        }
        v
    }

    #[test]
    fn one_family_never_flags() {
        let cfg = DetectConfig::default();
        // Every content signal at its maximum: still one kind of evidence.
        let v = values(&[
            ("template_reuse", 1.0),
            ("capability_concentration", 1.0),
            ("elicitation", 1.0),
            ("dense_block", 1.0),
            ("output_ratio", 9.0),
        ]);
        let (fired, s) = score(&v, &cfg);
        assert_eq!(fired.count_ones(), 5);
        assert_eq!(s, 1.0);
        assert!(s < cfg.score.flag_threshold);
    }

    #[test]
    fn eval_harness_scores_below_the_flag() {
        // Templated chain-of-thought prompts, around the clock at machine
        // pace, in lockstep, from one cloud host, old accounts.
        let cfg = DetectConfig::default();
        let v = values(&[
            ("template_reuse", 1.0),
            ("elicitation", 0.85),
            ("round_the_clock", 4.58),
            ("machine_pace", 4.0),
            ("coactivity", 11.0),
            ("hosting_share", 1.0),
            ("proxy_rotation", 1.0),
        ]);
        let (_, s) = score(&v, &cfg);
        assert_eq!(s, 2.5);
        assert!(s < cfg.score.flag_threshold);
        assert_eq!(
            families_of(score(&v, &cfg).0, &cfg),
            ["infrastructure", "content", "timing"]
        );
    }

    #[test]
    fn campaign_profile_flags() {
        let cfg = DetectConfig::default();
        let v = values(&[
            ("proxy_rotation", 40.0),
            ("template_reuse", 1.0),
            ("round_the_clock", 4.5),
            ("farmed_accounts", 0.6),
        ]);
        let (_, s) = score(&v, &cfg);
        assert_eq!(s, 4.0);
        assert!(s >= cfg.score.flag_threshold);
    }

    #[test]
    fn pivot_is_excess_over_population() {
        let releases = vec![Release {
            ts: 0,
            model: "m2".into(),
            label: "m2 released".into(),
            source: crate::analysis::releases::ReleaseSource::Declared,
            population_share: 0.1,
        }];
        let (x, at) = pivot(&[(100, 55)], &releases, 10);
        assert!((x - 0.45).abs() < 1e-9 && at == Some(0), "{x}");
        // Too few requests in the window: no value.
        assert!(pivot(&[(5, 5)], &releases, 10).0.is_nan());
    }

    #[test]
    fn baseline_percentiles() {
        let rows: Vec<[f64; N]> = (1..=100).map(|i| [f64::from(i); N]).collect();
        let b = Baseline::new(rows.iter());
        assert_eq!(b.percentile(0, 50.0), 50.0);
        assert_eq!(b.percentile(0, 0.0), 0.0);
        assert_eq!(b.median(0), 51.0);
    }
}
