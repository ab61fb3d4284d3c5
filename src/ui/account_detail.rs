//! Account: everything about one account on one page: its attributes,
//! timeline, categories, infrastructure, linked accounts, templates and
//! raw requests.

use egui_plot::Plot;

use super::app::ViewCtx;
use super::commands::Command;
use super::plots;
use crate::analysis::days;
use crate::analysis::summary::group_digits;
use crate::analysis::views::AccountDetail;

/// Which account is shown.
#[derive(Debug, Default)]
pub struct DetailState {
    /// The account on the page.
    pub account: Option<String>,
    typed: String,
    tag: String,
    note: String,
}

/// Draws the account page.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut DetailState) {
    // With one account selected and none opened, show that one.
    if st.account.is_none() && cx.selection.accounts.len() == 1 {
        st.account = cx.selection.accounts.first().cloned();
    }
    ui.horizontal(|ui| {
        ui.label("Account");
        let edit = ui.add(
            egui::TextEdit::singleline(&mut st.typed)
                .hint_text("type an account id")
                .desired_width(240.0),
        );
        if (edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
            || ui.button("Show").clicked()
        {
            let id = st.typed.trim().to_owned();
            if !id.is_empty() {
                st.account = Some(id);
            }
        }
        if let Some(a) = &st.account {
            ui.separator();
            let selected = cx.selection.accounts.len() == 1 && cx.selection.accounts.contains(a);
            if ui
                .add_enabled(!selected, egui::Button::new("Select this account"))
                .on_hover_text("Filter every view to this account")
                .clicked()
            {
                let mut s = cx.selection.clone();
                s.accounts = [a.clone()].into();
                *cx.select = Some(s);
            }
        }
        if cx.session.detail.is_loading() {
            ui.spinner();
            ui.label("reading the account's requests from the log…");
        }
    });
    let Some(account) = st.account.clone() else {
        ui.add_space(20.0);
        ui.weak("Double-click an account in the accounts or exchanges table, click one in the overview, or type its id above.");
        return;
    };
    cx.session.want_detail(&account);
    // The quick part, with the scanned parts once they have arrived.
    let of_account = |d: &&std::sync::Arc<AccountDetail>| d.account_id == account;
    let Some(head) = cx.session.detail_head.value().filter(of_account).cloned() else {
        ui.weak(format!("Loading {account}…"));
        return;
    };
    let d = match cx.session.detail.value().filter(of_account) {
        Some(scans) => AccountDetail::clone(scans).with_head(AccountDetail::clone(&head)),
        None => AccountDetail::clone(&head),
    };
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| page(ui, cx, st, &d));
}

fn page(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut DetailState, d: &AccountDetail) {
    ui.heading(&d.account_id);
    if d.attributes.is_empty() && d.timeline.days.is_empty() {
        ui.weak("No such account in this case.");
        return;
    }
    detection(ui, cx, &d.account_id);
    casework(ui, cx, st, &d.account_id);
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        ui.strong("Attributes");
        egui::Grid::new("detail_attributes")
            .striped(true)
            .num_columns(2)
            .show(ui, |ui| {
                for (k, v) in &d.attributes {
                    ui.label(k.replace('_', " "));
                    ui.label(attribute_text(k, v));
                    ui.end_row();
                }
            });
        let ui = &mut cols[1];
        ui.strong("Categories");
        let total: i64 = d.categories.iter().map(|c| c.1).sum::<i64>().max(1);
        egui::Grid::new("detail_categories")
            .num_columns(3)
            .show(ui, |ui| {
                for (c, n) in &d.categories {
                    ui.label(c);
                    let w = 160.0 * (*n as f32 / total as f32);
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(160.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(
                        egui::Rect::from_min_size(rect.min, egui::vec2(w.max(1.0), 12.0)),
                        2.0,
                        super::theme::category_color(c),
                    );
                    ui.label(format!(
                        "{} ({:.1}%)",
                        group_digits(*n),
                        100.0 * *n as f64 / total as f64
                    ));
                    ui.end_row();
                }
            });
    });
    ui.add_space(8.0);
    ui.strong("Exchanges per day");
    plots::legend_strip(ui, &d.timeline, &|_| false);
    let charts = plots::stacked_bars(&d.timeline, f64::from);
    Plot::new("detail_timeline")
        .height(200.0)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_zoom(false)
        .include_y(0.0)
        .x_grid_spacer(plots::day_grid)
        .x_axis_formatter(|m, _| plots::day_label(m))
        .y_axis_formatter(|m, _| plots::count_label(m))
        .y_axis_min_width(56.0)
        .show(ui, |plot| {
            for c in charts {
                plot.bar_chart(c);
            }
        });
    ui.add_space(8.0);
    if !d.complete {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Infrastructure, linked accounts, templates and requests: reading the log…");
        });
        return;
    }
    for (kind, title) in [
        ("ip", "IP addresses"),
        ("asn", "Networks (ASN)"),
        ("country", "Countries"),
        ("user_agent", "User agents"),
        ("model", "Models"),
    ] {
        let rows: Vec<_> = d.infrastructure.iter().filter(|r| r.kind == kind).collect();
        egui::CollapsingHeader::new(format!("{title} ({})", rows.len()))
            .id_salt(kind)
            .default_open(kind == "ip" || kind == "asn")
            .show(ui, |ui| {
                egui::Grid::new(("infra", kind))
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for h in [
                            "Value",
                            "Detail",
                            "Exchanges",
                            "First used",
                            "Last used",
                            "Accounts using it",
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for r in rows {
                            ui.monospace(&r.value);
                            ui.label(&r.detail);
                            ui.label(group_digits(r.exchanges));
                            ui.label(days::iso_seconds(r.first));
                            ui.label(days::iso_seconds(r.last));
                            if r.accounts < 0 {
                                ui.weak("–");
                            } else {
                                ui.label(group_digits(r.accounts));
                            }
                            ui.end_row();
                        }
                    });
            });
    }
    let shown = if d.linked_total > d.linked.len() as i64 {
        format!("{} of {}", d.linked.len(), group_digits(d.linked_total))
    } else {
        d.linked.len().to_string()
    };
    egui::CollapsingHeader::new(format!("Linked accounts ({shown})"))
        .default_open(true)
        .show(ui, |ui| {
            if d.linked.is_empty() {
                ui.weak("The network links no other account to this one, and none shares a sign-up attribute with it.");
            }
            egui::Grid::new("linked").striped(true).num_columns(4).show(ui, |ui| {
                for h in ["Account", "Linked in the network by", "Link weight", "Shared at sign-up"] {
                    ui.strong(h);
                }
                ui.end_row();
                for l in &d.linked {
                    if ui.link(&l.account_id).clicked() {
                        cx.commands.push(Command::OpenAccount(l.account_id.clone()));
                    }
                    let kinds: Vec<&str> = l.link_kinds.iter().map(|k| link_label(k)).collect();
                    ui.label(kinds.join(", "));
                    ui.label(if l.link_weight > 0.0 {
                        format!("{:.2}", l.link_weight)
                    } else {
                        String::new()
                    });
                    ui.label(l.shared_signup.join(", "));
                    ui.end_row();
                }
            });
            if !d.hubs.is_empty() {
                ui.add_space(4.0);
                let shown = if d.hubs_total > d.hubs.len() as i64 {
                    format!("the {} most shared of {}", d.hubs.len(), group_digits(d.hubs_total))
                } else {
                    d.hubs.len().to_string()
                };
                ui.label(format!("Values shared with too many accounts to link them one by one ({shown}):"));
                egui::Grid::new("hubs").striped(true).num_columns(3).show(ui, |ui| {
                    for h in ["Kind", "Value", "Accounts using it"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for h in &d.hubs {
                        ui.label(link_label(&h.kind));
                        ui.label(&h.value);
                        ui.label(group_digits(h.accounts));
                        ui.end_row();
                    }
                });
            }
        });
    egui::CollapsingHeader::new(format!("Prompt templates ({})", d.templates.len()))
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("templates")
                .striped(true)
                .num_columns(4)
                .show(ui, |ui| {
                    for h in [
                        "Exchanges",
                        "Accounts using it",
                        "Category",
                        "Sample prompt",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for t in &d.templates {
                        ui.label(group_digits(t.exchanges));
                        ui.label(group_digits(t.accounts));
                        ui.label(&t.category);
                        ui.add(egui::Label::new(super::one_line(&t.sample_prompt, 140)).truncate())
                            .on_hover_text(&t.sample_prompt);
                        ui.end_row();
                    }
                });
        });
    egui::CollapsingHeader::new(format!("First {} requests", d.requests.len()))
        .default_open(false)
        .show(ui, |ui| {
            egui::Grid::new("requests")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for h in ["Time (UTC)", "Model", "Category", "IP", "Prompt"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in &d.requests {
                        ui.label(days::iso_seconds(r.ts));
                        ui.label(r.model.as_deref().unwrap_or(""));
                        ui.label(&r.category);
                        ui.label(r.ip.as_deref().unwrap_or(""));
                        let p = r.prompt.as_deref().unwrap_or("");
                        ui.add(egui::Label::new(super::one_line(p, 120)).truncate())
                            .on_hover_text(p);
                        ui.end_row();
                    }
                });
        });
}

/// An attribute as people read it: digits grouped, shares in percent,
/// times to the second.
fn attribute_text(key: &str, value: &str) -> String {
    if value.is_empty() {
        return "–".into();
    }
    if let Ok(n) = value.parse::<i64>() {
        return group_digits(n);
    }
    if key.ends_with("_share")
        && let Ok(f) = value.parse::<f64>()
    {
        return format!("{:.1}%", f * 100.0);
    }
    // 2026-01-05T00:02:44.512 -> 2026-01-05 00:02:44
    if value.len() >= 19 && value.as_bytes()[10] == b'T' && value[..4].parse::<u32>().is_ok() {
        return value[..19].replace('T', " ");
    }
    value.to_owned()
}

/// The account's detection verdict in plain words, once a scan exists.
fn detection(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, account: &str) {
    let scan = cx.session.scan.value().cloned();
    let Some(scan) = scan else {
        ui.horizontal(|ui| {
            if cx.session.scan.is_loading() {
                ui.spinner();
                ui.weak("Detection is scanning the case…");
            } else if ui
                .button("Explain with detection")
                .on_hover_text(
                    "Scores every account (as the Suspects view does) and explains this one",
                )
                .clicked()
            {
                cx.session.want_case_scan();
            }
        });
        return;
    };
    let Some(i) = scan.account_index(account) else {
        return;
    };
    let v = &scan.accounts[i];
    let lines = scan.explain_account(i);
    let tokens = super::theme::tokens(ui);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let verdict = if v.flagged {
            format!(
                "Flagged{}",
                v.campaign
                    .map(|c| format!(" · campaign C{c}"))
                    .unwrap_or_default()
            )
        } else {
            "Not flagged".to_owned()
        };
        let color = if v.flagged {
            tokens.warn
        } else {
            ui.visuals().text_color()
        };
        ui.label(
            egui::RichText::new(format!("{verdict} — {}", lines[0]))
                .color(color)
                .strong(),
        );
        for l in &lines[1..] {
            ui.label(format!("• {l}"));
        }
        super::suspects::stale_notice(ui, cx, &scan);
    });
    ui.add_space(6.0);
}

/// The account's campaigns and tags (a tag added or removed here is one
/// audited change), and the notes pinned to it.
fn casework(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut DetailState, account: &str) {
    let book = cx.session.work.book().clone();
    let one: std::collections::BTreeSet<String> = [account.to_owned()].into();
    let mut edit = None;
    ui.horizontal_wrapped(|ui| {
        ui.strong("Campaigns");
        let mut any = false;
        for c in book.campaigns_of(account) {
            any = true;
            ui.colored_label(
                super::campaigns::colour(&c.props.colour),
                format!("■ {} ({})", c.props.name, c.props.status.name()),
            );
        }
        if !any {
            ui.weak("none");
        }
        ui.separator();
        ui.strong("Tags");
        for t in book.tags_of(account).into_iter().flatten() {
            if ui
                .button(format!("#{t} ×"))
                .on_hover_text("Remove this tag")
                .clicked()
            {
                edit = Some(crate::case::Edit::Untag {
                    accounts: one.clone(),
                    tag: t.clone(),
                });
            }
        }
        ui.add(
            egui::TextEdit::singleline(&mut st.tag)
                .hint_text("new tag")
                .desired_width(110.0),
        );
        if ui
            .add_enabled(!st.tag.trim().is_empty(), egui::Button::new("Tag"))
            .clicked()
        {
            edit = Some(crate::case::Edit::Tag {
                accounts: one.clone(),
                tag: std::mem::take(&mut st.tag),
            });
        }
    });
    for n in book
        .notes
        .iter()
        .filter(|n| n.target == crate::case::NoteTarget::Account(account.to_owned()))
    {
        ui.label(format!("✎ {} · {}: {}", n.author, n.at, n.text));
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .hint_text("Pin a note to this account")
                .desired_width(420.0),
        );
        if ui
            .add_enabled(!st.note.trim().is_empty(), egui::Button::new("Pin note"))
            .clicked()
        {
            edit = Some(crate::case::Edit::AddNote {
                target: crate::case::NoteTarget::Account(account.to_owned()),
                text: std::mem::take(&mut st.note),
            });
        }
    });
    if let Some(e) = edit
        && let Err(msg) = cx.session.work.apply(&e, cx.analyst)
    {
        cx.commands.push(Command::Notify(msg));
    }
    ui.add_space(4.0);
}

/// How a link kind's name (`ip`, `signup_ip`, ...) reads on the page.
fn link_label(name: &str) -> &str {
    crate::analysis::graph::links::LinkKind::parse(name).map_or(name, |k| k.label())
}
