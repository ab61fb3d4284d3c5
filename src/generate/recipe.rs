//! The recipe: how many accounts of each kind, how much traffic, when. One
//! recipe, two sizes (`demo` is about 1/50 of `full`), and variants for
//! measuring detection on incidents it was not tuned on.

/// Seconds since the epoch of 2026-01-05 00:00 UTC, the first day.
pub const START: i64 = 1_767_571_200;
/// Days covered (to 2026-06-19 inclusive).
pub const DAYS: u32 = 166;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// One distillation campaign.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignSpec {
    /// Short id written to truth.csv.
    pub id: &'static str,
    /// What the public reporting calls it.
    pub description: &'static str,
    /// Accounts.
    pub accounts: u32,
    /// Target exchanges (in expectation).
    pub exchanges: u64,
    /// First and last day index of activity (inclusive, exclusive).
    pub days: (u32, u32),
    /// Shared payment instruments (accounts per card ~ accounts / cards).
    pub shared_cards: u32,
    /// Share of accounts paying with a shared card.
    pub shared_card_share: f64,
    /// Exit addresses in its proxy pool.
    pub proxy_exits: u32,
    /// Share of proxy exits on hosting networks (the rest residential).
    pub hosting_share: f64,
    /// Days before the pool rotates to new exits.
    pub rotation_days: u32,
    /// Share of accounts that imitate ordinary diurnal use.
    pub diurnal_share: f64,
    /// Share of accounts that are aged or bought rather than fresh.
    pub aged_share: f64,
}

/// Everything the generator needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recipe {
    /// demo or full (plus variant).
    pub name: String,
    /// Random seed.
    pub seed: u64,
    /// The campaigns.
    pub campaigns: Vec<CampaignSpec>,
    /// Ordinary accounts.
    pub ordinary: u32,
    /// Ordinary accounts that move to a new model within a day.
    pub early_adopters: u32,
    /// Companies behind one NAT address, and keys per company.
    pub nat_companies: Vec<u32>,
    /// University classes on one campus network, and students per class.
    pub classes: Vec<u32>,
    /// Evaluation harness / CI bot companies, and accounts per company.
    pub harnesses: Vec<u32>,
    /// Developers using a coding-agent product.
    pub coding_agent_users: u32,
    /// Honest customers of the reseller whose proxy network one campaign also uses.
    pub reseller_customers: u32,
    /// Multiplier on ordinary traffic volumes.
    pub legit_volume: f64,
    /// The names the incident is written with.
    pub world: super::world::World,
    /// Every prompt followed by an attachment of real length (a pasted
    /// file or document), for measuring sizes on real-length prompts.
    pub long_prompts: bool,
}

fn scaled(n: u32, f: f64, min: u32) -> u32 {
    ((n as f64 * f).round() as u32).max(min)
}

impl Recipe {
    /// The recipe at a scale: `full` = the reported volumes, `demo` = 1/50,
    /// `medium` = 3/100 (about two million requests), `tiny` = 1/500.
    /// `variant` > 0 changes campaign sizes, timing and legitimate mix so
    /// detection can be measured on incidents it was not tuned on.
    pub fn new(scale: &str, seed: u64, variant: u32) -> Option<Recipe> {
        let f = match scale {
            "full" => 1.0,
            "demo" => 0.02,
            "medium" => 0.03,
            "tiny" => 0.002,
            _ => return None,
        };
        let v = variant as f64;
        // Variants: campaigns smaller or larger, more mimicry, other sizes of hard negatives.
        let k = 1.0 + 0.15 * v * if variant % 2 == 1 { -1.0 } else { 1.0 };
        let mimic = 0.3 + 0.1 * v;
        let campaigns = vec![
            CampaignSpec {
                id: "c1_precise",
                description: "small, precise: chain-of-thought elicitation, rubric grading, censorship-safe rewrites (~150k)",
                accounts: scaled((40.0 * k) as u32, f, 12),
                exchanges: (150_000.0 * f * k) as u64,
                days: (7, 49),
                shared_cards: scaled(3, f, 2),
                shared_card_share: 0.8,
                proxy_exits: scaled(8, f, 4),
                hosting_share: 1.0,
                rotation_days: 14,
                diurnal_share: mimic,
                aged_share: 0.2,
            },
            CampaignSpec {
                id: "c2_midsize",
                description: "mid-size: agentic reasoning, tool use, coding, vision and computer use (~3.4M)",
                accounts: scaled((800.0 * k) as u32, f, 24),
                exchanges: (3_400_000.0 * f * k) as u64,
                days: (3, 49),
                shared_cards: scaled(30, f, 3),
                shared_card_share: 0.7,
                proxy_exits: scaled(400, f, 20),
                hosting_share: 0.6,
                rotation_days: 4,
                diurnal_share: mimic,
                aged_share: 0.3,
            },
            CampaignSpec {
                id: "c3_large",
                description: "large: agentic coding and tool use, pivots to a new model within 24 h (~13M)",
                accounts: scaled((20_000.0 * k) as u32, f, 60),
                exchanges: (13_000_000.0 * f * k) as u64,
                days: (5, 49),
                shared_cards: scaled(300, f, 6),
                shared_card_share: 0.4,
                proxy_exits: scaled(1_500, f, 40),
                hosting_share: 0.4,
                rotation_days: 3,
                diurnal_share: mimic,
                aged_share: 0.3,
            },
            CampaignSpec {
                id: "c4_2026",
                description: "April-June 2026: ~25,000 accounts, software engineering, agentic reasoning, long-horizon tasks, proxies from an unsupported region (~28.8M)",
                accounts: scaled((25_000.0 * k) as u32, f, 80),
                exchanges: (28_800_000.0 * f * k) as u64,
                days: (107, 152),
                shared_cards: scaled(800, f, 10),
                shared_card_share: 0.7,
                proxy_exits: scaled(3_000, f, 60),
                hosting_share: 0.6,
                rotation_days: 3,
                diurnal_share: mimic,
                aged_share: 0.4,
            },
        ];
        let legit = 1.0 + 0.2 * v;
        Some(Recipe {
            name: if variant == 0 {
                scale.to_owned()
            } else {
                format!("{scale}-v{variant}")
            },
            seed,
            campaigns,
            ordinary: scaled(200_000, f, 400),
            early_adopters: scaled(3_000, f, 30),
            nat_companies: [260, 180, 400]
                .iter()
                .map(|n| scaled((*n as f64 * legit) as u32, f, 25))
                .collect(),
            classes: [250, 120]
                .iter()
                .map(|n| scaled((*n as f64 * legit) as u32, f, 30))
                .collect(),
            harnesses: vec![4, 3, 3, 2],
            coding_agent_users: scaled(2_000, f, 40),
            reseller_customers: scaled(2_500, f, 40),
            legit_volume: 1.0,
            world: super::world::World::Reference,
            long_prompts: false,
        })
    }
}
