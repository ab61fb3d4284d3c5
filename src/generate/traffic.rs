//! One day of traffic: every active account's requests, with times,
//! addresses, models, prompts and token counts, sorted by time. Each
//! (account, day) has its own random stream, so days generate in parallel
//! and the result does not depend on thread count.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::dist::{self, Rng, chance, weighted};
use super::population::{Egress, Population, Profile, Rhythm};
use super::prompts::{self, Cat};
use super::recipe::{DAY, START};
use super::world::{self, MODELS, NETWORKS};

/// One generated request.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Request id.
    pub exchange_id: String,
    /// Epoch microseconds.
    pub ts_us: i64,
    /// Index into the population.
    pub account: u32,
    /// Key id.
    pub api_key_id: String,
    /// Address.
    pub ip: String,
    /// Network index of the address.
    pub net: u16,
    /// User agent.
    pub user_agent: &'static str,
    /// Model index.
    pub model: u8,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// Prompt text.
    pub prompt: String,
    /// Tools sent.
    pub tool_count: i32,
    /// Image sent.
    pub has_image: bool,
    /// Session id.
    pub session_id: String,
    /// Category the prompt was written for (kept for checks, not written).
    pub intended: Cat,
}

fn hex(seed: u64, keys: &[u64]) -> String {
    let bytes: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    format!("{:016x}", xxh3_64_with_seed(&bytes, seed))
}

/// Second of the day for one exchange.
fn second_of_day(r: &mut Rng, rhythm: Rhythm, weekday: u32, waves: &[i64]) -> i64 {
    let day = DAY as f64;
    match rhythm {
        Rhythm::Waves => {
            if chance(r, 0.75) {
                let w = waves[dist::below(r, waves.len())];
                (w + dist::exponential(r, 240.0) as i64).rem_euclid(DAY)
            } else {
                (dist::unit(r) * day) as i64
            }
        }
        Rhythm::Cron => {
            let hour = dist::below(r, 24) as i64;
            hour * 3600 + dist::exponential(r, 90.0).min(3000.0) as i64
        }
        Rhythm::Lab { tz } => {
            let lab_day = weekday == 1 || weekday == 3;
            let local = if lab_day && chance(r, 0.6) {
                14.0 * 3600.0 + dist::unit(r) * 7200.0
            } else {
                // Evenings and weekends.
                (17.0 + dist::unit(r) * 7.0) * 3600.0
            };
            ((local as i64) - tz as i64 * 3600).rem_euclid(DAY)
        }
        Rhythm::Diurnal { tz, .. } => {
            // Active hours centred on the afternoon, local time.
            let local = (15.0 + 3.5 * dist::normal(r)).rem_euclid(24.0);
            ((local * 3600.0) as i64 - tz as i64 * 3600).rem_euclid(DAY)
        }
    }
}

fn choose_model(r: &mut Rng, p: &Profile, ts: i64) -> u8 {
    // Newest release the account has moved to, if any.
    for (i, m) in MODELS.iter().enumerate().rev() {
        if m.released > 0 && ts >= m.released + (p.adoption.delay_h * 3600.0) as i64 {
            if chance(r, p.adoption.share) {
                return i as u8;
            }
            break;
        }
    }
    if chance(r, p.mini_share) { 0 } else { 1 }
}

fn tokens(r: &mut Rng, cat: Cat, prompt_len: usize, tools: i32) -> (i64, i64) {
    let context = match cat {
        Cat::Agent | Cat::Plan => dist::lognormal(r, 6000.0, 0.7),
        Cat::Code => dist::lognormal(r, 1500.0, 0.8),
        _ => dist::lognormal(r, 60.0, 0.8),
    };
    let input = (prompt_len as f64 / 3.6 + context + tools as f64 * 120.0) as i64;
    let output = match cat {
        Cat::Cot | Cat::Plan => dist::lognormal(r, 1800.0, 0.5),
        Cat::Rubric => dist::lognormal(r, 300.0, 0.6),
        Cat::Code | Cat::Agent => dist::lognormal(r, 700.0, 0.7),
        _ => dist::lognormal(r, 350.0, 0.7),
    } as i64;
    (input.max(1), output.max(1))
}

/// Generates one account's exchanges for one day.
fn account_day(
    seed: u64,
    pop: &Population,
    account: usize,
    day: u32,
    waves: &[Vec<i64>],
    long_prompts: bool,
) -> Vec<Exchange> {
    let p = &pop.profiles[account];
    if day < p.days.0 || day >= p.days.1 {
        return Vec::new();
    }
    let mut r = dist::stream(seed, &[10, account as u64, day as u64]);
    if !chance(&mut r, p.active_prob) {
        return Vec::new();
    }
    // 2026-01-05 (day 0) is a Monday: weekday 0 = Monday.
    let weekday = day % 7;
    let mut mean = p.daily_mean;
    if let Rhythm::Diurnal { workdays: true, .. } = p.rhythm
        && weekday >= 5
    {
        mean *= 0.1;
    }
    let n = dist::poisson(&mut r, mean) as usize;
    let no_waves: Vec<i64> = vec![0];
    let wave_times = match p.archetype {
        super::population::Archetype::Campaign(c) => &waves[c as usize],
        _ => &no_waves,
    };
    let weights: Vec<f64> = p.mix.iter().map(|(_, w)| *w).collect();
    let day_start = START + day as i64 * DAY;
    let mut out = Vec::with_capacity(n);
    let session_len = 1 + dist::below(&mut r, 12);
    for k in 0..n {
        let sec = second_of_day(&mut r, p.rhythm, weekday, wave_times);
        let ts = day_start + sec;
        let (ip, net) = if p.direct_leak > 0.0 && chance(&mut r, p.direct_leak) {
            let cn = world::networks(world::NetKind::Residential, Some("CN"));
            let n = cn[dist::below(&mut r, cn.len())];
            (world::address(&mut r, n), n)
        } else {
            match &p.egress {
                Egress::Fixed(ips) => ips[dist::below(&mut r, ips.len())].clone(),
                Egress::Pool { pool } => pop.pools[*pool].exit(&mut r, day).clone(),
            }
        };
        let cat = p.mix[weighted(&mut r, &weights)].0;
        let mut prompt = String::with_capacity(160);
        let (has_image, tool_count) = prompts::write(&mut r, p.voice, cat, &mut prompt);
        if long_prompts {
            prompts::attachment(&mut r, cat, &mut prompt);
        }
        let (input_tokens, output_tokens) = tokens(&mut r, cat, prompt.len(), tool_count);
        let key = dist::below(&mut r, p.keys as usize) as u64;
        out.push(Exchange {
            exchange_id: format!(
                "req_{}",
                hex(seed, &[11, account as u64, day as u64, k as u64])
            ),
            ts_us: ts * 1_000_000 + dist::below(&mut r, 1000) as i64 * 1000,
            account: account as u32,
            api_key_id: format!("key_{}", &hex(seed, &[12, account as u64, key])[..12]),
            ip,
            net: net as u16,
            user_agent: p.agents[dist::below(&mut r, p.agents.len())],
            model: choose_model(&mut r, p, ts),
            input_tokens,
            output_tokens,
            prompt,
            tool_count,
            has_image,
            session_id: format!(
                "ses_{}",
                &hex(
                    seed,
                    &[13, account as u64, day as u64, (k / session_len) as u64]
                )[..12]
            ),
            intended: cat,
        });
    }
    out
}

/// Shared wave times (seconds of the day) of each campaign for a day: the
/// controller hands out work in batches, so its accounts act together.
pub fn waves(seed: u64, campaigns: usize, day: u32) -> Vec<Vec<i64>> {
    (0..campaigns)
        .map(|c| {
            let mut r = dist::stream(seed, &[14, c as u64, day as u64]);
            (0..8)
                .map(|_| (dist::unit(&mut r) * DAY as f64) as i64)
                .collect()
        })
        .collect()
}

/// All exchanges of one day, sorted by time; with `long_prompts`, every
/// prompt followed by an attachment of real length.
pub fn day(
    seed: u64,
    pop: &Population,
    campaigns: usize,
    day: u32,
    long_prompts: bool,
) -> Vec<Exchange> {
    let waves = waves(seed, campaigns, day);
    let mut rows: Vec<Exchange> = (0..pop.profiles.len())
        .into_par_iter()
        .with_min_len(256)
        .flat_map_iter(|a| account_day(seed, pop, a, day, &waves, long_prompts))
        .collect();
    rows.par_sort_unstable_by(|a, b| {
        a.ts_us
            .cmp(&b.ts_us)
            .then_with(|| a.exchange_id.cmp(&b.exchange_id))
    });
    rows
}

/// The network of an exchange.
pub fn network(e: &Exchange) -> &'static world::Network {
    &NETWORKS[e.net as usize]
}
