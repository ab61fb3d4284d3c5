//! One view's data: the last answer stays on screen while the next is
//! computed (rerun's RequestedObject), and a query runs only when its key
//! changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::error::StoreError;
use crate::store::worker::{Poll, Reply};

/// The answer to a keyed query, and the query on its way.
pub struct Slot<K, T> {
    shown: Option<(K, Arc<T>)>,
    pending: Option<(K, Reply<T>, Instant)>,
    failed: Option<K>,
    /// How long the last answer took, from request to arrival.
    pub last_duration: Option<Duration>,
}

impl<K, T> Default for Slot<K, T> {
    fn default() -> Self {
        Slot {
            shown: None,
            pending: None,
            failed: None,
            last_duration: None,
        }
    }
}

impl<K: PartialEq + Clone, T> Slot<K, T> {
    /// Asks for `key`, submitting the query with `submit` unless it is
    /// already shown, on its way, or failed.
    pub fn want(&mut self, key: &K, submit: impl FnOnce() -> Reply<T>) {
        let known = self.pending.as_ref().map(|p| &p.0) == Some(key)
            || (self.pending.is_none() && self.shown.as_ref().map(|s| &s.0) == Some(key))
            || self.failed.as_ref() == Some(key);
        if !known {
            self.failed = None;
            self.pending = Some((key.clone(), submit(), Instant::now()));
        }
    }

    /// Takes an arrived answer; returns the error message if it failed.
    pub fn poll(&mut self) -> Option<String> {
        let (_, reply, _) = self.pending.as_ref()?;
        match reply.poll() {
            Poll::Pending => None,
            Poll::Ready(result) => {
                let (key, _, started) = self.pending.take()?;
                match result {
                    Ok(value) => {
                        self.last_duration = Some(started.elapsed());
                        self.shown = Some((key, Arc::new(value)));
                        None
                    }
                    Err(StoreError::Cancelled) => None,
                    Err(err) => {
                        self.failed = Some(key);
                        Some(format!("{err:#}"))
                    }
                }
            }
            Poll::Lost => {
                self.pending = None;
                Some("the query worker stopped".to_owned())
            }
        }
    }

    /// The answer on screen (possibly for an older key).
    pub fn value(&self) -> Option<&Arc<T>> {
        self.shown.as_ref().map(|s| &s.1)
    }

    /// The key of the answer on screen.
    pub fn shown_key(&self) -> Option<&K> {
        self.shown.as_ref().map(|s| &s.0)
    }

    /// Whether a query is on its way.
    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets everything (a new case was opened).
    pub fn clear(&mut self) {
        *self = Slot::default();
    }
}
