//! Small sampling helpers over a seeded ChaCha generator, so every
//! (account, day) draws from its own reproducible stream.

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The generator's random stream type.
pub type Rng = ChaCha8Rng;

/// A stream for a tuple of keys under a seed.
pub fn stream(seed: u64, keys: &[u64]) -> Rng {
    let bytes: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    ChaCha8Rng::seed_from_u64(xxh3_64_with_seed(&bytes, seed))
}

/// Uniform in [0, 1).
pub fn unit(r: &mut Rng) -> f64 {
    r.random::<f64>()
}

/// Uniform integer in [0, n).
pub fn below(r: &mut Rng, n: usize) -> usize {
    if n <= 1 { 0 } else { r.random_range(0..n) }
}

/// True with probability p.
pub fn chance(r: &mut Rng, p: f64) -> bool {
    unit(r) < p
}

/// Exponential with the given mean.
pub fn exponential(r: &mut Rng, mean: f64) -> f64 {
    -(1.0 - unit(r)).ln() * mean
}

/// Standard normal (Box-Muller).
pub fn normal(r: &mut Rng) -> f64 {
    let u1 = unit(r).max(1e-12);
    let u2 = unit(r);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with the given median and spread (sigma of the log).
pub fn lognormal(r: &mut Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(r)).exp()
}

/// Poisson-distributed count (Knuth below 30, normal approximation above).
pub fn poisson(r: &mut Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let l = (-mean).exp();
        let mut k = 0u32;
        let mut p = 1.0;
        loop {
            p *= unit(r);
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    (mean + mean.sqrt() * normal(r)).round().max(0.0) as u32
}

/// Picks an index with the given weights.
pub fn weighted(r: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(r) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Picks one element.
pub fn pick<'a, T>(r: &mut Rng, items: &'a [T]) -> &'a T {
    &items[below(r, items.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u32> = (0..5).map(|_| stream(1, &[2, 3]).random()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut s1 = stream(1, &[2, 3]);
        let mut s2 = stream(1, &[2, 4]);
        assert_ne!(s1.random::<u64>(), s2.random::<u64>());
        let mut r = stream(9, &[]);
        let mean = (0..20000).map(|_| poisson(&mut r, 4.0) as f64).sum::<f64>() / 20000.0;
        assert!((mean - 4.0).abs() < 0.1, "{mean}");
    }
}
