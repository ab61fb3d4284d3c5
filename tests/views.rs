//! The view queries on the sample, checked against plain SQL over the
//! case: what the GUI shows is what the data says.

mod common;

use std::collections::BTreeSet;

use common::app::sample_case;
use distillscope::analysis::selection::{DayRange, Selection};
use distillscope::analysis::views::{self, AccountColumn, AccountQuery, Stack};
use distillscope::store::case::Case;

fn two_categories() -> Selection {
    Selection {
        categories: BTreeSet::from(["math".to_owned(), "rubric_grading".to_owned()]),
        ..Default::default()
    }
}

#[test]
fn accounts_table_counts_active_days_exactly() {
    let case = Case::open(&sample_case(), false).expect("open");
    let (c, p) = (&case.conn, case.path.as_path());
    for (sel, sort) in [
        (two_categories(), AccountColumn::Exchanges),
        (two_categories(), AccountColumn::ActiveDays),
        (
            Selection {
                days: Some(DayRange::new(20_500, 20_510)),
                ..Default::default()
            },
            AccountColumn::Exchanges,
        ),
    ] {
        let query = AccountQuery {
            sort,
            ..Default::default()
        };
        let view = views::prepare_accounts(c, p, &sel, &query, 1).expect("accounts");
        let expected_total: i64 = c
            .query_row(
                &format!(
                    "SELECT count(DISTINCT account_id) FROM account_day WHERE {}",
                    sel.condition()
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(view.total as i64, expected_total);
        let second = views::account_rows(c, p, &sel, &query, 1, 256, 256).expect("block");
        for t in [&view.first, &second] {
            for (i, id) in t.account_id.iter().enumerate() {
                let (n, days): (i64, i64) = c
                    .query_row(
                        &format!(
                            "SELECT sum(exchanges)::BIGINT, count(DISTINCT day) FROM account_day
                             WHERE {} AND account_id = '{id}'",
                            sel.condition()
                        ),
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                assert_eq!((t.exchanges[i], t.active_days[i]), (n, days), "{id}");
            }
        }
        // Sorted descending across the block boundary.
        let key = |t: &views::AccountTable, i: usize| match sort {
            AccountColumn::ActiveDays => t.active_days[i],
            _ => t.exchanges[i],
        };
        assert!(key(&view.first, view.first.len() - 1) >= key(&second, 0));
    }
}

#[test]
fn categories_and_timeline_add_up() {
    let case = Case::open(&sample_case(), false).expect("open");
    let (c, p) = (&case.conn, case.path.as_path());
    let total: i64 = c
        .query_row("SELECT count(*) FROM exchanges", [], |r| r.get(0))
        .unwrap();
    let t = views::timeline(c, p, &Selection::default(), Stack::Category).expect("timeline");
    assert_eq!(t.total(), total);
    let sel = Selection {
        days: Some(DayRange::new(20_500, 20_506)),
        ..Default::default()
    };
    let rows = views::categories(c, p, &sel).expect("categories");
    let selected: i64 = rows.iter().map(|r| r.selected).sum();
    let baseline: i64 = rows.iter().map(|r| r.baseline).sum();
    assert_eq!(selected + baseline, total);
    let in_week: i64 = c
        .query_row(
            &format!("SELECT count(*) FROM exchanges WHERE {}", sel.condition()),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(selected, in_week);
}

#[test]
fn the_view_command_prints_what_the_gui_shows() {
    let case = sample_case();
    let case_arg = case.display().to_string();
    let run = common::cli(&[
        "view",
        &case_arg,
        "categories",
        "--from",
        "2026-02-08",
        "--to",
        "2026-02-14",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let c = Case::open(&case, false).expect("open");
    let sel = Selection {
        days: Some(DayRange::new(
            distillscope::analysis::days::from_civil(2026, 2, 8),
            distillscope::analysis::days::from_civil(2026, 2, 14),
        )),
        ..Default::default()
    };
    let rows = views::categories(&c.conn, &c.path, &sel).expect("categories");
    let counts: Vec<(String, i64, i64)> = printed
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            (
                r["category"].as_str().unwrap_or_default().to_owned(),
                r["selected"].as_i64().unwrap_or(-1),
                r["baseline"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let expected: Vec<(String, i64, i64)> = rows
        .iter()
        .map(|r| (r.category.clone(), r.selected, r.baseline))
        .collect();
    assert_eq!(counts, expected);
    let bad = common::cli(&["view", &case_arg, "timeline", "--from", "2026-02-31x"]);
    assert!(!bad.ok);
    assert!(bad.stderr.contains("--from 2026-02-31x"), "{}", bad.stderr);
}

#[test]
fn account_page_counts_each_values_accounts_as_the_log_does() {
    let case = Case::open(&sample_case(), false).expect("open");
    let (c, p) = (&case.conn, case.path.as_path());
    // The counts come from what the graph build kept, not from a scan.
    let kept: i64 = c
        .query_row(
            "SELECT count(*) FROM value_accounts WHERE kind IN ('ip', 'asn', 'ua')",
            [],
            |r| r.get(0),
        )
        .expect("value_accounts kept in the case");
    assert!(kept > 0);
    let busiest: Vec<String> = c
        .prepare(
            "SELECT account_id FROM account_day GROUP BY 1 ORDER BY sum(exchanges) DESC, 1 LIMIT 3",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut checked = 0;
    for account in &busiest {
        let page = views::account_detail(c, p, account).expect("account page");
        assert!(page.complete);
        for u in &page.infrastructure {
            let column = match u.kind {
                "ip" => "ip",
                "asn" => "asn::VARCHAR",
                "user_agent" => "user_agent",
                _ => {
                    assert_eq!(u.accounts, -1, "{} is not counted", u.kind);
                    continue;
                }
            };
            let (accounts, mine): (i64, i64) = c
                .query_row(
                    &format!(
                        "SELECT count(DISTINCT account_id),
                                count(*) FILTER (WHERE account_id = ?)
                         FROM exchanges WHERE {column} = ?"
                    ),
                    [account, &u.value],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(
                (u.accounts, u.exchanges),
                (accounts, mine),
                "{account} {} {}",
                u.kind,
                u.value
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}

#[test]
fn account_page_lists_the_networks_links_and_hubs_of_the_account() {
    use std::collections::BTreeMap;
    let case = Case::open(&sample_case(), false).expect("open");
    let (c, p) = (&case.conn, case.path.as_path());
    let g = distillscope::analysis::graph::store::read(c, p, "main").expect("graph");
    let n = g.accounts.len();
    // Each account's neighbours as the graph holds them: kinds and weight.
    let mut links: Vec<BTreeMap<usize, (BTreeSet<String>, f64)>> = vec![BTreeMap::new(); n];
    for e in &g.edges {
        let (a, b) = (e.source as usize, e.target as usize);
        for (x, y) in [(a, b), (b, a)] {
            if x < n {
                let entry = links[x].entry(y).or_default();
                entry.0.insert(e.kind.name().to_owned());
                entry.1 += f64::from(e.weight);
            }
        }
    }
    // Accounts with both account neighbours and hubs: the two most linked
    // (more than a page shows) and the two least.
    let mut picked: Vec<usize> = (0..n)
        .filter(|&a| links[a].keys().any(|&o| o < n) && links[a].keys().any(|&o| o >= n))
        .collect();
    picked.sort_by_key(|&a| std::cmp::Reverse(links[a].len()));
    assert!(
        picked.len() >= 4,
        "the sample has accounts linked to accounts and hubs"
    );
    assert!(
        links[picked[0]].len() > 100,
        "one has more links than a page shows"
    );
    let ends = [0, 1, picked.len() - 2, picked.len() - 1];
    for a in ends.map(|i| picked[i]) {
        let page = views::account_detail(c, p, &g.accounts[a]).expect("account page");
        let accounts = links[a].keys().filter(|o| **o < n).count();
        let listed: Vec<_> = page
            .linked
            .iter()
            .filter(|l| !l.link_kinds.is_empty())
            .collect();
        assert!(page.linked.len() <= 100);
        assert!(page.linked_total >= accounts as i64, "{}", g.accounts[a]);
        if page.linked_total <= 100 {
            assert_eq!(listed.len(), accounts, "{}", g.accounts[a]);
            assert_eq!(page.linked.len() as i64, page.linked_total);
        }
        for l in listed {
            let o = g
                .accounts
                .iter()
                .position(|x| *x == l.account_id)
                .expect("an account");
            let (kinds, weight) = &links[a][&o];
            let got: BTreeSet<String> = l.link_kinds.iter().cloned().collect();
            assert_eq!(&got, kinds, "{} - {}", g.accounts[a], l.account_id);
            assert!((l.link_weight - weight).abs() < 1e-3 * weight.max(1.0));
        }
        let hubs: BTreeSet<(String, String, i64)> = links[a]
            .keys()
            .filter(|&&o| o >= n)
            .map(|&o| {
                let h = &g.hubs[o - n];
                (
                    h.kind.name().to_owned(),
                    h.value.clone(),
                    i64::from(h.degree),
                )
            })
            .collect();
        let shown: BTreeSet<(String, String, i64)> = page
            .hubs
            .iter()
            .map(|h| (h.kind.clone(), h.value.clone(), h.accounts))
            .collect();
        assert_eq!(page.hubs_total, hubs.len() as i64, "{}", g.accounts[a]);
        assert!(shown.is_subset(&hubs), "{}", g.accounts[a]);
        assert_eq!(shown.len(), hubs.len().min(100));
        // The most widely shared are the ones shown.
        let least_shown = shown.iter().map(|h| h.2).min().unwrap_or(i64::MAX);
        assert!(hubs.difference(&shown).all(|h| h.2 <= least_shown));
        // Sign-up attributes said to be shared are shared.
        for l in page
            .linked
            .iter()
            .filter(|l| l.shared_signup.iter().any(|s| s == "payment"))
        {
            let same: bool = c
                .query_row(
                    "SELECT a.payment_fingerprint = b.payment_fingerprint FROM accounts a, accounts b
                     WHERE a.account_id = ? AND b.account_id = ?",
                    [&g.accounts[a], &l.account_id],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(same, "{} - {}", g.accounts[a], l.account_id);
        }
    }
}
