//! Overview: the incident at a glance, and where the evidence came from.

use super::app::ViewCtx;
use super::commands::{Command, View};
use super::theme;
use crate::analysis::summary::group_digits;

fn stat(ui: &mut egui::Ui, label: &str, value: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_min_width(150.0);
        ui.vertical(|ui| {
            ui.weak(label);
            ui.heading(value);
        });
    });
}

/// The evidence check's state in words.
fn integrity(ui: &mut egui::Ui, check: &super::evidence::EvidenceCheck) {
    use super::evidence::EvidenceState;
    match &check.state {
        EvidenceState::Hashing => {
            let (_, fraction) = check.progress.snapshot();
            ui.label(format!(
                "hashing every file again in full (SHA-256): {:.0}%",
                fraction * 100.0
            ));
        }
        EvidenceState::Intact(how) => {
            ui.label(format!("intact: {how}"));
        }
        EvidenceState::Changed(message) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("CHANGED: {message}"));
        }
        EvidenceState::Unchecked(why) => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("not verified: {why}"));
        }
    }
}

/// Where each column of `exchanges` came from, and how full it is: what an
/// analyst checks first on a log the tool did not make.
fn fields(ui: &mut egui::Ui, s: &crate::analysis::summary::Summary) {
    if s.fields.is_empty() {
        return;
    }
    let empty = s.fields.iter().filter(|f| f.filled == 0).count();
    egui::CollapsingHeader::new(format!(
        "How the fields were read ({} of {} columns have values)",
        s.fields.len() - empty,
        s.fields.len()
    ))
    .default_open(false)
    .show(ui, |ui| {
        egui::Grid::new("fields")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                for f in &s.fields {
                    ui.monospace(&f.column);
                    let share = if s.exchanges > 0 {
                        100.0 * f.filled as f64 / s.exchanges as f64
                    } else {
                        0.0
                    };
                    if f.filled == 0 {
                        ui.colored_label(ui.visuals().warn_fg_color, "no values");
                    } else {
                        ui.label(format!("{share:.1}% of rows"));
                    }
                    let from = if f.from.is_empty() {
                        "not in the evidence"
                    } else {
                        &f.from
                    };
                    ui.label(format!("from {from}"));
                    ui.end_row();
                }
            });
    });
}

/// Draws the overview.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>) {
    cx.session.want_summary();
    let Some(s) = cx.session.summary.value().cloned() else {
        ui.spinner();
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                stat(ui, "Exchanges", &group_digits(s.exchanges));
                stat(ui, "Accounts", &group_digits(s.accounts));
                stat(ui, "First exchange", s.first_ts.as_deref().unwrap_or("–"));
                stat(ui, "Last exchange", s.last_ts.as_deref().unwrap_or("–"));
                stat(ui, "Days with traffic", &s.per_day.len().to_string());
            });
            ui.add_space(8.0);
            egui::CollapsingHeader::new("Evidence")
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("evidence").num_columns(2).show(ui, |ui| {
                        ui.label("Source");
                        ui.monospace(&s.source);
                        ui.end_row();
                        ui.label("Format");
                        ui.label(&s.format);
                        ui.end_row();
                        ui.label("Case file");
                        ui.vertical(|ui| {
                            ui.monospace(&s.case_file);
                            let in_workspace = crate::store::case::workspace_dir()
                                .is_some_and(|ws| std::path::Path::new(&s.case_file).starts_with(ws));
                            if in_workspace {
                                ui.weak(
                                    "in your workspace: the evidence's folder cannot be written \
                                     (read-only), so the case is kept here and the evidence is untouched",
                                );
                            }
                        });
                        ui.end_row();
                        for skipped in &s.skipped {
                            ui.label("Left out");
                            ui.monospace(format!("{skipped} (not a log)"));
                            ui.end_row();
                        }
                        for e in &cx.session.meta.evidence {
                            ui.label("File");
                            ui.monospace(format!(
                                "{}  ({} bytes)\nSHA-256 {}",
                                e.path.display(),
                                group_digits(e.size as i64),
                                e.sha256
                            ));
                            ui.end_row();
                        }
                        ui.label("Case made");
                        ui.label(format!(
                            "{} by distillscope {}",
                            cx.session.meta.created_at, cx.session.meta.tool_version
                        ));
                        ui.end_row();
                        ui.label("Integrity");
                        integrity(ui, &cx.session.evidence);
                        ui.end_row();
                    });
                });
            fields(ui, &s);
            let entries = cx.session.custody.len();
            egui::CollapsingHeader::new(format!(
                "Chain of custody ({entries} {})",
                if entries == 1 { "entry" } else { "entries" }
            ))
            .default_open(false)
            .show(ui, |ui| {
                if cx.session.custody.is_empty() {
                    ui.weak("This case was made before distillscope recorded its chain of custody.");
                }
                egui::Grid::new("custody")
                    .striped(true)
                    .num_columns(4)
                    .show(ui, |ui| {
                        for c in &cx.session.custody {
                            ui.monospace(&c.at);
                            ui.label(format!("{} (distillscope {})", c.who, c.tool_version));
                            ui.strong(&c.action);
                            // Long (every evidence file with its hash):
                            // one line, the whole on hover.
                            ui.add(egui::Label::new(&c.detail).truncate())
                                .on_hover_text(&c.detail);
                            ui.end_row();
                        }
                    });
            });
            ui.add_space(8.0);
            ui.columns(2, |cols| {
                let ui = &mut cols[0];
                ui.strong("Capability categories");
                egui::Grid::new("overview_categories")
                    .striped(true)
                    .num_columns(4)
                    .show(ui, |ui| {
                        for c in &s.categories {
                            theme::swatch(ui, &c.category);
                            if ui
                                .link(&c.category)
                                .on_hover_text("Select this category")
                                .clicked()
                            {
                                let mut sel = cx.selection.clone();
                                sel.categories = [c.category.clone()].into();
                                *cx.select = Some(sel);
                                cx.commands.push(Command::Show(View::Categories));
                            }
                            ui.label(group_digits(c.exchanges));
                            ui.label(format!("{:.1}%", c.share * 100.0));
                            ui.end_row();
                        }
                    });
                if s.log_labelled > 0 {
                    ui.weak(format!(
                    "The log labelled {} exchanges itself; the classifier disagrees on {} of them.",
                    group_digits(s.log_labelled),
                    group_digits(s.classifier_disagreements)
                ));
                }
                let ui = &mut cols[1];
                ui.strong("Busiest accounts");
                egui::Grid::new("overview_accounts")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        for a in &s.top_accounts {
                            if ui
                                .link(&a.account_id)
                                .on_hover_text("Open this account")
                                .clicked()
                            {
                                cx.commands.push(Command::OpenAccount(a.account_id.clone()));
                            }
                            ui.label(group_digits(a.exchanges));
                            ui.label(a.top_category.as_deref().unwrap_or("–"));
                            ui.end_row();
                        }
                    });
            });
            ui.add_space(8.0);
            ui.strong("Events");
            if s.events.is_empty() {
                ui.weak("No events: the evidence has no events table, and no model is first seen inside the log.");
            }
            egui::Grid::new("overview_events")
                .striped(true)
                .show(ui, |ui| {
                    for e in &s.events {
                        ui.monospace(&e.ts);
                        ui.colored_label(theme::event_color(&e.kind), &e.kind);
                        ui.label(&e.label);
                        ui.end_row();
                    }
                });
        });
}
