//! Suspects: the graph's clusters ranked by detection score, each explained
//! in plain words with its signals against the population and its peers;
//! one click selects a cluster's accounts in every view.

use egui_extras::{Column, TableBuilder};

use super::app::ViewCtx;
use super::commands::{Command, View};
use super::theme;
use crate::analysis::detect::config::SIGNALS;
use crate::analysis::detect::explain::{date, short};
use crate::analysis::detect::score::family_scores;
use crate::analysis::detect::{ClusterVerdict, Scan};
use crate::analysis::summary::group_digits;

/// What the Suspects view remembers between frames.
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectsState {
    /// Show only flagged clusters.
    pub flagged_only: bool,
    /// The row whose details are shown.
    pub chosen: Option<Row>,
}

impl Default for SuspectsState {
    fn default() -> Self {
        SuspectsState {
            flagged_only: true,
            chosen: None,
        }
    }
}

/// A row of the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A cluster, by its index in `Scan::clusters`.
    Cluster(usize),
    /// The accounts flagged on their own numbers.
    Alone,
}

/// The accounts of a row, as ids.
fn row_accounts(scan: &Scan, row: Row) -> Vec<String> {
    let ids = &scan.features.accounts;
    match row {
        Row::Cluster(i) => scan.clusters[i]
            .members
            .iter()
            .map(|m| ids[*m as usize].clone())
            .collect(),
        Row::Alone => scan
            .alone
            .iter()
            .map(|i| ids[*i as usize].clone())
            .collect(),
    }
}

/// How many accounts a row holds (without copying their ids every frame).
fn row_len(scan: &Scan, row: Row) -> usize {
    match row {
        Row::Cluster(i) => scan.clusters[i].members.len(),
        Row::Alone => scan.alone.len(),
    }
}

/// Selects the row's accounts everywhere.
fn select_row(cx: &mut ViewCtx<'_>, scan: &Scan, row: Row) {
    let mut sel = cx.selection.clone();
    sel.accounts = row_accounts(scan, row).into_iter().collect();
    *cx.select = Some(sel);
}

/// Draws the Suspects view.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut SuspectsState) {
    cx.session.want_case_scan();
    let loading = cx.session.scan.is_loading();
    let Some(scan) = cx.session.scan.value().cloned() else {
        ui.horizontal(|ui| {
            ui.spinner();
            let (stage, _) = cx.session.scan_progress.snapshot();
            ui.label(format!(
                "Scanning every account for distillation signals… {stage} (about a minute on the full incident)"
            ));
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
        return;
    };
    header(ui, cx, &scan, st, loading);
    let rows: Vec<Row> = scan
        .clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.flagged || !st.flagged_only)
        .map(|(i, _)| Row::Cluster(i))
        .chain((!scan.alone.is_empty()).then_some(Row::Alone))
        .collect();
    if st.chosen.is_none() {
        st.chosen = rows.first().copied();
    }
    egui::Panel::right("suspect_detail")
        .resizable(true)
        .default_size(520.0)
        .min_size(360.0)
        .show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
            egui::ScrollArea::vertical().show(ui, |ui| match st.chosen {
                Some(row) => detail(ui, cx, &scan, row),
                None => {
                    ui.weak("Nothing flagged at this threshold.");
                }
            });
        });
    table(ui, cx, &scan, st, &rows);
}

fn header(
    ui: &mut egui::Ui,
    cx: &mut ViewCtx<'_>,
    scan: &Scan,
    st: &mut SuspectsState,
    loading: bool,
) {
    let flagged_clusters = scan.clusters.iter().filter(|c| c.flagged).count();
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(format!(
                "{} of {} accounts flagged, in {} campaigns",
                group_digits(scan.flagged_count() as i64),
                group_digits(scan.accounts.len() as i64),
                scan.campaigns.len()
            ))
            .strong(),
        );
        ui.label(format!(
            "· {flagged_clusters} of {} clusters of {}+ accounts flagged · flag at score {:.1} (each kind of evidence adds at most 1: infrastructure, content, timing, account)",
            scan.clusters.len(),
            scan.config.score.min_cluster_size,
            scan.config.score.flag_threshold
        ));
        ui.checkbox(&mut st.flagged_only, "Flagged only")
            .on_hover_text("Untick to see every cluster ranked, and why the honest look-alikes score low");
        if loading {
            ui.spinner();
        }
    });
    stale_notice(ui, cx, scan);
    evidence(ui, cx, scan);
    ui.weak("Click a row for its explanation; double-click (or the button on the right) selects its accounts in every view. Scores and thresholds come from assets/detection.toml (`distillscope scan --config` for other settings).");
    ui.add_space(4.0);
}

/// When the scan shown was kept in the case and the case or the settings
/// changed since: a warning line saying what changed, and Re-scan.
pub fn stale_notice(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, scan: &Scan) {
    let Some(kept) = scan.kept.as_ref().filter(|_| !scan.stale().is_empty()) else {
        return;
    };
    let warn = super::theme::tokens(ui).warn;
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(format!(
                "Stale: this scan was made {} and kept in the case; since then {}.",
                kept.made_at.replace('T', " ").replace('Z', " UTC"),
                kept.stale.join("; ")
            ))
            .color(warn),
        );
        let busy = cx.session.scan.is_loading();
        if ui
            .add_enabled(!busy, egui::Button::new("Re-scan"))
            .on_hover_text("Scan the case as it is now (about a minute on the full incident)")
            .clicked()
        {
            cx.session.rescan();
        }
    });
}

/// What the evidence let detection see: a warning line when a kind of
/// evidence cannot fire, and the whole report (inputs, hosting networks,
/// easy verification paths, releases) folded below it.
fn evidence(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, scan: &Scan) {
    let a = &scan.availability;
    let lines = a.lines();
    let incomplete = a.missing.iter().any(Option::is_some);
    if incomplete {
        ui.label(
            egui::RichText::new(format!("Partial evidence: {}", lines[0]))
                .color(theme::tokens(ui).warn),
        );
    }
    let title = if incomplete {
        "What the evidence let detection see (some signals cannot fire)"
    } else {
        "What the evidence let detection see"
    };
    egui::CollapsingHeader::new(title)
        .id_salt("suspects_evidence")
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(260.0)
                .id_salt("suspects_evidence_scroll")
                .show(ui, |ui| {
                    for line in lines.iter().skip(usize::from(incomplete)) {
                        ui.label(format!("• {line}"));
                    }
                    let f = &scan.features;
                    if !f.easy_paths.is_empty() || !f.other_paths.is_empty() {
                        let list = |v: &[String]| {
                            if v.is_empty() {
                                "none".to_owned()
                            } else {
                                v.join(", ")
                            }
                        };
                        ui.label(format!(
                            "• easy verification paths: {}; other paths: {}",
                            list(&f.easy_paths),
                            list(&f.other_paths)
                        ));
                    }
                    for r in &f.releases {
                        ui.label(format!("• release: {} ({})", r.label, date(r.ts)));
                    }
                    for e in &f.unmatched_events {
                        ui.label(format!(
                            "• event not tied to a logged model: {} \"{}\" ({})",
                            e.kind,
                            e.label,
                            date(e.ts)
                        ));
                    }
                    networks(ui, cx, scan);
                });
        });
}

/// The log's networks, busiest first, with how detection reads each and
/// the analyst's mark (hosting, not hosting, or as the name reads), saved
/// with the case's work and audited.
fn networks(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, scan: &Scan) {
    let f = &scan.features;
    let hosting = f.networks.iter().filter(|n| n.hosting).count();
    ui.label(format!(
        "• networks read as hosting, cloud or VPS: {hosting} of {} (mark a network to override its name)",
        f.networks.len()
    ));
    let marks = cx.session.work.book().networks.clone();
    let mut edit = None;
    egui::Grid::new("suspects_networks")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for n in f.networks.iter().take(80) {
                let Some(asn) = n.asn else { continue };
                ui.label(format!("AS{asn}"));
                ui.label(n.org.as_deref().unwrap_or(""));
                ui.label(if n.hosting {
                    format!("hosting: {}", n.reason)
                } else {
                    "not hosting".into()
                });
                let current = marks.get(&asn).copied();
                let text = match current {
                    Some(true) => "marked hosting",
                    Some(false) => "marked not hosting",
                    None => "as named",
                };
                ui.push_id(("network_mark", asn), |ui| {
                    ui.menu_button(text, |ui| {
                        for (choice, label) in [
                            (None, "as named"),
                            (Some(true), "marked hosting"),
                            (Some(false), "marked not hosting"),
                        ] {
                            if ui.selectable_label(current == choice, label).clicked() {
                                if current != choice {
                                    edit = Some(crate::case::Edit::MarkNetwork {
                                        asn,
                                        name: n.org.clone().unwrap_or_default(),
                                        hosting: choice,
                                    });
                                }
                                ui.close();
                            }
                        }
                    })
                    .response
                    .on_hover_text("How detection reads this network: by its name, or as you mark it (saved with the case's work, in the audit log)");
                });
                ui.end_row();
            }
        });
    if let Some(e) = edit
        && let Err(msg) = cx.session.work.apply(&e, cx.analyst)
    {
        cx.commands.push(Command::Notify(msg));
    }
}

fn evidence_text(scan: &Scan, fired: u32) -> String {
    let f = family_scores(fired, &scan.config);
    if f.is_empty() {
        return "–".into();
    }
    f.iter()
        .map(|(f, w)| {
            let name = if *f == "infrastructure" { "infra" } else { f };
            if *w >= 1.0 {
                name.to_owned()
            } else {
                format!("{name} ×{}", short(*w))
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn table(
    ui: &mut egui::Ui,
    cx: &mut ViewCtx<'_>,
    scan: &Scan,
    st: &mut SuspectsState,
    rows: &[Row],
) {
    let tokens = theme::tokens(ui);
    let weak = ui.visuals().weak_text_color();
    let mut clicked = None;
    let mut double = None;
    let alone = &scan.alone;
    // The table scrolls sideways inside what the details panel leaves.
    egui::ScrollArea::horizontal()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            TableBuilder::new(ui)
                .id_salt("suspects_table")
                .striped(true)
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::exact(36.0))
                .column(Column::exact(56.0))
                .column(
                    Column::initial(250.0)
                        .at_least(120.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(Column::exact(70.0))
                .column(Column::exact(90.0))
                .column(Column::exact(160.0))
                .column(Column::exact(70.0))
                .column(
                    Column::initial(320.0)
                        .at_least(120.0)
                        .clip(true)
                        .resizable(true),
                )
                .min_scrolled_height(0.0)
                .max_scroll_height(f32::INFINITY)
                .header(24.0, |mut h| {
                    for t in [
                        "#", "Score", "Evidence", "Accounts", "Requests", "Active", "Campaign",
                        "Cluster",
                    ] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|body| {
                    body.rows(theme::ROW_HEIGHT, rows.len(), |mut row| {
                        let r = rows[row.index()];
                        row.set_selected(st.chosen == Some(r));
                        match r {
                            Row::Cluster(i) => {
                                let c = &scan.clusters[i];
                                let color = if c.flagged { tokens.warn } else { weak };
                                row.col(|ui| {
                                    ui.label((i + 1).to_string());
                                });
                                row.col(|ui| {
                                    ui.label(
                                        egui::RichText::new(format!("{:.1}", c.score))
                                            .color(color)
                                            .strong(),
                                    );
                                });
                                row.col(|ui| {
                                    ui.add(
                                        egui::Label::new(evidence_text(scan, c.fired))
                                            .truncate()
                                            .selectable(false),
                                    );
                                });
                                row.col(|ui| {
                                    ui.label(group_digits(c.members.len() as i64));
                                });
                                row.col(|ui| {
                                    ui.label(group_digits(c.exchanges as i64));
                                });
                                row.col(|ui| {
                                    ui.label(format!(
                                        "{} – {}",
                                        date(c.first_seen),
                                        date(c.last_seen)
                                    ));
                                });
                                row.col(|ui| {
                                    ui.label(
                                        c.campaign.map(|n| format!("C{n}")).unwrap_or_default(),
                                    );
                                });
                                row.col(|ui| {
                                    ui.add(
                                        egui::Label::new(format!("{} · {}", c.cluster, c.name))
                                            .truncate()
                                            .selectable(false),
                                    );
                                });
                            }
                            Row::Alone => {
                                row.col(|ui| {
                                    ui.label("–");
                                });
                                row.col(|ui| {
                                    ui.label(egui::RichText::new("≥ flag").color(tokens.warn));
                                });
                                row.col(|ui| {
                                    ui.label("each on its own numbers");
                                });
                                row.col(|ui| {
                                    ui.label(group_digits(alone.len() as i64));
                                });
                                row.col(|ui| {
                                    let n: u64 = alone
                                        .iter()
                                        .map(|i| scan.features.facts[*i as usize].exchanges)
                                        .sum();
                                    ui.label(group_digits(n as i64));
                                });
                                row.col(|_| {});
                                row.col(|_| {});
                                row.col(|ui| {
                                    ui.label("accounts not in a cluster of the minimum size");
                                });
                            }
                        }
                        let resp = row.response();
                        if resp.double_clicked() {
                            double = Some(r);
                        } else if resp.clicked() {
                            clicked = Some(r);
                        }
                    });
                });
        });
    if let Some(r) = clicked {
        st.chosen = Some(r);
    }
    if let Some(r) = double {
        st.chosen = Some(r);
        select_row(cx, scan, r);
    }
}

fn detail(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, scan: &Scan, row: Row) {
    let members = row_len(scan, row);
    match row {
        Row::Cluster(i) => {
            let c = &scan.clusters[i];
            ui.heading(format!(
                "Cluster {}{}",
                c.cluster,
                c.campaign
                    .map(|n| format!(" · campaign C{n}"))
                    .unwrap_or_default()
            ));
            ui.label(egui::RichText::new(&c.name).weak());
            ui.label(format!(
                "{} accounts · {} requests · {} – {}",
                group_digits(c.members.len() as i64),
                group_digits(c.exchanges as i64),
                date(c.first_seen),
                date(c.last_seen)
            ));
            buttons(ui, cx, scan, row, members);
            ui.separator();
            explanation(ui, c);
            ui.separator();
            signals_grid(ui, scan, c);
            if let Some(n) = c.campaign
                && let Some(camp) = scan.campaigns.iter().find(|k| k.number == n)
            {
                ui.separator();
                ui.label(format!(
                    "Campaign C{n} (attributed through shared addresses, networks, payment and sign-up addresses between clusters): {} accounts in {} clusters, {} requests, {} – {}.",
                    group_digits(camp.members.len() as i64),
                    camp.clusters.len(),
                    group_digits(camp.exchanges as i64),
                    date(camp.first_seen),
                    date(camp.last_seen)
                ));
            }
        }
        Row::Alone => {
            ui.heading("Flagged on their own numbers");
            ui.label(format!(
                "{} accounts that are in no cluster of {}+ accounts, each scoring at least {:.1} on its own signals. Open an account (double-click it in the Accounts view) to read its explanation.",
                group_digits(members as i64),
                scan.config.score.min_cluster_size,
                scan.config.score.flag_threshold
            ));
            buttons(ui, cx, scan, row, members);
        }
    }
}

fn buttons(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, scan: &Scan, row: Row, n: usize) {
    ui.horizontal(|ui| {
        if ui
            .button(format!("Select these {} accounts", group_digits(n as i64)))
            .on_hover_text(
                "Every view (timeline, categories, accounts, network) follows the selection",
            )
            .clicked()
        {
            select_row(cx, scan, row);
        }
        if ui.button("Show in network").clicked() {
            select_row(cx, scan, row);
            cx.commands.push(Command::Show(View::Network));
        }
        if ui.button("Show on timeline").clicked() {
            select_row(cx, scan, row);
            cx.commands.push(Command::Show(View::Timeline));
        }
        if ui
            .button("New campaign…")
            .on_hover_text("Select these accounts and make a campaign of them")
            .clicked()
        {
            select_row(cx, scan, row);
            cx.commands
                .push(Command::SelectionTo(super::campaigns::Target::New));
        }
    });
}

fn explanation(ui: &mut egui::Ui, c: &ClusterVerdict) {
    let mut lines = c.explanation.iter();
    if let Some(first) = lines.next() {
        let color = if c.flagged {
            theme::tokens(ui).warn
        } else {
            ui.visuals().text_color()
        };
        ui.label(
            egui::RichText::new(format!(
                "{} — {first}",
                if c.flagged { "Flagged" } else { "Not flagged" }
            ))
            .color(color)
            .strong(),
        );
    }
    for l in lines {
        ui.label(format!("• {l}"));
    }
    if c.spared > 0 {
        ui.label(format!(
            "• {} member(s) not flagged: their own numbers score under the floor a member needs (member_min_own_score)",
            group_digits(c.spared as i64)
        ));
    }
}

fn signals_grid(ui: &mut egui::Ui, scan: &Scan, c: &ClusterVerdict) {
    ui.label(egui::RichText::new("Every signal").strong());
    ui.weak("Value: the cluster's mean over its accounts. Population: percentile among all accounts. Peers: percentile among clusters of the minimum size. Hover a signal for why its threshold is what it is.");
    // Names and numbers stay on one line; the grid scrolls sideways if
    // the panel is narrow.
    let width = ui.available_width();
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        egui::ScrollArea::horizontal()
            .max_width(width)
            .auto_shrink([false, true])
            .show(ui, |ui| signals_table(ui, scan, c));
    });
}

fn signals_table(ui: &mut egui::Ui, scan: &Scan, c: &ClusterVerdict) {
    egui::Grid::new("signals_grid")
        .striped(true)
        .num_columns(6)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for t in ["signal", "value", "fires at", "population", "peers", "kind"] {
                ui.strong(t);
            }
            ui.end_row();
            for (i, id) in SIGNALS.iter().enumerate() {
                let s = scan.config.signal(i);
                let fired = c.fired & (1 << i) != 0;
                let name = egui::RichText::new(format!(
                    "{} {}",
                    if fired { "●" } else { "○" },
                    id.replace('_', " ")
                ));
                let name = if fired {
                    name.color(theme::tokens(ui).warn).strong()
                } else {
                    name
                };
                ui.label(name).on_hover_text(&s.reason);
                let v = c.values[i];
                ui.label(if v.is_nan() { "–".into() } else { short(v) });
                ui.label(format!(
                    "{} {}",
                    if s.direction == "below" { "≤" } else { "≥" },
                    short(s.threshold)
                ));
                let pct = |p: f64| {
                    if p.is_nan() {
                        "–".to_owned()
                    } else {
                        format!("{p:.0}th")
                    }
                };
                ui.label(pct(scan.population.percentile(i, v)));
                ui.label(pct(scan.cluster_baseline.percentile(i, v)));
                let family = if s.family == "infrastructure" {
                    "infra"
                } else {
                    s.family.as_str()
                };
                ui.label(format!("{family} ×{}", short(s.weight)));
                ui.end_row();
            }
        });
}
