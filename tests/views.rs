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
