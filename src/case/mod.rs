//! The analyst's work in a case: campaigns, tags, notes (`model`), the
//! edits that change them (`edit`), their tables and audit log in the case
//! file (`store`), and undo/redo over whole workbook states (`Casebook`).

pub mod carry;
pub mod edit;
pub mod model;
pub mod store;

use std::path::Path;

use duckdb::Connection;

pub use edit::{Change, Edit};
pub use model::{Campaign, CampaignProps, Note, NoteTarget, Status, Workbook};

use crate::store::error::StoreResult;

/// How many edits can be undone.
const UNDO_DEPTH: usize = 200;

/// One applied edit: the states either side and its audit line.
#[derive(Debug, Clone)]
struct Step {
    before: Workbook,
    after: Workbook,
    change: Change,
}

/// A new workbook state to store, with the audit line explaining it.
#[derive(Debug, Clone)]
pub struct Save {
    /// The state to store.
    pub book: Workbook,
    /// What changed.
    pub change: Change,
    /// Who changed it.
    pub analyst: String,
    /// When (UTC, RFC 3339).
    pub at: String,
}

impl Save {
    /// Stores it in the case file (one transaction).
    pub fn write(&self, conn: &Connection, path: &Path) -> StoreResult<()> {
        store::save(
            conn,
            path,
            &self.book,
            &self.change,
            &self.analyst,
            &self.at,
        )
    }
}

/// The workbook with its undo and redo history. Edits change it at once
/// and return the `Save` that stores them, so the GUI can hand storing to a
/// thread while the CLI stores in line.
#[derive(Debug, Clone, Default)]
pub struct Casebook {
    book: Workbook,
    undo: Vec<Step>,
    redo: Vec<Step>,
}

impl Casebook {
    /// A casebook on a stored workbook.
    pub fn new(book: Workbook) -> Casebook {
        Casebook {
            book,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// Reads the case's workbook.
    pub fn load(conn: &Connection, path: &Path) -> StoreResult<Casebook> {
        Ok(Casebook::new(store::load(conn, path)?))
    }

    /// The current state.
    pub fn book(&self) -> &Workbook {
        &self.book
    }

    /// Applies an edit; the state changes only when it succeeds.
    pub fn apply(&mut self, edit: &Edit, analyst: &str) -> Result<Save, String> {
        let at = now();
        let (after, change) = edit::apply(&self.book, edit, analyst, &at)?;
        let before = std::mem::replace(&mut self.book, after.clone());
        self.undo.push(Step {
            before,
            after: after.clone(),
            change: change.clone(),
        });
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        Ok(Save {
            book: after,
            change,
            analyst: analyst.to_owned(),
            at,
        })
    }

    /// What undo would take back.
    pub fn undo_label(&self) -> Option<String> {
        self.undo.last().map(|s| label(&s.change))
    }

    /// What redo would do again.
    pub fn redo_label(&self) -> Option<String> {
        self.redo.last().map(|s| label(&s.change))
    }

    /// Takes back the last edit (logged as an undo).
    pub fn undo(&mut self, analyst: &str) -> Option<Save> {
        self.step(true, analyst)
    }

    /// Does the last undone edit again (logged as a redo).
    pub fn redo(&mut self, analyst: &str) -> Option<Save> {
        self.step(false, analyst)
    }

    /// One step back (undo) or forward (redo) through the history.
    fn step(&mut self, back: bool, analyst: &str) -> Option<Save> {
        let (from, to) = if back {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        let step = from.pop()?;
        let (state, action, verb) = if back {
            (&step.before, "undo", "undid")
        } else {
            (&step.after, "redo", "redid")
        };
        self.book = state.clone();
        let save = Save {
            book: state.clone(),
            change: Change {
                action: action.into(),
                detail: format!("{verb}: {}", step.change.detail),
                ..step.change.clone()
            },
            analyst: analyst.to_owned(),
            at: now(),
        };
        to.push(step);
        Some(save)
    }

    /// Replaces the state with what the case file holds (after a failed
    /// save), forgetting the history.
    pub fn reset(&mut self, book: Workbook) {
        *self = Casebook::new(book);
    }
}

fn label(change: &Change) -> String {
    match &change.campaign {
        Some(c) => format!("{} {c}", change.action),
        None => change.action.clone(),
    }
}

/// The current UTC time as RFC 3339 text (`2026-12-04T05:06:07Z`).
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format!(
        "{}Z",
        crate::analysis::days::iso_seconds(secs).replace(' ', "T")
    )
}

/// The analyst's name when none is set: the login name.
pub fn default_analyst() -> String {
    std::env::var("DISTILLSCOPE_ANALYST")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "analyst".into())
}
