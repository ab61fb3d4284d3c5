//! The full evidence check of an opened case: every evidence file hashed
//! again (SHA-256) on a background thread with progress, so a same-size
//! edit with its time put back is caught without delaying the first frame.

use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

use crate::store::case::{CaseMeta, verify_evidence};
use crate::store::error::{StoreError, StoreResult};
use crate::store::progress::Progress;

/// Where the check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceState {
    /// Hashing; the fraction is in `progress`.
    Hashing,
    /// Every file hashes as recorded; how it was established.
    Intact(String),
    /// A file differs from what the case recorded (the message names it).
    Changed(String),
    /// The check could not run (a file unreadable, stopped).
    Unchecked(String),
}

/// The background check and its result.
pub struct EvidenceCheck {
    /// Bytes hashed so far, as a fraction; cancelled when the case closes.
    pub progress: Progress,
    /// The state shown in the status bar and the Overview.
    pub state: EvidenceState,
    rx: Option<Receiver<StoreResult<()>>>,
}

impl EvidenceCheck {
    /// A case built by this open: its evidence was hashed while building.
    pub fn fresh() -> EvidenceCheck {
        EvidenceCheck {
            progress: Progress::default(),
            state: EvidenceState::Intact("hashed in full while the case was built".into()),
            rx: None,
        }
    }

    /// Starts hashing the evidence `meta` records; `ctx` is repainted when
    /// the answer arrives.
    pub fn start(meta: &CaseMeta, ctx: &egui::Context) -> EvidenceCheck {
        let (tx, rx) = sync_channel(1);
        let progress = Progress::default();
        let job = progress.clone();
        let meta = meta.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("evidence-verify".into())
            .spawn(move || {
                let _ = tx.send(verify_evidence(&meta, &job));
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => EvidenceCheck {
                progress,
                state: EvidenceState::Hashing,
                rx: Some(rx),
            },
            Err(e) => EvidenceCheck {
                progress,
                state: EvidenceState::Unchecked(format!("no thread to hash the evidence ({e})")),
                rx: None,
            },
        }
    }

    /// Takes the answer when it has come; returns the new state once.
    pub fn poll(&mut self) -> Option<&EvidenceState> {
        let rx = self.rx.as_ref()?;
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(StoreError::Cancelled),
        };
        self.rx = None;
        self.state = match result {
            Ok(()) => EvidenceState::Intact("every file hashed again in full (SHA-256)".into()),
            Err(e @ StoreError::EvidenceChanged { .. }) => EvidenceState::Changed(e.to_string()),
            Err(e) => EvidenceState::Unchecked(e.to_string()),
        };
        Some(&self.state)
    }
}

impl Drop for EvidenceCheck {
    fn drop(&mut self) {
        // Closing the case stops the hashing at its next read.
        self.progress.cancel();
    }
}
