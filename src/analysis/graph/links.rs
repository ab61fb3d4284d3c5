//! The kinds of link between accounts and the settings of the graph build:
//! which kinds are on, their weights, the hub cap and the time windows.

use serde::{Deserialize, Serialize};

/// What two accounts can share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LinkKind {
    /// The same client address.
    Ip,
    /// The same /24 (IPv4) or /48 (IPv6) network.
    Net,
    /// The same autonomous system.
    Asn,
    /// The same user agent.
    UserAgent,
    /// The same payment instrument.
    Payment,
    /// The same sign-up address.
    SignupIp,
    /// The same sign-up e-mail domain (public mail domains excluded).
    EmailDomain,
    /// The same normalised prompt template.
    Template,
    /// The same template or network used within a short window (SynchroTrap).
    Coactivity,
    /// The same API key (a secret: several accounts sending with one key
    /// are run by one hand, or by a reseller's gateway).
    ApiKey,
    /// The same organisation or team the log names.
    Org,
}

impl LinkKind {
    /// How many kinds there are.
    pub const COUNT: usize = 11;

    /// Every kind, in the order they are built and listed (new kinds go
    /// last: saved weights are kept by position).
    pub const ALL: [LinkKind; LinkKind::COUNT] = [
        LinkKind::Ip,
        LinkKind::Net,
        LinkKind::Asn,
        LinkKind::UserAgent,
        LinkKind::Payment,
        LinkKind::SignupIp,
        LinkKind::EmailDomain,
        LinkKind::Template,
        LinkKind::Coactivity,
        LinkKind::ApiKey,
        LinkKind::Org,
    ];

    /// Name used on the command line, in CSV files and in the case file.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Ip => "ip",
            LinkKind::Net => "net",
            LinkKind::Asn => "asn",
            LinkKind::UserAgent => "ua",
            LinkKind::Payment => "payment",
            LinkKind::SignupIp => "signup_ip",
            LinkKind::EmailDomain => "email_domain",
            LinkKind::Template => "template",
            LinkKind::Coactivity => "coactivity",
            LinkKind::ApiKey => "api_key",
            LinkKind::Org => "org",
        }
    }

    /// What an analyst reads on a legend or a hover card.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Ip => "IP address",
            LinkKind::Net => "network (/24, /48)",
            LinkKind::Asn => "ASN",
            LinkKind::UserAgent => "user agent",
            LinkKind::Payment => "payment instrument",
            LinkKind::SignupIp => "sign-up IP",
            LinkKind::EmailDomain => "e-mail domain",
            LinkKind::Template => "prompt template",
            LinkKind::Coactivity => "co-activity",
            LinkKind::ApiKey => "API key",
            LinkKind::Org => "organisation / team",
        }
    }

    /// Parses a command-line name (`ip`, `net`, ...).
    pub fn parse(name: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.name() == name.trim())
    }

    /// Position in [`LinkKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Default weight of one shared value of this kind. Identity links that
    /// are hard to share by accident (payment, sign-up IP) weigh most; what
    /// many honest customers share (ASN, user agent) weighs least.
    pub fn default_weight(self) -> f32 {
        match self {
            LinkKind::Payment => 3.0,
            LinkKind::SignupIp => 2.0,
            LinkKind::ApiKey => 2.0,
            LinkKind::Org => 1.0,
            LinkKind::Ip => 1.0,
            LinkKind::Coactivity => 1.5,
            LinkKind::Template => 1.0,
            LinkKind::EmailDomain => 1.0,
            LinkKind::Net => 0.5,
            LinkKind::Asn => 0.25,
            LinkKind::UserAgent => 0.25,
        }
    }

    /// Whether a shared value links two accounts only when they used it in
    /// overlapping periods (what a log row says), rather than whenever
    /// (what an account record says).
    pub fn time_aware(self) -> bool {
        matches!(
            self,
            LinkKind::Ip | LinkKind::Net | LinkKind::Asn | LinkKind::UserAgent | LinkKind::Template
        )
    }
}

/// Parses a comma-separated list of kinds (`ip,net,template`).
pub fn parse_list(list: &str) -> Result<Vec<LinkKind>, String> {
    let mut out = Vec::new();
    for name in list.split(',').filter(|s| !s.trim().is_empty()) {
        let kind = LinkKind::parse(name).ok_or_else(|| {
            format!(
                "unknown link type '{}' (known: {})",
                name.trim(),
                LinkKind::ALL.map(LinkKind::name).join(", ")
            )
        })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        return Err("no link type given".into());
    }
    out.sort();
    Ok(out)
}

/// How the graph is built and clustered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphConfig {
    /// The link kinds that are on.
    pub links: Vec<LinkKind>,
    /// Weight of each kind, indexed by [`LinkKind::index`] (settings saved
    /// before a kind existed read with its default weight).
    #[serde(deserialize_with = "weights_with_defaults")]
    pub weights: [f32; LinkKind::COUNT],
    /// A value shared by more accounts than this becomes one hub node
    /// instead of a clique of pairs.
    pub hub_cap: usize,
    /// Two uses of a value within this many hours of each other overlap
    /// (time-aware kinds).
    pub window_hours: f32,
    /// Co-activity: width of a time bucket in minutes.
    pub coactivity_minutes: i64,
    /// Co-activity: least number of shared (object, bucket) actions.
    pub coactivity_min_shared: u32,
    /// Co-activity: least Jaccard similarity of two accounts' actions.
    pub coactivity_min_similarity: f32,
    /// Account pairs whose links of every kind sum to less than this are
    /// not linked: one shared consumer ISP or one popular prompt on the
    /// same day says nothing, several weak coincidences together do.
    pub min_link: f32,
    /// Leiden resolution (1 = standard modularity).
    pub resolution: f64,
    /// Seed of the clustering and layout.
    pub seed: u64,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            links: LinkKind::ALL.to_vec(),
            weights: LinkKind::ALL.map(LinkKind::default_weight),
            hub_cap: 200,
            window_hours: 24.0,
            coactivity_minutes: 10,
            coactivity_min_shared: 3,
            coactivity_min_similarity: 0.02,
            min_link: 0.6,
            resolution: 1.0,
            seed: 7,
        }
    }
}

impl GraphConfig {
    /// The default settings with only `links` on.
    pub fn with_links(links: Vec<LinkKind>) -> Self {
        GraphConfig {
            links,
            ..GraphConfig::default()
        }
    }

    /// Whether a kind is on.
    pub fn has(&self, kind: LinkKind) -> bool {
        self.links.contains(&kind)
    }

    /// The weight of a kind.
    pub fn weight(&self, kind: LinkKind) -> f32 {
        self.weights[kind.index()]
    }
}

/// Reads saved weights; kinds added since they were saved take their
/// default weight.
fn weights_with_defaults<'de, D>(d: D) -> Result<[f32; LinkKind::COUNT], D::Error>
where
    D: serde::Deserializer<'de>,
{
    let saved: Vec<f32> = Deserialize::deserialize(d)?;
    if saved.len() > LinkKind::COUNT {
        return Err(serde::de::Error::custom(format!(
            "{} link weights saved, this version knows {} kinds",
            saved.len(),
            LinkKind::COUNT
        )));
    }
    let mut out = LinkKind::ALL.map(LinkKind::default_weight);
    out[..saved.len()].copy_from_slice(&saved);
    Ok(out)
}

/// Adamic–Adar rarity of a value shared by `d` accounts: 1/ln(d), so a
/// value three accounts share says much and one a thousand share says
/// little each time (networkx `adamic_adar_index`).
pub fn rarity(d: usize) -> f32 {
    1.0 / (d.max(2) as f32).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_the_key_and_team_links_still_read() {
        // A case's graph settings as an earlier version wrote them.
        let old = r#"{"links":["Ip","Net","Asn","UserAgent","Payment","SignupIp","EmailDomain","Template","Coactivity"],"weights":[1.0,0.5,0.25,0.25,3.0,2.0,1.0,1.0,1.5],"hub_cap":200,"window_hours":24.0,"coactivity_minutes":10,"coactivity_min_shared":3,"coactivity_min_similarity":0.02,"min_link":0.6,"resolution":1.0,"seed":7}"#;
        let cfg: GraphConfig = serde_json::from_str(old).expect("old settings read");
        assert!(!cfg.has(LinkKind::ApiKey) && !cfg.has(LinkKind::Org));
        assert_eq!(cfg.weight(LinkKind::ApiKey), 2.0);
        assert_eq!(cfg.weight(LinkKind::Payment), 3.0);
        let back: GraphConfig =
            serde_json::from_str(&serde_json::to_string(&GraphConfig::default()).unwrap()).unwrap();
        assert_eq!(back, GraphConfig::default());
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in LinkKind::ALL {
            assert_eq!(LinkKind::parse(k.name()), Some(k));
            assert_eq!(LinkKind::ALL[k.index()], k);
        }
        assert_eq!(
            parse_list("template, ip,ip").unwrap(),
            vec![LinkKind::Ip, LinkKind::Template]
        );
        assert!(parse_list("ip,mac").unwrap_err().contains("'mac'"));
    }

    #[test]
    fn rarer_values_weigh_more() {
        assert!(rarity(3) > rarity(20));
        assert!(rarity(20) > rarity(20_000));
        assert!(rarity(2) > 1.0);
    }
}
