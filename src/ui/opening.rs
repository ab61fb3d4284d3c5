//! Opening a source in the background: building its case file can take
//! minutes on a large log, so it runs on its own thread with progress and a
//! cancel button, and the window stays responsive.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::Instant;

use crate::case::Workbook;
use crate::pipeline::{self, OpenOptions};
use crate::store::case::Case;
use crate::store::error::{StoreError, StoreResult};
use crate::store::progress::Progress;

/// How often the window is drawn while a case is being opened.
pub const REPAINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// An opened case with what the views read once, read on the opening
/// thread rather than the UI thread.
pub struct Opened {
    /// The case.
    pub case: Case,
    /// Its campaigns, tags and notes.
    pub book: Workbook,
    /// Its chain of custody.
    pub custody: Vec<crate::case::store::CustodyEntry>,
}

/// A source being opened.
pub struct Opening {
    /// What is being opened.
    pub path: PathBuf,
    /// Stage and fraction, and the cancel flag.
    pub progress: Progress,
    /// When it started.
    pub started: Instant,
    /// A rebuild, not a first open.
    pub rebuild: bool,
    rx: Receiver<StoreResult<Opened>>,
}

impl Opening {
    /// Starts opening `path` on a new thread for the analyst's work; `ctx`
    /// is repainted as it goes. `options` may accept changed evidence or ask
    /// for a rebuild (after the analyst was told why).
    pub fn start(path: &Path, options: OpenOptions, ctx: &egui::Context) -> Opening {
        let rebuild = options.rebuild;
        let (tx, rx) = sync_channel(1);
        let repaint = ctx.clone();
        // At most ten frames a second while the case is built: every
        // progress tick asking for a frame at once drew continuously and,
        // under software rendering, took a core from the build (the demo
        // opened in 23 s against 10 s from the command line).
        let progress =
            Progress::with_listener(move |_| repaint.request_repaint_after(REPAINT_EVERY));
        let job_progress = progress.clone();
        let job_path = path.to_path_buf();
        let done = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("case-open".into())
            .spawn(move || {
                let result = pipeline::open(
                    &job_path,
                    &OpenOptions {
                        for_work: true,
                        ..options
                    },
                    &job_progress,
                )
                .and_then(|case| {
                    let book = crate::case::store::load(&case.conn, &case.path)?;
                    let custody = crate::case::store::custody(&case.conn, &case.path)?;
                    Ok(Opened {
                        case,
                        book,
                        custody,
                    })
                });
                let _ = tx.send(result);
                done.request_repaint();
            });
        if let Err(err) = spawned {
            log::error!("cannot start a thread to open {}: {err}", path.display());
        }
        Opening {
            path: path.to_path_buf(),
            progress,
            started: Instant::now(),
            rebuild,
            rx,
        }
    }

    /// The result, once there is one.
    pub fn poll(&self) -> Option<StoreResult<Opened>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(StoreError::Cancelled)),
        }
    }

    /// Asks the job to stop at its next step.
    pub fn cancel(&self) {
        self.progress.cancel();
    }
}
