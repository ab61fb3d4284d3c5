//! `distillscope bench views` and `bench frames`: the GUI's speed targets,
//! measured through the app's own query layer and its real frame code
//! (headless: egui runs and tessellates; no GPU draws the result).

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::App as _;

use super::bench::median_max;
use crate::analysis::selection::{DayRange, Selection};
use crate::analysis::summary;
use crate::analysis::views::{self, AccountColumn, AccountQuery, Stack};
use crate::store::case::Case;
use crate::store::worker::QueryWorker;
use crate::ui::App;
use crate::ui::commands::{Command, View};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Selections an analyst makes, picked from the case itself: everything,
/// a week, the largest category, the two largest, the busiest account, the
/// ten busiest, and combinations.
pub fn typical_selections(case: &Case) -> anyhow::Result<Vec<(String, Selection)>> {
    let s = summary::summarize(case, 10)?;
    let days: Vec<i32> = s
        .per_day
        .iter()
        .filter_map(|d| crate::analysis::days::parse_iso(&d.day))
        .collect();
    let mid = days.get(days.len() / 2).copied().unwrap_or(0);
    let week = DayRange::new(mid, mid + 6);
    let top_category = s
        .categories
        .first()
        .map(|c| c.category.clone())
        .unwrap_or_default();
    let top_account = s
        .top_accounts
        .first()
        .map(|a| a.account_id.clone())
        .unwrap_or_default();
    let two: std::collections::BTreeSet<String> = s
        .categories
        .iter()
        .take(2)
        .map(|c| c.category.clone())
        .collect();
    let ten: std::collections::BTreeSet<String> = s
        .top_accounts
        .iter()
        .map(|a| a.account_id.clone())
        .collect();
    let mk = |f: &dyn Fn(&mut Selection)| {
        let mut sel = Selection::default();
        f(&mut sel);
        sel
    };
    Ok(vec![
        ("everything".into(), Selection::default()),
        ("one week".into(), mk(&|s| s.days = Some(week))),
        (
            "largest category".into(),
            mk(&|s| s.categories = [top_category.clone()].into()),
        ),
        (
            "busiest account".into(),
            mk(&|s| s.accounts = [top_account.clone()].into()),
        ),
        (
            "ten busiest accounts".into(),
            mk(&|s| s.accounts = ten.clone()),
        ),
        (
            "week + category".into(),
            mk(&|s| {
                s.days = Some(week);
                s.categories = [top_category.clone()].into();
            }),
        ),
        ("two categories".into(), mk(&|s| s.categories = two.clone())),
        (
            "category + account".into(),
            mk(&|s| {
                s.categories = [top_category.clone()].into();
                s.accounts = [top_account.clone()].into();
            }),
        ),
    ])
}

/// Times timeline, categories and the accounts table for each typical
/// selection, through the query worker the GUI uses.
pub fn views(case_path: &Path, runs: usize) -> anyhow::Result<()> {
    let case = Case::open(case_path, false)?;
    let selections = typical_selections(&case)?;
    let path = case.path.clone();
    let worker = QueryWorker::spawn("bench-queries", case.conn);
    let mut times: [Vec<f64>; 3] = Default::default();
    let names = ["timeline", "categories", "accounts"];
    // Pass 0 reads the case file from disk (as the first look at a freshly
    // opened case does); passes 1..=runs are timed warm.
    let mut cold: [Vec<f64>; 3] = Default::default();
    for run in 0..=runs {
        if run == 0 {
            println!("first pass (cold reads):");
        }
        for (label, sel) in &selections {
            let mut row = Vec::new();
            for (i, times) in times.iter_mut().enumerate() {
                let (sel, path) = (sel.clone(), path.clone());
                let started = Instant::now();
                let rows = match i {
                    0 => worker
                        .submit(move |c| {
                            views::timeline(c, &path, &sel, Stack::Category).map(|t| t.days.len())
                        })
                        .wait()?,
                    1 => worker
                        .submit(move |c| views::categories(c, &path, &sel).map(|v| v.len()))
                        .wait()?,
                    _ => worker
                        .submit(move |c| {
                            views::prepare_accounts(c, &path, &sel, &AccountQuery::default(), 0)
                                .map(|v| v.total)
                        })
                        .wait()?,
                };
                let t = ms(started.elapsed());
                if run == 0 {
                    cold[i].push(t);
                } else {
                    times.push(t);
                }
                row.push(format!("{} {t:.1} ms ({rows} rows)", names[i]));
            }
            if run == 0 {
                println!("{label:<22} {}", row.join(" · "));
            }
        }
    }
    // Sorting by another column and filtering re-query the table too.
    let mut other = Vec::new();
    for _ in 0..runs {
        for q in [
            AccountQuery {
                sort: AccountColumn::Account,
                ascending: true,
                filter: String::new(),
            },
            AccountQuery {
                sort: AccountColumn::Ips,
                ascending: false,
                filter: String::new(),
            },
            AccountQuery {
                filter: "acct_1".into(),
                ..Default::default()
            },
        ] {
            let path = path.clone();
            let started = Instant::now();
            worker
                .submit(move |c| {
                    views::prepare_accounts(c, &path, &Selection::default(), &q, 0).map(|v| v.total)
                })
                .wait()?;
            other.push(ms(started.elapsed()));
        }
    }
    println!(
        "\nwarm, over {runs} runs of {} selections:",
        selections.len()
    );
    for (name, t) in names.iter().zip(times) {
        let (median, max) = median_max(t);
        println!("  {name:<11} median {median:>6.1} ms   max {max:>6.1} ms");
    }
    println!("first pass (cold):");
    for (name, t) in names.iter().zip(cold) {
        let (median, max) = median_max(t);
        println!("  {name:<11} median {median:>6.1} ms   max {max:>6.1} ms");
    }
    let (median, max) = median_max(other);
    println!(
        "  accounts sorted by account / IPs, or filtered: median {median:.1} ms, max {max:.1} ms"
    );
    // The slower pages, once each: they read the exchanges themselves.
    for (label, sel) in selections.iter().filter(|(l, _)| {
        matches!(
            l.as_str(),
            "everything" | "largest category" | "busiest account"
        )
    }) {
        let (sel, path) = (sel.clone(), path.clone());
        let started = Instant::now();
        let rows = worker
            .submit(move |c| views::exchanges(c, &path, &sel, 0).map(|p| p.rows.len()))
            .wait()?;
        println!(
            "  exchanges page, {label}: {:.0} ms ({rows} rows)",
            ms(started.elapsed())
        );
    }
    if let Some(account) = selections
        .iter()
        .find(|(l, _)| l == "busiest account")
        .and_then(|(_, s)| s.accounts.first().cloned())
    {
        let path = path.clone();
        let started = Instant::now();
        let linked = worker
            .submit(move |c| views::account_detail(c, &path, &account).map(|d| d.linked.len()))
            .wait()?;
        println!(
            "  account page of the busiest account: {:.0} ms ({linked} linked accounts)",
            ms(started.elapsed())
        );
    }
    Ok(())
}

/// CPU time this thread has used (Linux: /proc/thread-self/schedstat, in
/// nanoseconds); None elsewhere.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// One headless frame of the real app (logic, ui, tessellation): its CPU
/// time on this thread where the OS tells it, else its wall time.
fn frame(
    app: &mut App,
    ctx: &egui::Context,
    size: egui::Vec2,
    events: Vec<egui::Event>,
) -> Duration {
    let mut frame = eframe::Frame::_new_kittest();
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        events,
        ..Default::default()
    };
    let (started, cpu) = (Instant::now(), thread_cpu());
    let out = ctx.run_ui(input, |ui| {
        app.logic(ui.ctx(), &mut frame);
        app.ui(ui, &mut frame);
    });
    let _primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
    match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => started.elapsed(),
    }
}

fn run_until(
    app: &mut App,
    ctx: &egui::Context,
    size: egui::Vec2,
    timeout: Duration,
    done: impl Fn(&App) -> bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    while !done(app) {
        if started.elapsed() > timeout {
            anyhow::bail!("timed out after {timeout:?}");
        }
        frame(app, ctx, size, Vec::new());
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// Times opening a case to the first complete overview frame, then the CPU
/// time of frames of the accounts table (every account), scrolling.
pub fn frames(case_path: &Path, count: usize) -> anyhow::Result<()> {
    let size = egui::vec2(1920.0, 1080.0);
    let ctx = egui::Context::default();
    let started = Instant::now();
    let cc = eframe::CreationContext::_new_kittest(ctx.clone());
    let mut app = App::new(&cc, Some(case_path.to_path_buf()));
    // The evidence is hashed again in the background: the first frame with
    // data must not wait for it, and frames keep drawing while it runs.
    run_until(&mut app, &ctx, size, Duration::from_secs(60), |a| {
        a.session().is_some_and(|s| s.summary.value().is_some())
    })?;
    println!(
        "open case to the first overview frame with data: {:.0} ms",
        ms(started.elapsed())
    );
    let mut during = Vec::new();
    let hashing_started = Instant::now();
    while app
        .session()
        .is_some_and(|s| s.evidence.state == crate::ui::evidence::EvidenceState::Hashing)
    {
        during.push(ms(frame(&mut app, &ctx, size, Vec::new())));
        std::thread::sleep(Duration::from_millis(16));
        if hashing_started.elapsed() > Duration::from_secs(3600) {
            anyhow::bail!("the evidence re-hash took over an hour");
        }
    }
    let evidence = app
        .session()
        .map(|s| format!("{:?}", s.evidence.state))
        .unwrap_or_default();
    let (median, max) = if during.is_empty() {
        (0.0, 0.0)
    } else {
        median_max(during.clone())
    };
    println!(
        "evidence re-hash in the background: done {:.1} s after the first frame ({evidence}); {} frames drawn meanwhile, median {median:.2} ms, max {max:.2} ms",
        hashing_started.elapsed().as_secs_f64(),
        during.len()
    );
    run_until(&mut app, &ctx, size, Duration::from_secs(60), |a| {
        a.session().is_some_and(|s| s.summary.value().is_some()) && !a.is_busy()
    })?;
    // One more frame draws the overview with its data.
    frame(&mut app, &ctx, size, Vec::new());
    let first = started.elapsed();
    println!(
        "open case to first complete overview frame: {:.0} ms",
        ms(first)
    );
    for e in app.notifications.texts() {
        println!("  notification: {e}");
    }
    app.queue(Command::Show(View::Accounts));
    run_until(&mut app, &ctx, size, Duration::from_secs(60), |a| {
        a.session().is_some_and(|s| s.accounts.value().is_some()) && !a.is_busy()
    })?;
    let rows = app
        .session()
        .and_then(|s| s.accounts.value().map(|v| v.total))
        .unwrap_or(0);
    // Warm up, then scroll three lines a frame over the table.
    for _ in 0..5 {
        frame(&mut app, &ctx, size, Vec::new());
    }
    let pointer = egui::pos2(600.0, 500.0);
    // Two series: the frame that scrolls (rows of blocks still on their
    // way draw as "…"), and a frame once every visible row has arrived.
    let mut scrolling = Vec::new();
    let mut loaded = Vec::new();
    for _ in 0..count {
        let events = vec![
            egui::Event::PointerMoved(pointer),
            egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Line,
                delta: egui::vec2(0.0, -40.0),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: egui::Modifiers::NONE,
            },
        ];
        scrolling.push(ms(frame(&mut app, &ctx, size, events)));
        run_until(&mut app, &ctx, size, Duration::from_secs(30), |a| {
            !a.is_busy()
        })?;
        loaded.push(ms(frame(&mut app, &ctx, size, Vec::new())));
    }
    let (median, max) = median_max(scrolling);
    println!(
        "accounts table, {rows} rows, {count} frames scrolling 40 lines each at 1920x1080: median {median:.2} ms, max {max:.2} ms (CPU time of run + tessellate)"
    );
    let mut sorted = loaded.clone();
    sorted.sort_by(f64::total_cmp);
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let over = sorted.iter().filter(|t| **t > 8.0).count();
    let (median, max) = median_max(loaded);
    println!(
        "  the same frames with every visible row loaded: median {median:.2} ms, p95 {p95:.2} ms, max {max:.2} ms, {over} of {count} over 8 ms"
    );
    Ok(())
}

/// Drops the kernel's page cache (Linux, as root), so the next read of the
/// case comes from the disk.
fn drop_page_cache() -> anyhow::Result<()> {
    // Dirty pages cannot be dropped: write them out first.
    std::process::Command::new("sync").status()?;
    std::fs::write("/proc/sys/vm/drop_caches", "3").map_err(|e| {
        anyhow::anyhow!(
            "cannot drop the page cache ({e}): `bench looks --cold` needs root on Linux"
        )
    })
}

/// What the GUI reads when the analyst makes a new selection: the
/// timeline, the categories, the first block of the accounts table and the
/// first page of exchanges.
fn first_look(c: &duckdb::Connection, path: &Path, sel: &Selection) -> anyhow::Result<()> {
    views::timeline(c, path, sel, Stack::Category)?;
    views::categories(c, path, sel)?;
    views::prepare_accounts(c, path, sel, &AccountQuery::default(), 0)?;
    views::exchanges(c, path, sel, 0)?;
    Ok(())
}

/// One look the GUI makes, as a query job.
type Look = Box<dyn Fn(&duckdb::Connection, &Path) -> anyhow::Result<()>>;

/// The account with the most links in the case's network (`None` without one).
fn most_linked(case: &Case) -> anyhow::Result<Option<String>> {
    if !crate::analysis::graph::store::has_graph(&case.conn) {
        return Ok(None);
    }
    Ok(views::query_rows(
        &case.conn,
        &case.path,
        "finding the most linked account",
        "SELECT id FROM graph_nodes WHERE kind = 'account' ORDER BY degree DESC, id LIMIT 1",
        |r| r.get(0),
    )?
    .pop())
}

/// `bench looks`: every first look at a typical selection and the whole
/// account page of four accounts (the busiest, the 100th and the 10,000th
/// busiest, and the one with the most links in the network), `runs` times
/// each. Cold: before each look the page cache is
/// dropped and the case opened afresh (DuckDB's buffers empty). Warm: one
/// opened case, each look once before the timed runs.
pub fn looks(case_path: &Path, runs: usize, cold: bool) -> anyhow::Result<()> {
    let case = Case::open(case_path, false)?;
    let selections = typical_selections(&case)?;
    let ranked: Vec<String> = views::query_rows(
        &case.conn,
        &case.path,
        "ranking accounts",
        "SELECT account_id FROM account_summary ORDER BY exchanges DESC, account_id",
        |r| r.get(0),
    )?;
    let pages: Vec<(String, String)> = [
        (0, "busiest"),
        (99, "100th busiest"),
        (9_999, "10,000th busiest"),
    ]
    .into_iter()
    .filter_map(|(i, label)| {
        ranked
            .get(i)
            .map(|a| (format!("account page, {label}"), a.clone()))
    })
    .chain(most_linked(&case)?.map(|a| ("account page, most linked in the network".to_owned(), a)))
    .collect();
    drop(case);
    let mut looks: Vec<(String, Look)> = Vec::new();
    for (label, sel) in selections {
        looks.push((
            format!("first look, {label}"),
            Box::new(move |c, p| first_look(c, p, &sel)),
        ));
    }
    for (label, account) in pages {
        looks.push((
            label,
            Box::new(move |c, p| {
                let page = views::account_detail(c, p, &account)?;
                anyhow::ensure!(page.complete, "account page incomplete");
                Ok(())
            }),
        ));
    }
    let warm = (!cold).then(|| Case::open(case_path, false)).transpose()?;
    println!(
        "{} runs each, {}:",
        runs,
        if cold {
            "cold (page cache dropped, case opened afresh before each)"
        } else {
            "warm (one opened case, each look once before)"
        }
    );
    let mut worst: f64 = 0.0;
    for (label, look) in &looks {
        let mut times = Vec::new();
        if let Some(case) = &warm {
            look(&case.conn, &case.path)?;
        }
        for _ in 0..runs {
            let fresh;
            let case = match &warm {
                Some(case) => case,
                None => {
                    drop_page_cache()?;
                    fresh = Case::open(case_path, false)?;
                    &fresh
                }
            };
            let started = Instant::now();
            look(&case.conn, &case.path)?;
            times.push(ms(started.elapsed()));
        }
        let (median, max) = median_max(times);
        worst = worst.max(max);
        println!("  {label:<40} median {median:>7.1} ms   max {max:>7.1} ms");
    }
    println!("  slowest of all: {worst:.1} ms");
    Ok(())
}
