//! Driving the real app in egui_kittest: the sample's case, built once per
//! test binary, and steps that wait for the query worker.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use distillscope::pipeline::{self, OpenOptions};
use distillscope::store::progress::Progress;
use distillscope::ui::App;
use distillscope::ui::commands::View;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, HarnessBuilder};

/// The sample's case file, built once for all tests of this binary.
pub fn sample_case() -> PathBuf {
    static CASE: OnceLock<PathBuf> = OnceLock::new();
    CASE.get_or_init(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("tempdir")));
        let case = dir.path().join("demo.case.duckdb");
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/demo");
        let opts = OpenOptions {
            case_path: Some(case.clone()),
            ..Default::default()
        };
        pipeline::open(&sample, &opts, &Progress::default()).expect("build the sample case");
        // Add the (empty) campaign tables now, so the apps that open it for
        // work in parallel tests change nothing in it.
        let opened = distillscope::store::case::Case::open_for_work(&case).expect("open for work");
        // Keep the scan's features now, as the app's first scan would: the
        // apps of parallel tests then only read them (none writes the file
        // another is reading).
        use distillscope::analysis::detect::{self, config};
        let text = config::DetectConfig::text_with_network_marks(
            config::DEFAULT_CONFIG,
            &Default::default(),
        );
        let cfg = config::DetectConfig::parse(&text).expect("the shipped settings");
        detect::scan(&opened.conn, &opened.path, &cfg, &Progress::default()).expect("scan");
        drop(opened);
        case
    })
    .clone()
}

/// A copy of the sample's case that a test may change (campaigns, tags),
/// in its own folder.
pub fn own_sample_case() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("own.case.duckdb");
    std::fs::copy(sample_case(), &copy).expect("copy the sample case");
    (dir, copy)
}

/// The app opened on `case`, settled.
pub fn opened(case: PathBuf) -> Harness<'static, App> {
    let mut h = app_on(Some(case));
    settle(&mut h);
    assert!(
        h.state().session().is_some(),
        "{:?}",
        h.state().notifications.texts()
    );
    h
}

/// The app at 1280x800 on `path`. Characters no installed font has draw
/// as boxes here (these tests click, they do not look); the snapshot tests
/// keep kittest's default and fail on a missing glyph.
pub fn app_on(path: Option<PathBuf>) -> Harness<'static, App> {
    app_with(Harness::builder().allow_missing_glyphs(), path)
}

/// The app built by `builder` (size set here) on `path`.
pub fn app_with(builder: HarnessBuilder<App>, path: Option<PathBuf>) -> Harness<'static, App> {
    builder
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, path))
}

/// Steps until nothing is opening or querying.
pub fn settle(h: &mut Harness<'_, App>) {
    let started = Instant::now();
    let mut quiet = 0;
    while quiet < 3 {
        h.step();
        if h.state().is_busy() {
            quiet = 0;
            std::thread::sleep(Duration::from_millis(5));
        } else {
            quiet += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the app did not settle: opening {}, detail {:?}, head {:?}, notifications {:?}",
            h.state().is_opening(),
            h.state().session().map(|s| s.detail.is_loading()),
            h.state().session().map(|s| s.detail_head.is_loading()),
            h.state().notifications.texts()
        );
    }
}

pub fn opened_sample() -> Harness<'static, App> {
    let mut h = app_on(Some(sample_case()));
    settle(&mut h);
    assert!(
        h.state().session().is_some(),
        "{:?}",
        h.state().notifications.texts()
    );
    h
}

/// Clicks a view tab (the tab row comes before any other label of that name).
pub fn show(h: &mut Harness<'_, App>, view: View) {
    h.get_all_by_label(view.title())
        .next()
        .unwrap_or_else(|| panic!("no tab {}", view.title()))
        .click();
    settle(h);
    assert_eq!(h.state().view(), view);
}

pub fn accounts_total(h: &Harness<'_, App>) -> usize {
    h.state()
        .session()
        .and_then(|s| s.accounts.value().map(|v| v.total))
        .expect("accounts loaded")
}

/// The busiest account of the opened case's summary.
pub fn busiest_account(h: &Harness<'_, App>) -> String {
    h.state()
        .session()
        .and_then(|s| s.summary.value())
        .map(|s| s.top_accounts[0].account_id.clone())
        .expect("summary")
}
