//! Building blocks shared by the plots: stacked daily bars, event markers,
//! date axes and the per-day hover card.

use egui_plot::{Bar, BarChart, GridInput, GridMark, PlotPoint, Text, VLine};

use super::theme;
use crate::analysis::days;
use crate::analysis::summary::group_digits;
use crate::analysis::views::{Event, Timeline};

/// One bar chart per group, each stacked on the ones before it. `x` maps
/// a bucket (day or hour) to its position.
pub fn stacked_bars(t: &Timeline, x: impl Fn(i32) -> f64) -> Vec<BarChart> {
    let mut charts: Vec<BarChart> = Vec::with_capacity(t.groups.len());
    for (gi, group) in t.groups.iter().enumerate() {
        let color = group_colour(t, group);
        let bars = t
            .days
            .iter()
            .enumerate()
            .map(|(di, d)| {
                Bar::new(x(*d), t.counts[gi][di] as f64)
                    .width(0.85)
                    .fill(color)
                    .stroke(egui::Stroke::NONE)
            })
            .collect();
        let chart = BarChart::new(group.clone(), bars)
            .color(color)
            .allow_hover(false);
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    charts
}

/// Largest stacked bar.
pub fn max_total(t: &Timeline) -> f64 {
    (0..t.days.len()).map(|i| t.day_total(i)).max().unwrap_or(0) as f64
}

/// Event lines and their labels, labels staggered so neighbours stay legible.
/// Labels right of the middle of `x_range` are drawn to the left of their
/// line, so they stay inside the plot.
pub fn event_marks(events: &[Event], top: f64, x_range: (f64, f64)) -> Vec<(VLine, Text)> {
    let middle = (x_range.0 + x_range.1) / 2.0;
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let x = e.ts as f64 / 86_400.0;
            let color = theme::event_color(&e.kind);
            // Unnamed, so events stay out of the legend.
            let line = VLine::new("", x).color(color).width(1.5).allow_hover(false);
            let y = top * (1.04 + 0.07 * (i % 3) as f64);
            let text = Text::new(
                "",
                PlotPoint::new(x, y),
                egui::RichText::new(&e.label).size(11.0),
            )
            .color(color)
            .anchor(if x > middle {
                egui::Align2::RIGHT_BOTTOM
            } else {
                egui::Align2::LEFT_BOTTOM
            })
            .allow_hover(false);
            (line, text)
        })
        .collect()
}

/// Grid marks at whole days, weeks or months of days, never between days.
pub fn day_grid(input: GridInput) -> Vec<GridMark> {
    let steps = [1.0, 2.0, 7.0, 14.0, 28.0, 56.0, 112.0, 364.0];
    let step = steps
        .iter()
        .copied()
        .find(|s| *s >= input.base_step_size * 6.0)
        .unwrap_or(364.0);
    let (lo, hi) = input.bounds;
    // Weeks start on Mondays (1970-01-05 was a Monday).
    let anchor = if step >= 7.0 { 4.0 } else { 0.0 };
    let mut v = ((lo - anchor) / step).ceil() * step + anchor;
    let mut out = Vec::new();
    while v <= hi && out.len() < 400 {
        out.push(GridMark {
            value: v,
            step_size: step,
        });
        v += step;
    }
    out
}

/// Grid marks at whole hours of a day.
pub fn hour_grid(input: GridInput) -> Vec<GridMark> {
    let step = [1.0, 2.0, 3.0, 6.0, 12.0]
        .into_iter()
        .find(|s| *s >= input.base_step_size * 6.0)
        .unwrap_or(12.0);
    (0..24)
        .map(f64::from)
        .filter(|h| h % step == 0.0)
        .map(|value| GridMark {
            value,
            step_size: step,
        })
        .collect()
}

/// Axis label of a day position.
pub fn day_label(mark: GridMark) -> String {
    let v = mark.value;
    if (v - v.round()).abs() < 1e-6 {
        days::short(v.round() as i32)
    } else {
        String::new()
    }
}

/// Axis label of a count.
pub fn count_label(mark: GridMark) -> String {
    if mark.value < 0.0 || (mark.value - mark.value.round()).abs() > 1e-6 {
        String::new()
    } else {
        group_digits(mark.value as i64)
    }
}

/// The colour of a group of `t`: its own (a campaign's) or the palette's.
pub fn group_colour(t: &Timeline, group: &str) -> egui::Color32 {
    match t.colours.get(group) {
        Some(hex) => super::campaigns::colour(hex),
        None => theme::category_color(group),
    }
}

fn group_swatch(ui: &mut egui::Ui, t: &Timeline, group: &str) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, group_colour(t, group));
}

/// The hover card of one bucket: total, then each group.
pub fn bucket_card(ui: &mut egui::Ui, title: &str, t: &Timeline, index: usize, events: &[&Event]) {
    ui.strong(title);
    ui.label(format!("{} exchanges", group_digits(t.day_total(index))));
    let mut rows: Vec<(&String, i64)> = t
        .groups
        .iter()
        .zip(&t.counts)
        .map(|(g, c)| (g, c[index]))
        .filter(|(_, n)| *n > 0)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    egui::Grid::new("bucket_card")
        .num_columns(3)
        .min_col_width(0.0)
        .show(ui, |ui| {
            for (g, n) in rows {
                group_swatch(ui, t, g);
                ui.label(g);
                ui.label(group_digits(n));
                ui.end_row();
            }
        });
    for e in events {
        ui.colored_label(
            theme::event_color(&e.kind),
            format!("{}: {}", days::iso_seconds(e.ts), e.label),
        );
    }
}

/// A legend strip: one swatch and name per group; clicking a name returns it.
pub fn legend_strip(
    ui: &mut egui::Ui,
    t: &Timeline,
    chosen: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let mut clicked = None;
    ui.horizontal_wrapped(|ui| {
        for g in &t.groups {
            group_swatch(ui, t, g);
            if ui.selectable_label(chosen(g), g).clicked() {
                clicked = Some(g.clone());
            }
            ui.add_space(6.0);
        }
    });
    clicked
}
