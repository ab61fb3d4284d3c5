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
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSettings {
    /// Score (0 to 4) at which an account is flagged.
    pub flag_threshold: f64,
    /// Clusters at least this large judge their accounts by cluster means.
    pub min_cluster_size: usize,
    /// The threshold when some kinds of evidence cannot fire:
    /// `all_but_one` or `all_available` (see `evidence::partial_threshold`).
    pub partial_evidence: String,
    /// A member of a flagged cluster is flagged only when its own numbers
    /// score at least this (0 turns the check off).
    pub member_min_own_score: f64,
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
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lists {
    /// Regular expression of the generic words that name hosting networks.
    pub hosting_asn_words: String,
    /// Regular expression of known hosting provider names.
    pub hosting_asn_orgs: String,
    /// Regular expression over verification_path: the lightest checks.
    pub easy_verification_paths: String,
    /// How explanations name the easy paths.
    pub easy_verification_description: String,
    /// Countries where the API is not sold (ISO-3166 alpha-2).
    pub unsupported_countries: Vec<String>,
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
    /// `near_duplicate` (templates grouped by MinHash similarity) or `exact`.
    pub scripted_templates_by: String,
    /// Hours after a model release the pivot looks at.
    pub release_window_hours: u32,
    /// Requests in that window an account or cluster needs.
    pub release_window_min_requests: u32,
    /// Longest gap (s) still counted as pace.
    pub pace_max_gap_seconds: u32,
    /// The analyst's word on single networks: AS number -> `hosting` or
    /// `not_hosting` (checked when loaded).
    #[serde(default)]
    pub asn_overrides: std::collections::BTreeMap<String, String>,
}

/// Whether an autonomous system is a hosting, cloud or VPS network, and why.
#[derive(Debug, Clone)]
pub struct HostingRule {
    words: regex::Regex,
    names: regex::Regex,
    overrides: std::collections::BTreeMap<i64, bool>,
}

impl HostingRule {
    /// Whether the network is hosting, with the reason in words (the
    /// override, the generic word or the provider name that decided it).
    pub fn classify(&self, asn: Option<i64>, org: Option<&str>) -> (bool, String) {
        if let Some(&hosting) = asn.and_then(|a| self.overrides.get(&a)) {
            let word = if hosting { "hosting" } else { "not hosting" };
            return (hosting, format!("analyst: {word}"));
        }
        let org = org.unwrap_or("");
        if let Some(m) = self.words.find(org) {
            return (true, format!("name says \"{}\"", m.as_str().trim()));
        }
        if let Some(m) = self.names.find(org) {
            return (true, format!("known provider \"{}\"", m.as_str().trim()));
        }
        (false, String::new())
    }
}

/// One signal's settings.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
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
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
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
        for (name, re) in [
            ("hosting_asn_words", &c.lists.hosting_asn_words),
            ("hosting_asn_orgs", &c.lists.hosting_asn_orgs),
            ("easy_verification_paths", &c.lists.easy_verification_paths),
        ] {
            regex::Regex::new(&format!("(?i){re}"))
                .map_err(|e| format!("{name} is not a valid regular expression: {e}"))?;
        }
        if !["all_but_one", "all_available"].contains(&c.score.partial_evidence.as_str()) {
            return Err(format!(
                "partial_evidence is `{}`; use \"all_but_one\" or \"all_available\"",
                c.score.partial_evidence
            ));
        }
        if !["near_duplicate", "exact"].contains(&c.lists.scripted_templates_by.as_str()) {
            return Err(format!(
                "scripted_templates_by is `{}`; use \"near_duplicate\" or \"exact\"",
                c.lists.scripted_templates_by
            ));
        }
        for (asn, kind) in &c.lists.asn_overrides {
            if asn.parse::<u32>().is_err() {
                return Err(format!(
                    "asn_overrides: `{asn}` is not an AS number (write the number alone, e.g. 64512)"
                ));
            }
            if kind != "hosting" && kind != "not_hosting" {
                return Err(format!(
                    "asn_overrides: AS {asn} is `{kind}`; use \"hosting\" or \"not_hosting\""
                ));
            }
        }
        c.lists.unsupported_countries = c
            .lists
            .unsupported_countries
            .iter()
            .map(|code| code.trim().to_uppercase())
            .collect();
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

    /// Settings text with the analyst's network marks (AS number →
    /// hosting) added to `[lists.asn_overrides]`, where they beat the
    /// file's own entries for the same network.
    pub fn text_with_network_marks(
        text: &str,
        marks: &std::collections::BTreeMap<i64, bool>,
    ) -> String {
        const HEADER: &str = "[lists.asn_overrides]\n";
        let Some(at) = text.find(HEADER) else {
            return text.to_owned();
        };
        let mut lines = String::new();
        for (asn, hosting) in marks {
            let kind = if *hosting { "hosting" } else { "not_hosting" };
            lines.push_str(&format!("\"{asn}\" = \"{kind}\"\n"));
        }
        // The file's own lines for marked networks are dropped (TOML
        // refuses a key twice).
        let (head, rest) = text.split_at(at + HEADER.len());
        let kept: String = rest
            .split_inclusive('\n')
            .filter(|l| {
                let key = l.split('=').next().unwrap_or("").trim().trim_matches('"');
                !key.parse::<i64>().is_ok_and(|a| marks.contains_key(&a))
            })
            .collect();
        format!("{head}{lines}{kept}")
    }

    /// The hosting-network rule of these settings.
    pub fn hosting_rule(&self) -> HostingRule {
        let re = |r: &str| regex::Regex::new(&format!("(?i){r}")).expect("checked when loaded");
        HostingRule {
            words: re(&self.lists.hosting_asn_words),
            names: re(&self.lists.hosting_asn_orgs),
            overrides: self
                .lists
                .asn_overrides
                .iter()
                .filter_map(|(a, k)| Some((a.parse().ok()?, k == "hosting")))
                .collect(),
        }
    }

    /// The easy-verification rule (case-insensitive) of these settings.
    pub fn easy_path_rule(&self) -> regex::Regex {
        regex::Regex::new(&format!("(?i){}", self.lists.easy_verification_paths))
            .expect("checked when loaded")
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
    fn hosting_networks_are_recognised_by_words_names_and_overrides() {
        let mut c = DetectConfig::default();
        let rule = c.hosting_rule();
        for org in [
            "Example Hosting Ltd",
            "Acme VPS",
            "Hurricane Electric LLC",
            "IONOS SE",
            "GOOGLE",
            "AMAZON-02",
            "Nimbus Cloud Services",
            "Polar Data Center AB",
            "Brightline Datacentre",
            "ServerHub Inc",
            "Quantum Compute GmbH",
            "Swift VPN Exit Nodes",
        ] {
            assert!(rule.classify(None, Some(org)).0, "{org} is hosting");
        }
        for org in [
            "COMCAST-7922",
            "Deutsche Telekom AG",
            "COLOMBIA MOVIL",
            "University Computer Science Dept",
            "Sunrise Broadband",
        ] {
            let (hosting, why) = rule.classify(None, Some(org));
            assert!(!hosting, "{org}: {why}");
        }
        c.lists
            .asn_overrides
            .insert("7922".into(), "hosting".into());
        c.lists
            .asn_overrides
            .insert("16509".into(), "not_hosting".into());
        let rule = c.hosting_rule();
        assert_eq!(
            rule.classify(Some(7922), Some("COMCAST-7922")),
            (true, "analyst: hosting".to_string())
        );
        assert!(!rule.classify(Some(16509), Some("AMAZON-02")).0);
    }

    #[test]
    fn easy_paths_match_by_meaning() {
        let rule = DetectConfig::default().easy_path_rule();
        for p in [
            "education",
            "EDU",
            "edu-verified",
            "Student Plan",
            "academic-research",
            "startup_program",
            "Start-up",
            "founder_program",
            "research_program",
            "NonProfit",
            "free trial",
        ] {
            assert!(rule.is_match(p), "{p} is an easy path");
        }
        for p in [
            "standard",
            "reseller",
            "business",
            "enterprise",
            "self-serve",
            "reduced",
        ] {
            assert!(!rule.is_match(p), "{p} is not an easy path");
        }
    }

    #[test]
    fn network_marks_join_the_settings_text() {
        let marks = std::collections::BTreeMap::from([(64512, true), (16509, false)]);
        let text = DetectConfig::text_with_network_marks(DEFAULT_CONFIG, &marks);
        let c = DetectConfig::parse(&text).unwrap();
        let rule = c.hosting_rule();
        assert!(rule.classify(Some(64512), Some("Velox Networks Ltd")).0);
        assert!(!rule.classify(Some(16509), Some("AMAZON-02")).0);
        // A mark replaces the file's own line for the same network.
        let file = DEFAULT_CONFIG.replace(
            "[lists.asn_overrides]\n",
            "[lists.asn_overrides]\n16509 = \"hosting\"\n",
        );
        let c = DetectConfig::parse(&DetectConfig::text_with_network_marks(&file, &marks)).unwrap();
        assert!(!c.hosting_rule().classify(Some(16509), None).0);
    }

    #[test]
    fn overrides_are_checked() {
        let bad = DEFAULT_CONFIG.replace(
            "[lists.asn_overrides]\n",
            "[lists.asn_overrides]\n\"AS7922\" = \"hosting\"\n",
        );
        assert!(
            DetectConfig::parse(&bad)
                .unwrap_err()
                .contains("not an AS number")
        );
        let bad = DEFAULT_CONFIG.replace(
            "[lists.asn_overrides]\n",
            "[lists.asn_overrides]\n7922 = \"cloudy\"\n",
        );
        assert!(DetectConfig::parse(&bad).unwrap_err().contains("cloudy"));
    }

    #[test]
    fn direction_decides_firing() {
        let c = DetectConfig::default();
        let pace = &c.signal[SIGNALS.iter().position(|s| *s == "machine_pace").unwrap()];
        assert!(pace.fires(60.0) && !pace.fires(900.0) && !pace.fires(f64::NAN));
    }
}
