//! Image snapshots of every main view on the sample, drawn by wgpu on a
//! software Vulkan adapter (Mesa lavapipe; `.ci/run` installs it). Without
//! an adapter these tests fail: they never pass silently.
//!
//! Update the images with `UPDATE_SNAPSHOTS=1 cargo test --release --test snapshots`.

mod common;

use common::app::{app_with, busiest_account, own_sample_case, sample_case, settle, show};
use distillscope::ui::App;
use distillscope::ui::commands::{Command, View};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

/// Hides what changes from run to run: the status bar's query timings.
fn snapshot(h: &mut Harness<'_, App>, name: &str) {
    masked_snapshot(h, name, |_| Vec::new());
}

/// As [`snapshot`], also hiding the rectangles `hide` finds once settled.
fn masked_snapshot(
    h: &mut Harness<'_, App>,
    name: &str,
    hide: impl Fn(&Harness<'_, App>) -> Vec<egui::Rect>,
) {
    h.state_mut().notifications.clear();
    h.run_steps(2);
    h.mask(egui::Rect::from_min_max(
        egui::pos2(0.0, 770.0),
        egui::pos2(1280.0, 800.0),
    ));
    for rect in hide(h) {
        h.mask(rect);
    }
    h.snapshot(name);
}

fn opened(theme: egui::Theme) -> Harness<'static, App> {
    opened_on(theme, sample_case())
}

fn opened_on(theme: egui::Theme, case: std::path::PathBuf) -> Harness<'static, App> {
    let mut h = app_with(Harness::builder().with_theme(theme).wgpu(), Some(case));
    settle(&mut h);
    assert!(h.state().session().is_some());
    h
}

#[test]
fn every_view_dark() {
    let mut h = opened(egui::Theme::Dark);
    // The evidence block shows machine-specific paths: fold it.
    h.get_by_label("Evidence").click();
    settle(&mut h);
    snapshot(&mut h, "overview_dark");
    for view in [
        View::Timeline,
        View::Categories,
        View::Accounts,
        View::Exchanges,
    ] {
        show(&mut h, view);
        snapshot(&mut h, &format!("{}_dark", view.title().to_lowercase()));
    }
    let busiest = busiest_account(&h);
    h.state_mut().queue(Command::OpenAccount(busiest));
    settle(&mut h);
    snapshot(&mut h, "account_dark");
    show(&mut h, View::Network);
    settle(&mut h);
    snapshot(&mut h, "network_dark");
    show(&mut h, View::Suspects);
    snapshot(&mut h, "suspects_dark");
}

#[test]
fn timeline_and_categories_light() {
    let mut h = opened(egui::Theme::Light);
    show(&mut h, View::Timeline);
    snapshot(&mut h, "timeline_light");
    show(&mut h, View::Categories);
    snapshot(&mut h, "categories_light");
}

#[test]
fn campaigns_dark() {
    // The sample's largest network cluster (its April-June campaign), read
    // before the app opens the case.
    let (_dir, case) = own_sample_case();
    let accounts: std::collections::BTreeSet<String> = {
        let conn = duckdb::Connection::open(&case).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT id FROM graph_nodes WHERE kind = 'account' AND cluster = (
                   SELECT cluster FROM graph_nodes WHERE kind = 'account' AND cluster > 0
                   GROUP BY cluster ORDER BY count(*) DESC, cluster LIMIT 1)",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(accounts.len() >= 100, "{}", accounts.len());
    let mut h = opened_on(egui::Theme::Dark, case);
    h.state_mut().state.analyst = "reviewer".into();
    let edit = distillscope::case::Edit::Create {
        props: distillscope::case::CampaignProps {
            name: "Hydra April".into(),
            colour: String::new(),
            status: distillscope::case::Status::Confirmed,
            confidence: 90,
            notes: "Scripted coding and agent prompts through one proxy pool.".into(),
        },
        accounts,
        origin: "the largest network cluster".into(),
    };
    h.state_mut()
        .session_mut()
        .unwrap()
        .work
        .apply(&edit, "reviewer")
        .unwrap();
    show(&mut h, View::Campaigns);
    settle(&mut h);
    // When the campaign was made changes from run to run: mask it.
    masked_snapshot(&mut h, "campaigns_dark", |h| {
        vec![h.get_by_label_contains("by reviewer").rect().expand(2.0)]
    });
}
