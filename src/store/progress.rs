//! Progress and cancellation shared between a long job and whoever watches
//! it (the CLI's stderr, the GUI's progress bar, a cancel button).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::error::{StoreError, StoreResult};

type Listener = Box<dyn Fn(&str) + Send + Sync>;

#[derive(Default)]
struct Inner {
    stage: Mutex<String>,
    fraction_bits: AtomicU32,
    cancelled: AtomicBool,
    listener: Option<Listener>,
    /// DuckDB statements of the job, interrupted on cancel so a long one
    /// stops at once instead of at its end.
    interrupts: Mutex<Vec<Arc<duckdb::InterruptHandle>>>,
}

/// A cheap, cloneable handle on one job's progress.
#[derive(Clone, Default)]
pub struct Progress {
    inner: Arc<Inner>,
}

impl Progress {
    /// A progress that calls `listener` with each new stage name.
    pub fn with_listener(listener: impl Fn(&str) + Send + Sync + 'static) -> Progress {
        Progress {
            inner: Arc::new(Inner {
                listener: Some(Box::new(listener)),
                ..Default::default()
            }),
        }
    }

    /// Starts a named stage; fails if the job was cancelled.
    pub fn stage(&self, name: &str) -> StoreResult<()> {
        self.check()?;
        *self.inner.stage.lock().unwrap_or_else(|e| e.into_inner()) = name.to_owned();
        self.set_fraction(0.0);
        if let Some(listener) = &self.inner.listener {
            listener(name);
        }
        Ok(())
    }

    /// Sets how far the current stage is, 0 to 1.
    pub fn set_fraction(&self, fraction: f32) {
        self.inner
            .fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// The current stage and its fraction done.
    pub fn snapshot(&self) -> (String, f32) {
        let stage = self
            .inner
            .stage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let fraction = f32::from_bits(self.inner.fraction_bits.load(Ordering::Relaxed));
        (stage, fraction)
    }

    /// Asks the job to stop at its next check, and interrupts the DuckDB
    /// statement it is running.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
        for handle in self
            .inner
            .interrupts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            handle.interrupt();
        }
    }

    /// Interrupts `conn`'s running statement when the job is cancelled.
    pub fn interrupt_on_cancel(&self, conn: &duckdb::Connection) {
        let mut handles = self
            .inner
            .interrupts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let handle = conn.interrupt_handle();
        if !handles.iter().any(|h| Arc::ptr_eq(h, &handle)) {
            handles.push(handle);
        }
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancellation was asked for.
    pub fn check(&self) -> StoreResult<()> {
        if self.is_cancelled() {
            Err(StoreError::Cancelled)
        } else {
            Ok(())
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (stage, fraction) = self.snapshot();
        write!(f, "Progress({stage}, {fraction})")
    }
}
