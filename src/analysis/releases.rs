//! Model releases, from what the evidence declares and from the log itself.
//!
//! A declared event counts as a release when its kind or label reads like
//! one ("model_release", "release", "Nova 3 launched", "now available") and
//! it names a model the log carries; names are compared as words and
//! version numbers, so "Nova 3 launched" ties to `nova-3` but not to
//! `nova-3.5`. Release-like events that name no logged model are reported,
//! not dropped. A model without a declared release that first appears
//! inside the log and then takes sustained traffic is released at its first
//! sustained use ("first seen in the log").

use std::path::Path;

use duckdb::Connection;

use crate::analysis::views::query_rows;
use crate::store::error::StoreResult;

/// Where a release came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReleaseSource {
    /// An event in the evidence's events table.
    Declared,
    /// The model's first sustained use inside the log.
    FirstSeen,
}

/// A model release.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelRelease {
    /// Seconds since the epoch.
    pub ts: i64,
    /// The logged model name.
    pub model: String,
    /// The event's label, or "MODEL first seen in the log".
    pub label: String,
    /// Declared or found in the log.
    pub source: ReleaseSource,
}

/// A release-like event that names no logged model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnmatchedEvent {
    /// Seconds since the epoch.
    pub ts: i64,
    /// Its kind as written.
    pub kind: String,
    /// Its label as written.
    pub label: String,
}

/// Every release the evidence shows, and the events that could not be tied.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Releases {
    /// Releases in time order.
    pub found: Vec<ModelRelease>,
    /// Release-like events naming no logged model.
    pub unmatched: Vec<UnmatchedEvent>,
}

/// Words that make an event a release.
const RELEASE_WORDS: &[&str] = &[
    "release",
    "released",
    "launch",
    "launched",
    "ga",
    "available",
    "availability",
    "rollout",
    "introduced",
    "announced",
    "shipped",
    "debut",
];

/// A name as lower-case runs of letters and of digits, each with whether a
/// separator came before it ("Nova 3.5" → nova, 3, 5).
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut kind = 0u8; // 0 none, 1 letters, 2 digits
    for ch in s.chars().flat_map(char::to_lowercase) {
        let k = if ch.is_ascii_digit() {
            2
        } else if ch.is_alphabetic() {
            1
        } else {
            0
        };
        if k != kind && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if k != 0 {
            cur.push(ch);
        }
        kind = k;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_number(t: &str) -> bool {
    t.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `model`'s words appear in `label` in order, not followed by a
/// further version number when the model's name ends in one.
fn names(label: &[String], model: &[String]) -> bool {
    if model.is_empty() || model.len() > label.len() {
        return false;
    }
    (0..=label.len() - model.len()).any(|i| {
        label[i..i + model.len()] == *model
            && !(is_number(model.last().expect("non-empty"))
                && label.get(i + model.len()).is_some_and(|t| is_number(t)))
    })
}

/// The logged model an event label names: the one with the most words
/// among those that match.
pub fn model_named(label: &str, models: &[String]) -> Option<String> {
    let l = tokens(label);
    models
        .iter()
        .filter(|m| names(&l, &tokens(m)))
        .max_by_key(|m| tokens(m).len())
        .cloned()
}

/// Whether an event reads like a model release.
pub fn is_release(kind: &str, label: &str) -> bool {
    let k = kind.to_lowercase();
    k.contains("release")
        || k.contains("launch")
        || tokens(&format!("{kind} {label}"))
            .iter()
            .any(|t| RELEASE_WORDS.contains(&t.as_str()))
}

/// Per model and day from the case's `model_day` table: (model, day index
/// since 1970, accounts, first request in seconds).
type ModelDay = (String, i32, i64, i64);

/// Models that first appear inside the log (not on its first day) and then
/// take sustained traffic: used by at least `min_accounts` accounts on a
/// day. Released at the first request of that day.
pub fn first_seen(days: &[ModelDay], min_accounts: i64) -> Vec<ModelRelease> {
    let Some(log_start) = days.iter().map(|d| d.1).min() else {
        return Vec::new();
    };
    let mut models: Vec<&str> = days.iter().map(|d| d.0.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let mut out = Vec::new();
    for m in models {
        let mut rows: Vec<&ModelDay> = days.iter().filter(|d| d.0 == m).collect();
        rows.sort_by_key(|d| d.1);
        if rows.first().is_none_or(|d| d.1 <= log_start + 1) {
            continue; // present from the start: released before the log
        }
        if let Some(d) = rows.iter().find(|d| d.2 >= min_accounts) {
            out.push(ModelRelease {
                ts: d.3,
                model: m.to_owned(),
                label: format!("{m} first seen in the log"),
                source: ReleaseSource::FirstSeen,
            });
        }
    }
    out
}

/// Accounts a new model needs on one day to count as released.
pub const FIRST_SEEN_MIN_ACCOUNTS: i64 = 10;

/// Reads the releases of a case: declared ones tied to logged models,
/// then models first seen in the log that no declared release names.
pub fn read(conn: &Connection, path: &Path) -> StoreResult<Releases> {
    let ctx = "reading model releases";
    let days: Vec<ModelDay> = query_rows(
        conn,
        path,
        ctx,
        "SELECT model, (day - DATE '1970-01-01')::INTEGER, accounts, epoch(first_ts)::BIGINT FROM model_day",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut models: Vec<String> = days.iter().map(|d| d.0.clone()).collect();
    models.sort_unstable();
    models.dedup();
    let events: Vec<(i64, String, String)> = query_rows(
        conn,
        path,
        ctx,
        "SELECT epoch(ts)::BIGINT, coalesce(kind, ''), coalesce(label, '') FROM events
         WHERE ts IS NOT NULL ORDER BY ts",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut out = Releases::default();
    for (ts, kind, label) in events {
        if !is_release(&kind, &label) {
            continue;
        }
        match model_named(&label, &models) {
            Some(model) => out.found.push(ModelRelease {
                ts,
                model,
                label,
                source: ReleaseSource::Declared,
            }),
            None => out.unmatched.push(UnmatchedEvent { ts, kind, label }),
        }
    }
    let declared: Vec<String> = out.found.iter().map(|r| r.model.clone()).collect();
    out.found.extend(
        first_seen(&days, FIRST_SEEN_MIN_ACCOUNTS)
            .into_iter()
            .filter(|r| !declared.contains(&r.model)),
    );
    out.found.sort_by_key(|r| r.ts);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_name_models_as_words_and_versions() {
        let models = list(&["atlas-4", "atlas-4.5", "nova-3", "nova-3.5", "gpt-4o"]);
        assert_eq!(
            model_named("atlas-4.5 released", &models).as_deref(),
            Some("atlas-4.5")
        );
        assert_eq!(
            model_named("Nova 3 launched", &models).as_deref(),
            Some("nova-3")
        );
        assert_eq!(
            model_named("NOVA 3.5 is now generally available", &models).as_deref(),
            Some("nova-3.5")
        );
        assert_eq!(
            model_named("GPT 4o rollout", &models).as_deref(),
            Some("gpt-4o")
        );
        // A version the log does not carry ties to nothing.
        assert_eq!(model_named("Nova 3.7 launched", &list(&["nova-3"])), None);
        assert_eq!(model_named("maintenance window", &models), None);
    }

    #[test]
    fn release_events_are_recognised_by_kind_or_label() {
        assert!(is_release("model_release", "atlas-5 released"));
        assert!(is_release("release", "Nova 3"));
        assert!(is_release("note", "Nova 3 launched"));
        assert!(is_release("ModelLaunch", "nova-3"));
        assert!(!is_release("enforcement", "accounts terminated"));
        assert!(!is_release("policy_change", "verification tightened"));
    }

    #[test]
    fn a_new_model_with_sustained_use_is_released_when_it_takes_off() {
        let d = |m: &str, day: i32, accounts: i64| {
            (
                m.to_string(),
                day,
                accounts,
                i64::from(day) * 86_400 + 3_600,
            )
        };
        let days = vec![
            d("old", 100, 500),
            d("old", 101, 500),
            d("new", 110, 2),  // a tester before the launch
            d("new", 120, 40), // the launch
            d("new", 121, 80),
            d("rare", 130, 3),
        ];
        let r = first_seen(&days, 10);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].model, "new");
        assert_eq!(r[0].ts, 120 * 86_400 + 3_600);
        assert_eq!(r[0].source, ReleaseSource::FirstSeen);
    }
}
