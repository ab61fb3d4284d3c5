//! The query worker: a named thread that owns a DuckDB connection and runs
//! jobs sent over a bounded channel, answering each on its own channel. The
//! UI never waits on it. Cancelling bumps a generation counter and
//! interrupts DuckDB; jobs of an older generation are skipped, and answers
//! that arrive for them are marked stale so the caller can drop them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use duckdb::{Connection, InterruptHandle};

use super::error::{StoreError, StoreResult};

type Job = Box<dyn FnOnce(&Connection, u64, &AtomicU64) + Send>;

/// How many jobs may wait before `submit` blocks.
const QUEUE: usize = 64;

/// A thread owning one connection.
pub struct QueryWorker {
    tx: Option<SyncSender<Job>>,
    interrupt: Arc<InterruptHandle>,
    generation: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The answer to one job, polled without blocking.
pub struct Reply<T> {
    rx: Receiver<StoreResult<T>>,
    /// The generation the job was submitted in.
    pub generation: u64,
}

/// What polling a reply found.
#[derive(Debug)]
pub enum Poll<T> {
    /// Not finished yet.
    Pending,
    /// Finished (successfully or not).
    Ready(StoreResult<T>),
    /// The worker is gone.
    Lost,
}

impl<T> Reply<T> {
    /// Checks for the answer without blocking.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(r) => Poll::Ready(r),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }

    /// Waits for the answer (for the CLI and tests, never the UI thread).
    pub fn wait(self) -> StoreResult<T> {
        self.rx.recv().unwrap_or(Err(StoreError::Cancelled))
    }
}

impl QueryWorker {
    /// Starts a worker thread named `name` that owns `conn`.
    pub fn spawn(name: &str, conn: Connection) -> QueryWorker {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let interrupt = conn.interrupt_handle();
        let generation = Arc::new(AtomicU64::new(0));
        let gen_thread = generation.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                // The connection lives as long as the thread (duckdb-rs #312).
                while let Ok(job) = rx.recv() {
                    let current = gen_thread.load(Ordering::SeqCst);
                    job(&conn, current, &gen_thread);
                }
            })
            .expect("spawn query worker");
        QueryWorker {
            tx: Some(tx),
            interrupt,
            generation,
            thread: Some(thread),
        }
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Queues a job; its answer comes back on the returned reply.
    pub fn submit<T, F>(&self, f: F) -> Reply<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply_tx, reply_rx) = sync_channel(1);
        let submitted = self.generation();
        let job: Job = Box::new(move |conn, current, _gen| {
            let result = if current > submitted {
                Err(StoreError::Cancelled)
            } else {
                f(conn)
            };
            let _ = reply_tx.send(result);
        });
        if let Some(tx) = &self.tx
            && tx.send(job).is_err()
        {
            log::warn!("query worker has stopped");
        }
        Reply {
            rx: reply_rx,
            generation: submitted,
        }
    }

    /// Runs every queued job to its end, then stops the thread: what a
    /// writer was asked to save is saved, never cancelled.
    pub fn finish(mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Cancels every queued and running job: later submissions run normally.
    pub fn cancel_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.interrupt.interrupt();
    }

    /// Whether a reply belongs to a cancelled generation.
    pub fn is_stale<T>(&self, reply: &Reply<T>) -> bool {
        reply.generation < self.generation()
    }
}

impl Drop for QueryWorker {
    fn drop(&mut self) {
        self.cancel_all();
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_and_cancels_long_ones() {
        let conn = Connection::open_in_memory().unwrap();
        let worker = QueryWorker::spawn("test-worker", conn);
        let r = worker.submit(|c| {
            c.query_row("SELECT 40 + 2", [], |r| r.get::<_, i64>(0))
                .map_err(|e| StoreError::NotWhatItSays {
                    path: "x".into(),
                    reason: e.to_string(),
                })
        });
        assert_eq!(r.wait().unwrap(), 42);

        let slow = worker.submit(|c| {
            c.query_row(
                "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| {
                if crate::store::error::is_interrupt(&e) {
                    StoreError::Cancelled
                } else {
                    StoreError::NotWhatItSays {
                        path: "x".into(),
                        reason: e.to_string(),
                    }
                }
            })
        });
        let queued = worker.submit(|_| Ok(1));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let started = std::time::Instant::now();
        worker.cancel_all();
        assert!(matches!(slow.wait(), Err(StoreError::Cancelled)));
        assert!(matches!(queued.wait(), Err(StoreError::Cancelled)));
        assert!(started.elapsed().as_secs() < 10);
        // The worker keeps serving after a cancel.
        assert_eq!(worker.submit(|_| Ok(7)).wait().unwrap(), 7);
    }
}
