//! The Share indicators dialog: what of a campaign may leave for other
//! providers, chosen with thresholds and kinds over a live preview with
//! counts, then written as a STIX 2.1 bundle. Customer data is never among
//! the choices; the dialog says how much of it stayed behind.

use std::path::PathBuf;

use super::session::Session;
use super::theme;
use crate::analysis::summary::group_digits;
use crate::share::select::Tlp;
use crate::share::{ShareOptions, stix};

/// Values listed in the preview (the bundle holds all of them).
const PREVIEW_ROWS: usize = 200;

/// Width of the preview's value column, in points.
const VALUE_WIDTH: f32 = 380.0;

/// The dialog's state.
pub struct ShareDialog {
    /// The campaign shared.
    pub campaign: i64,
    /// Terms and thresholds.
    pub opts: ShareOptions,
    /// The bundle file to write.
    pub out: String,
    /// What the last Write said.
    pub written: Option<Result<String, String>>,
    /// A bundle being built and written off the UI thread (a large
    /// campaign's is hundreds of megabytes).
    writing: Option<std::sync::mpsc::Receiver<Result<String, String>>>,
}

impl ShareDialog {
    /// A dialog for campaign `id`, writing beside the case.
    pub fn new(id: i64, session: &Session) -> ShareDialog {
        let out = super::campaigns::beside_case(session, id, |safe| format!("{safe}.stix.json"));
        ShareDialog {
            campaign: id,
            opts: ShareOptions::default(),
            out: out.display().to_string(),
            written: None,
            writing: None,
        }
    }
}

/// Shows the dialog while `dialog` holds one.
pub fn share_window(ctx: &egui::Context, session: &mut Session, dialog: &mut Option<ShareDialog>) {
    let Some(d) = dialog.as_mut() else { return };
    let mut open = true;
    session.work.want_shareable(d.campaign);
    let Some(campaign) = session.work.book().campaign_by_id(d.campaign).cloned() else {
        *dialog = None;
        return;
    };
    egui::Window::new("Share indicators")
        .id(egui::Id::unique("share_dialog"))
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .open(&mut open)
        .collapsible(false)
        .default_width(680.0)
        .show(ctx, |ui| {
            ui.label(format!(
                "Indicators of {} for other providers, as a STIX 2.1 bundle",
                campaign.props.name
            ));
            let content = session
                .work
                .shareable
                .value()
                .filter(|_| session.work.shareable.shown_key().map(|k| k.0) == Some(d.campaign))
                .cloned();
            let Some(content) = content else {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Gathering the campaign's shared infrastructure…");
                });
                return;
            };
            ui.add_space(4.0);
            egui::Grid::new("share_terms").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                ui.label("Organisation");
                ui.add(egui::TextEdit::singleline(&mut d.opts.identity).desired_width(300.0));
                ui.end_row();
                ui.label("Traffic light");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut d.opts.tlp, Tlp::Clear, "TLP:CLEAR");
                    ui.radio_value(&mut d.opts.tlp, Tlp::Green, "TLP:GREEN");
                    ui.radio_value(&mut d.opts.tlp, Tlp::Amber, "TLP:AMBER");
                });
                ui.end_row();
                ui.label("Share a value used by");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut d.opts.min_accounts).range(1..=1_000_000));
                    ui.label("or more campaign accounts, when at least");
                    let mut pct = d.opts.min_share * 100.0;
                    if ui
                        .add(egui::DragValue::new(&mut pct).range(0.0..=100.0).suffix(" %"))
                        .changed()
                    {
                        d.opts.min_share = pct / 100.0;
                    }
                    ui.label("of its users are");
                })
                .response
                .on_hover_text(
                    "An address or AS that honest customers use too (a university's NAT, a big cloud) stays behind",
                );
                ui.end_row();
            });
            ui.add_space(6.0);
            ui.strong("What leaves");
            egui::Grid::new("share_kinds").num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
                for (kind, chosen, all) in content.counts(&d.opts) {
                    let mut on = d.opts.kinds.contains(&kind);
                    if ui.checkbox(&mut on, kind.title()).changed() {
                        d.opts.kinds.retain(|k| *k != kind);
                        if on {
                            d.opts.kinds.push(kind);
                        }
                    }
                    ui.label(format!("{} of {}", group_digits(chosen as i64), group_digits(all as i64)));
                    ui.end_row();
                }
            });
            let withheld: Vec<String> = content
                .withheld
                .iter()
                .map(|(what, n)| format!("{what} {}", group_digits(*n as i64)))
                .collect();
            ui.weak(format!(
                "Never shared in clear: account ids, prompt text, and customers' sign-up records: {}.",
                withheld.join(" · ")
            ));
            ui.add_space(6.0);
            let chosen: Vec<_> = content.chosen(&d.opts).collect();
            ui.strong(format!("Preview: {} indicators", group_digits(chosen.len() as i64)));
            egui::ScrollArea::vertical().max_height(220.0).auto_shrink([false, true]).show(ui, |ui| {
                egui::Grid::new("share_preview").striped(true).num_columns(4).show(ui, |ui| {
                    ui.strong("kind");
                    ui.strong("value");
                    ui.strong("campaign accounts");
                    ui.strong("all accounts");
                    ui.end_row();
                    for s in chosen.iter().take(PREVIEW_ROWS) {
                        ui.label(s.kind.name());
                        let value = if s.detail.is_empty() {
                            s.value.clone()
                        } else {
                            format!("{} ({})", s.value, s.detail)
                        };
                        ui.allocate_ui_with_layout(
                            egui::vec2(VALUE_WIDTH, ui.spacing().interact_size.y),
                            egui::Layout::left_to_right(egui::Align::Center),
                            |ui| {
                                ui.set_min_width(VALUE_WIDTH);
                                ui.add(egui::Label::new(super::one_line(&value, 90)).truncate())
                                    .on_hover_text(&value);
                            },
                        );
                        ui.label(group_digits(s.campaign_accounts));
                        ui.label(group_digits(s.case_accounts));
                        ui.end_row();
                    }
                });
                if chosen.len() > PREVIEW_ROWS {
                    ui.weak(format!("… and {} more in the bundle", chosen.len() - PREVIEW_ROWS));
                }
            });
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label("File");
                ui.add(egui::TextEdit::singleline(&mut d.out).desired_width(460.0));
            });
            if let Some(rx) = &d.writing {
                match rx.try_recv() {
                    Ok(result) => {
                        d.written = Some(result);
                        d.writing = None;
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        d.written = Some(Err("the bundle could not be written".into()));
                        d.writing = None;
                    }
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        ui.spinner();
                    }
                }
            }
            if ui
                .add_enabled(
                    !chosen.is_empty() && d.writing.is_none(),
                    egui::Button::new("Write bundle"),
                )
                .on_disabled_hover_text("Nothing passes the thresholds, or a bundle is being written")
                .clicked()
            {
                let path = PathBuf::from(d.out.trim());
                let (content, opts) = (content.clone(), d.opts.clone());
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let repaint = ctx.clone();
                let spawned = std::thread::Builder::new()
                    .name("share-bundle".into())
                    .spawn(move || {
                        let bundle = stix::bundle(&content, &opts, &stix::stix_now());
                        let result = stix::write(&path, &bundle)
                            .map(|()| {
                                format!(
                                    "Wrote {} objects to {}",
                                    bundle["objects"].as_array().map_or(0, Vec::len),
                                    path.display()
                                )
                            })
                            .map_err(|e| format!("{e:#}"));
                        let _ = tx.send(result);
                        repaint.request_repaint();
                    });
                match spawned {
                    Ok(_) => {
                        d.written = None;
                        d.writing = Some(rx);
                    }
                    Err(e) => d.written = Some(Err(format!("cannot start writing: {e}"))),
                }
            }
            match &d.written {
                Some(Ok(m)) => {
                    ui.label(m);
                }
                Some(Err(e)) => {
                    ui.colored_label(theme::tokens(ui).warn, e);
                }
                None => {}
            }
        });
    if !open {
        *dialog = None;
    }
}
