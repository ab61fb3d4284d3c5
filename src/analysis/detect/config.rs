//! The detection settings of assets/detection.toml: thresholds, weights,
//! lists and the reason for each default, checked when loaded.

use serde::Deserialize;

/// The settings that ship with the tool.
pub const DEFAULT_CONFIG: &str = include_str!("../../../assets/detection.toml");

/// The kinds of independent evidence a score adds up.
pub const FAMILIES: [&str; 4] = ["infrastructure", "content", "timing", "account"];

/// Every signal the scan computes, in the order of DETECTION.md section 5.
pub const SIGNALS: [&str; 15] = [
    "shared_infrastructure",
    "proxy_rotation",
    "hosting_share",
    "unsupported_region",
    "template_reuse",
    "capability_concentration",
    "elicitation",
    "dense_block",
    "output_ratio",
    "coactivity",
    "round_the_clock",
    "machine_pace",
    "release_pivot",
    "farmed_accounts",
    "signup_cohort",
];

/// Whole-score settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSettings {
    /// Score (0 to 4) at which an account is flagged.
    pub flag_threshold: f64,
    /// Clusters at least this large judge their accounts by cluster means.
    pub min_cluster_size: usize,
    /// Dense blocks to peel off.
    pub dense_blocks: usize,
    /// Accounts a dense block needs to count.
    pub dense_block_min_accounts: usize,
    /// Infrastructure link weight at which two flagged clusters are one campaign.
    pub merge_link_weight: f64,
    /// Cosine at which an unlinked flagged account joins a campaign.
    pub attach_similarity: f64,
}

/// Lists and constants the signals use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lists {
    /// Regular expression over asn_org naming hosting networks.
    pub hosting_asn_orgs: String,
    /// Countries where the API is not sold.
    pub unsupported_countries: Vec<String>,
    /// Verification paths with the lightest checks.
    pub easy_verification_paths: Vec<String>,
    /// Capabilities distillers harvest.
    pub targeted_categories: Vec<String>,
    /// Reasoning, grading and rewrite elicitation categories.
    pub elicitation_categories: Vec<String>,
    /// Days after sign-up within which first use is "fresh".
    pub fresh_account_days: u32,
    /// Accounts on one payment instrument that make it shared.
    pub shared_payment_accounts: u32,
    /// Accounts a scripted template needs.
    pub scripted_template_accounts: u32,
    /// Average uses per account a scripted template needs.
    pub scripted_template_uses_per_account: f64,
    /// Hours after a model release the pivot looks at.
    pub release_window_hours: u32,
    /// Requests in that window an account or cluster needs.
    pub release_window_min_requests: u32,
    /// Longest gap (s) still counted as pace.
    pub pace_max_gap_seconds: u32,
}

/// One signal's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSettings {
    /// Signal id (one of [`SIGNALS`]).
    pub id: String,
    /// Family (one of [`FAMILIES`]).
    pub family: String,
    /// Where it fires.
    pub threshold: f64,
    /// `above` or `below`.
    pub direction: String,
    /// Weight within its family, 0 to 1.
    pub weight: f64,
    /// Why the default is what it is.
    pub reason: String,
}

impl SignalSettings {
    /// Whether `value` passes the threshold.
    pub fn fires(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        if self.direction == "below" {
            value <= self.threshold
        } else {
            value >= self.threshold
        }
    }
}

/// The whole settings file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Score settings.
    pub score: ScoreSettings,
    /// Lists and constants.
    pub lists: Lists,
    /// One entry per signal, in [`SIGNALS`] order after loading.
    pub signal: Vec<SignalSettings>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig::parse(DEFAULT_CONFIG).expect("the shipped detection settings are valid")
    }
}

impl DetectConfig {
    /// Parses and checks settings: every signal exactly once, known
    /// families and directions, weights in 0..=1, a valid regex.
    pub fn parse(text: &str) -> Result<DetectConfig, String> {
        let mut c: DetectConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        for s in &c.signal {
            if !SIGNALS.contains(&s.id.as_str()) {
                return Err(format!(
                    "unknown signal `{}` (known: {})",
                    s.id,
                    SIGNALS.join(", ")
                ));
            }
            if !FAMILIES.contains(&s.family.as_str()) {
                return Err(format!(
                    "signal `{}`: unknown family `{}` (known: {})",
                    s.id,
                    s.family,
                    FAMILIES.join(", ")
                ));
            }
            if s.direction != "above" && s.direction != "below" {
                return Err(format!(
                    "signal `{}`: direction must be `above` or `below`, not `{}`",
                    s.id, s.direction
                ));
            }
            if !(0.0..=1.0).contains(&s.weight) {
                return Err(format!(
                    "signal `{}`: weight {} is outside 0 to 1",
                    s.id, s.weight
                ));
            }
        }
        let mut ordered = Vec::with_capacity(SIGNALS.len());
        for id in SIGNALS {
            let mut found = c.signal.iter().filter(|s| s.id == id);
            let first = found
                .next()
                .ok_or_else(|| format!("signal `{id}` has no [[signal]] block"))?;
            if found.next().is_some() {
                return Err(format!("signal `{id}` appears twice"));
            }
            ordered.push(first.clone());
        }
        c.signal = ordered;
        regex::Regex::new(&format!("(?i){}", c.lists.hosting_asn_orgs))
            .map_err(|e| format!("hosting_asn_orgs is not a valid regular expression: {e}"))?;
        if c.score.flag_threshold <= 1.0 {
            return Err(format!(
                "flag_threshold {} would let one kind of evidence flag an account on its own; use more than 1",
                c.score.flag_threshold
            ));
        }
        Ok(c)
    }

    /// Reads settings from a file, naming it in any error.
    pub fn load(path: &std::path::Path) -> Result<DetectConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        DetectConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The settings of signal number `i` (in [`SIGNALS`] order).
    pub fn signal(&self, i: usize) -> &SignalSettings {
        &self.signal[i]
    }

    /// Family index of signal `i`.
    pub fn family_of(&self, i: usize) -> usize {
        FAMILIES
            .iter()
            .position(|f| *f == self.signal[i].family)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_settings_load_in_signal_order() {
        let c = DetectConfig::default();
        let ids: Vec<&str> = c.signal.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, SIGNALS);
        assert!(c.signal.iter().all(|s| !s.reason.is_empty()));
    }

    #[test]
    fn bad_settings_are_named() {
        let missing = DEFAULT_CONFIG.replace("id = \"signup_cohort\"", "id = \"nonsense\"");
        assert!(
            DetectConfig::parse(&missing)
                .unwrap_err()
                .contains("nonsense")
        );
        let weak = DEFAULT_CONFIG.replace("flag_threshold = 3.0", "flag_threshold = 1.0");
        assert!(
            DetectConfig::parse(&weak)
                .unwrap_err()
                .contains("on its own")
        );
        let heavy = DEFAULT_CONFIG.replacen("weight = 0.5", "weight = 2.0", 1);
        assert!(
            DetectConfig::parse(&heavy)
                .unwrap_err()
                .contains("outside 0 to 1")
        );
    }

    #[test]
    fn direction_decides_firing() {
        let c = DetectConfig::default();
        let pace = &c.signal[SIGNALS.iter().position(|s| *s == "machine_pace").unwrap()];
        assert!(pace.fires(60.0) && !pace.fires(900.0) && !pace.fires(f64::NAN));
    }
}
