//! The accounts: each campaign's and each legitimate archetype's, with how
//! they sign up, pay, connect and behave. Campaign accounts are made hard to
//! separate (rotating proxies, varied volumes, aged accounts, diurnal
//! mimicry); legitimate ones include every hard case SCENARIO.md lists.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::dist::{self, Rng, chance, pick};
use super::prompts::{Cat, Voice};
use super::recipe::{DAY, DAYS, Recipe, START};
use super::world::{self, NETWORKS, NetKind, PUBLIC_MAIL};

/// What an account really is (written only to truth.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archetype {
    /// Member of campaign i.
    Campaign(u8),
    /// An ordinary customer.
    Ordinary,
    /// An ordinary customer who moves to new models at once.
    EarlyAdopter,
    /// One of hundreds of keys of a company behind one NAT address.
    NatCompany,
    /// A student of a class on one campus network.
    UniversityClass,
    /// An evaluation harness or CI bot.
    EvalHarness,
    /// A developer using a coding-agent product.
    CodingAgent,
    /// An honest customer of a reseller whose proxy network a campaign uses.
    ResellerCustomer,
}

impl Archetype {
    /// Label written to truth.csv.
    pub fn label(self, recipe: &Recipe) -> String {
        match self {
            Archetype::Campaign(i) => recipe.campaigns[i as usize].id.to_owned(),
            Archetype::Ordinary => "ordinary".into(),
            Archetype::EarlyAdopter => "early_adopter".into(),
            Archetype::NatCompany => "nat_company".into(),
            Archetype::UniversityClass => "university_class".into(),
            Archetype::EvalHarness => "eval_harness_ci".into(),
            Archetype::CodingAgent => "coding_agent".into(),
            Archetype::ResellerCustomer => "reseller_customer".into(),
        }
    }
}

/// When exchanges happen within a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rhythm {
    /// A person's day in a time zone (hours from UTC).
    Diurnal { tz: i32, workdays: bool },
    /// Around the clock, in the campaign's shared waves.
    Waves,
    /// At the top of every hour (cron).
    Cron,
    /// Lab sessions (Tue/Thu afternoons) plus evenings.
    Lab { tz: i32 },
}

/// Where an account's requests come from.
#[derive(Debug, Clone)]
pub enum Egress {
    /// A few fixed addresses (home, office, NAT).
    Fixed(Vec<(String, usize)>),
    /// A shared pool that rotates every few days.
    Pool { pool: usize },
}

/// How an account moves to a newly released model.
#[derive(Debug, Clone, Copy)]
pub struct Adoption {
    /// Hours after a release before the account moves.
    pub delay_h: f64,
    /// Share of its traffic that moves.
    pub share: f64,
}

/// One account and its behaviour.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Account id.
    pub id: String,
    /// What it really is.
    pub archetype: Archetype,
    /// Organisation / group name (campaign, company, class).
    pub group: String,
    /// Sign-up time, epoch seconds.
    pub created_at: i64,
    /// Active days: [from, to).
    pub days: (u32, u32),
    /// Probability of being active on a day of the window.
    pub active_prob: f64,
    /// Mean exchanges on an active day.
    pub daily_mean: f64,
    /// Time-of-day pattern.
    pub rhythm: Rhythm,
    /// Category weights before and after the campaign's mid-point shift.
    pub mix: Vec<(Cat, f64)>,
    /// Prompt bank.
    pub voice: Voice,
    /// Addresses.
    pub egress: Egress,
    /// Client user agents it uses.
    pub agents: Vec<&'static str>,
    /// Number of API keys.
    pub keys: u32,
    /// Organisation id in the logs.
    pub org_id: Option<String>,
    /// Sign-up e-mail domain.
    pub email_domain: String,
    /// Hash of the payment instrument.
    pub payment: String,
    /// Sign-up address.
    pub signup_ip: String,
    /// Declared country.
    pub signup_country: String,
    /// Verification path.
    pub verification: &'static str,
    /// Prefers the mini model for this share of traffic.
    pub mini_share: f64,
    /// Moves to new models like this.
    pub adoption: Adoption,
    /// Share of traffic leaking directly from an unsupported region.
    pub direct_leak: f64,
}

/// A shared, rotating pool of exit addresses.
#[derive(Debug, Clone)]
pub struct Pool {
    /// (address, network index).
    pub exits: Vec<(String, usize)>,
    /// Days before the window moves.
    pub rotation_days: u32,
    /// Exits used at a time.
    pub window: usize,
}

impl Pool {
    /// An exit for a day.
    pub fn exit(&self, r: &mut Rng, day: u32) -> &(String, usize) {
        let epoch = (day / self.rotation_days.max(1)) as usize;
        let start = (epoch * self.window * 7 / 3) % self.exits.len();
        &self.exits[(start + dist::below(r, self.window)) % self.exits.len()]
    }
}

/// All accounts and pools.
pub struct Population {
    /// Accounts, shuffled so ids say nothing.
    pub profiles: Vec<Profile>,
    /// Proxy pools.
    pub pools: Vec<Pool>,
}

fn hex_id(prefix: &str, seed: u64, keys: &[u64]) -> String {
    let bytes: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    format!("{prefix}{:016x}", xxh3_64_with_seed(&bytes, seed))
}

fn day_ts(day: f64) -> i64 {
    START + (day * DAY as f64) as i64
}

fn legit_mix(kind: &str) -> Vec<(Cat, f64)> {
    use Cat::*;
    match kind {
        "dev" => vec![
            (Code, 0.55),
            (Agent, 0.08),
            (Plan, 0.05),
            (Writing, 0.1),
            (Chat, 0.1),
            (Math, 0.04),
            (Cot, 0.04),
            (Vision, 0.04),
        ],
        "agent" => vec![(Code, 0.6), (Agent, 0.3), (Plan, 0.1)],
        "student" => vec![
            (Code, 0.45),
            (Math, 0.3),
            (Writing, 0.1),
            (Chat, 0.1),
            (Cot, 0.05),
        ],
        "harness" => vec![(Math, 0.3), (Rubric, 0.35), (Cot, 0.2), (Code, 0.15)],
        _ => vec![
            (Chat, 0.27),
            (Writing, 0.2),
            (Code, 0.2),
            (Math, 0.08),
            (Vision, 0.06),
            (Cot, 0.05),
            (Agent, 0.04),
            (Plan, 0.05),
            (Rubric, 0.02),
            (Policy, 0.03),
        ],
    }
}

fn campaign_mix(i: u8) -> Vec<(Cat, f64)> {
    use Cat::*;
    match i {
        0 => vec![(Cot, 0.4), (Rubric, 0.35), (Policy, 0.25)],
        1 => vec![
            (Agent, 0.33),
            (Code, 0.27),
            (Vision, 0.25),
            (Cot, 0.1),
            (Math, 0.05),
        ],
        2 => vec![(Code, 0.55), (Agent, 0.45)],
        _ => vec![(Code, 0.45), (Agent, 0.25), (Plan, 0.25), (Cot, 0.05)],
    }
}

/// Builds every account of the recipe.
pub fn build(recipe: &Recipe) -> Population {
    let seed = recipe.seed;
    let mut profiles = Vec::new();
    let mut pools = Vec::new();
    let mut idx = 0u64;
    let mut next_id = || {
        idx += 1;
        hex_id("acct_", seed, &[idx])
            .chars()
            .take(17)
            .collect::<String>()
    };
    let residential = world::supported_residential();
    let hosting = world::networks(NetKind::Hosting, None);
    let supported_countries: Vec<&str> = residential.iter().map(|n| NETWORKS[*n].country).collect();

    // The reseller's proxy network: hosting exits its honest customers use;
    // campaign c3 runs through the same exits (plus its own residential ones).
    let mut r = dist::stream(seed, &[1, 0]);
    let reseller_exits: Vec<(String, usize)> = (0..60)
        .map(|_| {
            let n = *pick(&mut r, &hosting);
            (world::address(&mut r, n), n)
        })
        .collect();
    pools.push(Pool {
        exits: reseller_exits.clone(),
        rotation_days: 1000,
        window: reseller_exits.len(),
    });

    for (ci, spec) in recipe.campaigns.iter().enumerate() {
        let c = ci as u8;
        let mut r = dist::stream(seed, &[2, ci as u64]);
        let mut exits: Vec<(String, usize)> = (0..spec.proxy_exits)
            .map(|_| {
                let n = if chance(&mut r, spec.hosting_share) {
                    *pick(&mut r, &hosting)
                } else {
                    *pick(&mut r, &residential)
                };
                (world::address(&mut r, n), n)
            })
            .collect();
        if c == 2 {
            exits.extend(reseller_exits.iter().cloned());
        }
        let window = (exits.len() / 4).max(3);
        pools.push(Pool {
            exits,
            rotation_days: spec.rotation_days,
            window,
        });
        let pool = pools.len() - 1;
        let (d0, d1) = spec.days;
        let len = (d1 - d0) as f64;
        let farmed_edu = [
            "alumni.eastbay-college.edu",
            "stu.riverside-tech.edu",
            "mail.hillcrest-univ.edu",
        ];
        let throwaway = [
            "inboxrelay.net",
            "mailbox-hub.io",
            "quickpost.cc",
            "fastmail-box.com",
            "tmpinbox.org",
        ];
        let agents: Vec<&'static str> = match c {
            0 => vec!["python-requests/2.31.0"],
            1 => vec![
                "python-httpx/0.27.0",
                "OpenAI/Python 1.54.4",
                "node-fetch/1.0",
            ],
            2 => world::LEGIT_AGENTS.to_vec(),
            _ => vec![
                "python-httpx/0.27.0",
                "python-httpx/0.27.0",
                "python-httpx/0.27.0",
                "aiohttp/3.9.5",
            ],
        };
        for a in 0..spec.accounts {
            let id = next_id();
            let aged = chance(&mut r, spec.aged_share);
            let created_at = if aged {
                day_ts(-(30.0 + dist::unit(&mut r) * 300.0))
            } else {
                // Fresh accounts are made in bursts before and during the run.
                let burst = dist::below(&mut r, 4) as f64;
                day_ts(d0 as f64 - 10.0 + burst * len / 5.0 + dist::unit(&mut r) * 1.5)
            };
            let start = (d0 as f64 + dist::unit(&mut r) * len * 0.25).max(d0 as f64) as u32;
            let start = start.max(((created_at - START) / DAY).max(0) as u32);
            let end = (d1 as f64 - dist::unit(&mut r) * len * 0.15) as u32;
            let shared = chance(&mut r, spec.shared_card_share);
            let payment = if shared {
                hex_id(
                    "pf_",
                    seed,
                    &[
                        3,
                        ci as u64,
                        dist::below(&mut r, spec.shared_cards as usize) as u64,
                    ],
                )
            } else {
                hex_id("pf_", seed, &[4, ci as u64, a as u64])
            };
            let verification = *pick(
                &mut r,
                &[
                    "education",
                    "startup_program",
                    "research_program",
                    "standard",
                    "standard",
                    if c == 2 { "reseller" } else { "education" },
                ],
            );
            let email_domain = if verification == "education" {
                pick(&mut r, &farmed_edu).to_string()
            } else if chance(&mut r, 0.5) {
                pick(&mut r, &throwaway).to_string()
            } else {
                pick(&mut r, PUBLIC_MAIL).to_string()
            };
            let diurnal = chance(&mut r, spec.diurnal_share);
            let (signup_ip, signup_net) = pools[pool].exit(&mut r, start).clone();
            profiles.push(Profile {
                id,
                archetype: Archetype::Campaign(c),
                group: spec.id.to_owned(),
                created_at,
                days: (start, end.max(start + 1)),
                active_prob: 0.6 + 0.3 * dist::unit(&mut r),
                daily_mean: dist::lognormal(&mut r, 1.0, 0.6),
                rhythm: if diurnal {
                    Rhythm::Diurnal {
                        tz: *pick(&mut r, &[-5, 0, 1, 8]),
                        workdays: false,
                    }
                } else {
                    Rhythm::Waves
                },
                mix: campaign_mix(c),
                voice: Voice::Campaign(c),
                egress: Egress::Pool { pool },
                agents: vec![*pick(&mut r, &agents)],
                keys: 1 + dist::below(&mut r, 2) as u32,
                org_id: (c == 1 && chance(&mut r, 0.5)).then(|| "org_partner_4471".to_owned()),
                email_domain,
                payment,
                signup_ip,
                signup_country: if chance(&mut r, 0.9) {
                    NETWORKS[signup_net].country
                } else {
                    *pick(&mut r, &supported_countries)
                }
                .to_owned(),
                verification,
                mini_share: 0.05,
                adoption: match c {
                    2 => Adoption {
                        delay_h: 2.0 + dist::unit(&mut r) * 17.0,
                        share: 0.47,
                    },
                    3 => Adoption {
                        delay_h: 6.0 + dist::unit(&mut r) * 24.0,
                        share: 0.35,
                    },
                    _ => Adoption {
                        delay_h: 72.0 + dist::unit(&mut r) * 200.0,
                        share: 0.2,
                    },
                },
                direct_leak: if c == 3 { 0.01 } else { 0.0 },
            });
        }
        // Scale volumes so the campaign hits its target in expectation.
        calibrate(&mut profiles, Archetype::Campaign(c), spec.exchanges as f64);
    }

    let mut r = dist::stream(seed, &[5]);
    let person =
        |r: &mut Rng, id: String, archetype: Archetype, group: String, kind: &str| -> Profile {
            let net = *pick(r, &residential);
            let country = NETWORKS[net].country;
            let tz = match country {
                "US" | "CA" | "MX" | "BR" => {
                    -5 - dist::below(r, 4) as i32 + if country == "BR" { 3 } else { 0 }
                }
                "IN" => 5,
                "JP" | "KR" => 9,
                "AU" => 10,
                "SG" => 8,
                _ => 1,
            };
            let created_at = day_ts(-400.0 + dist::unit(r) * 540.0);
            let first = ((created_at - START) / DAY).max(0) as u32;
            let home = world::address(r, net);
            let mut ips = vec![(home.clone(), net)];
            if chance(r, 0.4) {
                let mobile = *pick(r, &world::networks(NetKind::Mobile, None));
                ips.push((world::address(r, mobile), mobile));
            }
            Profile {
                id,
                archetype,
                group,
                created_at,
                days: (first.min(DAYS - 1), DAYS),
                active_prob: 0.1 + 0.4 * dist::unit(r),
                daily_mean: dist::lognormal(r, 0.9, 0.9),
                rhythm: Rhythm::Diurnal {
                    tz,
                    workdays: chance(r, 0.3),
                },
                mix: legit_mix(kind),
                voice: Voice::Person,
                egress: Egress::Fixed(ips),
                agents: vec![*pick(r, world::LEGIT_AGENTS)],
                keys: 1 + dist::below(r, 2) as u32,
                org_id: None,
                email_domain: if chance(r, 0.75) {
                    pick(r, PUBLIC_MAIL).to_string()
                } else {
                    format!(
                        "{}-{}.com",
                        pick(
                            r,
                            &[
                                "acme", "globex", "initech", "umbrella", "hooli", "vandelay",
                                "stark", "wonka", "tyrell", "wayne"
                            ]
                        ),
                        dist::below(r, 3000)
                    )
                },
                payment: String::new(),
                signup_ip: home,
                signup_country: country.to_owned(),
                verification: if chance(r, 0.93) {
                    "standard"
                } else {
                    ["education", "startup_program", "research_program"][dist::below(r, 3)]
                },
                mini_share: 0.2 + 0.3 * dist::unit(r),
                adoption: Adoption {
                    delay_h: dist::exponential(r, 24.0 * 20.0),
                    share: 0.3 + 0.4 * dist::unit(r),
                },
                direct_leak: 0.0,
            }
        };

    for _ in 0..recipe.ordinary {
        let id = next_id();
        profiles.push(person(
            &mut r,
            id,
            Archetype::Ordinary,
            "ordinary".into(),
            "ordinary",
        ));
    }
    for _ in 0..recipe.early_adopters {
        let id = next_id();
        let mut p = person(
            &mut r,
            id,
            Archetype::EarlyAdopter,
            "early_adopter".into(),
            "dev",
        );
        p.adoption = Adoption {
            delay_h: dist::unit(&mut r) * 20.0,
            share: 0.8,
        };
        p.daily_mean *= 2.0;
        p.active_prob = 0.5;
        profiles.push(p);
    }
    let business = world::networks(NetKind::Business, None);
    for (ci, size) in recipe.nat_companies.iter().enumerate() {
        let net = business[ci % business.len()];
        let nat = world::address(&mut r, net);
        let org = format!("org_{}", ["globex", "initrode", "vandelay"][ci % 3]);
        let card = hex_id("pf_", seed, &[6, ci as u64]);
        for _ in 0..*size {
            let id = next_id();
            let mut p = person(&mut r, id, Archetype::NatCompany, org.clone(), "dev");
            p.egress = Egress::Fixed(vec![(nat.clone(), net)]);
            p.signup_ip = nat.clone();
            p.signup_country = NETWORKS[net].country.into();
            p.org_id = Some(org.clone());
            p.payment = card.clone();
            p.email_domain = format!("{}.com", &org[4..]);
            p.rhythm = Rhythm::Diurnal {
                tz: if ci == 1 { 1 } else { -5 },
                workdays: true,
            };
            p.voice = Voice::InternalTool;
            p.active_prob = 0.7;
            p.daily_mean = dist::lognormal(&mut r, 6.0, 0.5);
            p.adoption = Adoption {
                delay_h: 24.0 * 14.0,
                share: 1.0,
            };
            p.agents = vec!["anthropic-sdk-python/0.49.1"];
            profiles.push(p);
        }
    }
    let campus = world::networks(NetKind::Campus, None);
    for (ci, size) in recipe.classes.iter().enumerate() {
        let net = campus[ci % campus.len()];
        let lab: Vec<(String, usize)> =
            (0..3).map(|_| (world::address(&mut r, net), net)).collect();
        let domain = ["northfield.edu", "lakeside.ac.uk"][ci % 2];
        let semester = 21.0 + ci as f64 * 7.0;
        for _ in 0..*size {
            let id = next_id();
            let mut p = person(
                &mut r,
                id,
                Archetype::UniversityClass,
                domain.into(),
                "student",
            );
            p.created_at = day_ts(semester + dist::unit(&mut r) * 3.0);
            p.days = ((semester as u32) + 1, DAYS);
            if let Egress::Fixed(ips) = &mut p.egress {
                ips.push(pick(&mut r, &lab).clone());
                ips.push(pick(&mut r, &lab).clone());
            }
            p.signup_ip = lab[0].0.clone();
            p.email_domain = domain.into();
            p.verification = "education";
            p.voice = Voice::Homework;
            p.rhythm = Rhythm::Lab {
                tz: if ci == 0 { -5 } else { 0 },
            };
            p.daily_mean = dist::lognormal(&mut r, 3.0, 0.5);
            p.active_prob = 0.45;
            profiles.push(p);
        }
    }
    let harness_scale = (recipe.ordinary as f64 / 200_000.0).max(0.05);
    for (ci, size) in recipe.harnesses.iter().enumerate() {
        let net = hosting[ci % 3];
        let ip = world::address(&mut r, net);
        let org = format!("org_evalco{ci}");
        for _ in 0..*size {
            let id = next_id();
            let mut p = person(&mut r, id, Archetype::EvalHarness, org.clone(), "harness");
            p.egress = Egress::Fixed(vec![(ip.clone(), net)]);
            p.signup_ip = ip.clone();
            p.org_id = Some(org.clone());
            p.voice = Voice::Harness;
            p.rhythm = Rhythm::Cron;
            p.days = (0, DAYS);
            p.active_prob = 0.9;
            p.daily_mean = dist::lognormal(&mut r, 800.0, 0.3) * harness_scale;
            p.adoption = Adoption {
                delay_h: 24.0 + dist::unit(&mut r) * 48.0,
                share: 0.5,
            };
            p.agents = vec!["python-httpx/0.27.0"];
            p.verification = "standard";
            profiles.push(p);
        }
    }
    for _ in 0..recipe.coding_agent_users {
        let id = next_id();
        let mut p = person(
            &mut r,
            id,
            Archetype::CodingAgent,
            "coding_agent".into(),
            "agent",
        );
        p.voice = Voice::CodingAgent;
        p.daily_mean = dist::lognormal(&mut r, 25.0, 0.6);
        p.active_prob = 0.55;
        p.agents = vec!["agentcli/1.8.2 (linux; x64)"];
        // The product's "latest" alias auto-routes to new models.
        p.adoption = Adoption {
            delay_h: dist::unit(&mut r) * 12.0,
            share: 0.9,
        };
        profiles.push(p);
    }
    let reseller_card = hex_id("pf_", seed, &[7]);
    for _ in 0..recipe.reseller_customers {
        let id = next_id();
        let mut p = person(
            &mut r,
            id,
            Archetype::ResellerCustomer,
            "reseller".into(),
            "ordinary",
        );
        p.egress = Egress::Pool { pool: 0 };
        p.org_id = Some("org_resale_gateway".into());
        p.payment = reseller_card.clone();
        p.verification = "reseller";
        p.signup_ip = pools[0].exits[0].0.clone();
        p.daily_mean *= 1.5;
        profiles.push(p);
    }
    for (i, p) in profiles.iter_mut().enumerate() {
        if p.payment.is_empty() {
            p.payment = hex_id("pf_", seed, &[8, i as u64]);
        }
    }
    // Shuffle deterministically so the order of ids says nothing.
    profiles.sort_by_key(|p| xxh3_64_with_seed(p.id.as_bytes(), seed ^ 0x5EED));
    Population { profiles, pools }
}

/// Expected exchanges of an account over its window.
pub fn expected(p: &Profile) -> f64 {
    (p.days.1.saturating_sub(p.days.0)) as f64 * p.active_prob * p.daily_mean
}

fn calibrate(profiles: &mut [Profile], archetype: Archetype, target: f64) {
    let total: f64 = profiles
        .iter()
        .filter(|p| p.archetype == archetype)
        .map(expected)
        .sum();
    if total > 0.0 {
        let k = target / total;
        for p in profiles.iter_mut().filter(|p| p.archetype == archetype) {
            p.daily_mean *= k;
        }
    }
}
