//! What the evidence lets detection see. Each signal needs some columns
//! (addresses, network names, prompts, sign-up records, releases); a log
//! without them cannot fire that signal, and a kind of evidence with no
//! signal left cannot add to any score. The scan says which inputs it had
//! and which it lacked, and why, and flags on the kinds of evidence that
//! can fire: the configured threshold less one for each kind that cannot,
//! never fewer than two kinds.

use std::path::Path;

use duckdb::Connection;

use super::config::{DetectConfig, FAMILIES, SIGNALS};
use super::features::Release;
use super::score::N;
use crate::analysis::releases::ReleaseSource;
use crate::analysis::views::query_rows;
use crate::store::error::StoreResult;

/// What the case holds, counted once per scan.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inputs {
    /// Accounts in the log.
    pub accounts: u64,
    /// Accounts with at least one client address.
    pub with_ip: u64,
    /// Accounts with at least one AS number or name.
    pub with_asn: u64,
    /// Accounts with at least one country.
    pub with_country: u64,
    /// Accounts with at least one prompt template.
    pub with_prompt: u64,
    /// Accounts with output tokens.
    pub with_tokens: u64,
    /// Distinct models requested.
    pub models: u64,
    /// Account records with a sign-up time.
    pub created_at: u64,
    /// Account records with a verification path.
    pub verification_path: u64,
    /// Account records with a payment fingerprint.
    pub payment: u64,
    /// Account records with a sign-up address.
    pub signup_ip: u64,
    /// Account records with a mail domain.
    pub email_domain: u64,
    /// Links between accounts by a shared API key (the graph's).
    #[serde(default)]
    pub api_key_links: u64,
    /// Verification path values that count as easy.
    pub easy_paths: u64,
    /// Releases declared in the events.
    pub releases_declared: u64,
    /// Releases found in the log.
    pub releases_first_seen: u64,
    /// Rows of the events table.
    pub events: u64,
}

impl Inputs {
    /// Counts what the case holds (cheap: per-account summaries and the
    /// small accounts and events tables).
    pub fn read(
        conn: &Connection,
        path: &Path,
        easy_paths: &[String],
        releases: &[Release],
    ) -> StoreResult<Inputs> {
        let ctx = "counting what the evidence holds";
        let n = |v: i64| v.max(0) as u64;
        let one = |sql: &str| -> StoreResult<Vec<i64>> {
            Ok(query_rows(conn, path, ctx, sql, |r| {
                (0..6)
                    .map(|i| r.get::<_, Option<i64>>(i).map(Option::unwrap_or_default))
                    .collect::<Result<Vec<i64>, _>>()
            })?
            .into_iter()
            .next()
            .unwrap_or_default())
        };
        let log = one(
            "SELECT count(*), count(*) FILTER (WHERE ips > 0), count(*) FILTER (WHERE asns > 0),
                    count(*) FILTER (WHERE countries > 0), count(*) FILTER (WHERE templates > 0),
                    count(*) FILTER (WHERE output_tokens > 0)
             FROM account_summary",
        )?;
        let acc = one(
            "SELECT count(created_at), count(verification_path), count(payment_fingerprint),
                    count(signup_ip), count(email_domain), 0 FROM accounts",
        )?;
        let other = one(
            "SELECT (SELECT count(DISTINCT model) FROM model_day), (SELECT count(*) FROM events),
                    (SELECT count(*) FROM account_summary WHERE asns = 0 AND ips > 0),
                    (SELECT count(*) FROM graph_edges WHERE kind = 'api_key'), 0, 0",
        )?;
        let get = |v: &[i64], i: usize| n(v.get(i).copied().unwrap_or(0));
        // Networks named without AS numbers still count as network data.
        let named_only: u64 = if get(&log, 2) == 0 {
            n(query_rows(
                conn,
                path,
                ctx,
                "SELECT count(DISTINCT account_id) FROM exchanges WHERE asn_org IS NOT NULL",
                |r| r.get::<_, i64>(0),
            )?
            .first()
            .copied()
            .unwrap_or(0))
        } else {
            0
        };
        Ok(Inputs {
            accounts: get(&log, 0),
            with_ip: get(&log, 1),
            with_asn: get(&log, 2) + named_only,
            with_country: get(&log, 3),
            with_prompt: get(&log, 4),
            with_tokens: get(&log, 5),
            models: get(&other, 0),
            created_at: get(&acc, 0),
            verification_path: get(&acc, 1),
            payment: get(&acc, 2),
            signup_ip: get(&acc, 3),
            email_domain: get(&acc, 4),
            api_key_links: get(&other, 3),
            easy_paths: easy_paths.len() as u64,
            releases_declared: releases
                .iter()
                .filter(|r| r.source == ReleaseSource::Declared)
                .count() as u64,
            releases_first_seen: releases
                .iter()
                .filter(|r| r.source == ReleaseSource::FirstSeen)
                .count() as u64,
            events: get(&other, 1),
        })
    }

    /// Whether the case has any account records beyond the log's ids.
    pub fn has_account_records(&self) -> bool {
        self.created_at + self.verification_path + self.payment + self.signup_ip + self.email_domain
            > 0
    }
}

/// The flag threshold on evidence where some kinds cannot fire.
/// `all_but_one`: the configured threshold less one for each kind with no
/// signal left (the configured 3 of 4 is "all kinds but one"), never under
/// two kinds. `all_available`: the configured threshold, or all that the
/// evidence can show when that is less, never under two.
pub fn partial_threshold(configured: f64, attainable: &[f64], rule: &str) -> f64 {
    let absent = attainable.iter().filter(|w| **w == 0.0).count() as f64;
    let best: f64 = attainable.iter().sum();
    let t = if rule == "all_available" {
        configured.min(best)
    } else {
        configured - absent
    };
    t.max(2.0)
}

/// What detection could use, signal by signal and kind by kind, and the
/// flag threshold that follows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Availability {
    /// Per signal: `None` when it can fire, else why it cannot.
    pub missing: Vec<Option<String>>,
    /// Per signal: its kind of evidence (index into [`FAMILIES`]).
    pub family: Vec<usize>,
    /// Per kind of evidence ([`FAMILIES`] order): the most it can add.
    pub attainable: [f64; FAMILIES.len()],
    /// The configured threshold.
    pub configured: f64,
    /// The threshold in force.
    pub threshold: f64,
    /// The rule that set it (`all_but_one` or `all_available`).
    pub rule: String,
    /// The inputs it was judged from.
    pub inputs: Inputs,
}

impl Availability {
    /// Works out what can fire from what the case holds.
    pub fn assess(inputs: &Inputs, cfg: &DetectConfig) -> Availability {
        let i = inputs;
        let no_asn = (i.with_asn == 0).then(|| {
            if i.with_ip > 0 {
                "no AS numbers or names: give an IP database (--ip-db FILE) when building the case"
                    .to_owned()
            } else {
                "no client addresses or AS names in the log".to_owned()
            }
        });
        let no_country = (i.with_country == 0).then(|| {
            if i.with_ip > 0 {
                "no countries: give an IP database (--ip-db FILE) when building the case".to_owned()
            } else {
                "no countries in the log".to_owned()
            }
        });
        let no_prompt = (i.with_prompt == 0)
            .then(|| "no prompt text (the log does not store prompts)".to_owned());
        let no_tokens = (i.with_tokens == 0).then(|| "no token counts in the log".to_owned());
        let no_release = if i.models < 2 {
            Some("fewer than two models in the log".to_owned())
        } else if i.releases_declared + i.releases_first_seen == 0 {
            Some(
                "no release: no events table names a logged model and no model first appears inside the log"
                    .to_owned(),
            )
        } else {
            None
        };
        let records = i.has_account_records();
        let origin = [
            i.created_at > 0 || i.accounts > 0, // fresh: sign-up time or first seen in the log
            i.easy_paths > 0,
            i.payment > 0,
        ];
        let no_farmed = if !records {
            Some("no account records (accounts table): sign-up path and payment unknown".to_owned())
        } else if origin.iter().filter(|x| **x).count() < 2 {
            Some(
                "account records lack two of sign-up time, an easy verification path and payment"
                    .to_owned(),
            )
        } else {
            None
        };
        let no_cohort = if !records {
            Some("no account records (accounts table)".to_owned())
        } else if i.created_at == 0 || i.email_domain == 0 || i.easy_paths == 0 {
            Some(
                "account records lack sign-up time, mail domain or an easy verification path"
                    .to_owned(),
            )
        } else {
            None
        };
        let no_links = (i.with_ip == 0
            && i.payment == 0
            && i.signup_ip == 0
            && i.api_key_links == 0)
            .then(|| {
                "no addresses, payment, sign-up addresses or shared API keys to link accounts by"
                    .to_owned()
            });
        let missing: Vec<Option<String>> = SIGNALS
            .iter()
            .map(|s| match *s {
                "shared_infrastructure" => no_links.clone(),
                "proxy_rotation" | "hosting_share" => no_asn.clone(),
                "unsupported_region" => no_country.clone(),
                "template_reuse" | "dense_block" | "coactivity" => no_prompt.clone(),
                "capability_concentration" | "elicitation" => no_prompt.clone(),
                "output_ratio" => no_tokens.clone(),
                "release_pivot" => no_release.clone(),
                "farmed_accounts" => no_farmed.clone(),
                "signup_cohort" => no_cohort.clone(),
                _ => None,
            })
            .collect();
        let mut attainable = [0.0f64; FAMILIES.len()];
        for (k, why) in missing.iter().enumerate() {
            if why.is_none() {
                let f = cfg.family_of(k);
                attainable[f] = attainable[f].max(cfg.signal(k).weight);
            }
        }
        let configured = cfg.score.flag_threshold;
        Availability {
            missing,
            family: (0..N).map(|k| cfg.family_of(k)).collect(),
            attainable,
            configured,
            threshold: partial_threshold(configured, &attainable, &cfg.score.partial_evidence),
            rule: cfg.score.partial_evidence.clone(),
            inputs: inputs.clone(),
        }
    }

    /// Whether every signal can fire (the configured threshold holds).
    pub fn complete(&self) -> bool {
        self.missing.iter().all(Option::is_none)
    }

    /// Whether signal `i` can fire on this evidence.
    pub fn can_fire(&self, i: usize) -> bool {
        self.missing.get(i).is_some_and(Option::is_none)
    }

    /// The kinds of evidence that cannot add anything.
    pub fn absent_families(&self) -> Vec<&'static str> {
        FAMILIES
            .iter()
            .zip(self.attainable)
            .filter(|(_, w)| *w == 0.0)
            .map(|(f, _)| *f)
            .collect()
    }

    /// The most any account can score on this evidence.
    pub fn best_score(&self) -> f64 {
        self.attainable.iter().sum()
    }

    /// The whole report in plain lines: the threshold, each kind of
    /// evidence with what it lacked, and the inputs that would add more.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let absent = self.absent_families();
        if absent.is_empty() {
            out.push(format!(
                "every kind of evidence can fire; flag at {:.1} of 4",
                self.threshold
            ));
        } else {
            out.push(format!(
                "{} cannot fire on this evidence: flag at {:.1} (configured {:.1}; partial_evidence = {}); the best possible score is {:.1}",
                absent.join(" and "),
                self.threshold,
                self.configured,
                self.rule,
                self.best_score()
            ));
        }
        if self.best_score() < self.threshold {
            out.push(format!(
                "no account can be flagged: the best possible score {:.1} is under the threshold {:.1}",
                self.best_score(),
                self.threshold
            ));
        }
        for (f, family) in FAMILIES.iter().enumerate() {
            let lacking: Vec<String> = (0..N)
                .filter(|&k| self.family[k] == f)
                .filter_map(|k| {
                    self.missing[k]
                        .as_ref()
                        .map(|why| format!("{} ({why})", SIGNALS[k]))
                })
                .collect();
            let state = if self.attainable[f] == 0.0 {
                "cannot fire".to_owned()
            } else if lacking.is_empty() {
                "complete".to_owned()
            } else {
                format!("can add up to {:.1}", self.attainable[f])
            };
            if lacking.is_empty() {
                out.push(format!("{family}: {state}"));
            } else {
                out.push(format!("{family}: {state}; lacking {}", lacking.join("; ")));
            }
        }
        let i = &self.inputs;
        if i.releases_first_seen > 0 {
            out.push(format!(
                "{} model release(s) found in the log (first sustained use), {} declared",
                i.releases_first_seen, i.releases_declared
            ));
        }
        if !i.has_account_records() {
            out.push(
                "account age taken from the log: an account first seen after the log's first days was created inside it"
                    .to_owned(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Inputs {
        Inputs {
            accounts: 100,
            with_ip: 100,
            with_asn: 100,
            with_country: 100,
            with_prompt: 100,
            with_tokens: 100,
            models: 3,
            created_at: 100,
            verification_path: 100,
            payment: 100,
            signup_ip: 100,
            email_domain: 100,
            api_key_links: 0,
            easy_paths: 2,
            releases_declared: 1,
            releases_first_seen: 0,
            events: 3,
        }
    }

    #[test]
    fn complete_evidence_keeps_the_configured_threshold() {
        let cfg = DetectConfig::default();
        let a = Availability::assess(&full(), &cfg);
        assert!(a.missing.iter().all(Option::is_none));
        assert_eq!(a.threshold, 3.0);
        assert_eq!(a.best_score(), 4.0);
        assert!(a.lines()[0].contains("every kind"));
    }

    #[test]
    fn a_gateway_log_says_what_it_lacks_and_lowers_the_bar_by_one_kind() {
        let cfg = DetectConfig::default();
        let mut i = full();
        (
            i.created_at,
            i.verification_path,
            i.payment,
            i.signup_ip,
            i.email_domain,
        ) = (0, 0, 0, 0, 0);
        (
            i.easy_paths,
            i.releases_declared,
            i.events,
            i.with_asn,
            i.with_country,
        ) = (0, 0, 0, 0, 0);
        let a = Availability::assess(&i, &cfg);
        assert_eq!(a.absent_families(), ["account"]);
        assert_eq!(a.threshold, 2.0);
        let mut strict = cfg.clone();
        strict.score.partial_evidence = "all_available".into();
        // Infrastructure at half weight: 0.5 + content + timing.
        assert_eq!(Availability::assess(&i, &strict).threshold, 2.5);
        let text = a.lines().join("\n");
        assert!(text.contains("account cannot fire"), "{text}");
        assert!(text.contains("no account records"), "{text}");
        assert!(text.contains("--ip-db"), "{text}");
        assert!(text.contains("no release"), "{text}");
        // Infrastructure is left with shared links only (half weight).
        assert_eq!(a.attainable[0], 0.5);
    }

    #[test]
    fn shared_api_keys_are_infrastructure_to_link_by() {
        // A log with no addresses and no account records: only keys link.
        let cfg = DetectConfig::default();
        let mut i = full();
        (i.with_ip, i.payment, i.signup_ip) = (0, 0, 0);
        let text = Availability::assess(&i, &cfg).lines().join("\n");
        assert!(
            text.contains("shared API keys to link accounts by"),
            "{text}"
        );
        i.api_key_links = 12;
        let text = Availability::assess(&i, &cfg).lines().join("\n");
        assert!(!text.contains("to link accounts by"), "{text}");
    }

    #[test]
    fn never_fewer_than_two_kinds() {
        let cfg = DetectConfig::default();
        let mut i = full();
        (
            i.with_ip,
            i.with_asn,
            i.with_country,
            i.payment,
            i.signup_ip,
        ) = (0, 0, 0, 0, 0);
        (
            i.created_at,
            i.verification_path,
            i.email_domain,
            i.easy_paths,
        ) = (0, 0, 0, 0);
        let a = Availability::assess(&i, &cfg);
        assert_eq!(a.absent_families(), ["infrastructure", "account"]);
        assert_eq!(a.threshold, 2.0);
        i.with_prompt = 0;
        i.with_tokens = 0;
        let a = Availability::assess(&i, &cfg);
        assert_eq!(a.threshold, 2.0);
        assert!(a.best_score() < a.threshold);
        assert!(
            a.lines()
                .iter()
                .any(|l| l.contains("no account can be flagged"))
        );
    }
}
