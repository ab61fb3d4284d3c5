//! Image snapshots of every main view on the sample, drawn by wgpu on a
//! software Vulkan adapter (Mesa lavapipe; `.ci/run` installs it). Without
//! an adapter these tests fail: they never pass silently.
//!
//! Update the images with `UPDATE_SNAPSHOTS=1 cargo test --release --test snapshots`.

mod common;

use common::app::{app_with, busiest_account, sample_case, settle, show};
use distillscope::ui::App;
use distillscope::ui::commands::{Command, View};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

/// Hides what changes from run to run: the status bar's query timings.
fn snapshot(h: &mut Harness<'_, App>, name: &str) {
    h.state_mut().notifications.clear();
    h.run_steps(2);
    h.mask(egui::Rect::from_min_max(
        egui::pos2(0.0, 770.0),
        egui::pos2(1280.0, 800.0),
    ));
    h.snapshot(name);
}

fn opened(theme: egui::Theme) -> Harness<'static, App> {
    let mut h = app_with(
        Harness::builder().with_theme(theme).wgpu(),
        Some(sample_case()),
    );
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
