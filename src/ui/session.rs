//! An opened case: the query worker that owns its connection, and the data
//! of every view. Views ask for data by key; answers arrive in `poll`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::selection::Selection;
use crate::analysis::summary::{self, Summary};
use crate::analysis::views::{
    self, ACCOUNT_BLOCK, AccountDetail, AccountQuery, AccountTable, AccountView, CategoryLift,
    Event, ExchangePage, Stack, Timeline,
};
use crate::store::case::{Case, CaseMeta};
use crate::store::error::StoreResult;
use crate::store::worker::{Poll, QueryWorker, Reply};

use super::slot::Slot;

/// An opened case and its views' data.
pub struct Session {
    /// The case file.
    pub case_path: PathBuf,
    /// What the case says about itself (evidence, hashes, mapping).
    pub meta: CaseMeta,
    // Declared before `worker` so it stops first: its connection is a clone
    // of the worker's, which must outlive it (duckdb-rs #312).
    scans: Option<QueryWorker>,
    worker: QueryWorker,
    ctx: egui::Context,
    /// The incident at a glance.
    pub summary: Slot<(), Summary>,
    /// Model releases and enforcement.
    pub events: Slot<(), Vec<Event>>,
    /// Exchanges per day.
    pub timeline: Slot<(Selection, Stack), Timeline>,
    /// Exchanges per hour of one day.
    pub hours: Slot<(Selection, i32), Timeline>,
    /// Categories against the baseline.
    pub categories: Slot<Selection, Vec<CategoryLift>>,
    /// The accounts table, prepared in DuckDB.
    pub accounts: Slot<(Selection, AccountQuery), AccountView>,
    next_view_id: u64,
    blocks: AccountBlocks,
    /// A page of exchanges.
    pub exchanges: Slot<(Selection, i64), ExchangePage>,
    /// The quick part of one account's page.
    pub detail_head: Slot<String, AccountDetail>,
    /// One account's whole page.
    pub detail: Slot<String, AccountDetail>,
}

impl Session {
    /// Starts the worker on an opened case.
    pub fn new(case: Case, ctx: &egui::Context) -> Session {
        let Case { path, meta, conn } = case;
        // Queries that scan the whole log (account pages, exchange pages)
        // run on a second connection, so the views' quick queries never
        // wait behind them.
        let scans = match conn.try_clone() {
            Ok(c) => Some(QueryWorker::spawn("case-scans", c)),
            Err(e) => {
                log::warn!("no second connection ({e}); log scans share the query worker");
                None
            }
        };
        Session {
            case_path: path,
            meta,
            scans,
            worker: QueryWorker::spawn("case-queries", conn),
            ctx: ctx.clone(),
            summary: Slot::default(),
            events: Slot::default(),
            timeline: Slot::default(),
            hours: Slot::default(),
            categories: Slot::default(),
            accounts: Slot::default(),
            next_view_id: 0,
            blocks: AccountBlocks::default(),
            exchanges: Slot::default(),
            detail_head: Slot::default(),
            detail: Slot::default(),
        }
    }

    /// Submits a query that repaints the UI when it is answered.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&duckdb::Connection, &std::path::Path) -> StoreResult<T> + Send + 'static,
    ) -> Reply<T> {
        self.submit_to(&self.worker, f)
    }

    /// Submits a query that reads the whole log to the scan worker.
    fn submit_scan<T: Send + 'static>(
        &self,
        f: impl FnOnce(&duckdb::Connection, &std::path::Path) -> StoreResult<T> + Send + 'static,
    ) -> Reply<T> {
        self.submit_to(self.scans.as_ref().unwrap_or(&self.worker), f)
    }

    fn submit_to<T: Send + 'static>(
        &self,
        worker: &QueryWorker,
        f: impl FnOnce(&duckdb::Connection, &std::path::Path) -> StoreResult<T> + Send + 'static,
    ) -> Reply<T> {
        let ctx = self.ctx.clone();
        let path = self.case_path.clone();
        worker.submit(move |conn| {
            let out = f(conn, &path);
            ctx.request_repaint();
            out
        })
    }

    /// Asks for the summary.
    pub fn want_summary(&mut self) {
        let meta = self.meta.clone();
        let mut slot = std::mem::take(&mut self.summary);
        slot.want(&(), || {
            self.submit(move |conn, path| summary::summarize_parts(conn, path, &meta, 10))
        });
        self.summary = slot;
    }

    /// Asks for the events.
    pub fn want_events(&mut self) {
        let mut slot = std::mem::take(&mut self.events);
        slot.want(&(), || self.submit(views::events));
        self.events = slot;
    }

    /// Asks for the timeline of `sel`.
    pub fn want_timeline(&mut self, sel: &Selection, stack: Stack) {
        let mut slot = std::mem::take(&mut self.timeline);
        let key = (sel.clone(), stack);
        slot.want(&key, || {
            let sel = sel.clone();
            self.submit(move |c, p| views::timeline(c, p, &sel, stack))
        });
        self.timeline = slot;
    }

    /// Asks for the hours of `day`.
    pub fn want_hours(&mut self, sel: &Selection, day: i32) {
        let mut slot = std::mem::take(&mut self.hours);
        slot.want(&(sel.clone(), day), || {
            let sel = sel.clone();
            self.submit(move |c, p| views::hours(c, p, &sel, day))
        });
        self.hours = slot;
    }

    /// Asks for the categories of `sel`.
    pub fn want_categories(&mut self, sel: &Selection) {
        let mut slot = std::mem::take(&mut self.categories);
        slot.want(sel, || {
            let sel = sel.clone();
            self.submit(move |c, p| views::categories(c, p, &sel))
        });
        self.categories = slot;
    }

    /// Asks for the accounts table.
    pub fn want_accounts(&mut self, sel: &Selection, query: &AccountQuery) {
        let mut slot = std::mem::take(&mut self.accounts);
        let id = self.next_view_id;
        let mut submitted = false;
        slot.want(&(sel.clone(), query.clone()), || {
            submitted = true;
            let (sel, query) = (sel.clone(), query.clone());
            self.submit(move |c, p| views::prepare_accounts(c, p, &sel, &query, id))
        });
        if submitted {
            self.next_view_id += 1;
        }
        self.accounts = slot;
    }

    /// Row `row` of the accounts table on screen, as (its block, index in
    /// the block); None while its block is being fetched.
    pub fn account_row(&mut self, row: usize) -> Option<(Arc<AccountTable>, usize)> {
        let view = self.accounts.value()?.clone();
        let key = self.accounts.shown_key()?.clone();
        if self.blocks.id != Some(view.id) {
            self.blocks = AccountBlocks {
                id: Some(view.id),
                ready: [(0, Arc::new(view.first.clone()))].into(),
                pending: Default::default(),
            };
        }
        let block = row / ACCOUNT_BLOCK;
        if let Some(t) = self.blocks.ready.get(&block) {
            return (row % ACCOUNT_BLOCK < t.len()).then(|| (t.clone(), row % ACCOUNT_BLOCK));
        }
        if !self.blocks.pending.contains_key(&block) {
            let (sel, query) = key;
            let id = view.id;
            let reply = self.submit(move |c, p| {
                views::account_rows(c, p, &sel, &query, id, block * ACCOUNT_BLOCK, ACCOUNT_BLOCK)
            });
            self.blocks.pending.insert(block, reply);
        }
        None
    }

    /// Asks for a page of exchanges.
    pub fn want_exchanges(&mut self, sel: &Selection, offset: i64) {
        let mut slot = std::mem::take(&mut self.exchanges);
        slot.want(&(sel.clone(), offset), || {
            let sel = sel.clone();
            self.submit_scan(move |c, p| views::exchanges(c, p, &sel, offset))
        });
        self.exchanges = slot;
    }

    /// Asks for one account's page: the quick part first, then the rest.
    pub fn want_detail(&mut self, account: &str) {
        let mut head = std::mem::take(&mut self.detail_head);
        head.want(&account.to_owned(), || {
            let account = account.to_owned();
            self.submit(move |c, p| views::account_head(c, p, &account))
        });
        self.detail_head = head;
        let mut slot = std::mem::take(&mut self.detail);
        slot.want(&account.to_owned(), || {
            let account = account.to_owned();
            self.submit_scan(move |c, p| views::account_detail(c, p, &account))
        });
        self.detail = slot;
    }

    /// Takes arrived answers; returns the errors to show.
    pub fn poll(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        let blocks = &mut self.blocks;
        blocks.pending.retain(|block, reply| match reply.poll() {
            Poll::Pending => true,
            Poll::Ready(Ok(rows)) => {
                blocks.ready.insert(*block, Arc::new(rows));
                false
            }
            Poll::Ready(Err(crate::store::error::StoreError::Cancelled)) | Poll::Lost => false,
            Poll::Ready(Err(e)) => {
                errors.push(format!("{e:#}"));
                false
            }
        });
        errors.extend(
            [
                self.summary.poll(),
                self.events.poll(),
                self.timeline.poll(),
                self.hours.poll(),
                self.categories.poll(),
                self.accounts.poll(),
                self.exchanges.poll(),
                self.detail_head.poll(),
                self.detail.poll(),
            ]
            .into_iter()
            .flatten(),
        );
        errors
    }

    /// Whether any query is running.
    pub fn is_busy(&self) -> bool {
        self.summary.is_loading()
            || self.events.is_loading()
            || self.timeline.is_loading()
            || self.hours.is_loading()
            || self.categories.is_loading()
            || self.accounts.is_loading()
            || self.exchanges.is_loading()
            || self.detail_head.is_loading()
            || self.detail.is_loading()
            || !self.blocks.pending.is_empty()
    }

    /// Cancels every running query (they are asked again when needed).
    pub fn cancel(&mut self) {
        self.worker.cancel_all();
        if let Some(w) = &self.scans {
            w.cancel_all();
        }
    }

    /// The summary, once it has arrived.
    pub fn summary_value(&self) -> Option<Arc<Summary>> {
        self.summary.value().cloned()
    }
}

/// Fetched blocks of the accounts table on screen.
#[derive(Default)]
struct AccountBlocks {
    id: Option<u64>,
    ready: std::collections::HashMap<usize, Arc<AccountTable>>,
    pending: std::collections::HashMap<usize, Reply<AccountTable>>,
}
