//! Campaign attribution: which flagged accounts belong together. The graph
//! splits one operation over many clusters, but the clusters stay tied by
//! what an operation cannot help sharing: proxy addresses, payment
//! instruments and sign-up addresses. Flagged units (a cluster's accounts,
//! or one account judged alone) are joined (union-find) when the graph
//! links between them by those kinds reach a weight; a small unit with no
//! such link joins the big unit whose scripted-template use is most like
//! its own (cosine), if similar enough. Template use alone never merges two
//! big units: several operations can buy the same prompt scripts.

use rustc_hash::FxHashMap;

/// Sparse template-use vector of a unit, L2-normalised.
fn unit_vectors(
    units: &[Vec<u32>],
    uses_by_account: &[&[(u32, u32, u32)]],
) -> Vec<Vec<(u32, f64)>> {
    units
        .iter()
        .map(|members| {
            let mut acc: FxHashMap<u32, f64> = FxHashMap::default();
            for &m in members {
                for &(_, t, n) in uses_by_account[m as usize] {
                    *acc.entry(t).or_default() += f64::from(n);
                }
            }
            let norm = acc.values().map(|x| x * x).sum::<f64>().sqrt();
            let mut v: Vec<(u32, f64)> = acc
                .into_iter()
                .map(|(t, x)| (t, if norm > 0.0 { x / norm } else { 0.0 }))
                .collect();
            v.sort_unstable_by_key(|e| e.0);
            v
        })
        .collect()
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Every pair of a unit and a big unit with a positive cosine, as
/// (unit, big unit, cosine). Only big units are indexed, so a stray
/// account costs its own templates times the big units using them, never
/// a comparison with every other stray.
fn similarities(vectors: &[Vec<(u32, f64)>], is_big: &[bool]) -> Vec<(usize, usize, f64)> {
    let mut by_template: FxHashMap<u32, Vec<(usize, f64)>> = FxHashMap::default();
    for (u, v) in vectors.iter().enumerate() {
        if is_big[u] {
            for &(t, x) in v {
                by_template.entry(t).or_default().push((u, x));
            }
        }
    }
    let mut out = Vec::new();
    let mut dot: FxHashMap<usize, f64> = FxHashMap::default();
    for (u, v) in vectors.iter().enumerate() {
        dot.clear();
        for &(t, x) in v {
            for &(b, xb) in by_template.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
                if b != u {
                    *dot.entry(b).or_default() += x * xb;
                }
            }
        }
        out.extend(dot.iter().map(|(b, d)| (u, *b, *d)));
    }
    out
}

/// Flagged units for [`attribute`]. `uses` there is (account, template,
/// uses) sorted by account; `accounts` the number of accounts; `links`
/// (unit, unit, summed infrastructure link weight). Units of at least `big`
/// accounts merge over links of at least `merge_link_weight`; smaller ones
/// attach to the big unit they are
/// most linked to, else the most similar: template cosine times the
/// overlap of their active spans (`spans`: first and last request).
pub struct Units<'a> {
    /// Member accounts of each unit.
    pub members: &'a [Vec<u32>],
    /// First and last request of each unit.
    pub spans: &'a [(i64, i64)],
}

/// Overlap of two spans: shared length over combined length (1 = same span).
pub fn span_overlap(a: (i64, i64), b: (i64, i64)) -> f64 {
    let shared = (a.1.min(b.1) - a.0.max(b.0)).max(0) as f64;
    let combined = (a.1.max(b.1) - a.0.min(b.0)).max(1) as f64;
    shared / combined
}

/// Campaign number (0-based, largest campaign first) of each unit; see
/// [`Units`] and the module docs.
pub fn attribute(
    u: &Units<'_>,
    uses: &[(u32, u32, u32)],
    accounts: usize,
    big: usize,
    links: &[(usize, usize, f64)],
    merge_link_weight: f64,
    attach_similarity: f64,
) -> Vec<u32> {
    let units = u.members;
    let mut by_account: Vec<&[(u32, u32, u32)]> = vec![&[]; accounts];
    let mut i = 0;
    while i < uses.len() {
        let a = uses[i].0 as usize;
        let j = i + uses[i..].partition_point(|u| u.0 as usize == a);
        by_account[a] = &uses[i..j];
        i = j;
    }
    let is_big: Vec<bool> = units.iter().map(|u| u.len() >= big).collect();
    let mut parent: Vec<usize> = (0..units.len()).collect();
    let mut linked = vec![false; units.len()];
    for &(a, b, w) in links {
        // Links between groups active at different times are not one
        // operation's infrastructure: they are a network reused later.
        let w = w * span_overlap(u.spans[a], u.spans[b]);
        if w >= merge_link_weight && a != b && (is_big[a] || is_big[b]) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra.max(rb)] = ra.min(rb);
            linked[a] = true;
            linked[b] = true;
        }
    }
    let vectors = unit_vectors(units, &by_account);
    let sims = similarities(&vectors, &is_big);
    // Small units join the big unit they resemble most.
    let mut best: Vec<(f64, usize)> = vec![(0.0, usize::MAX); units.len()];
    for &(x, b, cos) in &sims {
        let s = cos * span_overlap(u.spans[x], u.spans[b]);
        if !is_big[x] && (s > best[x].0 || (s == best[x].0 && b < best[x].1)) {
            best[x] = (s, b);
        }
    }
    for u in 0..units.len() {
        if !is_big[u] && !linked[u] && best[u].1 != usize::MAX && best[u].0 >= attach_similarity {
            let (ru, rb) = (find(&mut parent, u), find(&mut parent, best[u].1));
            parent[ru] = rb;
        }
    }
    // Number campaigns by size, largest first.
    let roots: Vec<usize> = (0..units.len()).map(|u| find(&mut parent, u)).collect();
    let mut size: FxHashMap<usize, usize> = FxHashMap::default();
    for (u, r) in roots.iter().enumerate() {
        *size.entry(*r).or_default() += units[u].len();
    }
    let mut order: Vec<(usize, usize)> = size.into_iter().collect();
    order.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let number: FxHashMap<usize, u32> = order
        .iter()
        .enumerate()
        .map(|(i, (r, _))| (*r, i as u32))
        .collect();
    roots.iter().map(|r| number[r]).collect()
}

/// Adjusted Rand index of two labelings of the same items (Hubert and
/// Arabie 1985): 1 for identical partitions, about 0 for chance.
pub fn adjusted_rand_index(a: &[u32], b: &[u32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let pairs = |n: f64| n * (n - 1.0) / 2.0;
    let mut table: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    let mut rows: FxHashMap<u32, f64> = FxHashMap::default();
    let mut cols: FxHashMap<u32, f64> = FxHashMap::default();
    for (x, y) in a.iter().zip(b) {
        *table.entry((*x, *y)).or_default() += 1.0;
        *rows.entry(*x).or_default() += 1.0;
        *cols.entry(*y).or_default() += 1.0;
    }
    let index: f64 = table.values().map(|n| pairs(*n)).sum();
    let sa: f64 = rows.values().map(|n| pairs(*n)).sum();
    let sb: f64 = cols.values().map(|n| pairs(*n)).sum();
    let total = pairs(a.len() as f64);
    if total == 0.0 {
        return 1.0;
    }
    let expected = sa * sb / total;
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_clusters_merge_and_strays_attach_by_templates() {
        // Accounts 0..6 in three clusters of two; clusters 0 and 1 share a
        // proxy (link weight 3), all three use templates 0..4; account 6
        // alone uses templates 1 and 2.
        let mut uses = Vec::new();
        for a in 0..6u32 {
            for t in 0..4 {
                uses.push((a, t, 5));
            }
        }
        uses.push((6, 1, 3));
        uses.push((6, 2, 3));
        let units = vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6]];
        let links = [(0, 1, 3.0), (1, 2, 0.2)];
        let spans = [(0, 10), (0, 10), (0, 10), (2, 9)];
        let u = Units {
            members: &units,
            spans: &spans,
        };
        let c = attribute(&u, &uses, 7, 2, &links, 1.0, 0.3);
        assert_eq!(c[0], c[1]);
        assert_ne!(c[0], c[2], "same templates alone do not merge big units");
        assert_eq!(c[0], 0, "the largest campaign is numbered first");
        // The stray resembles all three equally; ties go to the first.
        assert_eq!(c[3], c[0]);
        // Without templates in common it stays alone.
        let c = attribute(&u, &uses[..24], 7, 2, &links, 1.0, 0.3);
        assert!(c[3] != c[0] && c[3] != c[2]);
        // Active at another time, it does not attach either.
        let later = [(0, 10), (0, 10), (0, 10), (20, 30)];
        let u = Units {
            members: &units,
            spans: &later,
        };
        let c = attribute(&u, &uses, 7, 2, &links, 1.0, 0.3);
        assert!(c[3] != c[0] && c[3] != c[2]);
        assert_eq!(span_overlap((0, 10), (5, 15)), 5.0 / 15.0);
    }

    #[test]
    fn ari_known_values() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
        let x = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        // sklearn.metrics.adjusted_rand_score gives 0.24242424...
        assert!((x - 0.242_424_242).abs() < 1e-6, "{x}");
    }
}
