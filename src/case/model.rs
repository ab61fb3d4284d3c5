//! What the analyst records: campaigns (named sets of accounts with colour,
//! status, confidence and notes), free tags on accounts, and notes pinned to
//! a day, an account or a campaign. Held in memory as one `Workbook`, cheap
//! to clone (campaigns shared behind `Arc`), so every edit keeps the state
//! before it for undo.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Under investigation.
    #[default]
    Suspected,
    /// The analyst is sure.
    Confirmed,
    /// Looked at and found innocent.
    Dismissed,
}

impl Status {
    /// Every status, in menu order.
    pub const ALL: [Status; 3] = [Status::Suspected, Status::Confirmed, Status::Dismissed];

    /// Its name as stored and typed.
    pub fn name(self) -> &'static str {
        match self {
            Status::Suspected => "suspected",
            Status::Confirmed => "confirmed",
            Status::Dismissed => "dismissed",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("unknown status {text:?} (expected suspected, confirmed or dismissed)")
            })
    }
}

/// A campaign's editable properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignProps {
    /// Unique name (compared without case).
    pub name: String,
    /// Colour as `#rrggbb`.
    pub colour: String,
    /// Suspected, confirmed or dismissed.
    pub status: Status,
    /// The analyst's confidence, 0 to 100 percent.
    pub confidence: u8,
    /// Free text.
    pub notes: String,
}

/// A named set of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Stable number, never reused in a case.
    pub id: i64,
    /// Name, colour, status, confidence, notes.
    pub props: CampaignProps,
    /// Member accounts.
    pub accounts: BTreeSet<String>,
    /// When it was created (UTC, RFC 3339) and by whom.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
}

/// What a note is pinned to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NoteTarget {
    /// A day (days since 1970-01-01).
    Day(i32),
    /// An account.
    Account(String),
    /// A campaign, by id.
    Campaign(i64),
}

impl NoteTarget {
    /// Kind as stored: day, account or campaign.
    pub fn kind(&self) -> &'static str {
        match self {
            NoteTarget::Day(_) => "day",
            NoteTarget::Account(_) => "account",
            NoteTarget::Campaign(_) => "campaign",
        }
    }

    /// The target as stored: an ISO date, an account id or a campaign id.
    pub fn key(&self) -> String {
        match self {
            NoteTarget::Day(d) => crate::analysis::days::iso(*d),
            NoteTarget::Account(a) => a.clone(),
            NoteTarget::Campaign(c) => c.to_string(),
        }
    }

    /// Reads a stored kind and key back.
    pub fn parse(kind: &str, key: &str) -> Result<NoteTarget, String> {
        match kind {
            "day" => crate::analysis::days::parse_iso(key)
                .map(NoteTarget::Day)
                .ok_or_else(|| format!("not a date: {key:?}")),
            "account" => Ok(NoteTarget::Account(key.to_owned())),
            "campaign" => key
                .parse()
                .map(NoteTarget::Campaign)
                .map_err(|_| format!("not a campaign id: {key:?}")),
            other => Err(format!("unknown note target {other:?}")),
        }
    }
}

/// A note the analyst pinned somewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Stable number, never reused in a case.
    pub id: i64,
    /// What it is pinned to.
    pub target: NoteTarget,
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub author: String,
    /// When (UTC, RFC 3339).
    pub at: String,
}

/// Everything the analyst recorded in a case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workbook {
    /// Campaigns by id order.
    pub campaigns: Vec<Arc<Campaign>>,
    /// Tags per account.
    pub tags: Arc<BTreeMap<String, BTreeSet<String>>>,
    /// Notes by id order.
    pub notes: Arc<Vec<Note>>,
    /// The analyst's word on networks for detection: AS number → hosting
    /// (true) or not (false); beats the names' reading.
    pub networks: Arc<BTreeMap<i64, bool>>,
}

impl Workbook {
    /// The campaign called `name` (without case).
    pub fn campaign(&self, name: &str) -> Option<&Arc<Campaign>> {
        let name = name.trim();
        self.campaigns
            .iter()
            .find(|c| c.props.name.eq_ignore_ascii_case(name))
    }

    /// The campaign with this id.
    pub fn campaign_by_id(&self, id: i64) -> Option<&Arc<Campaign>> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    /// What a note is pinned to, in words: `day 2026-04-22`, `account
    /// acct_1` or `campaign "Hydra"` (by number once it is deleted).
    pub fn target_label(&self, target: &NoteTarget) -> String {
        match target {
            NoteTarget::Campaign(id) => match self.campaign_by_id(*id) {
                Some(c) => format!("campaign {:?}", c.props.name),
                None => format!("campaign {id}"),
            },
            other => format!("{} {}", other.kind(), other.key()),
        }
    }

    /// The campaigns an account belongs to.
    pub fn campaigns_of<'a>(&'a self, account: &'a str) -> impl Iterator<Item = &'a Arc<Campaign>> {
        self.campaigns
            .iter()
            .filter(move |c| c.accounts.contains(account))
    }

    /// The tags of an account.
    pub fn tags_of(&self, account: &str) -> Option<&BTreeSet<String>> {
        self.tags.get(account)
    }

    /// Every tag in use, with how many accounts carry it.
    pub fn tag_counts(&self) -> BTreeMap<&str, usize> {
        let mut out = BTreeMap::new();
        for tags in self.tags.values() {
            for t in tags {
                *out.entry(t.as_str()).or_default() += 1;
            }
        }
        out
    }

    /// The next free campaign id.
    pub fn next_campaign_id(&self) -> i64 {
        self.campaigns.iter().map(|c| c.id).max().unwrap_or(0) + 1
    }

    /// The next free note id.
    pub fn next_note_id(&self) -> i64 {
        self.notes.iter().map(|n| n.id).max().unwrap_or(0) + 1
    }
}

/// Colours given to new campaigns in turn: distinct from the category
/// palette's pastel hues and readable on dark and light backgrounds.
pub const CAMPAIGN_COLOURS: [&str; 8] = [
    "#e6194b", "#f58231", "#ffe119", "#3cb44b", "#42d4f4", "#4363d8", "#911eb4", "#f032e6",
];

/// The default colour of campaign number `id`.
pub fn default_colour(id: i64) -> &'static str {
    CAMPAIGN_COLOURS[(id.max(1) as usize - 1) % CAMPAIGN_COLOURS.len()]
}

/// Parses `#rrggbb` into its three bytes.
pub fn parse_colour(text: &str) -> Result<[u8; 3], String> {
    let hex = text.trim().strip_prefix('#').unwrap_or(text.trim());
    let bad = || format!("not a colour {text:?} (expected #rrggbb)");
    if hex.len() != 6 || !hex.is_ascii() {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([byte(0)?, byte(2)?, byte(4)?])
}

/// Checks a campaign's properties: a name, a colour, a confidence in range.
pub fn check_props(props: &CampaignProps) -> Result<(), String> {
    if props.name.trim().is_empty() {
        return Err("a campaign needs a name".into());
    }
    if props.name.chars().any(char::is_control) {
        return Err(format!(
            "campaign name {:?} holds a control character",
            props.name
        ));
    }
    parse_colour(&props.colour)?;
    if props.confidence > 100 {
        return Err(format!(
            "confidence {} is above 100 percent",
            props.confidence
        ));
    }
    Ok(())
}
