//! Readable notifications in the corner of the window: errors stay until
//! dismissed, information fades after a few seconds. Every failure the user
//! should know of ends up here (and in the log), never in a panic.

use std::time::{Duration, Instant};

use super::theme;

/// How serious a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something finished.
    Info,
    /// Something failed.
    Error,
}

struct Note {
    level: Level,
    text: String,
    created: Instant,
}

/// How long information stays on screen.
const INFO_TTL: Duration = Duration::from_secs(6);

/// The notifications on screen.
#[derive(Default)]
pub struct Notifications {
    notes: Vec<Note>,
}

impl Notifications {
    /// Shows an error until dismissed.
    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        log::error!("{text}");
        self.push(Level::Error, text);
    }

    /// Shows information for a few seconds.
    pub fn info(&mut self, text: impl Into<String>) {
        let text = text.into();
        log::info!("{text}");
        self.push(Level::Info, text);
    }

    fn push(&mut self, level: Level, text: String) {
        // The same message twice in a row is shown once.
        if self.notes.last().is_some_and(|n| n.text == text) {
            return;
        }
        self.notes.push(Note {
            level,
            text,
            created: Instant::now(),
        });
    }

    /// Dismisses everything.
    pub fn clear(&mut self) {
        self.notes.clear();
    }

    /// The texts on screen, oldest first (for tests).
    pub fn texts(&self) -> Vec<&str> {
        self.notes.iter().map(|n| n.text.as_str()).collect()
    }

    /// Draws the notifications over the bottom-right corner.
    pub fn ui(&mut self, ctx: &egui::Context) {
        self.notes
            .retain(|n| n.level == Level::Error || n.created.elapsed() < INFO_TTL);
        if self.notes.is_empty() {
            return;
        }
        if self.notes.iter().any(|n| n.level == Level::Info) {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        let mut dismissed = None;
        egui::Area::new(egui::Id::unique("notifications"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(460.0);
                for (i, note) in self.notes.iter().enumerate() {
                    let tokens = theme::tokens(ui);
                    let (fill, title) = match note.level {
                        Level::Error => (tokens.error_fill, "Error"),
                        Level::Info => (tokens.info_fill, "Done"),
                    };
                    egui::Frame::popup(ui.style()).fill(fill).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.strong(title);
                            ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                                if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                                    dismissed = Some(i);
                                }
                            });
                        });
                        ui.add(egui::Label::new(&note.text).wrap());
                    });
                    ui.add_space(4.0);
                }
            });
        if let Some(i) = dismissed {
            self.notes.remove(i);
        }
    }
}
