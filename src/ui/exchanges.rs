//! Exchanges: the selection's requests, a page at a time in time order,
//! with the chosen request's prompt readable in a side panel.

use egui_extras::{Column, TableBuilder};

use super::app::ViewCtx;
use super::commands::Command;
use super::theme;
use crate::analysis::days;
use crate::analysis::selection::Selection;
use crate::analysis::summary::group_digits;
use crate::analysis::views::{ExchangeRow, PAGE_SIZE};

/// Pager and chosen row.
#[derive(Debug, Default)]
pub struct ExchangesState {
    offset: i64,
    chosen: Option<String>,
    for_selection: Option<Selection>,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// Draws the exchanges page.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut ExchangesState) {
    if st.for_selection.as_ref() != Some(cx.selection) {
        st.offset = 0;
        st.chosen = None;
        st.for_selection = Some(cx.selection.clone());
    }
    cx.session.want_exchanges(cx.selection, st.offset);
    let Some(page) = cx.session.exchanges.value().cloned() else {
        ui.spinner();
        return;
    };
    ui.horizontal(|ui| {
        let last_page = ((page.total - 1).max(0) / PAGE_SIZE) * PAGE_SIZE;
        if ui
            .add_enabled(st.offset > 0, egui::Button::new("First"))
            .clicked()
        {
            st.offset = 0;
        }
        if ui
            .add_enabled(st.offset > 0, egui::Button::new("◀ Previous"))
            .clicked()
        {
            st.offset = (st.offset - PAGE_SIZE).max(0);
        }
        let end = (page.offset + page.rows.len() as i64).min(page.total);
        ui.label(format!(
            "{}–{} of {} exchanges",
            group_digits(if page.total == 0 { 0 } else { page.offset + 1 }),
            group_digits(end),
            group_digits(page.total)
        ));
        if ui
            .add_enabled(st.offset < last_page, egui::Button::new("Next ▶"))
            .clicked()
        {
            st.offset += PAGE_SIZE;
        }
        if ui
            .add_enabled(st.offset < last_page, egui::Button::new("Last"))
            .clicked()
        {
            st.offset = last_page;
        }
        if cx.session.exchanges.is_loading() {
            ui.spinner();
        }
    });
    let chosen = st
        .chosen
        .as_ref()
        .and_then(|id| page.rows.iter().find(|r| &r.exchange_id == id));
    egui::Panel::right("exchange_detail")
        .resizable(true)
        .default_size(420.0)
        .min_size(260.0)
        .show(ui, |ui| detail(ui, cx, chosen));
    let mut clicked = None;
    let mut opened = None;
    egui::ScrollArea::horizontal().show(ui, |ui| {
        TableBuilder::new(ui)
            .id_salt("exchanges_table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(
                Column::initial(150.0)
                    .at_least(80.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(170.0)
                    .at_least(80.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(110.0)
                    .at_least(60.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(150.0)
                    .at_least(60.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(120.0)
                    .at_least(60.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(60.0)
                    .at_least(40.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(24.0, |mut h| {
                for t in [
                    "Time (UTC)",
                    "Account",
                    "Model",
                    "Category",
                    "IP",
                    "Country",
                    "Prompt",
                ] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, page.rows.len(), |mut row| {
                    let r = &page.rows[row.index()];
                    row.set_selected(st.chosen.as_ref() == Some(&r.exchange_id));
                    let cells = [
                        days::iso_seconds(r.ts),
                        r.account_id.clone(),
                        opt(&r.model).to_owned(),
                        r.category.clone(),
                        opt(&r.ip).to_owned(),
                        opt(&r.country).to_owned(),
                        super::one_line(opt(&r.prompt), 160),
                    ];
                    for text in cells {
                        row.col(|ui| {
                            ui.add(egui::Label::new(text).selectable(false).truncate());
                        });
                    }
                    let resp = row.response();
                    if resp.double_clicked() {
                        opened = Some(r.account_id.clone());
                    } else if resp.clicked() {
                        clicked = Some(r.exchange_id.clone());
                    }
                });
            });
    });
    if let Some(id) = clicked {
        st.chosen = Some(id);
    }
    if let Some(a) = opened {
        cx.commands.push(Command::OpenAccount(a));
    }
}

fn detail(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, row: Option<&ExchangeRow>) {
    let Some(r) = row else {
        ui.weak("Click a row to read its prompt here. Double-click opens the account.");
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            egui::Grid::new("exchange_fields")
                .num_columns(2)
                .show(ui, |ui| {
                    let tokens = [
                        ("Exchange", r.exchange_id.clone()),
                        ("Time (UTC)", days::iso_seconds(r.ts)),
                        ("Model", opt(&r.model).to_owned()),
                        ("Category", r.category.clone()),
                        // The rules, request shape and model that decided it.
                        ("Decided by", r.category_rule.replace('+', " + ")),
                        ("IP", opt(&r.ip).to_owned()),
                        ("Country", opt(&r.country).to_owned()),
                        ("Network", opt(&r.asn_org).to_owned()),
                        (
                            "Tokens in / out",
                            format!(
                                "{} / {}",
                                r.input_tokens.map(group_digits).unwrap_or_default(),
                                r.output_tokens.map(group_digits).unwrap_or_default()
                            ),
                        ),
                    ];
                    ui.label("Account");
                    if ui
                        .link(&r.account_id)
                        .on_hover_text("Open this account")
                        .clicked()
                    {
                        cx.commands.push(Command::OpenAccount(r.account_id.clone()));
                    }
                    ui.end_row();
                    for (k, v) in tokens {
                        ui.label(k);
                        ui.add(egui::Label::new(v).wrap());
                        ui.end_row();
                    }
                });
            ui.separator();
            ui.strong("Prompt");
            ui.add(egui::Label::new(egui::RichText::new(opt(&r.prompt)).monospace()).wrap());
        });
}
