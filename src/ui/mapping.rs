//! The column-mapping dialog: a table whose columns are not the contract's
//! opens once the analyst has picked the source column of each contract
//! field, checked against ten of its rows. The case remembers the mapping,
//! as `--map` does.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::store::error::StoreResult;
use crate::store::mapping::ColumnMapping;
use crate::store::recognise::{self, Preview};
use crate::store::schema;

/// Rows shown to check a mapping.
const PREVIEW_ROWS: usize = 10;

/// A mapping being chosen for one table of a source.
pub struct MappingDialog {
    /// What the analyst opened.
    pub source: PathBuf,
    /// The contract table being mapped.
    pub table: String,
    /// The table's file, named in the title.
    file: PathBuf,
    /// Why it did not open, in words.
    message: String,
    /// The table's columns as the source spells them.
    found: Vec<String>,
    /// Per contract column: its name, whether required, the column picked.
    pub picks: Vec<(&'static str, bool, Option<String>)>,
    /// Pairs for other tables, kept as they were.
    base: ColumnMapping,
    preview: Option<StoreResult<Preview>>,
    loading: Option<Receiver<StoreResult<Preview>>>,
}

/// What the analyst decided.
pub enum MappingChoice {
    /// Open the source with this mapping.
    Open(ColumnMapping),
    /// Leave it.
    Cancel,
}

/// The facts of a missing-column error the dialog starts from.
pub struct Missing {
    /// The table's file.
    pub file: PathBuf,
    /// The contract table.
    pub table: String,
    /// The columns found.
    pub found: Vec<String>,
    /// The error, in words.
    pub message: String,
    /// The mapping the error suggests (the one in force plus guesses).
    pub suggestion: ColumnMapping,
}

impl MappingDialog {
    /// A dialog for `missing`, in the source at `source`; the preview is
    /// read on a thread.
    pub fn new(source: PathBuf, missing: Missing, ctx: &egui::Context) -> MappingDialog {
        let columns = schema::table(&missing.table).unwrap_or(&[]);
        let guessed = recognise::guesses(&missing.table, &missing.found);
        let picks = columns
            .iter()
            .map(|c| {
                let suggested = missing.suggestion.source_in(&missing.table, c.name);
                let pick = missing
                    .found
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(suggested))
                    .cloned()
                    .or_else(|| {
                        guessed
                            .iter()
                            .find(|(n, _)| *n == c.name)
                            .and_then(|(_, g)| g.clone())
                    });
                (c.name, c.required, pick)
            })
            .collect();
        let mut base = missing.suggestion.clone();
        base.pairs.retain(|(c, _)| table_of(c) != missing.table);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (job_source, job_table, repaint) = (source.clone(), missing.table.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("mapping-preview".into())
            .spawn(move || {
                let _ = tx.send(recognise::preview(&job_source, &job_table, PREVIEW_ROWS));
                repaint.request_repaint();
            });
        MappingDialog {
            source,
            table: missing.table,
            file: missing.file,
            message: missing.message,
            found: missing.found,
            picks,
            base,
            preview: None,
            loading: spawned.ok().map(|_| rx),
        }
    }

    /// The mapping the picks make: other tables' pairs as they were, and a
    /// pair for each field read from a column of another name.
    pub fn mapping(&self) -> ColumnMapping {
        let mut out = self.base.clone();
        for (column, _, pick) in &self.picks {
            let Some(pick) = pick else { continue };
            if pick.eq_ignore_ascii_case(column) {
                continue;
            }
            let key = if self.table == "exchanges" {
                (*column).to_owned()
            } else {
                format!("{}.{column}", self.table)
            };
            out.pairs.push((key, pick.clone()));
        }
        out
    }

    /// Required fields with no column picked.
    fn unpicked(&self) -> Vec<&'static str> {
        self.picks
            .iter()
            .filter(|(_, required, pick)| *required && pick.is_none())
            .map(|(c, _, _)| *c)
            .collect()
    }

    /// Whether the preview rows are still being read.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    fn poll(&mut self) {
        if let Some(rx) = &self.loading {
            match rx.try_recv() {
                Ok(p) => {
                    self.preview = Some(p);
                    self.loading = None;
                }
                Err(TryRecvError::Disconnected) => self.loading = None,
                Err(TryRecvError::Empty) => {}
            }
        }
    }

    /// Draws the dialog; returns the analyst's decision once made.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<MappingChoice> {
        self.poll();
        let mut choice = None;
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        egui::Window::new(format!("Map the columns of {name}"))
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .default_width(820.0)
            .max_height(ctx.content_rect().height() - 80.0)
            .show(ctx, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
                ui.label(format!(
                    "This {} table does not use the data contract's column names. Pick the column that holds each \
                     field (required ones are marked); the rows below show what each pick reads. The case remembers \
                     the mapping, so the source opens directly next time.",
                    self.table
                ));
                ui.collapsing("Why it did not open", |ui| ui.weak(&self.message));
                ui.add_space(6.0);
                self.picks_grid(ui);
                ui.add_space(6.0);
                self.preview_table(ui);
                ui.add_space(6.0);
                let pairs: Vec<String> = self
                    .mapping()
                    .pairs
                    .iter()
                    .map(|(c, s)| format!("{c}={s}"))
                    .collect();
                ui.weak("The same on the command line:");
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("--map {}", pairs.join(","))).monospace(),
                    )
                    .wrap()
                    .selectable(true),
                );
                ui.add_space(6.0);
                let unpicked = self.unpicked();
                ui.horizontal(|ui| {
                    let open = ui.add_enabled(
                        unpicked.is_empty(),
                        egui::Button::new("Open with this mapping"),
                    );
                    if open.clicked() {
                        choice = Some(MappingChoice::Open(self.mapping()));
                    }
                    if ui.button("Cancel").clicked() {
                        choice = Some(MappingChoice::Cancel);
                    }
                    if !unpicked.is_empty() {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("Still to pick: {}", unpicked.join(", ")),
                        );
                    }
                });
            });
        choice
    }

    /// One row per contract field: its name, and a column picker.
    fn picks_grid(&mut self, ui: &mut egui::Ui) {
        let found = self.found.clone();
        // A few values of each column, shown on hover in the pickers.
        let samples: Vec<String> = found
            .iter()
            .map(|f| {
                let Some(Ok(p)) = &self.preview else {
                    return String::new();
                };
                let Some(i) = p.columns.iter().position(|c| c == f) else {
                    return String::new();
                };
                let values: Vec<String> = p
                    .rows
                    .iter()
                    .filter_map(|r| r[i].as_deref())
                    .take(3)
                    .map(|v| crate::ui::one_line(v, 40))
                    .collect();
                values.join(" · ")
            })
            .collect();
        egui::Grid::new("mapping_picks")
            .num_columns(4)
            .striped(true)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                for (i, (column, required, pick)) in self.picks.iter_mut().enumerate() {
                    // Two fields per row keeps eighteen fields on one screen.
                    if *required && pick.is_none() {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("{column} (required)"),
                        );
                    } else if *required {
                        ui.strong(format!("{column} (required)"));
                    } else {
                        ui.label(*column);
                    }
                    let shown = pick
                        .clone()
                        .unwrap_or_else(|| "— not in this table —".into());
                    egui::ComboBox::from_id_salt(("mapping_pick", *column))
                        .width(200.0)
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(pick, None, "— not in this table —");
                            for (f, sample) in found.iter().zip(&samples) {
                                let option = ui.selectable_value(pick, Some(f.clone()), f);
                                if !sample.is_empty() {
                                    option.on_hover_text(sample);
                                }
                            }
                        });
                    if i % 2 == 1 {
                        ui.end_row();
                    }
                }
            });
    }

    /// The first rows of the table, read through the current picks.
    fn preview_table(&self, ui: &mut egui::Ui) {
        let preview = match &self.preview {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Reading the first rows…");
                });
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("No preview: {e:#}"));
                return;
            }
            Some(Ok(p)) => p,
        };
        let shown: Vec<(&str, usize)> = self
            .picks
            .iter()
            .filter_map(|(c, _, pick)| {
                let pick = pick.as_ref()?;
                let i = preview.columns.iter().position(|f| f == pick)?;
                Some((*c, i))
            })
            .collect();
        ui.strong(format!(
            "The first {} rows, as they would be read",
            preview.rows.len()
        ));
        egui::ScrollArea::horizontal()
            .id_salt("mapping_preview")
            .show(ui, |ui| {
                egui::Grid::new("mapping_preview_rows")
                    .striped(true)
                    .spacing([14.0, 2.0])
                    .show(ui, |ui| {
                        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                        for (c, i) in &shown {
                            ui.strong(*c)
                                .on_hover_text(format!("from {}", preview.columns[*i]));
                        }
                        ui.end_row();
                        for row in &preview.rows {
                            for (_, i) in &shown {
                                let text = row[*i].as_deref().unwrap_or("NULL");
                                let short: String = text.chars().take(40).collect();
                                let label = if short.len() < text.len() {
                                    format!("{short}…")
                                } else {
                                    short
                                };
                                ui.monospace(label).on_hover_text(text);
                            }
                            ui.end_row();
                        }
                    });
            });
    }
}

/// The table a mapping key belongs to (`exchanges` when unqualified).
fn table_of(key: &str) -> &str {
    key.split_once('.').map_or("exchanges", |(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pick_under_another_name_becomes_a_pair_and_other_tables_stay() {
        let ctx = egui::Context::default();
        let dialog = MappingDialog::new(
            PathBuf::from("/nonexistent/x.csv"),
            Missing {
                file: "/nonexistent/accounts.csv".into(),
                table: "accounts".into(),
                found: vec!["customer".into(), "signup_time".into()],
                message: String::new(),
                suggestion: ColumnMapping::parse("ts=time,accounts.account_id=customer").unwrap(),
            },
            &ctx,
        );
        let m = dialog.mapping();
        assert_eq!(m.source_in("exchanges", "ts"), "time");
        assert_eq!(m.source_in("accounts", "account_id"), "customer");
        assert_eq!(m.source_in("accounts", "created_at"), "signup_time");
        assert_eq!(dialog.unpicked(), Vec::<&str>::new());
    }
}
