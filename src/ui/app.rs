//! The application: persisted state, the opened session, the selection and
//! its history, and the frame loop. `logic` drains answers and applies
//! commands; `ui` only draws.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use serde::{Deserialize, Serialize};

use super::commands::{Command, View};
use super::history::History;
use super::notifications::Notifications;
use super::opening::Opening;
use super::session::Session;
use super::{
    account_detail, accounts, campaigns, categories, chrome, exchanges, network, overview,
    suspects, timeline,
};
use crate::analysis::selection::Selection;
use crate::pipeline::OpenOptions;

/// How many recent files File > Open recent lists.
const RECENT: usize = 10;

/// What survives a restart (never query results).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// Recently opened sources, newest first.
    pub recent: Vec<PathBuf>,
    /// The view on screen.
    pub view: View,
    /// Dark, light or the system's.
    pub theme: egui::ThemePreference,
    /// Timeline settings.
    pub timeline: timeline::TimelineState,
    /// Accounts table settings.
    pub accounts: accounts::AccountsState,
    /// The analyst's name, written in the audit log and evidence packs.
    pub analyst: String,
}

/// What a view may change besides its own state.
pub struct ViewCtx<'a> {
    /// The opened case and its data.
    pub session: &'a mut Session,
    /// The selection every view follows.
    pub selection: &'a Selection,
    /// A new selection proposed by the view.
    pub select: &'a mut Option<Selection>,
    /// Commands queued by the view.
    pub commands: &'a mut Vec<Command>,
    /// The analyst's name, for the audit log.
    pub analyst: &'a str,
}

/// The distillscope window.
pub struct App {
    /// Persisted state.
    pub state: State,
    session: Option<Session>,
    opening: Option<Opening>,
    history: History,
    /// Messages on screen.
    pub notifications: Notifications,
    commands: Vec<Command>,
    dialog: Option<Receiver<Option<PathBuf>>>,
    /// The typed path field.
    pub chrome: chrome::ChromeState,
    exchanges: exchanges::ExchangesState,
    detail: account_detail::DetailState,
    /// The Network view's camera, opened clusters and live layout.
    pub network: network::NetworkState,
    /// The Suspects view's state.
    pub suspects: suspects::SuspectsState,
    /// The Campaigns view and its dialogs.
    pub campaigns: campaigns::CampaignsState,
    /// A case that could not be opened as it is (its evidence changed, or
    /// it cannot be read), and why: the analyst is told and chooses.
    pub open_problem: Option<OpenProblem>,
    /// A table whose columns are not the contract's, being mapped.
    pub mapping: Option<super::mapping::MappingDialog>,
}

impl App {
    /// Creates the app and starts opening `path`, if any.
    pub fn new(cc: &eframe::CreationContext<'_>, path: Option<PathBuf>) -> App {
        let state: State = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        cc.egui_ctx.set_theme(state.theme);
        super::theme::install_fonts(&cc.egui_ctx);
        let mut app = App {
            state,
            session: None,
            opening: None,
            history: History::default(),
            notifications: Notifications::default(),
            commands: Vec::new(),
            dialog: None,
            chrome: chrome::ChromeState::default(),
            exchanges: exchanges::ExchangesState::default(),
            detail: account_detail::DetailState::default(),
            network: network::NetworkState::default(),
            suspects: suspects::SuspectsState::default(),
            campaigns: campaigns::CampaignsState::default(),
            open_problem: None,
            mapping: None,
        };
        if app.state.analyst.trim().is_empty() {
            app.state.analyst = crate::case::default_analyst();
        }
        if let Some(rs) = cc.wgpu_render_state.as_ref() {
            network::gpu::install(rs);
            app.network.gpu_lines = true;
        }
        if let Some(p) = path {
            app.commands.push(Command::Open(p));
        }
        app
    }

    /// The selection every view follows.
    pub fn selection(&self) -> &Selection {
        self.history.current()
    }

    /// The opened case, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The opened case, to fetch rows (tests, benchmarks).
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }

    /// The view on screen.
    pub fn view(&self) -> View {
        self.state.view
    }

    /// Whether a source is being opened.
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    /// Whether anything is still running (opening or queries).
    pub fn is_busy(&self) -> bool {
        self.opening.is_some()
            || self.session.as_ref().is_some_and(Session::is_busy)
            || self
                .mapping
                .as_ref()
                .is_some_and(super::mapping::MappingDialog::is_loading)
    }

    /// Queues a command, as a menu or shortcut would.
    pub fn queue(&mut self, command: Command) {
        self.commands.push(command);
    }

    fn start_open(&mut self, path: &Path, options: OpenOptions, ctx: &egui::Context) {
        if let Some(o) = &self.opening {
            o.cancel();
        }
        self.opening = Some(Opening::start(path, options, ctx));
    }

    fn analyst(&self) -> String {
        let name = self.state.analyst.trim();
        if name.is_empty() {
            crate::case::default_analyst()
        } else {
            name.to_owned()
        }
    }

    fn pick_with_dialog(&mut self, folder: bool, ctx: &egui::Context) {
        // The dialog blocks its thread, so it gets its own.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let dialog = rfd::FileDialog::new().set_title("Open a request log or case file");
                let picked = if folder {
                    dialog.pick_folder()
                } else {
                    dialog
                        .add_filter(
                            "Logs and cases",
                            &[
                                "duckdb", "db", "parquet", "csv", "jsonl", "ndjson", "json", "gz",
                                "tsv",
                            ],
                        )
                        .add_filter("All files", &["*"])
                        .pick_file()
                };
                let _ = tx.send(picked);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.dialog = Some(rx),
            Err(e) => self
                .notifications
                .error(format!("cannot show the file dialog: {e}")),
        }
    }

    fn apply(&mut self, command: Command, ctx: &egui::Context) {
        match command {
            Command::OpenFile => self.pick_with_dialog(false, ctx),
            Command::OpenFolder => self.pick_with_dialog(true, ctx),
            Command::OpenPath => self.chrome.show_path_field(),
            Command::Open(path) => self.start_open(&path, OpenOptions::default(), ctx),
            Command::RebuildCase => {
                if let Some(session) = self.session.take() {
                    let path = session.case_path.clone();
                    // Closed first: its queued saves finish, and the
                    // rebuild reads a case no connection of ours holds.
                    drop(session);
                    let rebuild = OpenOptions {
                        rebuild: true,
                        ..Default::default()
                    };
                    self.start_open(&path, rebuild, ctx);
                }
            }
            Command::Show(view) => self.state.view = view,
            Command::OpenAccount(id) => {
                self.detail.account = Some(id);
                self.state.view = View::Account;
            }
            Command::Back => {
                self.history.back();
            }
            Command::Forward => {
                self.history.forward();
            }
            Command::ClearSelection => self.history.set(Selection::default()),
            Command::Cancel => {
                if let Some(o) = &self.opening {
                    o.cancel();
                }
                if let Some(s) = &mut self.session {
                    s.cancel();
                }
            }
            Command::ToggleTheme => {
                self.state.theme = if ctx.theme() == egui::Theme::Dark {
                    egui::ThemePreference::Light
                } else {
                    egui::ThemePreference::Dark
                };
                ctx.set_theme(self.state.theme);
            }
            Command::Help => self.chrome.help_open = !self.chrome.help_open,
            Command::Undo | Command::Redo => {
                let analyst = self.analyst();
                let Some(s) = &mut self.session else { return };
                let done = if command == Command::Undo {
                    s.work.undo(&analyst).map(|l| format!("Undone: {l}"))
                } else {
                    s.work.redo(&analyst).map(|l| format!("Redone: {l}"))
                };
                match (done, &s.work.read_only) {
                    (Some(line), _) => self.notifications.info(line),
                    (None, Some(reason)) => self.notifications.info(format!(
                        "Nothing to change: the case is read-only ({reason})"
                    )),
                    (None, None) => self.notifications.info("Nothing to undo or redo"),
                }
            }
            Command::SelectionTo(target) => {
                let sel = self.history.current().clone();
                if let Some(s) = &self.session {
                    if sel.is_empty() {
                        self.notifications.info(
                            "Select accounts first: a graph lasso, a Suspects cluster, rows of the accounts table or a timeline range",
                        );
                    } else {
                        self.campaigns.open_dialog(target, &sel, s);
                    }
                }
            }
            Command::ExportPack(id) => {
                if let Some(s) = &self.session {
                    self.campaigns.open_export(id, s);
                }
            }
            Command::ShareIndicators(id) => {
                if let Some(s) = &self.session {
                    self.campaigns.share = Some(super::share::ShareDialog::new(id, s));
                }
            }
            Command::Notify(message) => self.notifications.info(message),
        }
    }

    fn finish_open(&mut self, ctx: &egui::Context) {
        let Some(opening) = &self.opening else { return };
        let Some(result) = opening.poll() else { return };
        let path = opening.path.clone();
        let took = opening.started.elapsed();
        self.opening = None;
        match result {
            Ok(opened) => {
                for notice in &opened.case.notices {
                    self.notifications.info(notice.clone());
                }
                self.session = Some(Session::new(opened, ctx));
                self.history = History::default();
                self.exchanges = exchanges::ExchangesState::default();
                self.detail = account_detail::DetailState::default();
                self.network = network::NetworkState::default();
                self.suspects = suspects::SuspectsState::default();
                self.campaigns = campaigns::CampaignsState::default();
                let absolute = std::path::absolute(&path).unwrap_or(path);
                self.state.recent.retain(|p| *p != absolute);
                self.state.recent.insert(0, absolute.clone());
                self.state.recent.truncate(RECENT);
                self.notifications.info(format!(
                    "Opened {} in {:.1} s",
                    absolute.display(),
                    took.as_secs_f64()
                ));
            }
            Err(err @ crate::store::error::StoreError::EvidenceChanged { .. }) => {
                self.open_problem = Some(OpenProblem {
                    path,
                    message: format!("{err:#}"),
                    kind: OpenProblemKind::EvidenceChanged,
                });
            }
            Err(err @ crate::store::error::StoreError::EvidenceAdded { .. }) => {
                self.open_problem = Some(OpenProblem {
                    path,
                    message: format!("{err:#}"),
                    kind: OpenProblemKind::EvidenceAdded,
                });
            }
            Err(err @ crate::store::error::StoreError::MissingColumn { .. }) => {
                let message = format!("{err:#}");
                if let crate::store::error::StoreError::MissingColumn {
                    path: file,
                    table,
                    diagnosis,
                    ..
                } = err
                {
                    let missing = super::mapping::Missing {
                        file,
                        table,
                        found: diagnosis.found,
                        message,
                        suggestion: diagnosis.suggestion,
                    };
                    self.mapping = Some(super::mapping::MappingDialog::new(path, missing, ctx));
                }
            }
            Err(err @ crate::store::error::StoreError::CaseUnreadable { .. }) => {
                self.open_problem = Some(OpenProblem {
                    path,
                    message: format!("{err:#}"),
                    kind: OpenProblemKind::Unreadable,
                });
            }
            Err(crate::store::error::StoreError::Cancelled) => {
                self.notifications
                    .info(format!("Stopped opening {}", path.display()));
            }
            Err(err) => self.notifications.error(format!("{err:#}")),
        }
    }
}

impl App {
    /// Tells the analyst why a case could not be opened as it is (its
    /// evidence changed, or the file cannot be read) and offers what can be
    /// done: open it anyway, rebuild it with the work carried over (or the
    /// unreadable file kept aside), or leave it.
    fn evidence_window(&mut self, ctx: &egui::Context) {
        let Some(problem) = self.open_problem.clone() else {
            return;
        };
        let (title, explanation, can_open_anyway) = match problem.kind {
            OpenProblemKind::EvidenceChanged => (
                "The evidence has changed",
                "The case's tables describe the evidence as it was when the case was made. Opening it anyway shows that. \
                 Rebuilding reads the evidence as it is now; campaigns, tags, notes and the audit log are carried into the new case \
                 and checked row by row before it replaces the old one.",
                true,
            ),
            OpenProblemKind::EvidenceAdded => (
                "New logs in the evidence folder",
                "The case was made before these files arrived, so it leaves them out. Opening it anyway shows the evidence \
                 as it was. Rebuilding reads every log in the folder; campaigns, tags, notes and the audit log are carried \
                 into the new case and checked row by row before it replaces the old one.",
                true,
            ),
            OpenProblemKind::Unreadable => (
                "The case file cannot be read",
                "Rebuilding makes a new case from the evidence and moves the unreadable file aside (NAME.unreadable-N), \
                 so whatever work it holds can still be recovered from it.",
                false,
            ),
        };
        let mut choice = None;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
                ui.label(&problem.message);
                ui.add_space(6.0);
                ui.label(explanation);
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if can_open_anyway && ui.button("Open the case anyway").clicked() {
                        choice = Some(OpenChoice::Anyway);
                    }
                    if ui.button("Rebuild the case").clicked() {
                        choice = Some(OpenChoice::Rebuild);
                    }
                    if ui.button("Cancel").clicked() {
                        choice = Some(OpenChoice::Leave);
                    }
                });
            });
        let Some(choice) = choice else { return };
        self.open_problem = None;
        let options = match choice {
            OpenChoice::Anyway => OpenOptions {
                accept_changed_evidence: true,
                ..Default::default()
            },
            OpenChoice::Rebuild => OpenOptions {
                rebuild: true,
                ..Default::default()
            },
            OpenChoice::Leave => return,
        };
        self.start_open(&problem.path, options, ctx);
    }
}

impl App {
    /// The column-mapping dialog, while one is open; opens the source with
    /// the mapping chosen.
    fn mapping_window(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.mapping else {
            return;
        };
        let Some(choice) = dialog.show(ctx) else {
            return;
        };
        let source = dialog.source.clone();
        self.mapping = None;
        if let super::mapping::MappingChoice::Open(mapping) = choice {
            let options = OpenOptions {
                mapping: Some(mapping),
                ..Default::default()
            };
            self.start_open(&source, options, ctx);
        }
    }
}

/// Why a case could not be opened as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenProblemKind {
    /// Its evidence differs from what it recorded.
    EvidenceChanged,
    /// Logs arrived in its evidence folder since it was made.
    EvidenceAdded,
    /// The case file cannot be read.
    Unreadable,
}

/// A case that could not be opened as it is, waiting for the analyst.
#[derive(Debug, Clone)]
pub struct OpenProblem {
    /// What was opened.
    pub path: PathBuf,
    /// The error, in words.
    pub message: String,
    /// Which problem.
    pub kind: OpenProblemKind,
}

enum OpenChoice {
    Anyway,
    Rebuild,
    Leave,
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.finish_open(ctx);
        if let Some(s) = &mut self.session {
            for err in s.poll() {
                self.notifications.error(err);
            }
            if let Some(super::evidence::EvidenceState::Changed(message)) = s.evidence.poll() {
                self.notifications.error(format!(
                    "The full re-hash of the evidence does not match the case: {message}. \
                     The case describes the evidence as it was when it was made."
                ));
            }
        }
        if let Some(rx) = &self.dialog {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.dialog = None;
                    self.commands.push(Command::Open(path));
                }
                Ok(None) => {
                    self.dialog = None;
                    self.notifications.info(
                        "No file chosen. If no dialog appeared, this system has no working file \
                         dialog: use File > Open path… (Ctrl+L) instead.",
                    );
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.dialog = None,
            }
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.commands.push(Command::Open(path));
        }
        self.commands.extend(Command::pressed(ctx));
        for command in std::mem::take(&mut self.commands) {
            self.apply(command, ctx);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut commands = Vec::new();
        let work = match &self.session {
            Some(s) => chrome::WorkMenu {
                undo: s.work.undo_label(),
                redo: s.work.redo_label(),
                campaigns: s
                    .work
                    .book()
                    .campaigns
                    .iter()
                    .map(|c| (c.id, c.props.name.clone()))
                    .collect(),
                has_selection: !self.history.current().is_empty(),
                open: true,
            },
            None => chrome::WorkMenu::default(),
        };
        chrome::menu_bar(
            ui,
            &self.state.recent,
            self.history.can_go_back(),
            self.history.can_go_forward(),
            &work,
            &mut commands,
        );
        let busy = self.is_busy();
        chrome::status_bar(
            ui,
            self.session.as_ref(),
            self.opening.as_ref(),
            busy,
            &mut commands,
        );
        let analyst = self.analyst();
        if let Some(session) = &mut self.session {
            let mut select = None;
            chrome::view_bar(
                ui,
                self.state.view,
                self.history.current(),
                session.work.book(),
                &mut select,
                &mut commands,
            );
            let mut cx = ViewCtx {
                session,
                selection: self.history.current(),
                select: &mut select,
                commands: &mut commands,
                analyst: &analyst,
            };
            egui::CentralPanel::default().show(ui, |ui| match self.state.view {
                View::Overview => overview::ui(ui, &mut cx),
                View::Timeline => timeline::ui(ui, &mut cx, &mut self.state.timeline),
                View::Categories => categories::ui(ui, &mut cx),
                View::Accounts => accounts::ui(ui, &mut cx, &mut self.state.accounts),
                View::Exchanges => exchanges::ui(ui, &mut cx, &mut self.exchanges),
                View::Account => account_detail::ui(ui, &mut cx, &mut self.detail),
                View::Network => network::ui(ui, &mut cx, &mut self.network),
                View::Suspects => suspects::ui(ui, &mut cx, &mut self.suspects),
                View::Campaigns => {
                    campaigns::ui(ui, &mut cx, &mut self.campaigns, &mut self.state.analyst)
                }
            });
            campaigns::selection_window(
                ui.ctx(),
                session,
                &mut self.campaigns,
                &analyst,
                &mut commands,
            );
            campaigns::export_window(ui.ctx(), session, &mut self.campaigns, &analyst);
            super::share::share_window(ui.ctx(), session, &mut self.campaigns.share);
            if let Some(next) = select {
                self.history.set(next);
            }
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                chrome::welcome(ui, self.opening.as_ref(), &self.state.recent, &mut commands);
            });
        }
        self.evidence_window(ui.ctx());
        self.mapping_window(ui.ctx());
        chrome::path_window(ui.ctx(), &mut self.chrome, &mut commands);
        chrome::help_window(ui.ctx(), &mut self.chrome.help_open);
        self.notifications.ui(ui.ctx());
        self.commands.extend(commands);
        if !self.commands.is_empty() {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }
}
