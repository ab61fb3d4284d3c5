//! Timeline: exchanges per day, stacked by category or account, with events
//! marked; drag to select days, click a day for its hours.

use egui_plot::{Axis, Plot, PlotPoint, Span, Text, VLine};
use serde::{Deserialize, Serialize};

use super::app::ViewCtx;
use super::plots;
use super::theme;
use crate::analysis::days;
use crate::analysis::selection::DayRange;
use crate::analysis::views::Stack;
use crate::case::{Edit, NoteTarget};

/// Timeline settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelineState {
    /// How bars are stacked.
    pub stack: Stack,
    /// The day whose hours are shown.
    pub drill_day: Option<i32>,
    /// The range being dragged (start, current), in plot units.
    #[serde(skip)]
    pub brush: Option<(f64, f64)>,
    /// A note being written for the drilled day.
    #[serde(skip)]
    pub note: String,
}

/// Draws the timeline.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut TimelineState) {
    cx.session.want_timeline(cx.selection, st.stack);
    cx.session.want_events();
    ui.horizontal(|ui| {
        ui.label("Stack by");
        ui.selectable_value(&mut st.stack, Stack::Category, "Category");
        ui.selectable_value(&mut st.stack, Stack::Account, "Account");
        ui.selectable_value(&mut st.stack, Stack::Campaign, "Campaign");
        ui.separator();
        match cx.selection.days {
            Some(r) => {
                ui.label(format!("Selected {}", r.label()));
                if ui.button("Clear range").clicked() {
                    let mut s = cx.selection.clone();
                    s.days = None;
                    *cx.select = Some(s);
                }
            }
            None => {
                ui.weak("Drag across the bars to select days · click a day for its hours · scroll to zoom · double-click to reset");
            }
        }
    });
    let Some(t) = cx.session.timeline.value().cloned() else {
        ui.spinner();
        return;
    };
    let events = cx.session.events.value().cloned().unwrap_or_default();
    if t.days.is_empty() {
        ui.weak("Nothing to show: the selection has no exchanges.");
        return;
    }
    let tokens = theme::tokens(ui);
    let top = plots::max_total(&t);
    let shown_range = st
        .brush
        .map(|(a, b)| (a.min(b).round() - 0.5, a.max(b).round() + 0.5))
        .or(cx
            .selection
            .days
            .map(|r| (r.first as f64 - 0.5, r.last as f64 + 0.5)));
    let charts = plots::stacked_bars(&t, f64::from);
    let x_range = (f64::from(t.days[0]), f64::from(t.days[t.days.len() - 1]));
    let marks = plots::event_marks(&events, top, x_range);
    let book = cx.session.work.book().clone();
    let day_notes: Vec<(i32, String)> = book
        .notes
        .iter()
        .filter_map(|n| match n.target {
            NoteTarget::Day(d) => Some((d, n.text.clone())),
            _ => None,
        })
        .collect();
    let note_colour = tokens.selection;
    // The legend doubles as a filter: click a category (or account) to select it.
    let chosen = |g: &str| cx.selection.categories.contains(g) || cx.selection.accounts.contains(g);
    if let Some(g) = plots::legend_strip(ui, &t, &chosen) {
        let mut s = cx.selection.clone();
        match st.stack {
            Stack::Category => {
                if !s.categories.remove(&g) {
                    s.categories.insert(g);
                }
            }
            Stack::Account if g != crate::analysis::views::OTHER_ACCOUNTS => {
                if !s.accounts.remove(&g) {
                    s.accounts.insert(g);
                }
            }
            Stack::Account => {}
            Stack::Campaign => {
                // A campaign's legend entry selects its accounts.
                if let Some(c) = cx.session.work.book().campaign(&g) {
                    s.accounts = c.accounts.clone();
                }
            }
        }
        *cx.select = Some(s);
    }
    let height = if st.drill_day.is_some() {
        ui.available_height() * 0.58
    } else {
        ui.available_height()
    };
    let resp = Plot::new("timeline_plot")
        .height(height)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .include_y(0.0)
        .include_y(top * 1.28)
        .x_grid_spacer(plots::day_grid)
        .x_axis_formatter(|m, _| plots::day_label(m))
        .y_axis_formatter(|m, _| plots::count_label(m))
        .y_axis_min_width(56.0)
        .show_crosshair(false)
        .show(ui, |plot| {
            if let Some((lo, hi)) = shown_range {
                plot.span(
                    Span::new("", lo..=hi)
                        .axis(Axis::X)
                        .fill(tokens.selection_fill)
                        .border_color(tokens.selection),
                );
            }
            for c in charts {
                plot.bar_chart(c);
            }
            for (line, text) in marks {
                plot.vline(line);
                plot.text(text);
            }
            // The analyst's notes pinned to days: dotted lines, short text.
            for (d, text) in &day_notes {
                let x = f64::from(*d);
                plot.vline(
                    VLine::new("", x)
                        .color(note_colour)
                        .style(egui_plot::LineStyle::dotted_dense())
                        .allow_hover(false),
                );
                let short: String = text.chars().take(32).collect();
                plot.text(
                    Text::new(
                        "",
                        PlotPoint::new(x, top * 0.96),
                        egui::RichText::new(format!("✎ {short}")).size(11.0),
                    )
                    .color(note_colour)
                    .anchor(egui::Align2::LEFT_TOP)
                    .allow_hover(false),
                );
            }
        });
    let pointer_day = |pos: egui::Pos2| resp.transform.value_from_position(pos).x;
    let r = &resp.response;
    if r.drag_started()
        && let Some(p) = r.interact_pointer_pos()
    {
        let x = pointer_day(p);
        st.brush = Some((x, x));
    }
    if r.dragged()
        && let (Some(p), Some(b)) = (r.interact_pointer_pos(), st.brush.as_mut())
    {
        b.1 = pointer_day(p);
    }
    if r.drag_stopped()
        && let Some((a, b)) = st.brush.take()
    {
        let range = DayRange::new(a.round() as i32, b.round() as i32);
        let mut s = cx.selection.clone();
        s.days = Some(range);
        *cx.select = Some(s);
    }
    if r.clicked()
        && let Some(p) = r.interact_pointer_pos()
    {
        let day = pointer_day(p).round() as i32;
        if t.days.binary_search(&day).is_ok() {
            st.drill_day = Some(day);
        }
    }
    if st.brush.is_none()
        && let Some(p) = r.hover_pos()
    {
        let day = pointer_day(p).round() as i32;
        if let Ok(i) = t.days.binary_search(&day) {
            let on_day: Vec<_> = events
                .iter()
                .filter(|e| e.ts.div_euclid(86_400) as i32 == day)
                .collect();
            r.clone().on_hover_ui_at_pointer(|ui| {
                plots::bucket_card(ui, &days::iso(day), &t, i, &on_day);
                ui.weak("Click for hours");
            });
        }
    }
    if let Some(day) = st.drill_day {
        hours_ui(ui, cx, st, day);
    }
}

fn hours_ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut TimelineState, day: i32) {
    cx.session.want_hours(cx.selection, day);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.strong(format!("Hours of {} (UTC)", days::iso(day)));
        if ui.button("Select this day").clicked() {
            let mut s = cx.selection.clone();
            s.days = Some(DayRange::new(day, day));
            *cx.select = Some(s);
        }
        if ui.button("Day before").clicked() {
            st.drill_day = Some(day - 1);
        }
        if ui.button("Day after").clicked() {
            st.drill_day = Some(day + 1);
        }
        if ui.button("Close").clicked() {
            st.drill_day = None;
        }
        if cx.session.hours.is_loading() {
            ui.spinner();
        }
    });
    day_notes(ui, cx, st, day);
    let Some(h) = cx.session.hours.value().cloned() else {
        return;
    };
    if cx.session.hours.shown_key().map(|k| k.1) != Some(day) {
        ui.weak("Loading…");
        return;
    }
    if h.days.is_empty() {
        ui.weak("No exchanges that day in the selection.");
        return;
    }
    let charts = plots::stacked_bars(&h, f64::from);
    let resp = Plot::new("hours_plot")
        .height(ui.available_height())
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_x(-0.5)
        .include_x(23.5)
        .x_grid_spacer(plots::hour_grid)
        .include_y(0.0)
        .x_axis_formatter(|m, _| {
            if (m.value - m.value.round()).abs() < 1e-6 && (0.0..24.0).contains(&m.value) {
                format!("{:02}h", m.value as i32)
            } else {
                String::new()
            }
        })
        .y_axis_formatter(|m, _| plots::count_label(m))
        .y_axis_min_width(56.0)
        .show_crosshair(false)
        .show(ui, |plot| {
            for c in charts {
                plot.bar_chart(c);
            }
        });
    if let Some(p) = resp.response.hover_pos() {
        let hour = resp.transform.value_from_position(p).x.round() as i32;
        if let Ok(i) = h.days.binary_search(&hour) {
            resp.response.clone().on_hover_ui_at_pointer(|ui| {
                plots::bucket_card(
                    ui,
                    &format!("{} {hour:02}:00–{hour:02}:59", days::iso(day)),
                    &h,
                    i,
                    &[],
                );
            });
        }
    }
}

/// The notes pinned to `day`, and a field to pin one more.
fn day_notes(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut TimelineState, day: i32) {
    let book = cx.session.work.book().clone();
    for n in book
        .notes
        .iter()
        .filter(|n| n.target == NoteTarget::Day(day))
    {
        ui.label(format!("✎ {} · {}: {}", n.author, n.at, n.text));
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .hint_text(format!("Pin a note to {}", days::iso(day)))
                .desired_width(420.0),
        );
        if ui
            .add_enabled(!st.note.trim().is_empty(), egui::Button::new("Pin note"))
            .clicked()
        {
            let edit = Edit::AddNote {
                target: NoteTarget::Day(day),
                text: st.note.clone(),
            };
            match cx.session.work.apply(&edit, cx.analyst) {
                Ok(line) => {
                    st.note.clear();
                    cx.commands
                        .push(super::commands::Command::Notify(format!("Saved: {line}")));
                }
                Err(e) => cx.commands.push(super::commands::Command::Notify(e)),
            }
        }
    });
}
