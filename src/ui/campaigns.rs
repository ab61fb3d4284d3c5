//! Campaigns: the analyst's named sets of accounts. A list with colour,
//! status and size; the chosen campaign's properties (edited and saved as
//! one audited change), totals, days, capability mix and shared
//! infrastructure, notes and audit trail; and the dialogs that make a
//! campaign from the selection, tag the selection, and export an evidence
//! pack with progress.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use egui::Color32;

use super::app::ViewCtx;
use super::commands::{Command, View};
use super::session::Session;
use super::theme;
use crate::analysis::detect::config::DEFAULT_CONFIG;
use crate::analysis::selection::Selection;
use crate::analysis::summary::group_digits;
use crate::case::model::{default_colour, parse_colour};
use crate::case::{CampaignProps, Edit, NoteTarget, Status};
use crate::export::pack::PackOptions;

/// What a selection dialog does with the selection's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new campaign.
    New,
    /// Add them to campaign `id`.
    Add(i64),
    /// Take them out of campaign `id`.
    Remove(i64),
    /// Put a tag on them.
    Tag,
}

/// The dialog that applies the selection to a campaign or a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionDialog {
    /// What it does.
    pub target: Target,
    /// The selection it was opened on.
    pub selection: Selection,
    /// New campaign's (or the tag's) name.
    pub name: String,
    /// New campaign's status.
    pub status: Status,
    /// New campaign's confidence.
    pub confidence: u8,
    /// New campaign's notes.
    pub notes: String,
}

/// The export dialog.
pub struct ExportDialog {
    /// The campaign.
    pub campaign: i64,
    /// The pack folder to create.
    pub folder: String,
    /// Write a sample of exchanges instead of all.
    pub sample: bool,
    /// Sample size.
    pub sample_rows: u64,
    /// Also write a zip.
    pub zip: bool,
    /// Sort exchanges.csv oldest first.
    pub oldest_first: bool,
    /// Add detection scores (when a scan has run).
    pub detection: bool,
    picking: Option<Receiver<Option<PathBuf>>>,
}

/// What the Campaigns view remembers.
#[derive(Default)]
pub struct CampaignsState {
    /// The campaign shown.
    pub chosen: Option<i64>,
    draft: Option<(i64, u64, CampaignProps)>,
    note: String,
    /// The selection dialog, when open.
    pub dialog: Option<SelectionDialog>,
    /// The export dialog, when open.
    pub export: Option<ExportDialog>,
    /// The Share indicators dialog, when open.
    pub share: Option<super::share::ShareDialog>,
}

impl CampaignsState {
    /// Opens the selection dialog for `target` on `sel`.
    pub fn open_dialog(&mut self, target: Target, sel: &Selection, session: &Session) {
        let n = session.work.book().campaigns.len() as i64 + 1;
        self.dialog = Some(SelectionDialog {
            target,
            selection: sel.clone(),
            name: match target {
                Target::Tag => String::new(),
                _ => format!("Campaign {n}"),
            },
            status: Status::Suspected,
            confidence: 50,
            notes: String::new(),
        });
    }

    /// Opens the export dialog for campaign `id`.
    pub fn open_export(&mut self, id: i64, session: &Session) {
        let folder = beside_case(session, id, |safe| format!("evidence-{safe}"));
        self.export = Some(ExportDialog {
            campaign: id,
            folder: folder.display().to_string(),
            sample: false,
            sample_rows: 100_000,
            zip: false,
            oldest_first: false,
            detection: session.scan.value().is_some(),
            picking: None,
        });
    }
}

/// A path beside the case file named after campaign `id` by `name` (given
/// the campaign's name with anything but letters, digits and dashes as `_`).
pub fn beside_case(session: &Session, id: i64, name: impl Fn(&str) -> String) -> PathBuf {
    let campaign = session
        .work
        .book()
        .campaign_by_id(id)
        .map(|c| c.props.name.clone())
        .unwrap_or_default();
    let safe: String = campaign
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    session
        .case_path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(name(&safe))
}

/// The colour of a campaign for painting.
pub fn colour(hex: &str) -> Color32 {
    parse_colour(hex)
        .map(|[r, g, b]| Color32::from_rgb(r, g, b))
        .unwrap_or(Color32::GRAY)
}

/// The accounts of a selection: its accounts when only accounts are
/// chosen; otherwise the accounts active in its days and categories (asked
/// for, None until they arrive).
pub fn selection_accounts(session: &mut Session, sel: &Selection) -> Option<BTreeSet<String>> {
    if sel.days.is_none() && sel.categories.is_empty() {
        return Some(sel.accounts.clone());
    }
    session.want_selection_accounts(sel);
    (session.selection_accounts.shown_key() == Some(sel))
        .then(|| session.selection_accounts.value())
        .flatten()
        .map(|v| v.iter().cloned().collect())
}

/// The selection in words, for the audit log.
pub fn origin(sel: &Selection) -> String {
    let mut parts = Vec::new();
    if let Some(d) = sel.days {
        parts.push(format!("days {}", d.label()));
    }
    if !sel.categories.is_empty() {
        parts.push(format!(
            "categories {}",
            sel.categories
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !sel.accounts.is_empty() {
        parts.push(format!(
            "{} selected accounts",
            group_digits(sel.accounts.len() as i64)
        ));
    }
    format!("the selection ({})", parts.join("; "))
}

/// Draws the Campaigns view.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut CampaignsState, analyst: &mut String) {
    ui.horizontal(|ui| {
        ui.heading("Campaigns");
        ui.separator();
        let label = ui.label("Analyst");
        ui.add(egui::TextEdit::singleline(analyst).desired_width(160.0))
            .labelled_by(label.id)
            .on_hover_text(
                "Your name, recorded in the audit log with every change and in every evidence pack",
            );
        if let Some(reason) = &cx.session.work.read_only {
            ui.colored_label(theme::tokens(ui).warn, format!("Read-only case: {reason}"));
        }
        if let Some(job) = &cx.session.work.export {
            let (stage, fraction) = job.progress.snapshot();
            ui.separator();
            ui.spinner();
            ui.label(format!("Exporting {}: {stage}", job.campaign));
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(160.0)
                    .show_percentage(),
            );
        }
    });
    ui.separator();
    let book = cx.session.work.book().clone();
    if st.chosen.is_none_or(|id| book.campaign_by_id(id).is_none()) {
        st.chosen = book.campaigns.first().map(|c| c.id);
    }
    egui::Panel::left("campaign_list")
        .resizable(true)
        .default_size(330.0)
        .min_size(260.0)
        .show(ui, |ui| {
            let has_sel = !cx.selection.is_empty();
            if ui
                .add_enabled(has_sel, egui::Button::new("New campaign from the selection…"))
                .on_disabled_hover_text("Select accounts first: a graph lasso, a Suspects cluster, table rows or a timeline range")
                .clicked()
            {
                cx.commands.push(Command::SelectionTo(Target::New));
            }
            ui.add_space(6.0);
            if book.campaigns.is_empty() {
                ui.weak("No campaigns yet. Select accounts anywhere (lasso in the network, a cluster in Suspects, rows of the accounts table, a range of the timeline) and make one from the selection.");
            }
            egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
                for c in &book.campaigns {
                    ui.horizontal(|ui| {
                        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                        ui.painter().rect_filled(rect, 3.0, colour(&c.props.colour));
                        let text = format!(
                            "{}  ·  {}  ·  {} accounts",
                            c.props.name,
                            c.props.status.name(),
                            group_digits(c.accounts.len() as i64)
                        );
                        if ui.selectable_label(st.chosen == Some(c.id), text).clicked() {
                            st.chosen = Some(c.id);
                        }
                    });
                }
                let tags = book.tag_counts();
                if !tags.is_empty() {
                    ui.add_space(10.0);
                    ui.strong("Tags");
                    for (t, n) in tags {
                        ui.label(format!(
                            "{t}: {} account{}",
                            group_digits(n as i64),
                            if n == 1 { "" } else { "s" }
                        ));
                    }
                }
            });
        });
    let Some(id) = st.chosen else {
        return;
    };
    let Some(campaign) = book.campaign_by_id(id).cloned() else {
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            properties(ui, cx, st, &campaign, analyst);
            ui.separator();
            actions(ui, cx, st, &campaign, analyst);
            ui.separator();
            overview(ui, cx, &campaign, analyst);
            ui.separator();
            notes(ui, cx, st, &campaign, analyst);
        });
}

fn properties(
    ui: &mut egui::Ui,
    cx: &mut ViewCtx<'_>,
    st: &mut CampaignsState,
    c: &crate::case::Campaign,
    analyst: &str,
) {
    let rev = cx.session.work.revision;
    if st.draft.as_ref().is_none_or(|d| d.0 != c.id || d.1 != rev) {
        st.draft = Some((c.id, rev, c.props.clone()));
    }
    let Some((_, _, draft)) = st.draft.as_mut() else {
        return;
    };
    egui::Grid::new("campaign_props")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut draft.name).desired_width(320.0))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Colour");
            let mut rgb = parse_colour(&draft.colour).unwrap_or([128, 128, 128]);
            if ui
                .color_edit_button_srgb(&mut rgb)
                .labelled_by(label.id)
                .changed()
            {
                draft.colour = format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
            }
            ui.end_row();
            status_fields(
                ui,
                &mut draft.status,
                &mut draft.confidence,
                &mut draft.notes,
                480.0,
            );
            ui.label("Created");
            ui.label(format!("{} by {}", c.created_at, c.created_by));
            ui.end_row();
        });
    let changed = *draft != c.props;
    let draft = draft.clone();
    let (mut save, mut discard) = (false, false);
    ui.horizontal(|ui| {
        save = ui
            .add_enabled(changed, egui::Button::new("Save changes"))
            .clicked();
        discard = ui
            .add_enabled(changed, egui::Button::new("Discard"))
            .clicked();
    });
    if save {
        let edit = Edit::Update {
            campaign: c.props.name.clone(),
            props: draft,
        };
        match cx.session.work.apply(&edit, analyst) {
            Ok(_) => st.draft = None,
            Err(e) => cx.commands.push(Command::Notify(e)),
        }
    }
    if discard {
        st.draft = None;
    }
}

fn actions(
    ui: &mut egui::Ui,
    cx: &mut ViewCtx<'_>,
    st: &mut CampaignsState,
    c: &crate::case::Campaign,
    analyst: &str,
) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(format!("Select its {} accounts", group_digits(c.accounts.len() as i64)))
            .on_hover_text("Every view follows: the timeline, categories, accounts and network show this campaign")
            .clicked()
        {
            *cx.select = Some(Selection {
                accounts: c.accounts.clone(),
                ..Selection::default()
            });
        }
        if ui.button("Show in network").clicked() {
            *cx.select = Some(Selection {
                accounts: c.accounts.clone(),
                ..Selection::default()
            });
            cx.commands.push(Command::Show(View::Network));
        }
        let has_sel = !cx.selection.is_empty();
        if ui.add_enabled(has_sel, egui::Button::new("Add the selection…")).clicked() {
            cx.commands.push(Command::SelectionTo(Target::Add(c.id)));
        }
        if ui.add_enabled(has_sel, egui::Button::new("Remove the selection…")).clicked() {
            cx.commands.push(Command::SelectionTo(Target::Remove(c.id)));
        }
        if ui
            .add_enabled(cx.session.work.export.is_none(), egui::Button::new("Export evidence pack…"))
            .clicked()
        {
            st.open_export(c.id, cx.session);
        }
        if ui
            .button("Share indicators…")
            .on_hover_text("Its infrastructure and template fingerprints for other providers, as STIX 2.1: no customer data")
            .clicked()
        {
            cx.commands.push(Command::ShareIndicators(c.id));
        }
        if ui
            .button("Delete")
            .on_hover_text("Undo (Ctrl+Z) brings it back; the audit log keeps its history")
            .clicked()
            && let Err(e) = cx.session.work.apply(
                &Edit::Delete {
                    campaign: c.props.name.clone(),
                },
                analyst,
            )
        {
            cx.commands.push(Command::Notify(e));
        }
    });
}

fn overview(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, c: &crate::case::Campaign, analyst: &str) {
    cx.session.work.want_facts(c.id, analyst);
    let loading = cx.session.work.facts.is_loading();
    let facts = cx
        .session
        .work
        .facts
        .value()
        .cloned()
        .filter(|f| f.campaign.id == c.id);
    let Some(f) = facts else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Totals, days, categories and shared infrastructure…");
        });
        return;
    };
    if loading {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("updating…");
        });
    }
    let days: BTreeSet<i32> = f.daily.iter().map(|r| r.day).collect();
    ui.strong("Totals");
    ui.label(format!(
        "{} accounts ({} active), {} requests, {} – {} ({} active days)",
        group_digits(c.accounts.len() as i64),
        group_digits(f.active_accounts),
        group_digits(f.exchanges),
        days.first()
            .map(|d| crate::analysis::days::iso(*d))
            .unwrap_or_default(),
        days.last()
            .map(|d| crate::analysis::days::iso(*d))
            .unwrap_or_default(),
        days.len()
    ));
    ui.add_space(6.0);
    ui.strong("Capability mix against every other account");
    egui::Grid::new("campaign_categories")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            ui.weak("category");
            ui.weak("campaign");
            ui.weak("baseline");
            ui.weak("lift");
            ui.end_row();
            for r in f.categories.iter().filter(|r| r.campaign > 0).take(6) {
                ui.horizontal(|ui| {
                    theme::swatch(ui, &r.category);
                    ui.label(&r.category);
                });
                ui.label(format!("{:.1}%", 100.0 * r.campaign_share));
                ui.label(format!("{:.1}%", 100.0 * r.baseline_share));
                ui.label(
                    r.lift
                        .map(|l| format!("{l:.1}×"))
                        .unwrap_or_else(|| "–".into()),
                );
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.strong("Shared infrastructure (used by two or more of its accounts)");
    let mut kinds: Vec<&str> = f.infrastructure.iter().map(|r| r.kind.as_str()).collect();
    kinds.dedup();
    egui::Grid::new("campaign_infra")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            ui.weak("kind");
            ui.weak("most shared");
            ui.weak("campaign accounts");
            ui.weak("in the case");
            ui.end_row();
            for kind in kinds {
                let rows: Vec<_> = f.infrastructure.iter().filter(|r| r.kind == kind).collect();
                if let Some(top) = rows.first() {
                    ui.label(format!("{kind} ({})", rows.len()));
                    let shown = if kind == "template" {
                        top.detail.chars().take(60).collect::<String>()
                    } else if top.detail.is_empty() {
                        top.value.clone()
                    } else {
                        format!("{} ({})", top.value, top.detail)
                    };
                    ui.label(shown);
                    ui.label(group_digits(top.campaign_accounts));
                    ui.label(group_digits(top.case_accounts));
                    ui.end_row();
                }
            }
        });
}

fn notes(
    ui: &mut egui::Ui,
    cx: &mut ViewCtx<'_>,
    st: &mut CampaignsState,
    c: &crate::case::Campaign,
    analyst: &str,
) {
    ui.strong("Notes");
    let book = cx.session.work.book().clone();
    for n in book.notes.iter().filter(|n| {
        n.target == NoteTarget::Campaign(c.id)
            || matches!(&n.target, NoteTarget::Account(a) if c.accounts.contains(a))
    }) {
        ui.label(format!(
            "{} · {} · {}: {}",
            n.at,
            n.author,
            book.target_label(&n.target),
            n.text
        ));
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .hint_text("A note on this campaign")
                .desired_width(420.0),
        );
        if ui
            .add_enabled(!st.note.trim().is_empty(), egui::Button::new("Add note"))
            .clicked()
        {
            match cx.session.work.apply(
                &Edit::AddNote {
                    target: NoteTarget::Campaign(c.id),
                    text: st.note.clone(),
                },
                analyst,
            ) {
                Ok(_) => st.note.clear(),
                Err(e) => cx.commands.push(Command::Notify(e)),
            }
        }
    });
    ui.add_space(6.0);
    ui.strong("Audit trail");
    cx.session.work.want_audit(Some(c.id));
    if let Some(entries) = cx.session.work.audit.value() {
        egui::Grid::new("campaign_audit")
            .striped(true)
            .num_columns(4)
            .show(ui, |ui| {
                for e in entries.iter().rev() {
                    ui.label(&e.at);
                    ui.label(&e.analyst);
                    ui.label(&e.action);
                    ui.label(&e.detail);
                    ui.end_row();
                }
            });
    }
}

/// Status, confidence and notes rows of a campaign form (in a grid).
fn status_fields(
    ui: &mut egui::Ui,
    status: &mut Status,
    confidence: &mut u8,
    notes: &mut String,
    width: f32,
) {
    ui.label("Status");
    ui.horizontal(|ui| {
        for s in Status::ALL {
            ui.radio_value(status, s, s.name());
        }
    });
    ui.end_row();
    let label = ui.label("Confidence");
    ui.add(egui::Slider::new(confidence, 0..=100).suffix(" %"))
        .labelled_by(label.id);
    ui.end_row();
    let label = ui.label("Notes");
    ui.add(
        egui::TextEdit::multiline(notes)
            .desired_rows(3)
            .desired_width(width),
    )
    .labelled_by(label.id);
    ui.end_row();
}

/// The selection dialog (a window over any view).
pub fn selection_window(
    ctx: &egui::Context,
    session: &mut Session,
    st: &mut CampaignsState,
    analyst: &str,
    out: &mut Vec<Command>,
) {
    let Some(d) = st.dialog.as_mut() else { return };
    let mut open = true;
    let mut done = false;
    let book = session.work.book().clone();
    let title = match d.target {
        Target::New => "New campaign from the selection".to_owned(),
        Target::Add(id) => format!(
            "Add the selection to {}",
            book.campaign_by_id(id)
                .map(|c| c.props.name.as_str())
                .unwrap_or("?")
        ),
        Target::Remove(id) => format!(
            "Remove the selection from {}",
            book.campaign_by_id(id)
                .map(|c| c.props.name.as_str())
                .unwrap_or("?")
        ),
        Target::Tag => "Tag the selection".to_owned(),
    };
    let accounts = selection_accounts(session, &d.selection);
    egui::Window::new(title)
        .id(egui::Id::unique("selection_dialog"))
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(origin(&d.selection));
            match &accounts {
                Some(a) => ui.label(format!("{} accounts", group_digits(a.len() as i64))),
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Finding the accounts active in the selection…");
                    })
                    .response
                }
            };
            ui.add_space(4.0);
            egui::Grid::new("selection_dialog_grid")
                .num_columns(2)
                .show(ui, |ui| match d.target {
                    Target::New => {
                        ui.label("Name");
                        ui.add(egui::TextEdit::singleline(&mut d.name).desired_width(260.0));
                        ui.end_row();
                        status_fields(ui, &mut d.status, &mut d.confidence, &mut d.notes, 260.0);
                    }
                    Target::Tag => {
                        ui.label("Tag");
                        ui.add(
                            egui::TextEdit::singleline(&mut d.name)
                                .hint_text("e.g. reseller")
                                .desired_width(260.0),
                        );
                        ui.end_row();
                    }
                    Target::Add(_) | Target::Remove(_) => {}
                });
            ui.add_space(4.0);
            let label = match d.target {
                Target::New => "Create",
                Target::Add(_) => "Add",
                Target::Remove(_) => "Remove",
                Target::Tag => "Tag",
            };
            let ready = accounts.as_ref().is_some_and(|a| !a.is_empty());
            if ui.add_enabled(ready, egui::Button::new(label)).clicked()
                && let Some(accounts) = accounts.clone()
            {
                let origin = origin(&d.selection);
                let campaign_name = |id: i64| {
                    book.campaign_by_id(id)
                        .map(|c| c.props.name.clone())
                        .unwrap_or_default()
                };
                let edit = match d.target {
                    Target::New => Edit::Create {
                        props: CampaignProps {
                            name: d.name.clone(),
                            colour: default_colour(book.next_campaign_id()).to_owned(),
                            status: d.status,
                            confidence: d.confidence,
                            notes: d.notes.clone(),
                        },
                        accounts,
                        origin,
                    },
                    Target::Add(id) => Edit::Add {
                        campaign: campaign_name(id),
                        accounts,
                        origin,
                    },
                    Target::Remove(id) => Edit::Remove {
                        campaign: campaign_name(id),
                        accounts,
                        origin,
                    },
                    Target::Tag => Edit::Tag {
                        accounts,
                        tag: d.name.clone(),
                    },
                };
                match session.work.apply(&edit, analyst) {
                    Ok(line) => {
                        if d.target == Target::New {
                            st.chosen = session.work.book().campaigns.last().map(|c| c.id);
                        }
                        out.push(Command::Notify(format!("Saved: {line}")));
                        done = true;
                    }
                    Err(e) => out.push(Command::Notify(e)),
                }
            }
        });
    if !open || done {
        st.dialog = None;
    }
}

/// The export dialog (a window over any view).
pub fn export_window(
    ctx: &egui::Context,
    session: &mut Session,
    st: &mut CampaignsState,
    analyst: &str,
) {
    let mut open = st.export.is_some() || session.work.export.is_some();
    if !open {
        return;
    }
    let mut close = false;
    egui::Window::new("Export evidence pack")
        .id(egui::Id::unique("export_dialog"))
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .open(&mut open)
        .collapsible(false)
        .default_width(560.0)
        .show(ctx, |ui| {
            if let Some(job) = &session.work.export {
                let (stage, fraction) = job.progress.snapshot();
                ui.label(format!(
                    "Exporting {} to {}",
                    job.campaign,
                    job.out.display()
                ));
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .show_percentage()
                        .text(stage),
                );
                if ui
                    .button("Cancel")
                    .on_hover_text("Stops the export; nothing that looks like a pack is left")
                    .clicked()
                {
                    job.progress.cancel();
                }
                ctx.request_repaint_after(std::time::Duration::from_millis(200));
                return;
            }
            if let Some(result) = &session.work.exported {
                match result {
                    Ok(r) => {
                        ui.label(format!(
                            "Wrote {} files to {}",
                            r.manifest.files.len() + 1,
                            r.dir.display()
                        ));
                        ui.label(format!(
                            "Pack fingerprint (SHA-256 of manifest.json): {}",
                            r.fingerprint
                        ));
                        ui.weak("Check it any time with: distillscope verify <folder>");
                    }
                    Err(e) => {
                        ui.colored_label(theme::tokens(ui).warn, format!("Export failed: {e}"));
                    }
                }
                ui.separator();
            }
            let Some(d) = st.export.as_mut() else {
                if ui.button("Close").clicked() {
                    close = true;
                }
                return;
            };
            let book = session.work.book();
            let Some(c) = book.campaign_by_id(d.campaign).cloned() else {
                close = true;
                return;
            };
            ui.label(format!(
                "Campaign {} ({} accounts)",
                c.props.name,
                group_digits(c.accounts.len() as i64)
            ));
            ui.horizontal(|ui| {
                ui.label("Folder");
                ui.add(egui::TextEdit::singleline(&mut d.folder).desired_width(380.0));
                if ui.button("Choose…").clicked() && d.picking.is_none() {
                    let (tx, rx) = std::sync::mpsc::sync_channel(1);
                    let repaint = ctx.clone();
                    let spawned = std::thread::Builder::new()
                        .name("export-dialog".into())
                        .spawn(move || {
                            let _ = tx.send(
                                rfd::FileDialog::new()
                                    .set_title("Folder to hold the pack")
                                    .pick_folder(),
                            );
                            repaint.request_repaint();
                        });
                    if spawned.is_ok() {
                        d.picking = Some(rx);
                    }
                }
            });
            if let Some(rx) = &d.picking {
                match rx.try_recv() {
                    Ok(Some(dir)) => {
                        let name = PathBuf::from(&d.folder)
                            .file_name()
                            .map(|n| n.to_owned())
                            .unwrap_or_else(|| "evidence".into());
                        d.folder = dir.join(name).display().to_string();
                        d.picking = None;
                    }
                    Ok(None) | Err(TryRecvError::Disconnected) => d.picking = None,
                    Err(TryRecvError::Empty) => {}
                }
            }
            ui.weak("A new folder is created; an existing one is never overwritten.");
            ui.horizontal(|ui| {
                ui.radio_value(&mut d.sample, false, "Every exchange");
                ui.radio_value(&mut d.sample, true, "A random sample of");
                ui.add_enabled(
                    d.sample,
                    egui::DragValue::new(&mut d.sample_rows)
                        .range(1..=100_000_000)
                        .speed(1000),
                );
                ui.label("exchanges");
            });
            // A stale scan kept in the case is not of this case's state.
            let scanned = session.scan.value().is_some_and(|s| s.stale().is_empty());
            ui.add_enabled(
                scanned,
                egui::Checkbox::new(
                    &mut d.detection,
                    "Detection scores and signals in accounts.csv",
                ),
            )
            .on_disabled_hover_text(
                "Run detection first (the Suspects view; a stale scan needs Re-scan)",
            );
            ui.checkbox(&mut d.zip, "Also write a .zip of the folder");
            ui.add_enabled(
                !d.sample,
                egui::Checkbox::new(
                    &mut d.oldest_first,
                    "Sort exchanges.csv oldest first (slower: a sort of every row)",
                ),
            )
            .on_disabled_hover_text("A sample is always written oldest first");
            ui.add_space(6.0);
            if ui.button("Export").clicked() {
                let opts = PackOptions {
                    campaign: c.props.name.clone(),
                    out: PathBuf::from(d.folder.trim()),
                    sample: d.sample.then_some(d.sample_rows),
                    zip: d.zip,
                    oldest_first: d.oldest_first,
                    analyst: analyst.to_owned(),
                };
                // The scan on screen and the settings it ran with.
                let detection: Option<(Arc<_>, String)> = (d.detection && scanned)
                    .then(|| {
                        let settings = session
                            .scan
                            .shown_key()
                            .map(|k| k.config.clone())
                            .unwrap_or_else(|| DEFAULT_CONFIG.to_owned());
                        session.scan.value().cloned().map(|s| (s, settings))
                    })
                    .flatten();
                if let Err(e) = session.work.start_export(opts, detection) {
                    session.work.exported = Some(Err(e));
                }
            }
        });
    if !open || close {
        st.export = None;
        session.work.exported = None;
    }
}
