//! The analyst's work in the opened case: the casebook (campaigns, tags,
//! notes with undo/redo), saved in order on a writer thread that owns its
//! own connection, so the UI never waits on DuckDB; evidence-pack exports
//! run on the same thread, after the saves before them.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::detect::Scan;
use crate::case::store::AuditEntry;
use crate::case::{Casebook, Edit, Workbook, store};
use crate::export::pack::{self, Facts, PackOptions, PackReport};
use crate::share::ShareContent;
use crate::store::case::CaseMeta;
use crate::store::progress::Progress;
use crate::store::worker::{Poll, QueryWorker, Reply};

use super::slot::Slot;

/// An export on its way.
pub struct ExportJob {
    /// The campaign.
    pub campaign: String,
    /// The pack folder.
    pub out: PathBuf,
    /// Stage, fraction and cancel.
    pub progress: Progress,
    reply: Reply<PackReport>,
}

/// The casebook of the opened case and its writer.
pub struct CaseWork {
    /// Why edits cannot be saved, when the case is read-only.
    pub read_only: Option<String>,
    casebook: Casebook,
    /// Bumped by every change, so views that show campaigns redraw.
    pub revision: u64,
    /// Bumped when a save or an export lands in the case file (either may
    /// add to the chain of custody).
    pub written: u64,
    writer: Option<QueryWorker>,
    case_path: PathBuf,
    meta: CaseMeta,
    ctx: egui::Context,
    saves: Vec<Reply<()>>,
    /// The export running, if any.
    pub export: Option<ExportJob>,
    /// The last export's outcome.
    pub exported: Option<Result<PackReport, String>>,
    /// One campaign's totals, days, categories and infrastructure, keyed
    /// by the campaign and a hash of its accounts (all the facts depend on).
    pub facts: Slot<(i64, u64), Facts>,
    /// What one campaign could share with other providers, keyed alike.
    pub shareable: Slot<(i64, u64), ShareContent>,
    /// The audit log (of one campaign, or all).
    pub audit: Slot<(Option<i64>, u64), Vec<AuditEntry>>,
}

impl Drop for CaseWork {
    fn drop(&mut self) {
        // Closing the case (or the app) waits for the saves already queued:
        // an edit shown on screen is an edit on disk.
        if let Some(writer) = self.writer.take() {
            writer.finish();
        }
    }
}

impl CaseWork {
    /// The work of a case opened on `conn`'s database: `writer` is a
    /// connection of its own (None when the case is read-only).
    pub fn new(
        book: Workbook,
        read_only: Option<String>,
        writer: Option<duckdb::Connection>,
        case_path: PathBuf,
        meta: CaseMeta,
        ctx: &egui::Context,
    ) -> CaseWork {
        CaseWork {
            read_only,
            casebook: Casebook::new(book),
            revision: 0,
            writer: writer.map(|c| QueryWorker::spawn("case-writer", c)),
            case_path,
            meta,
            ctx: ctx.clone(),
            saves: Vec::new(),
            export: None,
            exported: None,
            written: 0,
            facts: Slot::default(),
            shareable: Slot::default(),
            audit: Slot::default(),
        }
    }

    /// The current campaigns, tags and notes.
    pub fn book(&self) -> &Workbook {
        self.casebook.book()
    }

    /// What Undo would take back.
    pub fn undo_label(&self) -> Option<String> {
        self.casebook.undo_label()
    }

    /// What Redo would do again.
    pub fn redo_label(&self) -> Option<String> {
        self.casebook.redo_label()
    }

    fn writer(&self) -> Result<&QueryWorker, String> {
        match (&self.writer, &self.read_only) {
            (Some(w), None) => Ok(w),
            (_, Some(reason)) => Err(format!(
                "This case is read-only ({reason}): campaigns cannot be saved in it."
            )),
            (None, None) => Err("This case has no writer connection.".into()),
        }
    }

    fn store(&mut self, save: crate::case::Save) {
        let Ok(writer) = self.writer() else { return };
        let path = self.case_path.clone();
        let ctx = self.ctx.clone();
        let reply = writer.submit(move |c| {
            let out = save.write(c, &path);
            ctx.request_repaint();
            out
        });
        self.saves.push(reply);
        self.revision += 1;
    }

    /// Applies an edit: the change shows at once and is saved behind.
    /// Returns the audit line, or why it cannot be done.
    pub fn apply(&mut self, edit: &Edit, analyst: &str) -> Result<String, String> {
        self.writer()?;
        let save = self.casebook.apply(edit, analyst)?;
        Ok(self.store_line(save))
    }

    /// Takes back the last edit; its audit line, if there was one.
    pub fn undo(&mut self, analyst: &str) -> Option<String> {
        self.writer().ok()?;
        let save = self.casebook.undo(analyst)?;
        Some(self.store_line(save))
    }

    /// Does the last undone edit again.
    pub fn redo(&mut self, analyst: &str) -> Option<String> {
        self.writer().ok()?;
        let save = self.casebook.redo(analyst)?;
        Some(self.store_line(save))
    }

    fn store_line(&mut self, save: crate::case::Save) -> String {
        let line = save.change.detail.clone();
        self.store(save);
        line
    }

    /// Asks for a campaign's facts (on the writer's connection, after the
    /// saves before it).
    ///
    /// Edits that leave its accounts alone (a rename, a note, a tag, another
    /// campaign) do not start the minute-long queries again.
    pub fn want_facts(&mut self, id: i64, analyst: &str) {
        let Some(campaign) = self.book().campaign_by_id(id).cloned() else {
            return;
        };
        let book = self.book().clone();
        let analyst = analyst.to_owned();
        let Some(writer) = &self.writer else { return };
        let path = self.case_path.clone();
        let ctx = self.ctx.clone();
        self.facts.want(&(id, members_hash(&campaign)), || {
            writer.submit(move |c| {
                let out = pack::facts(c, &path, &campaign, &book, &analyst);
                ctx.request_repaint();
                out
            })
        });
    }

    /// Asks for what campaign `id` could share (the Share indicators
    /// dialog), again only when its accounts change.
    pub fn want_shareable(&mut self, id: i64) {
        let Some(campaign) = self.book().campaign_by_id(id).cloned() else {
            return;
        };
        let book = self.book().clone();
        let Some(writer) = &self.writer else { return };
        let path = self.case_path.clone();
        let ctx = self.ctx.clone();
        self.shareable.want(&(id, members_hash(&campaign)), || {
            writer.submit(move |c| {
                let out = crate::share::select::gather(c, &path, &campaign, &book);
                ctx.request_repaint();
                out
            })
        });
    }

    /// Asks for the audit log of campaign `id` (or all).
    pub fn want_audit(&mut self, id: Option<i64>) {
        let Some(writer) = &self.writer else { return };
        let path = self.case_path.clone();
        let ctx = self.ctx.clone();
        self.audit.want(&(id, self.revision), || {
            writer.submit(move |c| {
                let out = store::audit(c, &path, id);
                ctx.request_repaint();
                out
            })
        });
    }

    /// Starts exporting a campaign's evidence pack; `detection` adds the
    /// scan's scores to accounts.csv.
    pub fn start_export(
        &mut self,
        opts: PackOptions,
        detection: Option<(Arc<Scan>, String)>,
    ) -> Result<(), String> {
        if self.export.is_some() {
            return Err("An export is already running.".into());
        }
        let writer = self
            .writer
            .as_ref()
            .ok_or("This case has no writer connection.")?;
        let repaint = self.ctx.clone();
        let progress = Progress::with_listener(move |_| repaint.request_repaint());
        let job_progress = progress.clone();
        let (path, meta, book) = (
            self.case_path.clone(),
            self.meta.clone(),
            self.book().clone(),
        );
        let job_opts = opts.clone();
        let ctx = self.ctx.clone();
        let reply = writer.submit(move |c| {
            let det = detection.as_ref().map(|(s, t)| (s.as_ref(), t.as_str()));
            let out = pack::export(c, &path, &meta, &book, det, &job_opts, &job_progress);
            ctx.request_repaint();
            out
        });
        self.export = Some(ExportJob {
            campaign: opts.campaign,
            out: opts.out,
            progress,
            reply,
        });
        self.exported = None;
        Ok(())
    }

    /// Takes arrived answers; returns the errors to show.
    pub fn poll(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut written = 0;
        self.saves.retain(|r| match r.poll() {
            Poll::Pending => true,
            Poll::Ready(Ok(())) => {
                written += 1;
                false
            }
            Poll::Ready(Err(e)) => {
                errors.push(format!(
                    "The change could not be saved in the case file: {e:#}"
                ));
                false
            }
            Poll::Lost => {
                errors.push("The case writer stopped; changes may not be saved.".into());
                false
            }
        });
        if let Some(job) = &self.export {
            match job.reply.poll() {
                Poll::Pending => {}
                Poll::Ready(r) => {
                    written += u64::from(r.is_ok());
                    self.exported = Some(r.map_err(|e| format!("{e:#}")));
                    self.export = None;
                }
                Poll::Lost => {
                    self.exported = Some(Err("the case writer stopped".into()));
                    self.export = None;
                }
            }
        }
        self.written += written;
        errors.extend(
            [self.facts.poll(), self.shareable.poll(), self.audit.poll()]
                .into_iter()
                .flatten(),
        );
        errors
    }

    /// Whether saves or an export are under way.
    pub fn is_busy(&self) -> bool {
        !self.saves.is_empty()
            || self.export.is_some()
            || self.facts.is_loading()
            || self.shareable.is_loading()
            || self.audit.is_loading()
    }

    /// The accounts of a campaign id, for selections.
    pub fn members(&self, id: i64) -> BTreeSet<String> {
        self.book()
            .campaign_by_id(id)
            .map(|c| c.accounts.clone())
            .unwrap_or_default()
    }
}

/// A hash of a campaign's accounts: what its facts depend on (edits that
/// leave them alone, a rename or a note, do not start the queries again).
fn members_hash(campaign: &crate::case::Campaign) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    campaign.accounts.hash(&mut h);
    h.finish()
}
