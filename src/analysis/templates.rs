//! Near-duplicate grouping of prompt templates: MinHash signatures over word
//! 3-gram shingles, banded locality-sensitive hashing for candidate pairs,
//! and union-find over pairs whose estimated Jaccard similarity passes a cut.
//! Templates that differ in a word or two (a rotated instruction, a typo)
//! land in one group.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Number of MinHash functions (bands x rows).
const HASHES: usize = 64;
/// Rows per LSH band; 16 bands of 4 rows make pairs above 0.6 similarity
/// candidates with probability above 0.88.
const ROWS: usize = 4;
/// Estimated Jaccard similarity at which two templates are one group.
pub const SIMILARITY_CUT: f32 = 0.6;

/// A text's MinHash signature: all near-duplicate grouping needs of it
/// (512 bytes, whatever the text's length).
pub type Signature = [u64; HASHES];

/// MinHash signature of a text's word 3-grams.
pub fn signature(text: &str) -> Signature {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut sig = [u64::MAX; HASHES];
    let shingle_hashes: Vec<u64> = if words.len() < 3 {
        vec![xxh3_64_with_seed(words.join(" ").as_bytes(), 0)]
    } else {
        words
            .windows(3)
            .map(|w| {
                let s = format!("{} {} {}", w[0], w[1], w[2]);
                xxh3_64_with_seed(s.as_bytes(), 0)
            })
            .collect()
    };
    for h in shingle_hashes {
        for (i, slot) in sig.iter_mut().enumerate() {
            // Cheap independent permutations: mix the shingle hash with a
            // per-function odd multiplier and rotation.
            let v = (h ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .wrapping_mul(0xBF58_476D_1CE4_E5B9 | 1)
                .rotate_left(i as u32 + 7);
            if v < *slot {
                *slot = v;
            }
        }
    }
    sig
}

/// Estimated Jaccard similarity of two signatures.
pub fn similarity(a: &Signature, b: &Signature) -> f32 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f32 / HASHES as f32
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Groups texts by their signatures; returns for each the index of its
/// group's representative (the smallest index in the group).
pub fn group(sigs: &[Signature]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..sigs.len()).collect();
    for band in 0..HASHES / ROWS {
        let mut buckets: std::collections::HashMap<u64, usize> =
            std::collections::HashMap::with_capacity(sigs.len());
        for (i, sig) in sigs.iter().enumerate() {
            let key = xxh3_64_with_seed(
                bytemuck_u64s(&sig[band * ROWS..(band + 1) * ROWS]).as_slice(),
                band as u64,
            );
            match buckets.get(&key) {
                Some(&j) => {
                    if similarity(&sigs[i], &sigs[j]) >= SIMILARITY_CUT {
                        let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                        if ri != rj {
                            parent[ri.max(rj)] = ri.min(rj);
                        }
                    }
                }
                None => {
                    buckets.insert(key, i);
                }
            }
        }
    }
    (0..sigs.len()).map(|i| find(&mut parent, i)).collect()
}

fn bytemuck_u64s(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_near_duplicates_only() {
        let texts = [
            "you are an expert grader. grade the following answer against the rubric and output a score from <n> to <n>",
            "you are an expert grader. grade the following answer against the rubric and output only a score from <n> to <n>",
            "write a haiku about the sea in spring and make it rhyme",
        ];
        let sigs: Vec<Signature> = texts.iter().map(|t| signature(t)).collect();
        let g = group(&sigs);
        assert_eq!(g[0], g[1]);
        assert_ne!(g[0], g[2]);
        assert_eq!(g[2], 2);
    }

    #[test]
    fn identical_texts_have_similarity_one() {
        let a = signature("a b c d e");
        assert_eq!(similarity(&a, &a), 1.0);
    }
}
