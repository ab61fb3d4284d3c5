//! SVG text helpers and SVG → PNG rendering (resvg), shared by the Network
//! view's picture export and the evidence pack's charts.

use egui::Color32;

/// `#rrggbb` and opacity of a colour.
pub fn hex(c: Color32) -> (String, f32) {
    let [r, g, b, a] = c.to_srgba_unmultiplied();
    (format!("#{r:02x}{g:02x}{b:02x}"), f32::from(a) / 255.0)
}

/// Text escaped for SVG content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders an SVG document to PNG bytes (text in egui's own fonts, so a
/// picture looks the same on every machine).
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    let mut opt = resvg::usvg::Options::default();
    let fonts = egui::FontDefinitions::default();
    for data in fonts.font_data.values() {
        opt.fontdb_mut()
            .load_font_data(data.font.as_ref().as_ref().to_vec());
    }
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or("the picture has no size")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}
