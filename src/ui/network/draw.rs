//! Builds the Network view's frame as a few large meshes (one canvas, never
//! a widget per node): clusters drawn as super-nodes until they are
//! expanded or zoomed into, then their accounts and hubs; culling outside
//! the view, labels only where legible. Pure: the frame benchmark calls it
//! off-screen.

use std::collections::{BTreeSet, HashSet};

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, Pos2, Rect, Shape, vec2};

use rayon::prelude::*;

use super::gpu::LineList;
use crate::analysis::graph::LinkKind;
use crate::analysis::graph::scene::Scene;
use crate::ui::theme;

/// Clusters whose disc is wider than this on screen open into their nodes.
pub const OPEN_PX: f32 = 110.0;

/// Where the view looks: layout point at the centre and pixels per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Layout x at the centre of the canvas.
    pub cx: f32,
    /// Layout y at the centre of the canvas.
    pub cy: f32,
    /// Pixels per layout unit.
    pub scale: f32,
}

impl Camera {
    /// A camera showing every node of `scene` inside `rect`.
    pub fn fit(x: &[f32], y: &[f32], rect: Rect) -> Camera {
        if x.is_empty() {
            return Camera {
                cx: 0.0,
                cy: 0.0,
                scale: 1.0,
            };
        }
        let (x0, x1) = x
            .iter()
            .fold((f32::MAX, f32::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
        let (y0, y1) = y
            .iter()
            .fold((f32::MAX, f32::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
        let scale =
            (rect.width() / (x1 - x0).max(1.0)).min(rect.height() / (y1 - y0).max(1.0)) * 0.92;
        Camera {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            scale,
        }
    }

    /// A layout point on screen.
    pub fn to_screen(&self, rect: Rect, x: f32, y: f32) -> Pos2 {
        rect.center() + vec2((x - self.cx) * self.scale, (y - self.cy) * self.scale)
    }

    /// A screen point in layout units.
    pub fn to_layout(&self, rect: Rect, p: Pos2) -> (f32, f32) {
        let d = p - rect.center();
        (self.cx + d.x / self.scale, self.cy + d.y / self.scale)
    }

    /// Zooms by `factor` keeping the layout point under `anchor` in place.
    pub fn zoom_at(&mut self, rect: Rect, anchor: Pos2, factor: f32) {
        let (ax, ay) = self.to_layout(rect, anchor);
        self.scale = (self.scale * factor).clamp(1e-4, 1e4);
        let (bx, by) = self.to_layout(rect, anchor);
        self.cx += ax - bx;
        self.cy += ay - by;
    }
}

/// What colours the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Colour {
    /// The cluster's colour.
    #[default]
    Cluster,
    /// The account's top category.
    Category,
    /// Exchanges, light to dark.
    Volume,
    /// The analyst's campaigns in their colours, other accounts grey.
    Campaign,
}

impl Colour {
    /// Every mode, in menu order.
    pub const ALL: [Colour; 4] = [
        Colour::Cluster,
        Colour::Category,
        Colour::Volume,
        Colour::Campaign,
    ];

    /// Menu text.
    pub fn label(self) -> &'static str {
        match self {
            Colour::Cluster => "cluster",
            Colour::Category => "top category",
            Colour::Volume => "volume",
            Colour::Campaign => "campaign",
        }
    }
}

/// What to draw besides the scene.
pub struct DrawOptions<'a> {
    /// Node colouring.
    pub colour: Colour,
    /// Link kinds drawn, by [`LinkKind::index`].
    pub show: [bool; LinkKind::COUNT],
    /// Clusters opened by the analyst.
    pub expanded: &'a BTreeSet<u32>,
    /// Nodes shown individually whatever their cluster (an N-hop neighbourhood).
    pub extra: &'a HashSet<u32>,
    /// Selected nodes (ringed).
    pub selected: &'a HashSet<u32>,
    /// The node under the pointer.
    pub hovered: Option<u32>,
    /// Dark theme.
    pub dark: bool,
    /// Record primitives for vector export.
    pub record: bool,
    /// Draw every account → hub link (else only the hovered hub's).
    pub hub_links: bool,
    /// Clusters of fewer accounts are not drawn (unless opened): the many
    /// two- and three-account clusters of ordinary customers hide the
    /// operation at incident scale. 1 draws every cluster.
    pub min_cluster_size: usize,
    /// Put links between nodes in [`Frame::lines`] for the GPU (wgpu)
    /// instead of the CPU mesh; ignored when recording.
    pub gpu_lines: bool,
    /// Campaign colour of every account node (transparent: in none), for
    /// [`Colour::Campaign`].
    pub campaigns: &'a [Color32],
}

/// A label to paint (text needs fonts, so the caller paints it).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Where (centre of the text's top edge).
    pub at: Pos2,
    /// What.
    pub text: String,
}

/// A drawn primitive, recorded for vector export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prim {
    /// A line of a width.
    Line(Pos2, Pos2, f32, Color32),
    /// A filled circle.
    Circle(Pos2, f32, Color32),
    /// A filled square (hubs), centre and half-width.
    Square(Pos2, f32, Color32),
    /// A ring (selection, hover), centre, radius, width.
    Ring(Pos2, f32, f32, Color32),
}

/// A mesh that can also record what went into it.
#[derive(Default)]
struct Canvas {
    mesh: Mesh,
    prims: Option<Vec<Prim>>,
}

impl Canvas {
    fn new(record: bool) -> Canvas {
        Canvas {
            mesh: Mesh::default(),
            prims: record.then(Vec::new),
        }
    }

    fn line(&mut self, a: Pos2, b: Pos2, width: f32, color: Color32) {
        add_line(&mut self.mesh, a, b, width, color);
        if let Some(p) = &mut self.prims {
            p.push(Prim::Line(a, b, width, color));
        }
    }

    fn circle(&mut self, c: Pos2, r: f32, color: Color32, segments: u32) {
        add_circle(&mut self.mesh, c, r, color, segments);
        if let Some(p) = &mut self.prims {
            p.push(Prim::Circle(c, r, color));
        }
    }

    fn square(&mut self, c: Pos2, r: f32, color: Color32) {
        add_square(&mut self.mesh, c, r, color);
        if let Some(p) = &mut self.prims {
            p.push(Prim::Square(c, r, color));
        }
    }

    fn ring(&mut self, c: Pos2, r: f32, width: f32, color: Color32) {
        let segments = 24;
        for i in 0..segments {
            let a0 = i as f32 / segments as f32 * std::f32::consts::TAU;
            let a1 = (i + 1) as f32 / segments as f32 * std::f32::consts::TAU;
            add_line(
                &mut self.mesh,
                c + vec2(a0.cos() * r, a0.sin() * r),
                c + vec2(a1.cos() * r, a1.sin() * r),
                width,
                color,
            );
        }
        if let Some(p) = &mut self.prims {
            p.push(Prim::Ring(c, r, width, color));
        }
    }
}

/// The frame's shapes and what was drawn where, for picking.
#[derive(Default)]
pub struct Frame {
    /// Primitives in painting order, when recording was asked for.
    pub prims: Vec<Prim>,
    /// Edge mesh, then node mesh, then rings.
    pub shapes: Vec<Shape>,
    /// Links between nodes for the GPU, painted under `shapes[1..]` (empty
    /// unless [`DrawOptions::gpu_lines`]).
    pub lines: LineList,
    /// Nodes drawn individually: node, screen position, radius.
    pub nodes: Vec<(u32, Pos2, f32)>,
    /// Clusters drawn closed: cluster id, centre, radius.
    pub discs: Vec<(u32, Pos2, f32)>,
    /// Labels that are legible at this zoom.
    pub labels: Vec<Label>,
    /// Edges drawn.
    pub edges: usize,
}

fn add_circle(mesh: &mut Mesh, c: Pos2, r: f32, color: Color32, segments: u32) {
    let base = mesh.vertices.len() as u32;
    mesh.vertices.push(Vertex {
        pos: c,
        uv: WHITE_UV,
        color,
    });
    for i in 0..segments {
        let a = i as f32 / segments as f32 * std::f32::consts::TAU;
        mesh.vertices.push(Vertex {
            pos: c + vec2(a.cos() * r, a.sin() * r),
            uv: WHITE_UV,
            color,
        });
    }
    for i in 0..segments {
        mesh.indices
            .extend([base, base + 1 + i, base + 1 + (i + 1) % segments]);
    }
}

fn add_square(mesh: &mut Mesh, c: Pos2, r: f32, color: Color32) {
    let base = mesh.vertices.len() as u32;
    for (dx, dy) in [(-r, -r), (r, -r), (r, r), (-r, r)] {
        mesh.vertices.push(Vertex {
            pos: c + vec2(dx, dy),
            uv: WHITE_UV,
            color,
        });
    }
    mesh.indices
        .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
}

fn add_line(mesh: &mut Mesh, a: Pos2, b: Pos2, width: f32, color: Color32) {
    let d = b - a;
    let len = d.length();
    if len < 0.5 {
        return;
    }
    let n = vec2(-d.y, d.x) / len * (width / 2.0);
    let base = mesh.vertices.len() as u32;
    for p in [a + n, b + n, b - n, a - n] {
        mesh.vertices.push(Vertex {
            pos: p,
            uv: WHITE_UV,
            color,
        });
    }
    mesh.indices
        .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
}

fn volume_colour(volume: u64, dark: bool) -> Color32 {
    let t = ((volume as f32 + 1.0).log10() / 5.0).clamp(0.0, 1.0);
    let (lo, hi) = if dark {
        ([90.0, 110.0, 140.0], [255.0, 120.0, 60.0])
    } else {
        ([170.0, 190.0, 220.0], [180.0, 40.0, 20.0])
    };
    let c = |i: usize| (lo[i] + (hi[i] - lo[i]) * t) as u8;
    Color32::from_rgb(c(0), c(1), c(2))
}

/// The colour of node `n`.
pub fn node_colour(
    scene: &Scene,
    n: usize,
    colour: Colour,
    dark: bool,
    campaigns: &[Color32],
) -> Color32 {
    let g = &scene.graph;
    if g.is_hub(n) {
        return if dark {
            Color32::from_gray(215)
        } else {
            Color32::from_gray(60)
        };
    }
    match colour {
        Colour::Cluster => theme::cluster_color(g.cluster[n]),
        Colour::Category => scene
            .top_category
            .get(n)
            .map_or(Color32::GRAY, |c| theme::category_color(c)),
        Colour::Volume => volume_colour(g.volume[n], dark),
        Colour::Campaign => match campaigns.get(n) {
            Some(c) if *c != Color32::TRANSPARENT => *c,
            _ => Color32::from_gray(if dark { 70 } else { 190 }),
        },
    }
}

/// Radius in pixels of a node at this zoom: grows with the log of its
/// volume, shrinks when nodes are packed so the picture does not clot.
pub fn node_radius(volume: u64, scale: f32) -> f32 {
    let zoom = (scale * 0.3).clamp(1.2, 7.0);
    zoom * (0.7 + 0.15 * (volume as f32 + 1.0).log10())
}

/// Screen radius of a closed cluster: its footprint, but never smaller
/// than what its volume deserves, so small clusters stay visible.
pub fn disc_radius(layout_r: f32, scale: f32, volume: u64) -> f32 {
    (layout_r * scale).max(2.5 + 1.6 * (volume as f32 + 1.0).log10())
}

/// Builds the frame for `scene` at `cam` in `rect`; `x`/`y` are the node
/// positions (the scene's, moved by a live layout).
pub fn frame(
    scene: &Scene,
    x: &[f32],
    y: &[f32],
    cam: &Camera,
    rect: Rect,
    opt: &DrawOptions<'_>,
) -> Frame {
    let g = &scene.graph;
    let mut out = Frame::default();
    let k = scene.members.len();
    let view = rect.expand(20.0);
    // Which clusters are open.
    let mut open = vec![false; k];
    let hidden: Vec<bool> = (0..k)
        .map(|c| {
            c != 0
                && !opt.expanded.contains(&(c as u32))
                && g.clusters
                    .get(c)
                    .is_some_and(|i| i.size < opt.min_cluster_size)
        })
        .collect();
    let mut disc_screen = vec![(Pos2::ZERO, 0.0f32); k];
    for c in 0..k {
        let (cx, cy, r) = scene.cluster_disc[c];
        let p = cam.to_screen(rect, cx, cy);
        let volume = g.clusters.get(c).map_or(0, |i| i.volume);
        let rs = disc_radius(r, cam.scale, volume);
        disc_screen[c] = (p, rs);
        let visible = view.expand(rs).contains(p);
        let threshold = if c == 0 { OPEN_PX * 4.0 } else { OPEN_PX };
        open[c] = visible
            && !hidden[c]
            && (opt.expanded.contains(&(c as u32)) || r * cam.scale > threshold);
    }
    // Per node, decided once (set lookups per link cost a third of a frame).
    let mut individual: Vec<bool> = g.cluster.iter().map(|c| open[*c as usize]).collect();
    let mut unlinked: Vec<bool> = g.cluster.iter().map(|c| *c == 0).collect();
    for n in opt.extra {
        individual[*n as usize] = true;
        unlinked[*n as usize] = false;
    }
    // Edges first (under the nodes).
    let mut edges = Canvas::new(opt.record);
    let alpha: u8 = if opt.dark { 70 } else { 90 };
    // Between closed clusters.
    let max_between = scene
        .between
        .iter()
        .map(|e| e.2)
        .fold(0.0f32, f32::max)
        .max(1e-6);
    for &(a, b, w) in &scene.between {
        let (a, b) = (a as usize, b as usize);
        if open[a] || open[b] || hidden[a] || hidden[b] {
            continue;
        }
        let (pa, pb) = (disc_screen[a].0, disc_screen[b].0);
        if !view.intersects(Rect::from_two_pos(pa, pb)) {
            continue;
        }
        let t = (w / max_between).sqrt();
        let c = if opt.dark {
            Color32::from_white_alpha((25.0 + 120.0 * t) as u8)
        } else {
            Color32::from_black_alpha((25.0 + 120.0 * t) as u8)
        };
        edges.line(pa, pb, 0.6 + 2.5 * t, c);
        out.edges += 1;
    }
    // Among nodes drawn individually.
    let mut drawn = vec![false; g.node_count()];
    let mut node_mesh = Canvas::new(opt.record);
    let mut rings = Canvas::new(opt.record);
    let tokens_sel = if opt.dark {
        Color32::from_rgb(255, 196, 64)
    } else {
        Color32::from_rgb(214, 120, 0)
    };
    let mut candidates: Vec<u32> = Vec::new();
    for (c, members) in scene.members.iter().enumerate() {
        if open[c] {
            candidates.extend(members);
        }
    }
    candidates.extend(
        opt.extra
            .iter()
            .filter(|n| !open[g.cluster[**n as usize] as usize]),
    );
    for &n in &candidates {
        let n = n as usize;
        let p = cam.to_screen(rect, x[n], y[n]);
        let r = node_radius(g.node_volume(n), cam.scale);
        if view.expand(r).contains(p) {
            drawn[n] = true;
            out.nodes.push((n as u32, p, r));
        }
    }
    // Screen positions by node id (a vector: a map cost a third of the frame).
    let mut positions: Vec<Pos2> = Vec::new();
    if !out.nodes.is_empty() {
        positions = vec![Pos2::ZERO; g.node_count()];
        for (n, p, _) in &out.nodes {
            positions[*n as usize] = *p;
        }
    }
    let width = (cam.scale * 0.04).clamp(0.5, 1.6);
    // Links whose ends are both shown, each once (from its smaller end when
    // both are candidates), in parallel chunks. Links of unlinked accounts
    // are hub links to popular values: drawn only for what the analyst
    // asked for (search, hops).
    let links_of = |chunk: &[u32], emit: &mut dyn FnMut(Pos2, Pos2, LinkKind)| {
        for &n in chunk {
            let n = n as usize;
            for &ei in scene.incident_edges(n) {
                let e = &g.edges[ei as usize];
                let (a, b) = (e.source as usize, e.target as usize);
                let other = if a == n { b } else { a };
                // Cheapest tests first: half the visits end at the first.
                if other < n || !opt.show[e.kind.index()] || !individual[other] {
                    continue;
                }
                let hub_hidden = g.is_hub(b) && !opt.hub_links && opt.hovered != Some(b as u32);
                if hub_hidden || unlinked[a] || unlinked[b] || !(drawn[a] || drawn[b]) {
                    continue;
                }
                let at = |m: usize| {
                    if drawn[m] {
                        positions[m]
                    } else {
                        cam.to_screen(rect, x[m], y[m])
                    }
                };
                emit(at(a), at(b), e.kind);
            }
        }
    };
    // The more edges, the fainter each: density reads as brightness
    // instead of a solid mass.
    let fade = |count: usize| {
        (f32::from(alpha) * (3_000.0 / count.max(1) as f32).sqrt()).clamp(10.0, f32::from(alpha))
            / f32::from(alpha)
    };
    let colours = |opacity: f32| {
        LinkKind::ALL.map(|kind| {
            let col = theme::link_color(kind);
            Color32::from_rgba_unmultiplied(
                col.r(),
                col.g(),
                col.b(),
                (opacity * f32::from(alpha)) as u8,
            )
        })
    };
    if opt.gpu_lines && !opt.record {
        // Written straight to vertex bytes chunk by chunk at full link
        // opacity; the GPU fades them by the count (no list in between).
        let full = colours(1.0);
        let chunks: Vec<Vec<u8>> = candidates
            .par_chunks(2048)
            .map(|chunk| {
                // Room for every link of the chunk up front: growing the
                // buffer (copies, fresh pages) cost as much as filling it.
                let links: usize = chunk
                    .iter()
                    .map(|n| scene.incident_edges(*n as usize).len())
                    .sum();
                let mut bytes = Vec::with_capacity(links * LineList::LINE_BYTES);
                links_of(chunk, &mut |pa, pb, kind| {
                    LineList::write(&mut bytes, pa, pb, full[kind.index()]);
                });
                bytes
            })
            .collect();
        out.lines = LineList::from_chunks(chunks);
        out.edges += out.lines.len();
        out.lines.opacity = fade(out.lines.len());
    } else {
        let pending: Vec<(Pos2, Pos2, LinkKind)> = candidates
            .par_chunks(2048)
            .flat_map_iter(|chunk| {
                let mut found = Vec::new();
                links_of(chunk, &mut |pa, pb, kind| found.push((pa, pb, kind)));
                found
            })
            .collect();
        out.edges += pending.len();
        let faded = colours(fade(pending.len()));
        for (pa, pb, kind) in pending {
            edges.line(pa, pb, width, faded[kind.index()]);
        }
    }
    // Closed clusters.
    for c in 0..k {
        if open[c] || hidden[c] || scene.members[c].is_empty() {
            continue;
        }
        let (p, r) = disc_screen[c];
        if !view.expand(r).contains(p) {
            continue;
        }
        let base = if c == 0 {
            Color32::from_gray(if opt.dark { 70 } else { 200 })
        } else {
            theme::cluster_color(c as u32)
        };
        let fill = if c == 0 {
            base.gamma_multiply(0.5)
        } else {
            base.gamma_multiply(0.55)
        };
        node_mesh.circle(p, r, fill, if r > 20.0 { 48 } else { 16 });
        if r > 6.0 {
            rings.ring(p, r, 1.5, base);
        }
        if scene.members[c].iter().any(|n| opt.selected.contains(n)) {
            rings.ring(p, r + 3.0, 2.0, tokens_sel);
        }
        out.discs.push((c as u32, p, r));
        if r > 14.0 {
            let name = g
                .clusters
                .get(c)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            out.labels.push(Label {
                at: p + vec2(0.0, r + 2.0),
                text: name,
            });
        }
    }
    // Individual nodes, hubs as squares.
    node_mesh.mesh.vertices.reserve(out.nodes.len() * 13);
    node_mesh.mesh.indices.reserve(out.nodes.len() * 36);
    for &(n, p, r) in &out.nodes {
        let n = n as usize;
        let col = node_colour(scene, n, opt.colour, opt.dark, opt.campaigns);
        if g.is_hub(n) {
            node_mesh.square(p, r * 0.8, col);
        } else {
            node_mesh.circle(p, r, col, if r > 4.0 { 12 } else { 6 });
        }
        if opt.selected.contains(&(n as u32)) {
            rings.ring(p, r + 2.5, 1.8, tokens_sel);
        }
    }
    if let Some((_, p, r)) = opt
        .hovered
        .and_then(|h| out.nodes.iter().find(|(n, _, _)| *n == h))
    {
        rings.ring(*p, r + 3.0, 2.0, tokens_sel);
    }
    // Node labels only when there is room for them: the largest first.
    if !out.nodes.is_empty() && cam.scale > 25.0 {
        let mut by_volume: Vec<&(u32, Pos2, f32)> = out
            .nodes
            .iter()
            .filter(|(_, p, _)| rect.contains(*p))
            .collect();
        by_volume.sort_by_key(|(n, _, _)| std::cmp::Reverse(g.node_volume(*n as usize)));
        let budget = ((cam.scale - 25.0) * 4.0).clamp(10.0, 250.0) as usize;
        for (n, p, r) in by_volume.into_iter().take(budget) {
            let mut text = g.node_label(*n as usize);
            if text.chars().count() > 32 {
                text = text.chars().take(31).collect::<String>() + "…";
            }
            out.labels.push(Label {
                at: *p + vec2(0.0, r + 1.0),
                text,
            });
        }
    }
    for canvas in [&mut edges, &mut node_mesh, &mut rings] {
        if let Some(p) = canvas.prims.take() {
            out.prims.extend(p);
        }
    }
    out.shapes = vec![
        Shape::mesh(edges.mesh),
        Shape::mesh(node_mesh.mesh),
        Shape::mesh(rings.mesh),
    ];
    out
}

/// Which kinds are drawn by default: all but ASN and user agent, which
/// honest customers share in great numbers.
pub fn default_shown() -> [bool; LinkKind::COUNT] {
    LinkKind::ALL.map(|k| !matches!(k, LinkKind::Asn | LinkKind::UserAgent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::{ClusterInfo, Graph};

    /// Clusters 1 (five accounts), 2 and 3 (two each), side by side.
    fn scene() -> Scene {
        let cluster: Vec<u32> = vec![1, 1, 1, 1, 1, 2, 2, 3, 3];
        let x: Vec<f32> = cluster.iter().map(|c| *c as f32 * 50.0).collect();
        let y: Vec<f32> = (0..cluster.len()).map(|i| (i % 3) as f32).collect();
        let sizes = [0, 5, 2, 2];
        let clusters = (0..4u32)
            .map(|id| ClusterInfo {
                id,
                name: format!("cluster {id}"),
                size: sizes[id as usize],
                volume: 10,
                ..ClusterInfo::default()
            })
            .collect();
        let g = Graph {
            accounts: (0..cluster.len()).map(|i| format!("a{i}")).collect(),
            volume: vec![1; cluster.len()],
            cluster,
            clusters,
            x,
            y,
            ..Graph::default()
        };
        Scene::new(g, vec![String::new(); LinkKind::COUNT])
    }

    #[test]
    fn small_clusters_are_hidden_unless_opened() {
        let s = scene();
        let rect = Rect::from_min_size(Pos2::ZERO, vec2(800.0, 600.0));
        let cam = Camera::fit(&s.graph.x, &s.graph.y, rect);
        let (extra, selected) = (HashSet::new(), HashSet::new());
        let mut expanded = BTreeSet::new();
        let drawn = |min: usize, expanded: &BTreeSet<u32>| {
            let opt = DrawOptions {
                colour: Colour::Cluster,
                show: [true; LinkKind::COUNT],
                expanded,
                extra: &extra,
                selected: &selected,
                hovered: None,
                dark: true,
                record: false,
                hub_links: false,
                gpu_lines: false,
                min_cluster_size: min,
                campaigns: &[],
            };
            let f = frame(&s, &s.graph.x, &s.graph.y, &cam, rect, &opt);
            let mut discs: Vec<u32> = f.discs.iter().map(|d| d.0).collect();
            discs.sort_unstable();
            (discs, f.nodes.len())
        };
        assert_eq!(drawn(1, &expanded), (vec![1, 2, 3], 0));
        assert_eq!(drawn(3, &expanded), (vec![1], 0));
        // An opened small cluster is drawn, node by node.
        expanded.insert(2);
        assert_eq!(drawn(3, &expanded), (vec![1], 2));
    }
}
