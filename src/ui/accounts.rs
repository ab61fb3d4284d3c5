//! Accounts: every account with traffic in the selection, sortable and
//! filterable, smooth at 250,000 rows (only visible rows are drawn; sorting
//! and filtering run in DuckDB). Click selects, Ctrl-click adds,
//! double-click opens the account.

use std::time::{Duration, Instant};

use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

use super::app::ViewCtx;
use super::commands::Command;
use super::theme;
use crate::analysis::summary::group_digits;
use crate::analysis::views::{AccountColumn, AccountQuery};

/// Wait this long after the last keystroke before filtering.
const FILTER_DEBOUNCE: Duration = Duration::from_millis(250);

/// Accounts table settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsState {
    /// Sort and filter in force.
    pub query: AccountQuery,
    /// The filter being typed.
    #[serde(skip)]
    pub filter_edit: String,
    #[serde(skip)]
    edited_at: Option<Instant>,
}

fn width(col: AccountColumn) -> f32 {
    match col {
        AccountColumn::Account => 210.0,
        AccountColumn::FirstSeen | AccountColumn::LastSeen => 150.0,
        AccountColumn::TopCategory => 170.0,
        AccountColumn::Payment | AccountColumn::EmailDomain => 150.0,
        AccountColumn::Verification => 120.0,
        AccountColumn::Exchanges => 100.0,
        _ => 80.0,
    }
}

/// Draws the accounts table.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut AccountsState) {
    ui.horizontal(|ui| {
        ui.label("Filter");
        let edit = ui.add(
            egui::TextEdit::singleline(&mut st.filter_edit)
                .hint_text("account, category, verification, payment or e-mail domain")
                .desired_width(340.0),
        );
        if edit.changed() {
            st.edited_at = Some(Instant::now());
        }
        if let Some(v) = cx.session.accounts.value() {
            ui.label(format!("{} accounts", group_digits(v.total as i64)));
        }
        if cx.session.accounts.is_loading() {
            ui.spinner();
        }
        if !cx.selection.accounts.is_empty() {
            ui.separator();
            ui.label(format!("{} selected", cx.selection.accounts.len()));
        }
    });
    if let Some(at) = st.edited_at {
        if at.elapsed() >= FILTER_DEBOUNCE {
            st.query.filter = st.filter_edit.clone();
            st.edited_at = None;
        } else {
            ui.ctx().request_repaint_after(FILTER_DEBOUNCE);
        }
    }
    cx.session.want_accounts(cx.selection, &st.query);
    let Some(view) = cx.session.accounts.value().cloned() else {
        ui.spinner();
        return;
    };
    if view.total == 0 {
        ui.weak("No account matches.");
        return;
    }
    let mut sort_clicked = None;
    let mut clicked: Option<String> = None;
    let mut opened: Option<String> = None;
    let selected = &cx.selection.accounts;
    let book = cx.session.work.book().clone();
    let session = &mut *cx.session;
    let marker = theme::tokens(ui).selection;
    egui::ScrollArea::horizontal().show(ui, |ui| {
        let mut builder = TableBuilder::new(ui)
            .id_salt("accounts_table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .min_scrolled_height(0.0)
            .max_scroll_height(f32::INFINITY);
        for col in AccountColumn::ALL {
            builder = builder.column(
                Column::initial(width(col))
                    .at_least(50.0)
                    .clip(true)
                    .resizable(true),
            );
            if col == AccountColumn::Account {
                // The analyst's campaigns and tags, right after the id.
                builder = builder.column(Column::initial(190.0).at_least(60.0).clip(true).resizable(true));
            }
        }
        builder
            .header(24.0, |mut header| {
                for col in AccountColumn::ALL {
                    header.col(|ui| {
                        let arrow = if st.query.sort == col {
                            if st.query.ascending { " ▲" } else { " ▼" }
                        } else {
                            ""
                        };
                        let b = ui
                            .add(
                                egui::Button::new(
                                    egui::RichText::new(format!("{}{arrow}", col.title())).strong(),
                                )
                                .frame(false),
                            )
                            .on_hover_text("Sort by this column; click again to reverse");
                        if b.clicked() {
                            sort_clicked = Some(col);
                        }
                    });
                    if col == AccountColumn::Account {
                        header.col(|ui| {
                            ui.strong("Campaigns · tags").on_hover_text(
                                "The campaigns each account belongs to (in their colours) and its tags",
                            );
                        });
                    }
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, view.total, |mut row| {
                    let Some((block, j)) = session.account_row(row.index()) else {
                        row.col(|ui| {
                            ui.weak("…");
                        });
                        return;
                    };
                    let id = &block.account_id[j];
                    let is_selected = selected.contains(id);
                    row.set_selected(is_selected);
                    for col in AccountColumn::ALL {
                        row.col(|ui| {
                            let text = block.cell(j, col);
                            let label = if col == AccountColumn::Account && is_selected {
                                egui::RichText::new(text).color(marker).strong()
                            } else {
                                egui::RichText::new(text)
                            };
                            ui.add(egui::Label::new(label).selectable(false).truncate());
                        });
                        if col == AccountColumn::Account {
                            row.col(|ui| campaign_cell(ui, &book, id));
                        }
                    }
                    let r = row.response();
                    if r.double_clicked() {
                        opened = Some(id.clone());
                    } else if r.clicked() {
                        clicked = Some(id.clone());
                    }
                });
            });
    });
    if let Some(col) = sort_clicked {
        if st.query.sort == col {
            st.query.ascending = !st.query.ascending;
        } else {
            st.query.sort = col;
            // Names read best A to Z, numbers largest first.
            st.query.ascending = matches!(
                col,
                AccountColumn::Account
                    | AccountColumn::TopCategory
                    | AccountColumn::Verification
                    | AccountColumn::Payment
                    | AccountColumn::EmailDomain
                    | AccountColumn::FirstSeen
            );
        }
    }
    if let Some(id) = opened {
        cx.commands.push(Command::OpenAccount(id));
    } else if let Some(id) = clicked {
        let add = ui.input(|i| i.modifiers.command);
        select_account(cx, id, add);
    }
}

/// An account's campaigns as coloured names, then its tags.
fn campaign_cell(ui: &mut egui::Ui, book: &crate::case::Workbook, id: &str) {
    ui.spacing_mut().item_spacing.x = 4.0;
    for c in book.campaigns_of(id) {
        let col = super::campaigns::colour(&c.props.colour);
        ui.add(
            egui::Label::new(egui::RichText::new(format!("■ {}", c.props.name)).color(col))
                .selectable(false)
                .truncate(),
        );
    }
    if let Some(tags) = book.tags_of(id) {
        let text = tags
            .iter()
            .map(|t| format!("#{t}"))
            .collect::<Vec<_>>()
            .join(" ");
        ui.add(
            egui::Label::new(egui::RichText::new(text).color(theme::tokens(ui).muted))
                .selectable(false)
                .truncate(),
        );
    }
}

fn select_account(cx: &mut ViewCtx<'_>, id: String, add: bool) {
    let mut s = cx.selection.clone();
    if add {
        if !s.accounts.remove(&id) {
            s.accounts.insert(id);
        }
    } else if s.accounts.len() == 1 && s.accounts.contains(&id) {
        s.accounts.clear();
    } else {
        s.accounts = [id].into();
    }
    *cx.select = Some(s);
}
