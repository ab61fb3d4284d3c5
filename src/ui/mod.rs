//! The desktop app (eframe/egui): one file per view, plus the frame around
//! them, the commands, the theme and the data plumbing. The UI thread never
//! waits on DuckDB: queries run on the session's worker thread, and opening
//! a source runs on its own thread.

pub mod account_detail;
pub mod accounts;
pub mod app;
pub mod campaigns;
pub mod casework;
pub mod categories;
pub mod chrome;
pub mod commands;
pub mod evidence;
pub mod exchanges;
pub mod history;
pub mod mapping;
pub mod network;
pub mod notifications;
pub mod opening;
pub mod overview;
pub mod plots;
pub mod session;
pub mod share;
pub mod slot;
pub mod suspects;
pub mod theme;
pub mod timeline;

use std::path::PathBuf;

pub use app::App;

/// Which renderer draws the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Renderer {
    /// wgpu (Vulkan, Metal, DX12 or GL); falls back to glow if it cannot start.
    #[default]
    Wgpu,
    /// OpenGL through glow: works with software rendering (llvmpipe).
    Glow,
}

/// The bundled sample incident, if it can be found: beside the working
/// directory (a clone) or where the crate was built.
pub fn sample_path() -> Option<PathBuf> {
    let rel = PathBuf::from("sample_data").join("demo");
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(&rel);
    [rel, built].into_iter().find(|p| p.is_dir())
}

/// The first `max` characters of `text` on one line, with an ellipsis when cut.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        format!("{flat}…")
    } else {
        flat
    }
}

fn native_options(renderer: Renderer) -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("distillscope")
            .with_inner_size([1400.0, 880.0])
            .with_min_inner_size([900.0, 560.0])
            .with_drag_and_drop(true),
        renderer: match renderer {
            Renderer::Wgpu => eframe::Renderer::Wgpu,
            Renderer::Glow => eframe::Renderer::Glow,
        },
        // Software GL (llvmpipe, VMs) often has no multisampled or
        // vsync-capable pixel format (egui #957, #2018).
        multisampling: 0,
        glow_options: eframe::egui_glow::GlowConfiguration {
            vsync: false,
            ..Default::default()
        },
        persist_window: true,
        ..Default::default()
    }
}

/// Opens the window on `path` (or the bundled sample) and runs until it
/// is closed.
pub fn run(path: Option<PathBuf>, renderer: Renderer) -> anyhow::Result<()> {
    let path = path.or_else(sample_path);
    let start = |renderer: Renderer, path: Option<PathBuf>| {
        eframe::run_native(
            "distillscope",
            native_options(renderer),
            Box::new(move |cc| Ok(Box::new(App::new(cc, path)))),
        )
    };
    match start(renderer, path.clone()) {
        Ok(()) => Ok(()),
        Err(err) if renderer == Renderer::Wgpu => {
            // eframe has no fallback of its own (notedeck #42).
            log::warn!("wgpu could not start ({err}); trying glow");
            eprintln!("wgpu could not start ({err}); trying OpenGL (glow)");
            start(Renderer::Glow, path).map_err(|e| anyhow::anyhow!("cannot open a window: {e}"))
        }
        Err(err) => Err(anyhow::anyhow!("cannot open a window: {err}")),
    }
}
