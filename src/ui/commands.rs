//! Everything the user can do from a menu, a shortcut or a button, as one
//! enum: widgets queue commands, the app applies them once per frame, so
//! menus, shortcuts and tests share one path (egui_demo_app, rerun's
//! UICommand).

use egui::{Key, KeyboardShortcut, Modifiers};
use serde::{Deserialize, Serialize};

/// The main views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum View {
    /// The incident at a glance.
    #[default]
    Overview,
    /// Exchanges per day.
    Timeline,
    /// Categories against the baseline.
    Categories,
    /// The accounts table.
    Accounts,
    /// Pages of exchanges.
    Exchanges,
    /// One account.
    Account,
    /// The account network.
    Network,
    /// Detection: suspicious clusters ranked, with their explanations.
    Suspects,
    /// The analyst's campaigns, tags and notes; evidence packs.
    Campaigns,
}

impl View {
    /// Every view, in tab order.
    pub const ALL: [View; 9] = [
        View::Overview,
        View::Timeline,
        View::Categories,
        View::Accounts,
        View::Exchanges,
        View::Account,
        View::Network,
        View::Suspects,
        View::Campaigns,
    ];

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Timeline => "Timeline",
            View::Categories => "Categories",
            View::Accounts => "Accounts",
            View::Exchanges => "Exchanges",
            View::Account => "Account",
            View::Network => "Network",
            View::Suspects => "Suspects",
            View::Campaigns => "Campaigns",
        }
    }
}

/// A user action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Pick a file with the system dialog.
    OpenFile,
    /// Pick a folder with the system dialog.
    OpenFolder,
    /// Type a path.
    OpenPath,
    /// Open this path.
    Open(std::path::PathBuf),
    /// Rebuild the open case from its evidence, the work carried over.
    RebuildCase,
    /// Show a view.
    Show(View),
    /// Open one account's page.
    OpenAccount(String),
    /// The previous selection.
    Back,
    /// The next selection.
    Forward,
    /// Select everything again.
    ClearSelection,
    /// Stop the running open or queries.
    Cancel,
    /// Dark or light.
    ToggleTheme,
    /// The shortcuts and how the views work.
    Help,
    /// Take back the last change to campaigns, tags or notes.
    Undo,
    /// Do the last undone change again.
    Redo,
    /// Open the dialog that applies the selection to a campaign or a tag.
    SelectionTo(super::campaigns::Target),
    /// Open the export dialog of campaign `id`.
    ExportPack(i64),
    /// Open the Share indicators dialog of campaign `id`.
    ShareIndicators(i64),
    /// Show a message.
    Notify(String),
}

impl Command {
    /// The commands that have a shortcut, in the order the help lists them.
    pub fn with_shortcuts() -> Vec<Command> {
        let mut out = vec![Command::OpenFile, Command::OpenFolder, Command::OpenPath];
        out.extend(View::ALL.iter().map(|v| Command::Show(*v)));
        out.extend([
            Command::Back,
            Command::Forward,
            Command::ClearSelection,
            Command::Cancel,
            Command::ToggleTheme,
            Command::Help,
            // Redo first: Ctrl+Z also matches Ctrl+Shift+Z logically.
            Command::Redo,
            Command::Undo,
        ]);
        out
    }

    /// Menu and help text.
    pub fn label(&self) -> String {
        match self {
            Command::OpenFile => "Open file…".into(),
            Command::OpenFolder => "Open folder…".into(),
            Command::OpenPath => "Open path…".into(),
            Command::Open(p) => format!("Open {}", p.display()),
            Command::RebuildCase => "Rebuild the case (campaigns and notes kept)".into(),
            Command::Show(v) => format!("Show {}", v.title().to_lowercase()),
            Command::OpenAccount(a) => format!("Open account {a}"),
            Command::Back => "Back to the previous selection".into(),
            Command::Forward => "Forward to the next selection".into(),
            Command::ClearSelection => "Clear the selection".into(),
            Command::Cancel => "Cancel running work".into(),
            Command::ToggleTheme => "Switch dark / light theme".into(),
            Command::Help => "Keyboard shortcuts and help".into(),
            Command::Undo => "Undo the last campaign, tag or note change".into(),
            Command::Redo => "Redo the last undone change".into(),
            Command::SelectionTo(t) => match t {
                super::campaigns::Target::New => "New campaign from the selection…".into(),
                super::campaigns::Target::Add(_) => "Add the selection to a campaign…".into(),
                super::campaigns::Target::Remove(_) => {
                    "Remove the selection from a campaign…".into()
                }
                super::campaigns::Target::Tag => "Tag the selection…".into(),
            },
            Command::ExportPack(_) => "Export evidence pack…".into(),
            Command::ShareIndicators(_) => "Share indicators…".into(),
            Command::Notify(m) => m.clone(),
        }
    }

    /// Its keyboard shortcut.
    pub fn shortcut(&self) -> Option<KeyboardShortcut> {
        let k = |m, key| Some(KeyboardShortcut::new(m, key));
        match self {
            Command::OpenFile => k(Modifiers::COMMAND, Key::O),
            Command::OpenFolder => k(Modifiers::COMMAND | Modifiers::SHIFT, Key::O),
            Command::OpenPath => k(Modifiers::COMMAND, Key::L),
            Command::Show(v) => {
                let keys = [
                    Key::Num1,
                    Key::Num2,
                    Key::Num3,
                    Key::Num4,
                    Key::Num5,
                    Key::Num6,
                    Key::Num7,
                    Key::Num8,
                    Key::Num9,
                ];
                let i = View::ALL.iter().position(|x| x == v)?;
                k(Modifiers::COMMAND, keys[i])
            }
            Command::Back => k(Modifiers::ALT, Key::ArrowLeft),
            Command::Forward => k(Modifiers::ALT, Key::ArrowRight),
            Command::ClearSelection => k(Modifiers::NONE, Key::Escape),
            Command::Cancel => k(Modifiers::COMMAND, Key::Period),
            Command::ToggleTheme => k(Modifiers::COMMAND | Modifiers::SHIFT, Key::D),
            Command::Help => k(Modifiers::NONE, Key::F1),
            Command::Undo => k(Modifiers::COMMAND, Key::Z),
            Command::Redo => k(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
            Command::Open(_)
            | Command::RebuildCase
            | Command::OpenAccount(_)
            | Command::SelectionTo(_)
            | Command::ExportPack(_)
            | Command::ShareIndicators(_)
            | Command::Notify(_) => None,
        }
    }

    /// The shortcut as text for this platform.
    pub fn shortcut_text(&self, ctx: &egui::Context) -> String {
        self.shortcut()
            .map(|s| ctx.format_shortcut(&s))
            .unwrap_or_default()
    }

    /// The commands whose shortcuts were pressed this frame.
    pub fn pressed(ctx: &egui::Context) -> Vec<Command> {
        let typing = ctx.memory(|m| m.focused().is_some());
        let mut out = Vec::new();
        for cmd in Command::with_shortcuts() {
            let Some(s) = cmd.shortcut() else { continue };
            // Escape in a text field leaves the field, not the selection.
            if typing && s.modifiers.is_none() && s.logical_key == Key::Escape {
                continue;
            }
            // Ctrl+Z in a text field undoes the typing, not a campaign change.
            if typing && matches!(cmd, Command::Undo | Command::Redo) {
                continue;
            }
            if ctx.input_mut(|i| i.consume_shortcut(&s)) {
                out.push(cmd);
            }
        }
        out
    }
}
