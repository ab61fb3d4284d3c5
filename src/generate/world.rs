//! The synthetic internet the incident happens on: networks with their AS
//! numbers and countries, models and their release dates, client user
//! agents, e-mail domains and the events of the incident.

use super::dist::{self, Rng};

/// What kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    /// Home broadband.
    Residential,
    /// Mobile carrier behind carrier-grade NAT.
    Mobile,
    /// Cloud and hosting providers (also where proxies run).
    Hosting,
    /// A university campus.
    Campus,
    /// Business internet access.
    Business,
}

/// One autonomous system.
#[derive(Debug, Clone, Copy)]
pub struct Network {
    /// AS number.
    pub asn: i32,
    /// AS name.
    pub org: &'static str,
    /// Country of the addresses.
    pub country: &'static str,
    /// Kind of network.
    pub kind: NetKind,
}

const fn net(asn: i32, org: &'static str, country: &'static str, kind: NetKind) -> Network {
    Network {
        asn,
        org,
        country,
        kind,
    }
}

use NetKind::*;

/// Every network of the synthetic world. Index = first octet offset, so
/// each network owns one /8 of synthetic address space.
pub const NETWORKS: &[Network] = &[
    net(7922, "COMCAST-7922", "US", Residential),
    net(20115, "CHARTER-20115", "US", Residential),
    net(701, "UUNET (Verizon)", "US", Residential),
    net(7018, "ATT-INTERNET4", "US", Residential),
    net(2856, "BT-UK-AS", "GB", Residential),
    net(5089, "NTL (Virgin Media)", "GB", Residential),
    net(3320, "DTAG", "DE", Residential),
    net(3209, "VODANET", "DE", Residential),
    net(3215, "Orange S.A.", "FR", Residential),
    net(12322, "PROXAD Free SAS", "FR", Residential),
    net(55836, "RELIANCEJIO-IN", "IN", Residential),
    net(24560, "AIRTELBROADBAND-AS-AP", "IN", Residential),
    net(28573, "Claro NXT", "BR", Residential),
    net(4713, "OCN NTT Communications", "JP", Residential),
    net(2516, "KDDI", "JP", Residential),
    net(4766, "KIXS-AS-KR Korea Telecom", "KR", Residential),
    net(812, "ROGERS-COMMUNICATIONS", "CA", Residential),
    net(1221, "ASN-TELSTRA", "AU", Residential),
    net(3352, "TELEFONICA_DE_ESPANA", "ES", Residential),
    net(3269, "ASN-IBSNAZ (TIM)", "IT", Residential),
    net(1136, "KPN", "NL", Residential),
    net(5617, "TPNET Orange Polska", "PL", Residential),
    net(8151, "UNINET (Telmex)", "MX", Residential),
    net(9506, "SINGTEL-FIBRE", "SG", Residential),
    net(3301, "TELIANET-SWEDEN", "SE", Residential),
    net(21928, "T-MOBILE-AS21928", "US", Mobile),
    net(25135, "VODAFONE_UK_ASN", "GB", Mobile),
    net(16509, "AMAZON-02", "US", Hosting),
    net(396982, "GOOGLE-CLOUD-PLATFORM", "US", Hosting),
    net(8075, "MICROSOFT-CORP-MSN-AS-BLOCK", "US", Hosting),
    net(14061, "DIGITALOCEAN-ASN", "US", Hosting),
    net(16276, "OVH SAS", "FR", Hosting),
    net(24940, "HETZNER-AS", "DE", Hosting),
    net(9009, "M247 Europe SRL", "GB", Hosting),
    net(20473, "AS-VULTR", "JP", Hosting),
    net(63949, "AKAMAI-LINODE-AP", "SG", Hosting),
    net(45102, "ALIBABA-CN-NET", "SG", Hosting),
    net(132203, "TENCENT-NET-AP", "HK", Hosting),
    net(60781, "LEASEWEB-NL-AMS-01", "NL", Hosting),
    net(4134, "CHINANET-BACKBONE", "CN", Residential),
    net(4837, "CHINA169-BACKBONE", "CN", Residential),
    net(9808, "CMNET-GD China Mobile", "CN", Mobile),
    net(30010, "NORTHFIELD-UNIV", "US", Campus),
    net(30011, "LAKESIDE-UNIVERSITY", "GB", Campus),
    net(6461, "ZAYO-6461", "US", Business),
    net(174, "COGENT-174", "DE", Business),
    net(3356, "LEVEL3", "US", Business),
];

/// Countries where the API is not sold.
pub const UNSUPPORTED: &[&str] = &["CN", "RU", "IR", "KP"];

/// Indices of networks of one kind, optionally in one country.
pub fn networks(kind: NetKind, country: Option<&str>) -> Vec<usize> {
    NETWORKS
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == kind && country.is_none_or(|c| n.country == c))
        .map(|(i, _)| i)
        .collect()
}

/// Residential networks of supported countries.
pub fn supported_residential() -> Vec<usize> {
    NETWORKS
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            matches!(n.kind, Residential | Mobile) && !UNSUPPORTED.contains(&n.country)
        })
        .map(|(i, _)| i)
        .collect()
}

/// First octet of a network's synthetic /8 (skipping reserved ranges).
fn first_octet(net: usize) -> u32 {
    let mut o = 11 + net as u32;
    for reserved in [100, 127, 169, 172, 192, 198, 203] {
        if o >= reserved {
            o += 1;
        }
    }
    o
}

/// A random address in a network (IPv6 for some mobile addresses).
pub fn address(r: &mut Rng, net: usize) -> String {
    let n = &NETWORKS[net];
    if n.kind == Mobile && dist::chance(r, 0.3) {
        return format!(
            "2a0{}:{:x}:{:x}:{:x}::{:x}",
            net % 10,
            n.asn & 0xffff,
            dist::below(r, 0xffff),
            dist::below(r, 0xffff),
            dist::below(r, 0xffff) + 1
        );
    }
    format!(
        "{}.{}.{}.{}",
        first_octet(net),
        dist::below(r, 256),
        dist::below(r, 256),
        1 + dist::below(r, 254)
    )
}

/// The network an address of ours belongs to (for the IP database file).
pub fn ranges() -> Vec<(String, String, &'static Network)> {
    NETWORKS
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let o = first_octet(i);
            (format!("{o}.0.0.0"), format!("{o}.255.255.255"), n)
        })
        .collect()
}

/// A model and when it became available.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// Model name as requested.
    pub name: &'static str,
    /// Release, seconds since the epoch (0 = before the period).
    pub released: i64,
}

/// 2026-02-05 10:00 UTC.
pub const RELEASE_45: i64 = 1_770_285_600;
/// 2026-05-14 16:00 UTC.
pub const RELEASE_5: i64 = 1_778_774_400;

/// The models, oldest first.
pub const MODELS: &[Model] = &[
    Model {
        name: "atlas-4-mini",
        released: 0,
    },
    Model {
        name: "atlas-4",
        released: 0,
    },
    Model {
        name: "atlas-4.5",
        released: RELEASE_45,
    },
    Model {
        name: "atlas-5",
        released: RELEASE_5,
    },
];

/// An event of the incident: (epoch seconds, kind, label).
pub const EVENTS: &[(i64, &str, &str)] = &[
    (RELEASE_45, "model_release", "atlas-4.5 released"),
    (
        1_771_840_800,
        "enforcement",
        "February campaigns terminated (accounts of three distillation operations)",
    ),
    (
        1_772_442_000,
        "policy_change",
        "Verification tightened for education, startup and research programs",
    ),
    (RELEASE_5, "model_release", "atlas-5 released"),
    (
        1_780_653_600,
        "enforcement",
        "April-June campaign terminated (about 25,000 accounts)",
    ),
];

/// User agents of ordinary clients.
pub const LEGIT_AGENTS: &[&str] = &[
    "anthropic-sdk-python/0.49.1",
    "anthropic-sdk-python/0.52.0",
    "anthropic-sdk-typescript/0.39.0",
    "OpenAI/Python 1.54.4",
    "OpenAI/JS 4.67.3",
    "python-httpx/0.27.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Go-http-client/2.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "langchain-anthropic/0.3.1 python-httpx/0.27.2",
    "litellm/1.55.2",
];

/// Public webmail domains.
pub const PUBLIC_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
    "hotmail.com",
    "gmx.de",
    "web.de",
    "orange.fr",
    "naver.com",
    "yahoo.co.jp",
    "mail.ru",
];

/// Which spelling of the world the incident is written in. The
/// behaviour is the same; every name the tool could have been tuned on
/// differs in the other world: AS names, model names, verification paths,
/// country spellings, and there is no events table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum World {
    /// The names the defaults were chosen on.
    #[default]
    Reference,
    /// Other names everywhere (held-out vocabulary).
    Other,
}

/// AS names of the other world, one per entry of [`NETWORKS`] (same kinds):
/// hosting networks named as an IP database might ("Acme VPS", "IONOS SE",
/// plain "GOOGLE"), one with a bland name no word rule can read
/// ("Velox Networks Ltd": only an analyst's override marks it).
const OTHER_ORGS: &[&str] = &[
    "Brightstream Broadband",
    "Lakeview Cable Inc",
    "NorthStar Fiber",
    "Pacific Bell Residential",
    "Albion Telecom plc",
    "Thames Valley Broadband",
    "Rheinnet Privatkunden",
    "Funknetz Deutschland",
    "Hexagone Telecom",
    "Ile-de-France Fibre",
    "Bharat Home Net",
    "Ganges Broadband",
    "Ipanema Telecom",
    "Sakura Hikari",
    "Fuji Mobile Home",
    "Hanbit Telecom",
    "Maple Leaf Communications",
    "Southern Cross Broadband",
    "Iberia Fibra",
    "Tirreno Telecom",
    "Polder Glasvezel",
    "Wisla Telekom",
    "Azteca Internet",
    "Merlion Fibre",
    "Nordlys Bredband",
    "Liberty Wireless",
    "Britannia Mobile",
    "Acme VPS",
    "GOOGLE",
    "Hurricane Electric LLC",
    "Example Hosting Ltd",
    "IONOS SE",
    "Nimbus Cloud Services",
    "Velox Networks Ltd",
    "Polar Data Center AB",
    "Quantum Compute Pte",
    "Jade Server Farm",
    "Harbour Colocation Ltd",
    "Dutch Dedicated Servers BV",
    "Great Wall Telecom",
    "Yangtze Broadband",
    "Pearl River Mobile",
    "University of Westmoor",
    "Kingsbridge College Network",
    "Meridian Business Connect",
    "Transatlantic Carrier GmbH",
    "Summit Enterprise Networks",
];

/// Model names of the other world, one per entry of [`MODELS`].
const OTHER_MODELS: &[&str] = &["nova-2-lite", "nova-2", "nova-2.5", "nova-3"];

impl World {
    /// The AS name of network `net`.
    pub fn org(self, net: usize) -> &'static str {
        match self {
            World::Reference => NETWORKS[net].org,
            World::Other => OTHER_ORGS[net],
        }
    }

    /// The name of model `m`.
    pub fn model(self, m: usize) -> &'static str {
        match self {
            World::Reference => MODELS[m].name,
            World::Other => OTHER_MODELS[m],
        }
    }

    /// A verification path as this world spells it.
    pub fn verification(self, path: &'static str) -> &'static str {
        match (self, path) {
            (World::Reference, p) => p,
            (World::Other, "education") => "Student Plan",
            (World::Other, "startup_program") => "Founder Program",
            (World::Other, "research_program") => "academic-research",
            (World::Other, "standard") => "self-serve",
            (World::Other, "reseller") => "Partner Resale",
            (World::Other, p) => p,
        }
    }

    /// A country code of the log as this world writes it (lower case).
    pub fn log_country(self, code: &str) -> String {
        match self {
            World::Reference => code.to_owned(),
            World::Other => code.to_lowercase(),
        }
    }

    /// A sign-up country as this world writes it (the country's name).
    pub fn signup_country(self, code: &str) -> String {
        match self {
            World::Reference => code.to_owned(),
            World::Other => std::str::FromStr::from_str(code)
                .map(|c: celes::Country| c.long_name.to_owned())
                .unwrap_or_else(|_| code.to_owned()),
        }
    }

    /// A campaign prompt as this world's operators send it: in the other
    /// world each request's script is lightly reworded (one of four
    /// openings and four closings, chosen by `salt`), so an exact template
    /// splits into sixteen near-duplicates, as when an operation rewords
    /// its scripts after a ban.
    pub fn campaign_prompt(self, prompt: &str, salt: u64) -> String {
        const OPENINGS: [&str; 4] = ["", "Please help. ", "New task. ", "Next item: "];
        const CLOSINGS: [&str; 4] = ["", " Be concise.", " Thank you.", " Keep the format."];
        match self {
            World::Reference => prompt.to_owned(),
            World::Other => format!(
                "{}{prompt}{}",
                OPENINGS[(salt % 4) as usize],
                CLOSINGS[((salt / 4) % 4) as usize]
            ),
        }
    }

    /// The events of the incident (the other world has no events table).
    pub fn events(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            World::Reference => EVENTS,
            World::Other => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_world_names_everything() {
        assert_eq!(OTHER_ORGS.len(), NETWORKS.len());
        assert_eq!(OTHER_MODELS.len(), MODELS.len());
        for (i, n) in NETWORKS.iter().enumerate() {
            assert_ne!(World::Other.org(i), n.org);
        }
        assert_eq!(World::Other.signup_country("CN"), "China");
    }
}
