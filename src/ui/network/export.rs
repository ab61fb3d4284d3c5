//! The Network view as it is on screen, saved as SVG or PNG (for a report),
//! or its shown nodes and edges as CSV. The picture is the same frame the
//! canvas draws, recorded as primitives; PNG is the SVG rendered by resvg.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Color32, Rect};

use super::draw::{self, Camera, Frame, Prim};
use super::{NetworkState, ViewCtx};
use crate::analysis::graph::scene::Scene;
pub use crate::export::svg::png;
use crate::export::svg::{escape, hex};

/// What to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Vector picture.
    Svg,
    /// Raster picture.
    Png,
    /// Shown nodes and edges.
    Csv,
}

/// The frame as an SVG document of the canvas size.
pub fn svg(frame: &Frame, rect: Rect, background: Color32, text: Color32) -> String {
    let (w, h) = (rect.width(), rect.height());
    let o = rect.min;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}">"#
    );
    let (bg, _) = hex(background);
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="{bg}"/>"#);
    for p in &frame.prims {
        match *p {
            Prim::Line(a, b, width, c) => {
                let (col, op) = hex(c);
                let _ = writeln!(
                    s,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{col}" stroke-opacity="{op:.2}" stroke-width="{width:.2}"/>"#,
                    a.x - o.x,
                    a.y - o.y,
                    b.x - o.x,
                    b.y - o.y
                );
            }
            Prim::Circle(c, r, col) => {
                let (col, op) = hex(col);
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.2}" fill="{col}" fill-opacity="{op:.2}"/>"#,
                    c.x - o.x,
                    c.y - o.y
                );
            }
            Prim::Square(c, r, col) => {
                let (col, op) = hex(col);
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.2}" height="{:.2}" fill="{col}" fill-opacity="{op:.2}"/>"#,
                    c.x - o.x - r,
                    c.y - o.y - r,
                    2.0 * r,
                    2.0 * r
                );
            }
            Prim::Ring(c, r, width, col) => {
                let (col, op) = hex(col);
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.2}" fill="none" stroke="{col}" stroke-opacity="{op:.2}" stroke-width="{width:.2}"/>"#,
                    c.x - o.x,
                    c.y - o.y
                );
            }
        }
    }
    let (tc, _) = hex(text);
    for l in &frame.labels {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-family="Ubuntu, sans-serif" font-size="11" text-anchor="middle" fill="{tc}">{}</text>"#,
            l.at.x - o.x,
            l.at.y - o.y + 10.0,
            escape(&l.text)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Shown nodes (accounts, hubs, closed clusters) and the edges among the
/// nodes shown individually, as two CSV texts.
pub fn csv(scene: &Scene, frame: &Frame, cam: &Camera, rect: Rect) -> (String, String) {
    let g = &scene.graph;
    let cell = |t: &str| crate::store::csv::cell(t);
    let mut nodes = String::from("node,kind,cluster,volume,x,y\n");
    let mut shown = std::collections::HashSet::new();
    for (n, p, _) in &frame.nodes {
        let n = *n as usize;
        shown.insert(n as u32);
        let (x, y) = cam.to_layout(rect, *p);
        let kind = g.hub(n).map_or("account", |_| "hub");
        let _ = writeln!(
            nodes,
            "{},{kind},{},{},{x:.3},{y:.3}",
            cell(&g.node_label(n)),
            g.cluster[n],
            g.node_volume(n)
        );
    }
    for (c, p, _) in &frame.discs {
        let (x, y) = cam.to_layout(rect, *p);
        let info = g.clusters.get(*c as usize);
        let _ = writeln!(
            nodes,
            "{},cluster,{c},{},{x:.3},{y:.3}",
            cell(&info.map(|i| i.name.clone()).unwrap_or_default()),
            info.map_or(0, |i| i.volume)
        );
    }
    let mut edges = String::from("source,target,type,weight\n");
    for e in &g.edges {
        if shown.contains(&e.source) && shown.contains(&e.target) {
            let _ = writeln!(
                edges,
                "{},{},{},{:.5}",
                cell(&g.node_label(e.source as usize)),
                cell(&g.node_label(e.target as usize)),
                e.kind.name(),
                e.weight
            );
        }
    }
    (nodes, edges)
}

/// Asks where to save and writes the file(s) off the UI thread.
pub fn save_view(cx: &mut ViewCtx<'_>, st: &mut NetworkState, scene: &Arc<Scene>, format: Format) {
    let Some(cam) = st.camera else { return };
    let rect = st.last_rect;
    let selected = std::collections::HashSet::new();
    let frame = draw::frame(
        scene,
        &st.x,
        &st.y,
        &cam,
        rect,
        &st.options(&selected, None, true),
    );
    let (bg, fg) = if st.dark {
        (Color32::from_gray(20), Color32::from_gray(220))
    } else {
        (Color32::WHITE, Color32::from_gray(30))
    };
    let stem = cx
        .session
        .case_path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(".case", ""))
        .unwrap_or_else(|| "network".into());
    // The picture is described here; rasterising it (PNG) happens on the
    // saving thread, not in this frame.
    let (name, files): (String, Vec<(String, Vec<u8>)>) = match format {
        Format::Svg => (
            format!("{stem}-network.svg"),
            vec![(String::new(), svg(&frame, rect, bg, fg).into_bytes())],
        ),
        Format::Png => (
            format!("{stem}-network.png"),
            vec![(String::new(), svg(&frame, rect, bg, fg).into_bytes())],
        ),
        Format::Csv => {
            let (n, e) = csv(scene, &frame, &cam, rect);
            (
                format!("{stem}-network-nodes.csv"),
                vec![
                    (String::new(), n.into_bytes()),
                    ("edges".into(), e.into_bytes()),
                ],
            )
        }
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    st.saving = Some(rx);
    let ctx = cx.session.ctx();
    std::thread::spawn(move || {
        let picked = rfd::FileDialog::new().set_file_name(&name).save_file();
        let result = match picked {
            None => Ok(None),
            Some(path) => {
                let files = if format == Format::Png {
                    let svg = String::from_utf8_lossy(&files[0].1).into_owned();
                    png(&svg).map(|bytes| vec![(String::new(), bytes)])
                } else {
                    Ok(files)
                };
                files.and_then(|f| write_all(&path, &f).map(Some))
            }
        };
        let _ = tx.send(result);
        ctx.request_repaint();
    });
}

/// Writes the main file at `path` and siblings (`-edges` before the
/// extension for a non-empty suffix), each atomically.
fn write_all(path: &Path, files: &[(String, Vec<u8>)]) -> Result<PathBuf, String> {
    for (suffix, bytes) in files {
        let target = if suffix.is_empty() {
            path.to_path_buf()
        } else {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().replace("-nodes", ""))
                .unwrap_or_default();
            let ext = path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            path.with_file_name(format!("{stem}-{suffix}{ext}"))
        };
        crate::store::csv::write_atomic(&target, bytes)
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Pos2, pos2};

    fn frame() -> Frame {
        Frame {
            prims: vec![
                Prim::Line(pos2(10.0, 10.0), pos2(90.0, 50.0), 1.0, Color32::RED),
                Prim::Circle(pos2(10.0, 10.0), 4.0, Color32::BLUE),
                Prim::Square(pos2(90.0, 50.0), 3.0, Color32::WHITE),
                Prim::Ring(pos2(10.0, 10.0), 6.0, 1.5, Color32::YELLOW),
            ],
            labels: vec![draw::Label {
                at: pos2(50.0, 60.0),
                text: "acct <1> & co".into(),
            }],
            ..Frame::default()
        }
    }

    #[test]
    fn svg_holds_every_primitive_and_escapes_labels() {
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(100.0, 80.0));
        let s = svg(&frame(), rect, Color32::BLACK, Color32::WHITE);
        assert!(s.starts_with("<svg"));
        assert_eq!(s.matches("<line").count(), 1);
        assert_eq!(s.matches("<circle").count(), 2);
        assert!(s.contains("acct &lt;1&gt; &amp; co"));
        let bytes = png(&s).expect("renders");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
