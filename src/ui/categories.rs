//! Categories: the selection's capability mix next to the baseline's, with
//! the lift; click a category to select it (Ctrl-click adds).

use egui_plot::{Bar, BarChart, Plot};

use super::app::ViewCtx;
use super::theme;
use crate::analysis::summary::group_digits;

/// Draws the category breakdown.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>) {
    cx.session.want_categories(cx.selection);
    let Some(rows) = cx.session.categories.value().cloned() else {
        ui.spinner();
        return;
    };
    let others = cx
        .selection
        .without(crate::analysis::selection::Dimension::Categories);
    let selected_total: i64 = rows.iter().map(|r| r.selected).sum();
    let baseline_total: i64 = rows.iter().map(|r| r.baseline).sum();
    ui.horizontal_wrapped(|ui| {
        if others.is_empty() {
            ui.label(format!(
                "All {} exchanges. Select days or accounts to compare them with the rest.",
                group_digits(selected_total)
            ));
        } else {
            ui.label(format!(
                "Selection ({}): {} exchanges, against the baseline of everything else: {} exchanges.",
                others.describe().join(", "),
                group_digits(selected_total),
                group_digits(baseline_total)
            ));
        }
    });
    ui.weak("Coloured bars: the selection; grey bars: the baseline. Lift = share in the selection ÷ share in the baseline: 3.0× means three times over-represented. Click a category to select it; Ctrl-click adds it.");
    let tokens = theme::tokens(ui);
    let n = rows.len();
    let names: Vec<String> = rows.iter().map(|r| r.category.clone()).collect();
    let chosen = |c: &str| cx.selection.categories.contains(c);
    // Row i of the table is drawn at y = n - 1 - i so the largest is on top.
    let y_of = |i: usize| (n - 1 - i) as f64;
    let selected_bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut b = Bar::new(y_of(i) + 0.2, r.selected_share * 100.0)
                .width(0.38)
                .fill(theme::category_color(&r.category))
                .name(&r.category);
            if chosen(&r.category) {
                b = b.stroke(egui::Stroke::new(2.0, tokens.selection));
            }
            b
        })
        .collect();
    let baseline_bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Bar::new(y_of(i) - 0.2, r.baseline_share * 100.0)
                .width(0.38)
                .fill(tokens.baseline)
                .name(&r.category)
        })
        .collect();
    let plot_height = (ui.available_height() * 0.55).max(220.0);
    let names_for_axis = names.clone();
    let resp = Plot::new("categories_plot")
        .height(plot_height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_x(0.0)
        .include_y(-0.6)
        .include_y(n as f64 - 0.4)
        .show_crosshair(false)
        .y_axis_min_width(150.0)
        .x_axis_formatter(|m, _| format!("{}%", m.value))
        .y_axis_formatter(move |m, _| {
            let v = m.value;
            if (v - v.round()).abs() > 1e-6 || v < 0.0 {
                return String::new();
            }
            let i = n as i64 - 1 - v.round() as i64;
            usize::try_from(i)
                .ok()
                .and_then(|i| names_for_axis.get(i).cloned())
                .unwrap_or_default()
        })
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("Selection (share %)", selected_bars)
                    .horizontal()
                    .allow_hover(false),
            );
            plot.bar_chart(
                BarChart::new("Baseline (share %)", baseline_bars)
                    .horizontal()
                    .color(tokens.baseline)
                    .allow_hover(false),
            );
        });
    let index_at = |pos: egui::Pos2| {
        let y = resp.transform.value_from_position(pos).y.round() as i64;
        let i = n as i64 - 1 - y;
        usize::try_from(i).ok().filter(|i| *i < n)
    };
    if let Some(p) = resp.response.hover_pos()
        && let Some(i) = index_at(p)
    {
        let r = &rows[i];
        resp.response.clone().on_hover_ui_at_pointer(|ui| {
            ui.strong(&r.category);
            ui.label(format!(
                "Selection {} exchanges ({:.1}%)\nBaseline {} exchanges ({:.1}%)\nLift {}",
                group_digits(r.selected),
                r.selected_share * 100.0,
                group_digits(r.baseline),
                r.baseline_share * 100.0,
                r.lift
                    .map(|l| format!("{l:.2}×"))
                    .unwrap_or_else(|| "–".into())
            ));
        });
    }
    if resp.response.clicked()
        && let Some(p) = resp.response.interact_pointer_pos()
        && let Some(i) = index_at(p)
    {
        let add = ui.input(|i| i.modifiers.command);
        toggle(cx, &rows[i].category, add);
    }
    ui.add_space(6.0);
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            egui::Grid::new("categories_table")
                .striped(true)
                .num_columns(6)
                .min_col_width(90.0)
                .show(ui, |ui| {
                    for h in [
                        "Category",
                        "Selection",
                        "Share",
                        "Baseline",
                        "Baseline share",
                        "Lift",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in rows.iter() {
                        let label = ui.selectable_label(chosen(&r.category), &r.category);
                        if label.clicked() {
                            let add = ui.input(|i| i.modifiers.command);
                            toggle(cx, &r.category, add);
                        }
                        ui.label(group_digits(r.selected));
                        ui.label(format!("{:.1}%", r.selected_share * 100.0));
                        ui.label(group_digits(r.baseline));
                        ui.label(format!("{:.1}%", r.baseline_share * 100.0));
                        match r.lift {
                            Some(l) if l >= 2.0 => {
                                ui.colored_label(tokens.warn, format!("{l:.2}×"));
                            }
                            Some(l) => {
                                ui.label(format!("{l:.2}×"));
                            }
                            None => {
                                ui.weak("–");
                            }
                        }
                        ui.end_row();
                    }
                });
        });
}

fn toggle(cx: &mut ViewCtx<'_>, category: &str, add: bool) {
    let mut s = cx.selection.clone();
    if add {
        if !s.categories.remove(category) {
            s.categories.insert(category.to_owned());
        }
    } else if s.categories.len() == 1 && s.categories.contains(category) {
        s.categories.clear();
    } else {
        s.categories = [category.to_owned()].into();
    }
    *cx.select = Some(s);
}
