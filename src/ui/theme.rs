//! Colours and spacing in one place (rerun's design tokens). Views never
//! write a colour literal; they ask here.

use egui::Color32;

/// Colours that depend on the theme.
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    /// Background of an error notification.
    pub error_fill: Color32,
    /// Background of an information notification.
    pub info_fill: Color32,
    /// Background of a selection chip.
    pub chip_fill: Color32,
    /// The brushed range and selected items.
    pub selection: Color32,
    /// Translucent fill of the brushed range.
    pub selection_fill: Color32,
    /// Baseline bars.
    pub baseline: Color32,
    /// Muted text.
    pub muted: Color32,
    /// Text that warns.
    pub warn: Color32,
}

/// The tokens for the theme `ui` is drawn in.
pub fn tokens(ui: &egui::Ui) -> Tokens {
    if ui.visuals().dark_mode {
        Tokens {
            error_fill: Color32::from_rgb(92, 32, 32),
            info_fill: Color32::from_rgb(32, 64, 48),
            chip_fill: Color32::from_rgb(40, 62, 92),
            selection: Color32::from_rgb(255, 196, 64),
            selection_fill: Color32::from_rgba_unmultiplied(255, 196, 64, 40),
            baseline: Color32::from_gray(120),
            muted: Color32::from_gray(150),
            warn: Color32::from_rgb(255, 170, 80),
        }
    } else {
        Tokens {
            error_fill: Color32::from_rgb(255, 222, 222),
            info_fill: Color32::from_rgb(222, 245, 228),
            chip_fill: Color32::from_rgb(214, 228, 248),
            selection: Color32::from_rgb(214, 120, 0),
            selection_fill: Color32::from_rgba_unmultiplied(214, 120, 0, 40),
            baseline: Color32::from_gray(160),
            muted: Color32::from_gray(100),
            warn: Color32::from_rgb(180, 80, 0),
        }
    }
}

pub use crate::palette::{category_color, cluster_color, event_color};

/// The colour of a link kind in the Network view.
pub fn link_color(kind: crate::analysis::graph::LinkKind) -> Color32 {
    use crate::analysis::graph::LinkKind as K;
    match kind {
        K::Payment => Color32::from_rgb(225, 87, 89),
        K::SignupIp => Color32::from_rgb(255, 157, 167),
        K::Ip => Color32::from_rgb(78, 121, 167),
        K::Net => Color32::from_rgb(118, 183, 178),
        K::Asn => Color32::from_rgb(156, 117, 95),
        K::UserAgent => Color32::from_rgb(186, 176, 172),
        K::EmailDomain => Color32::from_rgb(176, 122, 161),
        K::Template => Color32::from_rgb(242, 142, 43),
        K::Coactivity => Color32::from_rgb(237, 201, 72),
        K::ApiKey => Color32::from_rgb(199, 60, 120),
        K::Org => Color32::from_rgb(89, 161, 79),
    }
}

/// A small square in the colour of `name` (a legend swatch).
pub fn swatch(ui: &mut egui::Ui, name: &str) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, category_color(name));
}

/// Row height of the big tables.
pub const ROW_HEIGHT: f32 = 20.0;

/// System fonts that cover Chinese, Japanese and Korean, which egui's
/// bundled fonts do not: prompts in a distillation log often are in them.
/// The first one found is used as a fallback.
const CJK_FALLBACKS: &[&str] = &[
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// Installs the fonts: egui's own, the monospace font as a last fallback of
/// the proportional family (so arrows and triangles such as ▲ ▼ ◀ ▶ render),
/// and a system CJK font when one is found (else such text shows boxes).
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional) {
        family.push("Hack".to_owned());
    }
    match CJK_FALLBACKS.iter().find_map(|p| std::fs::read(p).ok()) {
        Some(bytes) => {
            fonts.font_data.insert(
                "system-cjk".to_owned(),
                std::sync::Arc::new(egui::FontData::from_owned(bytes)),
            );
            for family in fonts.families.values_mut() {
                family.push("system-cjk".to_owned());
            }
        }
        None => log::warn!(
            "no CJK font found (looked for {}): Chinese, Japanese and Korean text will show as boxes",
            CJK_FALLBACKS.join(", ")
        ),
    }
    ctx.set_fonts(fonts);
}
