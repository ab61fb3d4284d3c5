//! The colours that mean something (categories, clusters, event kinds),
//! shared by the app and the charts of an evidence pack so a category has
//! the same colour on screen and in a report.

use egui::Color32;

/// Tableau 10: distinguishable, and readable on dark and light backgrounds.
const PALETTE: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

/// The categories of the shipped taxonomy, in palette order, so each keeps
/// its colour in every view and every run.
const CATEGORY_ORDER: [&str; 10] = [
    "software_engineering",
    "agentic_tool_use",
    "reasoning_cot",
    "long_horizon_planning",
    "rubric_grading",
    "policy_rewrite",
    "vision_computer_use",
    "math",
    "writing",
    "general_chat",
];

/// The colour of a category (or any other stack name).
pub fn category_color(name: &str) -> Color32 {
    if let Some(i) = CATEGORY_ORDER.iter().position(|c| *c == name) {
        return PALETTE[i];
    }
    if name == "unknown" || name == crate::analysis::views::OTHER_ACCOUNTS {
        return Color32::from_gray(128);
    }
    PALETTE[(xxhash_rust::xxh3::xxh3_64(name.as_bytes()) % PALETTE.len() as u64) as usize]
}

/// The colour of a cluster: the palette in id order, grey for the
/// unlinked accounts (id 0).
pub fn cluster_color(id: u32) -> Color32 {
    if id == 0 {
        return Color32::from_gray(128);
    }
    PALETTE[((id - 1) as usize) % PALETTE.len()]
}

/// The colour of an event kind.
pub fn event_color(kind: &str) -> Color32 {
    // Kinds are matched by meaning: evidence spells them its own way.
    let k = kind.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| k.contains(w));
    if k == crate::analysis::views::FIRST_SEEN_KIND {
        Color32::from_rgb(120, 200, 230)
    } else if has(&["release", "launch"]) {
        Color32::from_rgb(64, 160, 255)
    } else if has(&["enforce", "ban", "terminat", "suspen", "block", "takedown"]) {
        Color32::from_rgb(230, 70, 70)
    } else if has(&["policy", "verification", "rule"]) {
        Color32::from_rgb(200, 120, 230)
    } else {
        Color32::from_gray(140)
    }
}
