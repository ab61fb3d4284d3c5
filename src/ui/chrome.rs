//! The frame around the views: menu bar, view tabs with the selection
//! chips, status bar, the welcome page, the typed-path window and help.

use std::path::PathBuf;

use super::commands::{Command, View};
use super::opening::Opening;
use super::session::Session;
use super::theme;
use crate::analysis::selection::Selection;

/// State of the typed-path window and the help window.
#[derive(Default)]
pub struct ChromeState {
    /// Whether the path window is open.
    pub path_open: bool,
    /// The typed path.
    pub path_text: String,
    /// Why the typed path cannot be opened.
    pub path_error: Option<String>,
    focus_path: bool,
    /// Whether the help window is open.
    pub help_open: bool,
}

impl ChromeState {
    /// Opens the path window with the field focused.
    pub fn show_path_field(&mut self) {
        self.path_open = true;
        self.focus_path = true;
    }
}

fn command_button(ui: &mut egui::Ui, command: Command, enabled: bool, out: &mut Vec<Command>) {
    let button = egui::Button::new(command.label()).shortcut_text(command.shortcut_text(ui.ctx()));
    if ui.add_enabled(enabled, button).clicked() {
        out.push(command);
        ui.close();
    }
}

/// What the Edit and Campaign menus offer.
#[derive(Debug, Clone, Default)]
pub struct WorkMenu {
    /// What Undo would take back.
    pub undo: Option<String>,
    /// What Redo would do again.
    pub redo: Option<String>,
    /// The campaigns: id and name.
    pub campaigns: Vec<(i64, String)>,
    /// Whether anything is selected.
    pub has_selection: bool,
    /// Whether a case is open.
    pub open: bool,
}

/// The menu bar.
pub fn menu_bar(
    ui: &mut egui::Ui,
    recent: &[PathBuf],
    can_back: bool,
    can_forward: bool,
    work: &WorkMenu,
    out: &mut Vec<Command>,
) {
    egui::Panel::top("menu_bar").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                command_button(ui, Command::OpenFile, true, out);
                command_button(ui, Command::OpenFolder, true, out);
                command_button(ui, Command::OpenPath, true, out);
                ui.menu_button("Open recent", |ui| {
                    if recent.is_empty() {
                        ui.label("Nothing opened yet");
                    }
                    for p in recent {
                        if ui.button(p.display().to_string()).clicked() {
                            out.push(Command::Open(p.clone()));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                command_button(ui, Command::RebuildCase, work.open, out);
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                let undo = work
                    .undo
                    .as_deref()
                    .map(|l| format!("Undo {l}"))
                    .unwrap_or_else(|| "Undo".into());
                let redo = work
                    .redo
                    .as_deref()
                    .map(|l| format!("Redo {l}"))
                    .unwrap_or_else(|| "Redo".into());
                for (cmd, label, enabled) in [
                    (Command::Undo, undo, work.undo.is_some()),
                    (Command::Redo, redo, work.redo.is_some()),
                ] {
                    let b = egui::Button::new(label).shortcut_text(cmd.shortcut_text(ui.ctx()));
                    if ui.add_enabled(enabled, b).clicked() {
                        out.push(cmd);
                        ui.close();
                    }
                }
            });
            ui.menu_button("View", |ui| {
                for v in View::ALL {
                    command_button(ui, Command::Show(v), true, out);
                }
                ui.separator();
                command_button(ui, Command::ToggleTheme, true, out);
            });
            ui.menu_button("Selection", |ui| {
                command_button(ui, Command::Back, can_back, out);
                command_button(ui, Command::Forward, can_forward, out);
                command_button(ui, Command::ClearSelection, true, out);
                command_button(ui, Command::Cancel, true, out);
            });
            ui.menu_button("Campaign", |ui| {
                use super::campaigns::Target;
                let sel = work.open && work.has_selection;
                command_button(ui, Command::SelectionTo(Target::New), sel, out);
                ui.add_enabled_ui(sel && !work.campaigns.is_empty(), |ui| {
                    ui.menu_button("Add the selection to", |ui| {
                        for (id, name) in &work.campaigns {
                            if ui.button(name).clicked() {
                                out.push(Command::SelectionTo(Target::Add(*id)));
                                ui.close();
                            }
                        }
                    });
                    ui.menu_button("Remove the selection from", |ui| {
                        for (id, name) in &work.campaigns {
                            if ui.button(name).clicked() {
                                out.push(Command::SelectionTo(Target::Remove(*id)));
                                ui.close();
                            }
                        }
                    });
                });
                command_button(ui, Command::SelectionTo(Target::Tag), sel, out);
                ui.separator();
                ui.add_enabled_ui(!work.campaigns.is_empty(), |ui| {
                    ui.menu_button("Export evidence pack", |ui| {
                        for (id, name) in &work.campaigns {
                            if ui.button(name).clicked() {
                                out.push(Command::ExportPack(*id));
                                ui.close();
                            }
                        }
                    });
                    ui.menu_button("Share indicators", |ui| {
                        for (id, name) in &work.campaigns {
                            if ui.button(name).clicked() {
                                out.push(Command::ShareIndicators(*id));
                                ui.close();
                            }
                        }
                    });
                });
                command_button(ui, Command::Show(View::Campaigns), work.open, out);
            });
            ui.menu_button("Help", |ui| {
                command_button(ui, Command::Help, true, out);
            });
        });
    });
}

/// The view tabs, Back/Forward and the selection as removable chips.
pub fn view_bar(
    ui: &mut egui::Ui,
    current: View,
    sel: &Selection,
    book: &crate::case::Workbook,
    select: &mut Option<Selection>,
    out: &mut Vec<Command>,
) {
    egui::Panel::top("view_bar").show(ui, |ui| {
        ui.add_space(2.0);
        ui.horizontal_wrapped(|ui| {
            for v in View::ALL {
                let tab = ui
                    .selectable_label(current == v, v.title())
                    .on_hover_text(Command::Show(v).shortcut_text(ui.ctx()));
                if tab.clicked() {
                    out.push(Command::Show(v));
                }
            }
            ui.separator();
            if ui
                .button("◀ Back")
                .on_hover_text(format!("Back ({})", Command::Back.shortcut_text(ui.ctx())))
                .clicked()
            {
                out.push(Command::Back);
            }
            if ui
                .button("Forward ▶")
                .on_hover_text(format!(
                    "Forward ({})",
                    Command::Forward.shortcut_text(ui.ctx())
                ))
                .clicked()
            {
                out.push(Command::Forward);
            }
            ui.separator();
            selection_chips(ui, sel, book, select, out);
        });
        ui.add_space(2.0);
    });
}

fn chip(ui: &mut egui::Ui, text: &str) -> bool {
    let fill = theme::tokens(ui).chip_fill;
    let mut removed = false;
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 4.0;
                ui.label(text);
                removed = ui
                    .add(egui::Button::new("×").frame(false).small())
                    .on_hover_text(format!("Remove {text}"))
                    .clicked();
            });
        });
    removed
}

fn selection_chips(
    ui: &mut egui::Ui,
    sel: &Selection,
    book: &crate::case::Workbook,
    select: &mut Option<Selection>,
    out: &mut Vec<Command>,
) {
    if sel.is_empty() {
        // One line, cut to the room left by the tabs: a wrapped hint would
        // spill into the view below.
        ui.add(
            egui::Label::new(
                egui::RichText::new(
                    "Everything selected: brush the timeline, click a category or an account to filter",
                )
                .weak(),
            )
            .truncate(),
        );
        return;
    }
    ui.label("Selection");
    if let Some(r) = sel.days
        && chip(ui, &format!("days {}", r.label()))
    {
        let mut s = sel.clone();
        s.days = None;
        *select = Some(s);
    }
    for c in &sel.categories {
        if chip(ui, c) {
            let mut s = sel.clone();
            s.categories.remove(c);
            *select = Some(s);
        }
    }
    // A campaign's accounts read as the campaign (its filter chip).
    let campaign = (!sel.accounts.is_empty())
        .then(|| {
            book.campaigns
                .iter()
                .find(|c| c.accounts.len() == sel.accounts.len() && c.accounts == sel.accounts)
        })
        .flatten();
    if let Some(c) = campaign {
        if chip(
            ui,
            &format!(
                "campaign {} ({} accounts)",
                c.props.name,
                sel.accounts.len()
            ),
        ) {
            let mut s = sel.clone();
            s.accounts.clear();
            *select = Some(s);
        }
    } else if sel.accounts.len() > 4 {
        if chip(ui, &format!("{} accounts", sel.accounts.len())) {
            let mut s = sel.clone();
            s.accounts.clear();
            *select = Some(s);
        }
    } else {
        for a in &sel.accounts {
            if chip(ui, a) {
                let mut s = sel.clone();
                s.accounts.remove(a);
                *select = Some(s);
            }
        }
    }
    if ui
        .button("+ Campaign…")
        .on_hover_text("Make a campaign of the selection's accounts (or add them to one from the Campaign menu)")
        .clicked()
    {
        out.push(Command::SelectionTo(super::campaigns::Target::New));
    }
    if ui
        .button("Clear")
        .on_hover_text(format!(
            "Clear the selection ({})",
            Command::ClearSelection.shortcut_text(ui.ctx())
        ))
        .clicked()
    {
        out.push(Command::ClearSelection);
    }
}

fn ms(d: Option<std::time::Duration>) -> String {
    d.map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
        .unwrap_or_else(|| "–".into())
}

/// The evidence check in a few words, with its detail on hover.
fn evidence_status(ui: &mut egui::Ui, check: &super::evidence::EvidenceCheck) {
    use super::evidence::EvidenceState;
    match &check.state {
        EvidenceState::Hashing => {
            let (_, fraction) = check.progress.snapshot();
            ui.weak(format!("Evidence: hashing {:.0}%", fraction * 100.0))
                .on_hover_text("Every evidence file is hashed again (SHA-256) in the background and compared with what the case recorded.");
        }
        EvidenceState::Intact(how) => {
            ui.weak("Evidence: intact").on_hover_text(how);
        }
        EvidenceState::Changed(message) => {
            ui.colored_label(ui.visuals().error_fg_color, "Evidence: CHANGED")
                .on_hover_text(message);
        }
        EvidenceState::Unchecked(why) => {
            ui.colored_label(ui.visuals().warn_fg_color, "Evidence: not verified")
                .on_hover_text(why);
        }
    }
}

/// The status bar: what is open, what is running, how long queries took.
pub fn status_bar(
    ui: &mut egui::Ui,
    session: Option<&Session>,
    opening: Option<&Opening>,
    busy: bool,
    out: &mut Vec<Command>,
) {
    egui::Panel::bottom("status_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            if let Some(o) = opening {
                // No spinner: it repaints every frame, and the build it
                // waits on needs the cores (see `Opening::start`).
                let (stage, fraction) = o.progress.snapshot();
                ui.label(format!("Opening {}: {stage}", o.path.display()));
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(120.0)
                        .show_percentage(),
                );
                if ui.button("Cancel").clicked() {
                    out.push(Command::Cancel);
                }
            } else if let Some(s) = session {
                let name = s
                    .case_path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ui.label(format!("Case {name}"))
                    .on_hover_text(s.case_path.display().to_string());
                ui.separator();
                evidence_status(ui, &s.evidence);
                ui.separator();
                ui.weak(format!(
                    "timeline {} · categories {} · accounts {}",
                    ms(s.timeline.last_duration),
                    ms(s.categories.last_duration),
                    ms(s.accounts.last_duration)
                ))
                .on_hover_text(
                    "How long the last answer of each view took, from request to arrival",
                );
                if busy {
                    ui.separator();
                    ui.spinner();
                    ui.label("querying…");
                    if ui.small_button("Cancel").clicked() {
                        out.push(Command::Cancel);
                    }
                }
            } else {
                ui.weak("No case open");
            }
        });
    });
}

/// The page shown before a case is open.
pub fn welcome(
    ui: &mut egui::Ui,
    opening: Option<&Opening>,
    recent: &[PathBuf],
    out: &mut Vec<Command>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.15);
        ui.heading("distillscope");
        ui.label("Find, understand and document distillation campaigns in LLM API request logs.");
        ui.add_space(16.0);
        if let Some(o) = opening {
            let (stage, fraction) = o.progress.snapshot();
            let verb = if o.rebuild { "Rebuilding" } else { "Opening" };
            ui.label(format!("{verb} {}", o.path.display()));
            ui.add_space(4.0);
            ui.label(if stage.is_empty() { "Starting…".to_owned() } else { stage });
            ui.add(egui::ProgressBar::new(fraction).desired_width(360.0));
            let why = if o.rebuild {
                "The case is made again from the evidence; campaigns, tags, notes and the audit log are carried over and checked before it replaces the old one."
            } else {
                "The first open of a log builds its case file (loads, checks and classifies every exchange); later opens take a second."
            };
            ui.weak(format!("{:.0} s. {why}", o.started.elapsed().as_secs_f64()));
            // The seconds tick without drawing more often than needed.
            ui.ctx().request_repaint_after(super::opening::REPAINT_EVERY);
            if ui.button("Cancel").clicked() {
                out.push(Command::Cancel);
            }
            return;
        }
        ui.horizontal(|ui| {
            ui.add_space((ui.available_width() - 360.0).max(0.0) / 2.0);
            for c in [Command::OpenFile, Command::OpenFolder, Command::OpenPath] {
                if ui.button(c.label()).clicked() {
                    out.push(c);
                }
            }
        });
        ui.add_space(8.0);
        ui.weak("or drop a file or folder on the window");
        ui.weak(
            "Opens request logs as contract tables (DuckDB, Parquet, CSV, JSON Lines), LiteLLM spend-log exports, \
             OpenTelemetry GenAI traces and Bedrock invocation logs (gzip too), or a folder of them.",
        );
        if !recent.is_empty() {
            ui.add_space(16.0);
            ui.strong("Recent");
            for p in recent {
                if ui.link(p.display().to_string()).clicked() {
                    out.push(Command::Open(p.clone()));
                }
            }
        }
    });
}

/// The typed-path window, for machines without a working file dialog.
pub fn path_window(ctx: &egui::Context, state: &mut ChromeState, out: &mut Vec<Command>) {
    if !state.path_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Open path")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 80.0))
        .show(ctx, |ui| {
            ui.label("A DuckDB database, a Parquet/CSV/JSON Lines file, a folder of them, or a .case.duckdb file");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut state.path_text)
                    .hint_text("/path/to/logs.parquet")
                    .desired_width(480.0),
            );
            if state.focus_path {
                edit.request_focus();
                state.focus_path = false;
            }
            let submitted = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(err) = &state.path_error {
                ui.colored_label(theme::tokens(ui).warn, err);
            }
            if ui.button("Open").clicked() || submitted {
                let path = PathBuf::from(state.path_text.trim());
                if path.exists() {
                    state.path_error = None;
                    state.path_open = false;
                    out.push(Command::Open(path));
                } else {
                    state.path_error = Some(format!("No such file or folder: {}", path.display()));
                }
            }
        });
    if !open {
        state.path_open = false;
    }
}

/// The help window: shortcuts and how the views work together.
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Help").open(open).show(ctx, |ui| {
        ui.label("One selection drives every view: brush days on the timeline, click a category bar, \
                  click accounts in the table (Ctrl-click adds). Each view shows everything except its \
                  own filter, with the selected part highlighted. The chips under the tabs show the \
                  selection; click × to remove a part.");
        ui.add_space(8.0);
        egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
            for c in Command::with_shortcuts() {
                ui.label(c.label());
                ui.monospace(c.shortcut_text(ctx));
                ui.end_row();
            }
        });
    });
}
