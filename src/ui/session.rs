//! An opened case: the query worker that owns its connection, and the data
//! of every view. Views ask for data by key; answers arrive in `poll`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::detect::{self, DetectConfig, Scan};
use crate::analysis::graph::scene::Scene;
use crate::analysis::graph::{self, GraphConfig};
use crate::analysis::selection::Selection;
use crate::analysis::summary::{self, Summary};
use crate::analysis::views::{
    self, ACCOUNT_BLOCK, AccountDetail, AccountQuery, AccountTable, AccountView, CategoryLift,
    Event, ExchangePage, Stack, Timeline,
};
use crate::store::case::{Case, CaseMeta};
use crate::store::error::StoreResult;
use crate::store::progress::Progress;
use crate::store::worker::{Poll, QueryWorker, Reply};

use super::casework::CaseWork;
use super::evidence::EvidenceCheck;
use super::opening::Opened;
use super::slot::Slot;

/// A scan asked for: the settings' text (TOML), and whether the scan kept
/// in the case may be shown whatever changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanAsk {
    /// The detection settings.
    pub config: String,
    /// A kept scan may be shown even when stale.
    pub kept_ok: bool,
}

/// An opened case and its views' data.
pub struct Session {
    /// The case file.
    pub case_path: PathBuf,
    /// What the case says about itself (evidence, hashes, mapping).
    pub meta: CaseMeta,
    /// The full re-hash of the evidence, in the background.
    pub evidence: EvidenceCheck,
    /// Who built, rebuilt, relabelled, edited and exported this case, as of
    /// opening.
    pub custody: Vec<crate::case::store::CustodyEntry>,
    // Declared before `worker` so they stop first: their connections are
    // clones of the worker's, which must outlive them (duckdb-rs #312).
    /// The analyst's campaigns, tags and notes, and their writer.
    pub work: CaseWork,
    scans: Option<QueryWorker>,
    worker: QueryWorker,
    ctx: egui::Context,
    /// The incident at a glance.
    pub summary: Slot<(), Summary>,
    /// Model releases and enforcement.
    pub events: Slot<(), Vec<Event>>,
    /// Exchanges per day.
    /// (the workbook revision is part of the key when stacked by campaign).
    pub timeline: Slot<(Selection, Stack, u64), Timeline>,
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
    /// The parts of one account's page that scan the log.
    pub detail: Slot<String, AccountDetail>,
    /// The account network.
    pub graph: Slot<Option<GraphConfig>, Scene>,
    /// Detection over the whole case.
    pub scan: Slot<ScanAsk, Scan>,
    /// The settings' text of the first scan asked for in this session: a
    /// scan kept in the case is shown for it, even when stale, until the
    /// analyst asks for a new one or changes the settings.
    first_scan_text: Option<String>,
    /// The analyst asked for a new scan (Re-scan).
    rescan_asked: bool,
    /// Progress of the running scan.
    pub scan_progress: Progress,
    /// The accounts a selection of days and categories covers.
    pub selection_accounts: Slot<Selection, Vec<String>>,
    /// The chain of custody read again after the case was written (an
    /// edit, an exported pack), keyed by `CaseWork::written`.
    custody_log: Slot<u64, Vec<crate::case::store::CustodyEntry>>,
}

impl Session {
    /// Starts the workers on an opened case, its workbook and custody.
    pub fn new(opened: Opened, ctx: &egui::Context) -> Session {
        let Opened {
            case,
            book,
            custody,
        } = opened;
        let Case {
            path,
            meta,
            conn,
            read_only,
            notices: _,
            fresh,
        } = case;
        let evidence = if fresh {
            EvidenceCheck::fresh()
        } else {
            EvidenceCheck::start(&meta, ctx)
        };
        let writer = if read_only.is_none() {
            conn.try_clone().ok()
        } else {
            None
        };
        let work = CaseWork::new(book, read_only, writer, path.clone(), meta.clone(), ctx);
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
            evidence,
            custody,
            work,
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
            graph: Slot::default(),
            scan: Slot::default(),
            first_scan_text: None,
            rescan_asked: false,
            scan_progress: Progress::default(),
            selection_accounts: Slot::default(),
            custody_log: Slot::default(),
        }
    }

    /// Asks for the accounts active in a selection of days and categories
    /// (with its accounts, if any, as a further filter).
    pub fn want_selection_accounts(&mut self, sel: &Selection) {
        let cond = sel.condition();
        self.ask(
            |s| &mut s.selection_accounts,
            sel.clone(),
            false,
            move |c, p| {
                views::query_rows(
                    c,
                    p,
                    "accounts of the selection",
                    &format!("SELECT DISTINCT account_id FROM account_day WHERE {cond} ORDER BY 1"),
                    |r| r.get(0),
                )
            },
        );
    }

    /// Asks for the scan the views show: the shipped settings with the
    /// analyst's network marks (kept with the case's work). The first time
    /// in a session that is the scan kept in the case, if any, even when
    /// stale (it says so, and [`Session::rescan`] makes a new one).
    pub fn want_case_scan(&mut self) {
        let text = DetectConfig::text_with_network_marks(
            crate::analysis::detect::config::DEFAULT_CONFIG,
            &self.work.book().networks,
        );
        let first = self.first_scan_text.get_or_insert_with(|| text.clone());
        let kept_ok = !self.rescan_asked && *first == text;
        self.want_scan(ScanAsk {
            config: text,
            kept_ok,
        });
    }

    /// Asks for a new scan of the case in place of a stale kept one.
    pub fn rescan(&mut self) {
        self.rescan_asked = true;
        self.want_case_scan();
    }

    /// Asks for detection with the settings in `ask.config` (TOML). It
    /// reads the whole log, so it runs on the scan worker.
    fn want_scan(&mut self, ask: ScanAsk) {
        let progress = Progress::default();
        let job_progress = progress.clone();
        let config_text = ask.config.clone();
        let kept_ok = ask.kept_ok;
        let submitted = self.ask(
            |s| &mut s.scan,
            ask,
            true,
            move |c, p| {
                let cfg = DetectConfig::parse(&config_text).map_err(|reason| {
                    crate::store::error::StoreError::NotWhatItSays {
                        path: p.into(),
                        reason: format!("detection settings: {reason}"),
                    }
                })?;
                if kept_ok {
                    detect::scan_or_kept(c, p, &cfg, &job_progress)
                } else {
                    detect::scan(c, p, &cfg, &job_progress)
                }
            },
        );
        if submitted {
            self.scan_progress = progress;
        }
    }

    /// The egui context (to repaint from other threads).
    pub fn ctx(&self) -> egui::Context {
        self.ctx.clone()
    }

    /// Asks for the account network: the cached one (`None`), or one built
    /// with other settings. Reading or building scans, so it runs on the
    /// scan worker.
    pub fn want_graph(&mut self, config: Option<GraphConfig>) {
        let cfg = config.clone();
        self.ask(
            |s| &mut s.graph,
            config,
            true,
            move |c, p| graph::scene(c, p, cfg.as_ref(), &Progress::default()),
        );
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

    /// Asks the slot `slot` picks for `key`; `job` runs (on the scan
    /// worker when `scan`) only if that key is not shown, on its way or
    /// failed. Returns whether it was submitted.
    fn ask<K: PartialEq + Clone, T: Send + 'static>(
        &mut self,
        slot: fn(&mut Session) -> &mut Slot<K, T>,
        key: K,
        scan: bool,
        job: impl FnOnce(&duckdb::Connection, &std::path::Path) -> StoreResult<T> + Send + 'static,
    ) -> bool {
        let mut taken = std::mem::take(slot(self));
        let mut submitted = false;
        taken.want(&key, || {
            submitted = true;
            if scan {
                self.submit_scan(job)
            } else {
                self.submit(job)
            }
        });
        *slot(self) = taken;
        submitted
    }

    /// Asks for the summary.
    pub fn want_summary(&mut self) {
        let meta = self.meta.clone();
        self.ask(
            |s| &mut s.summary,
            (),
            false,
            move |c, p| summary::summarize_parts(c, p, &meta, 10),
        );
    }

    /// Asks for the events.
    pub fn want_events(&mut self) {
        self.ask(|s| &mut s.events, (), false, views::events);
    }

    /// Asks for the timeline of `sel`.
    pub fn want_timeline(&mut self, sel: &Selection, stack: Stack) {
        let job_sel = sel.clone();
        self.ask(
            |s| &mut s.timeline,
            (
                sel.clone(),
                stack,
                if stack == Stack::Campaign {
                    self.work.revision
                } else {
                    0
                },
            ),
            false,
            move |c, p| views::timeline(c, p, &job_sel, stack),
        );
    }

    /// Asks for the hours of `day`.
    pub fn want_hours(&mut self, sel: &Selection, day: i32) {
        let job_sel = sel.clone();
        self.ask(
            |s| &mut s.hours,
            (sel.clone(), day),
            false,
            move |c, p| views::hours(c, p, &job_sel, day),
        );
    }

    /// Asks for the categories of `sel`.
    pub fn want_categories(&mut self, sel: &Selection) {
        let job_sel = sel.clone();
        self.ask(
            |s| &mut s.categories,
            sel.clone(),
            false,
            move |c, p| views::categories(c, p, &job_sel),
        );
    }

    /// Asks for the accounts table.
    pub fn want_accounts(&mut self, sel: &Selection, query: &AccountQuery) {
        let id = self.next_view_id;
        let (job_sel, job_query) = (sel.clone(), query.clone());
        let key = (sel.clone(), query.clone());
        if self.ask(
            |s| &mut s.accounts,
            key,
            false,
            move |c, p| views::prepare_accounts(c, p, &job_sel, &job_query, id),
        ) {
            self.next_view_id += 1;
        }
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
        let job_sel = sel.clone();
        self.ask(
            |s| &mut s.exchanges,
            (sel.clone(), offset),
            true,
            move |c, p| views::exchanges(c, p, &job_sel, offset),
        );
    }

    /// Asks for one account's page: the quick part first, then the rest.
    pub fn want_detail(&mut self, account: &str) {
        let job_account = account.to_owned();
        self.ask(
            |s| &mut s.detail_head,
            account.to_owned(),
            false,
            move |c, p| views::account_head(c, p, &job_account),
        );
        let job_account = account.to_owned();
        self.ask(
            |s| &mut s.detail,
            account.to_owned(),
            true,
            move |c, p| views::account_scans(c, p, &job_account),
        );
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
                self.graph.poll(),
                self.scan.poll(),
                self.selection_accounts.poll(),
            ]
            .into_iter()
            .flatten(),
        );
        errors.extend(self.work.poll());
        // What was written may have added to the chain of custody: read it
        // again (on the query worker) so the Overview shows it.
        let written = self.work.written;
        if written > 0 {
            self.ask(
                |s| &mut s.custody_log,
                written,
                false,
                crate::case::store::custody,
            );
        }
        errors.extend(self.custody_log.poll());
        if let Some(log) = self
            .custody_log
            .value()
            .filter(|log| log.len() != self.custody.len())
        {
            self.custody = log.as_ref().clone();
        }
        errors
    }

    /// Whether any query is running.
    pub fn is_busy(&self) -> bool {
        self.evidence.state == super::evidence::EvidenceState::Hashing
            || self.summary.is_loading()
            || self.events.is_loading()
            || self.timeline.is_loading()
            || self.hours.is_loading()
            || self.categories.is_loading()
            || self.accounts.is_loading()
            || self.exchanges.is_loading()
            || self.detail_head.is_loading()
            || self.detail.is_loading()
            || self.graph.is_loading()
            || self.scan.is_loading()
            || self.selection_accounts.is_loading()
            || self.custody_log.is_loading()
            || self.work.is_busy()
            || !self.blocks.pending.is_empty()
    }

    /// Cancels every running query (they are asked again when needed).
    pub fn cancel(&mut self) {
        self.worker.cancel_all();
        if let Some(w) = &self.scans {
            w.cancel_all();
        }
    }
}

/// Fetched blocks of the accounts table on screen.
#[derive(Default)]
struct AccountBlocks {
    id: Option<u64>,
    ready: std::collections::HashMap<usize, Arc<AccountTable>>,
    pending: std::collections::HashMap<usize, Reply<AccountTable>>,
}
