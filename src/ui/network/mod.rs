//! The Network view: accounts linked by what they share, on one canvas.
//! Zoomed out, clusters are super-nodes sized by volume and linked by their
//! inter-cluster weight; zooming in or double-clicking opens a cluster into
//! its accounts and hubs, laid out live by ForceAtlas2. Click, Shift-click
//! and Shift-drag (lasso or box) select into the shared selection; the selection
//! of other views is ringed here.

pub mod draw;
pub mod export;
pub mod gpu;
pub mod live;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use egui::{Align2, FontId, Pos2, Sense, pos2, vec2};

use super::app::ViewCtx;
use super::theme;
use crate::analysis::days;
use crate::analysis::graph::layout::LayoutSettings;
use crate::analysis::graph::scene::Scene;
use crate::analysis::graph::{GraphConfig, LinkKind};
use crate::analysis::summary::group_digits;
use draw::{Camera, Colour, DrawOptions};

/// The smallest cluster sizes the view offers to draw.
const MIN_CLUSTER_CHOICES: [usize; 6] = [1, 3, 5, 10, 50, 200];

/// What the analyst did in the Network view (kept while the app runs).
pub struct NetworkState {
    scene: Option<Arc<Scene>>,
    x: Vec<f32>,
    y: Vec<f32>,
    camera: Option<Camera>,
    expanded: BTreeSet<u32>,
    extra: HashSet<u32>,
    /// Node colouring.
    pub colour: Colour,
    show: [bool; LinkKind::COUNT],
    hub_links: bool,
    /// Links go to the GPU (the wgpu line pipeline is installed).
    pub gpu_lines: bool,
    links: Vec<LinkKind>,
    requested: Option<GraphConfig>,
    search: String,
    hops: usize,
    lasso: Vec<Pos2>,
    /// Shift-drag draws a box instead of a free lasso.
    box_select: bool,
    /// Smallest cluster drawn (see [`DrawOptions::min_cluster_size`]).
    pub min_cluster_size: usize,
    dragging: Option<u32>,
    live: Option<live::Live>,
    settings: LayoutSettings,
    focus: Option<Focus>,
    hovered: Option<Hover>,
    selected_cache: (BTreeSet<String>, HashSet<u32>),
    message: Option<String>,
    last_rect: egui::Rect,
    dark: bool,
    saving: Option<std::sync::mpsc::Receiver<Result<Option<std::path::PathBuf>, String>>>,
    /// Workbook revision, scene and the campaign colour of every node.
    campaign_colours: (u64, usize, Vec<egui::Color32>),
}

/// What the details panel shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Focus {
    Node(u32),
    Cluster(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Hover {
    Node(u32),
    Cluster(u32),
}

impl Default for NetworkState {
    fn default() -> Self {
        NetworkState {
            scene: None,
            x: Vec::new(),
            y: Vec::new(),
            camera: None,
            expanded: BTreeSet::new(),
            extra: HashSet::new(),
            colour: Colour::Cluster,
            show: draw::default_shown(),
            hub_links: false,
            gpu_lines: false,
            links: LinkKind::ALL.to_vec(),
            requested: None,
            search: String::new(),
            hops: 1,
            lasso: Vec::new(),
            box_select: false,
            min_cluster_size: 1,
            dragging: None,
            live: None,
            settings: LayoutSettings::default(),
            focus: None,
            hovered: None,
            selected_cache: (BTreeSet::new(), HashSet::new()),
            message: None,
            last_rect: egui::Rect::from_min_size(egui::Pos2::ZERO, vec2(1280.0, 720.0)),
            dark: true,
            saving: None,
            campaign_colours: (0, 0, Vec::new()),
        }
    }
}

impl NetworkState {
    /// Takes a new scene: positions from it, nothing opened.
    fn adopt(&mut self, scene: Arc<Scene>) {
        self.x = scene.graph.x.clone();
        self.y = scene.graph.y.clone();
        self.links = scene.graph.config.links.clone();
        self.scene = Some(scene);
        self.camera = None;
        self.expanded.clear();
        self.extra.clear();
        self.live = None;
        self.focus = None;
        self.selected_cache = (BTreeSet::new(), HashSet::new());
    }

    /// Restarts the live layout on every node shown individually.
    fn relayout(&mut self, ctx: &egui::Context) {
        let Some(scene) = &self.scene else { return };
        let mut nodes: Vec<u32> = self
            .expanded
            .iter()
            .flat_map(|c| scene.members[*c as usize].iter().copied())
            .chain(self.extra.iter().copied())
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        self.live = (nodes.len() >= 2).then(|| {
            live::Live::start(
                scene.clone(),
                nodes,
                &self.x,
                &self.y,
                self.settings,
                ctx.clone(),
            )
        });
    }

    /// Opens a cluster and lays it out.
    pub fn expand(&mut self, cluster: u32, ctx: &egui::Context) {
        if self.expanded.insert(cluster) {
            self.relayout(ctx);
        }
    }

    /// The node of the search text, if any; flies there.
    pub fn find(&mut self, text: &str) -> Option<u32> {
        let scene = self.scene.clone()?;
        let n = scene.find(text)?;
        let c = scene.graph.cluster[n as usize];
        if c != 0 {
            self.expanded.insert(c);
        }
        self.extra.insert(n);
        let cam = self.camera.get_or_insert(Camera {
            cx: 0.0,
            cy: 0.0,
            scale: 1.0,
        });
        cam.cx = self.x[n as usize];
        cam.cy = self.y[n as usize];
        cam.scale = cam.scale.max(40.0);
        self.focus = Some(Focus::Node(n));
        Some(n)
    }

    /// The shown scene.
    pub fn scene(&self) -> Option<&Arc<Scene>> {
        self.scene.as_ref()
    }

    /// Clusters opened.
    pub fn expanded(&self) -> &BTreeSet<u32> {
        &self.expanded
    }

    /// Where a cluster's centre was drawn in the last frame.
    pub fn screen_of_cluster(&self, c: u32) -> Option<Pos2> {
        let (cam, scene) = (self.camera?, self.scene.as_ref()?);
        let (x, y, _) = *scene.cluster_disc.get(c as usize)?;
        Some(cam.to_screen(self.last_rect, x, y))
    }

    /// Where a node was drawn in the last frame.
    pub fn screen_of_node(&self, n: u32) -> Option<Pos2> {
        let cam = self.camera?;
        let (x, y) = (*self.x.get(n as usize)?, *self.y.get(n as usize)?);
        Some(cam.to_screen(self.last_rect, x, y))
    }

    /// The text in the search field.
    pub fn search_text(&self) -> &str {
        &self.search
    }

    /// What the canvas draws besides the scene.
    fn options<'a>(
        &'a self,
        selected: &'a HashSet<u32>,
        hovered: Option<u32>,
        record: bool,
    ) -> DrawOptions<'a> {
        DrawOptions {
            colour: self.colour,
            show: self.show,
            expanded: &self.expanded,
            extra: &self.extra,
            selected,
            hovered,
            dark: self.dark,
            record,
            hub_links: self.hub_links,
            gpu_lines: self.gpu_lines,
            min_cluster_size: self.min_cluster_size,
            campaigns: &self.campaign_colours.2,
        }
    }

    /// Recolours the account nodes by campaign when the campaigns changed.
    fn update_campaign_colours(
        &mut self,
        scene: &Arc<Scene>,
        book: &crate::case::Workbook,
        revision: u64,
    ) {
        let key = Arc::as_ptr(scene) as usize;
        if self.campaign_colours.0 == revision && self.campaign_colours.1 == key {
            return;
        }
        let g = &scene.graph;
        let mut colours = vec![egui::Color32::TRANSPARENT; g.node_count()];
        for c in &book.campaigns {
            let col = super::campaigns::colour(&c.props.colour);
            for (n, id) in g.accounts.iter().enumerate() {
                if colours[n] == egui::Color32::TRANSPARENT && c.accounts.contains(id) {
                    colours[n] = col;
                }
            }
        }
        self.campaign_colours = (revision, key, colours);
    }

    /// The node the details panel shows, if any.
    pub fn focused_node(&self) -> Option<u32> {
        match self.focus {
            Some(Focus::Node(n)) => Some(n),
            _ => None,
        }
    }
}

/// Draws the Network view.
pub fn ui(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut NetworkState) {
    cx.session.want_graph(st.requested.clone());
    let arrived = cx.session.graph.value().cloned();
    match (&arrived, &st.scene) {
        (Some(a), Some(s)) if Arc::ptr_eq(a, s) => {}
        (Some(a), _) => st.adopt(a.clone()),
        (None, _) => {}
    }
    let Some(scene) = st.scene.clone() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Building the account network…");
        });
        return;
    };
    if let Some(l) = &st.live {
        l.apply(&mut st.x, &mut st.y);
    }
    if let Some(result) = st.saving.as_ref().and_then(|rx| rx.try_recv().ok()) {
        {
            st.message = match result {
                Ok(Some(p)) => Some(format!("Saved {}", p.display())),
                Ok(None) => None,
                Err(e) => Some(format!("Cannot save: {e}")),
            };
            st.saving = None;
        }
    }
    st.update_campaign_colours(&scene, cx.session.work.book(), cx.session.work.revision);
    toolbar(ui, cx, st, &scene);
    egui::Panel::right("network_details")
        .resizable(true)
        .default_size(320.0)
        .min_size(240.0)
        .show(ui, |ui| {
            // Long names wrap instead of widening the panel (which would
            // shift the canvas under the pointer between two clicks).
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| details(ui, cx, st, &scene));
        });
    canvas(ui, cx, st, &scene);
}

fn toolbar(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut NetworkState, scene: &Arc<Scene>) {
    let g = &scene.graph;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_label("colour")
            .selected_text(st.colour.label())
            .show_ui(ui, |ui| {
                for c in Colour::ALL {
                    ui.selectable_value(&mut st.colour, c, c.label());
                }
            });
        ui.separator();
        let search = ui.add(
            egui::TextEdit::singleline(&mut st.search)
                .hint_text("account, IP, ASN, payment…")
                .desired_width(170.0),
        );
        let go = search.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Find").clicked() || go {
            let text = st.search.clone();
            match st.find(&text) {
                Some(_) => {
                    st.message = None;
                    st.relayout(ui.ctx());
                }
                None => st.message = Some(format!("Nothing in the graph matches '{text}'.")),
            }
        }
        ui.separator();
        if ui
            .button("Fit")
            .on_hover_text("Show the whole network")
            .clicked()
        {
            st.camera = None;
        }
        if ui
            .add_enabled(
                !st.expanded.is_empty() || !st.extra.is_empty(),
                egui::Button::new("Collapse all"),
            )
            .clicked()
        {
            st.expanded.clear();
            st.extra.clear();
            st.live = None;
            st.x = g.x.clone();
            st.y = g.y.clone();
        }
        ui.separator();
        match &st.live {
            Some(l) => {
                let paused = l.is_paused();
                let text = if paused {
                    "Resume layout"
                } else {
                    "Pause layout"
                };
                if ui.button(text).clicked() {
                    l.set_paused(!paused);
                }
                ui.weak(format!("{} iterations", l.iterations()));
            }
            None => {
                ui.add_enabled(false, egui::Button::new("Pause layout"))
                    .on_disabled_hover_text("Open a cluster (double-click) to lay it out live");
            }
        }
        let mut changed = ui.checkbox(&mut st.settings.lin_log, "LinLog").changed();
        changed |= ui
            .add(
                egui::Slider::new(&mut st.settings.gravity, 0.0..=10.0)
                    .text("gravity")
                    .logarithmic(true),
            )
            .changed();
        if let Some(l) = st.live.as_ref().filter(|_| changed) {
            l.set_settings(st.settings);
        }
        ui.separator();
        ui.menu_button("Export", |ui| {
            if ui.button("View as SVG…").clicked() {
                ui.close();
                export::save_view(cx, st, scene, export::Format::Svg);
            }
            if ui.button("View as PNG…").clicked() {
                ui.close();
                export::save_view(cx, st, scene, export::Format::Png);
            }
            if ui.button("Shown nodes and edges as CSV…").clicked() {
                ui.close();
                export::save_view(cx, st, scene, export::Format::Csv);
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Links");
        for k in LinkKind::ALL {
            let on = st.links.contains(&k);
            let mut shown = st.show[k.index()] && on;
            let text = egui::RichText::new(k.name()).color(theme::link_color(k));
            let r = ui.add_enabled(on, egui::Checkbox::new(&mut shown, text));
            if r.changed() {
                st.show[k.index()] = shown;
            }
            r.on_hover_text(format!("Draw links by shared {}", k.label()));
        }
        ui.checkbox(&mut st.hub_links, "hub links")
            .on_hover_text("Draw every account's link to a hub (a value shared by more than the cap); otherwise only the hovered hub's");
        ui.separator();
        let size_text = |n: usize| {
            if n <= 1 {
                "every cluster".to_owned()
            } else {
                format!("clusters of {n}+ accounts")
            }
        };
        egui::ComboBox::from_id_salt("network_min_cluster")
            .selected_text(size_text(st.min_cluster_size))
            .show_ui(ui, |ui| {
                for n in MIN_CLUSTER_CHOICES {
                    ui.selectable_value(&mut st.min_cluster_size, n, size_text(n));
                }
            })
            .response
            .on_hover_text("Smaller clusters are not drawn unless opened: at incident scale thousands of two- and three-account clusters of ordinary customers hide the operation");
        ui.separator();
        ui.label("Shift-drag:");
        ui.selectable_value(&mut st.box_select, false, "lasso")
            .on_hover_text("Shift-drag draws a free-hand lasso around what to select");
        ui.selectable_value(&mut st.box_select, true, "box")
            .on_hover_text("Shift-drag draws a rectangle around what to select");
        ui.separator();
        ui.menu_button("Build with…", |ui| {
            ui.label("Link types the graph is built and clustered from:");
            for k in LinkKind::ALL {
                let mut on = st.links.contains(&k);
                if ui.checkbox(&mut on, k.label()).changed() {
                    if on {
                        st.links.push(k);
                        st.links.sort();
                    } else {
                        st.links.retain(|x| *x != k);
                    }
                }
            }
            let differs = st.links != g.config.links;
            if ui
                .add_enabled(differs && !st.links.is_empty(), egui::Button::new("Rebuild"))
                .clicked()
            {
                st.requested = Some(GraphConfig::with_links(st.links.clone()));
                ui.close();
            }
        });
        if cx.session.graph.is_loading() {
            ui.spinner();
            ui.weak("rebuilding…");
        }
    });
    if let Some(m) = &st.message {
        ui.colored_label(theme::tokens(ui).warn, m);
    }
}

/// The accounts of the selection as graph nodes, looked up again only when
/// the selected accounts change.
fn selected_nodes<'a>(
    st: &'a mut NetworkState,
    cx: &ViewCtx<'_>,
    scene: &Scene,
) -> &'a HashSet<u32> {
    if st.selected_cache.0 != cx.selection.accounts {
        let set = cx
            .selection
            .accounts
            .iter()
            .filter_map(|a| scene.graph.account_node(a).map(|n| n as u32))
            .collect();
        st.selected_cache = (cx.selection.accounts.clone(), set);
    }
    &st.selected_cache.1
}

/// Selects these accounts (or adds them with `add`).
fn select_accounts(cx: &mut ViewCtx<'_>, scene: &Scene, nodes: &[u32], add: bool) {
    let mut sel = cx.selection.clone();
    if !add {
        sel.accounts.clear();
    }
    for n in nodes {
        if let Some(a) = scene.graph.accounts.get(*n as usize) {
            if add && nodes.len() == 1 && sel.accounts.contains(a) {
                sel.accounts.remove(a);
            } else {
                sel.accounts.insert(a.clone());
            }
        }
    }
    *cx.select = Some(sel);
}

fn canvas(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut NetworkState, scene: &Arc<Scene>) {
    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
    let rect = response.rect;
    let dark = ui.visuals().dark_mode;
    st.last_rect = rect;
    st.dark = dark;
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let cam = *st
        .camera
        .get_or_insert_with(|| Camera::fit(&st.x, &st.y, rect));
    let selected = selected_nodes(st, cx, scene).clone();
    let hovered_node = match st.hovered {
        Some(Hover::Node(n)) => Some(n),
        _ => None,
    };
    let mut frame = draw::frame(
        scene,
        &st.x,
        &st.y,
        &cam,
        rect,
        &st.options(&selected, hovered_node, false),
    );
    let text_colour = ui.visuals().text_color();
    // Links on the GPU go between the closed-cluster links and the nodes.
    let mut shapes = frame.shapes.iter().cloned();
    painter.extend(shapes.next());
    if !frame.lines.is_empty() {
        let lines = std::mem::take(&mut frame.lines);
        painter.add(gpu::shape(rect, Arc::new(lines)));
    }
    painter.extend(shapes);
    // Labels in priority order (largest first), skipping any that would
    // overlap one already placed.
    let mut placed: Vec<egui::Rect> = Vec::new();
    for l in &frame.labels {
        let galley =
            painter.layout_no_wrap(l.text.clone(), FontId::proportional(11.0), text_colour);
        let r = Align2::CENTER_TOP
            .anchor_size(l.at, galley.size())
            .expand(2.0);
        if !rect.contains_rect(r) || placed.iter().any(|p| p.intersects(r)) {
            continue;
        }
        placed.push(r);
        // A plate under the text keeps it readable over discs and links.
        painter.rect_filled(r, 3.0, ui.visuals().extreme_bg_color.gamma_multiply(0.85));
        painter.galley(r.min + vec2(2.0, 2.0), galley, text_colour);
    }
    // What is under the pointer: a node first, else a closed cluster.
    let pointer = response.hover_pos();
    st.hovered = pointer.and_then(|p| {
        frame
            .nodes
            .iter()
            .filter(|(_, q, r)| q.distance(p) <= r + 3.0)
            .min_by(|a, b| a.1.distance(p).total_cmp(&b.1.distance(p)))
            .map(|(n, _, _)| Hover::Node(*n))
            .or_else(|| {
                frame
                    .discs
                    .iter()
                    .filter(|(_, q, r)| q.distance(p) <= *r)
                    .min_by(|a, b| a.2.total_cmp(&b.2))
                    .map(|(c, _, _)| Hover::Cluster(*c))
            })
    });
    // Zoom with the wheel (or pinch) around the pointer.
    if let Some(p) = pointer {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom * (scroll * 0.0025).exp();
        if (factor - 1.0).abs() > 1e-4 {
            st.camera
                .as_mut()
                .expect("set above")
                .zoom_at(rect, p, factor);
        }
    }
    let shift = ui.input(|i| i.modifiers.shift);
    // Dragging: a node moves (and is pinned), Shift draws a lasso, else pan.
    if response.drag_started() {
        st.dragging = match st.hovered {
            Some(Hover::Node(n)) if !shift => Some(n),
            _ => None,
        };
        st.lasso.clear();
    }
    if response.dragged() {
        if shift {
            if let Some(p) = response.interact_pointer_pos() {
                match ui.input(|i| i.pointer.press_origin()) {
                    // A box is the lasso of its four corners.
                    Some(o) if st.box_select => {
                        st.lasso = vec![o, pos2(p.x, o.y), p, pos2(o.x, p.y)];
                    }
                    _ => st.lasso.push(p),
                }
            }
        } else if let Some(n) = st.dragging {
            if let Some(p) = response.interact_pointer_pos() {
                let (x, y) = cam.to_layout(rect, p);
                st.x[n as usize] = x;
                st.y[n as usize] = y;
                if let Some(l) = &st.live {
                    l.pin(n, x, y);
                }
            }
        } else {
            let d = response.drag_delta();
            let c = st.camera.as_mut().expect("set above");
            c.cx -= d.x / c.scale;
            c.cy -= d.y / c.scale;
        }
    }
    if response.drag_stopped() {
        if st.lasso.len() >= 3 {
            let poly: Vec<(f32, f32)> = st.lasso.iter().map(|p| cam.to_layout(rect, *p)).collect();
            let mut picked: Vec<u32> = Vec::new();
            for (n, p, _) in &frame.nodes {
                if !scene.graph.is_hub(*n as usize)
                    && crate::analysis::graph::scene::point_in_polygon(
                        cam.to_layout(rect, *p).0,
                        cam.to_layout(rect, *p).1,
                        &poly,
                    )
                {
                    picked.push(*n);
                }
            }
            for (c, p, _) in &frame.discs {
                let (x, y) = cam.to_layout(rect, *p);
                if *c != 0 && crate::analysis::graph::scene::point_in_polygon(x, y, &poly) {
                    picked.extend(
                        scene.members[*c as usize]
                            .iter()
                            .filter(|n| !scene.graph.is_hub(**n as usize)),
                    );
                }
            }
            if !picked.is_empty() {
                select_accounts(cx, scene, &picked, ui.input(|i| i.modifiers.command));
            }
        }
        st.lasso.clear();
        st.dragging = None;
    }
    if st.lasso.len() >= 2 {
        let tokens = theme::tokens(ui);
        let mut pts = st.lasso.clone();
        pts.push(st.lasso[0]);
        painter.add(egui::Shape::line(
            pts,
            egui::Stroke::new(1.5, tokens.selection),
        ));
    }
    // Clicks.
    if response.double_clicked() {
        match st.hovered {
            Some(Hover::Cluster(c)) if c != 0 => st.expand(c, ui.ctx()),
            Some(Hover::Node(n)) => {
                let hood = scene.neighbourhood(n as usize, st.hops);
                st.extra.extend(hood);
                st.relayout(ui.ctx());
            }
            _ => {}
        }
    } else if response.clicked() {
        match st.hovered {
            Some(Hover::Node(n)) => {
                st.focus = Some(Focus::Node(n));
                if !scene.graph.is_hub(n as usize) {
                    select_accounts(cx, scene, &[n], shift);
                }
            }
            Some(Hover::Cluster(c)) => st.focus = Some(Focus::Cluster(c)),
            None => st.focus = None,
        }
    }
    // Hover card.
    if let (Some(h), Some(p), true) = (
        st.hovered,
        pointer,
        st.lasso.is_empty() && st.dragging.is_none(),
    ) {
        {
            egui::Area::new(egui::Id::unique("network_hover"))
                .fixed_pos(p + vec2(16.0, 16.0))
                .order(egui::Order::Tooltip)
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(360.0);
                        match h {
                            Hover::Node(n) => node_card(ui, scene, n),
                            Hover::Cluster(c) => cluster_card(ui, scene, c),
                        }
                    });
                });
        }
    }
    // Legend line.
    let g = &scene.graph;
    // On a backing strip, so cluster labels never show through it.
    let strip = painter.add(egui::Shape::Noop);
    let legend = painter.text(
        rect.left_bottom() + vec2(8.0, -6.0),
        Align2::LEFT_BOTTOM,
        format!(
            "{} accounts · {} clusters · {} hubs · {} links · drawn: {} nodes, {} links · wheel: zoom, drag: pan, double-click: open, Shift-drag: lasso or box",
            group_digits(g.accounts.len() as i64),
            group_digits(g.clusters.len().saturating_sub(1) as i64),
            group_digits(g.hubs.len() as i64),
            group_digits(g.edges.len() as i64),
            group_digits(frame.nodes.len() as i64),
            group_digits(frame.edges as i64),
        ),
        FontId::proportional(11.0),
        theme::tokens(ui).muted,
    );
    painter.set(
        strip,
        egui::Shape::rect_filled(
            legend.expand2(vec2(6.0, 3.0)),
            3.0,
            ui.visuals().extreme_bg_color.gamma_multiply(0.9),
        ),
    );
    if st.live.as_ref().is_some_and(|l| l.is_running()) {
        ui.ctx().request_repaint();
    }
}

fn fmt_time(secs: i64) -> String {
    days::iso(secs.div_euclid(86_400) as i32)
}

fn node_card(ui: &mut egui::Ui, scene: &Scene, n: u32) {
    let g = &scene.graph;
    let n = n as usize;
    match g.hub(n) {
        Some(h) => {
            ui.strong(format!("Hub: shared {}", h.kind.label()));
            ui.label(&h.value);
            ui.label(format!(
                "{} accounts · {} exchanges",
                group_digits(i64::from(h.degree)),
                group_digits(h.exchanges as i64)
            ));
            if h.first_h > 0.0 {
                ui.label(format!(
                    "seen {} to {}",
                    fmt_time((h.first_h * 3600.0) as i64),
                    fmt_time((h.last_h * 3600.0) as i64)
                ));
            }
        }
        None => {
            ui.strong(&g.accounts[n]);
            ui.label(format!(
                "{} exchanges · top category {}",
                group_digits(g.volume[n] as i64),
                scene.top_category.get(n).map_or("", String::as_str)
            ));
            let links = scene.incident_edges(n).len();
            ui.label(format!("{links} links"));
        }
    }
    if let Some(c) = g.clusters.get(g.cluster[n] as usize) {
        ui.weak(format!("cluster {}: {}", c.id, c.name));
    }
}

fn cluster_card(ui: &mut egui::Ui, scene: &Scene, c: u32) {
    let Some(info) = scene.graph.clusters.get(c as usize) else {
        return;
    };
    ui.strong(&info.name);
    ui.label(format!(
        "{} accounts · {} hubs · {} exchanges",
        group_digits(info.size as i64),
        group_digits(info.hubs as i64),
        group_digits(info.volume as i64)
    ));
    if info.first_seen > 0 {
        ui.label(format!(
            "{} to {}",
            fmt_time(info.first_seen),
            fmt_time(info.last_seen)
        ));
    }
    for (cat, share) in &info.top_categories {
        ui.label(format!("{cat}: {:.0}%", share * 100.0));
    }
    if c != 0 {
        ui.weak("Double-click to open it; click for details.");
    }
}

fn details(ui: &mut egui::Ui, cx: &mut ViewCtx<'_>, st: &mut NetworkState, scene: &Arc<Scene>) {
    let g = &scene.graph;
    match st.focus {
        None => {
            ui.heading("Clusters");
            ui.weak("Largest first. Click one to see what its accounts share.");
            let mut chosen = None;
            for info in g.clusters.iter().skip(1).take(40) {
                let text = format!(
                    "{}  ·  {} exch.",
                    info.name,
                    group_digits(info.volume as i64)
                );
                let r = ui.horizontal(|ui| {
                    let (sw, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
                    ui.painter()
                        .rect_filled(sw, 2.0, theme::cluster_color(info.id));
                    ui.selectable_label(false, text)
                });
                if r.inner.clicked() {
                    chosen = Some(info.id);
                }
            }
            if g.clusters.len() > 41 {
                ui.weak(format!("… and {} more", g.clusters.len() - 41));
            }
            if let Some(c) = chosen {
                st.focus = Some(Focus::Cluster(c));
                let (x, y, r) = scene.cluster_disc[c as usize];
                if let Some(cam) = &mut st.camera {
                    cam.cx = x;
                    cam.cy = y;
                    cam.scale = cam.scale.max(draw::OPEN_PX * 0.6 / r.max(0.1));
                }
            }
        }
        Some(Focus::Cluster(c)) => {
            if ui.button("← All clusters").clicked() {
                st.focus = None;
            }
            let Some(info) = g.clusters.get(c as usize) else {
                return;
            };
            ui.heading(&info.name);
            cluster_card(ui, scene, c);
            ui.separator();
            ui.strong("Shared by its accounts");
            for s in &info.top_shared {
                ui.label(format!(
                    "{} accounts: {} {}",
                    s.accounts,
                    s.kind.label(),
                    s.value
                ));
            }
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button("Select its accounts").clicked() {
                    let nodes: Vec<u32> = scene.members[c as usize]
                        .iter()
                        .copied()
                        .filter(|n| !g.is_hub(*n as usize))
                        .collect();
                    select_accounts(cx, scene, &nodes, false);
                }
                if c != 0 && ui.button("Open").clicked() {
                    st.expand(c, ui.ctx());
                }
            });
        }
        Some(Focus::Node(n)) => {
            if ui.button("← All clusters").clicked() {
                st.focus = None;
            }
            node_card(ui, scene, n);
            ui.separator();
            ui.horizontal(|ui| {
                ui.label("Expand");
                ui.add(egui::DragValue::new(&mut st.hops).range(1..=3));
                if ui.button("hops out").clicked() {
                    let hood = scene.neighbourhood(n as usize, st.hops);
                    st.extra.extend(hood);
                    st.relayout(ui.ctx());
                }
            });
            if !g.is_hub(n as usize) && ui.button("Open account page").clicked() {
                cx.commands.push(super::commands::Command::OpenAccount(
                    g.accounts[n as usize].clone(),
                ));
            }
            ui.separator();
            ui.strong("Links");
            let mut rows: Vec<(f32, String)> = scene
                .incident_edges(n as usize)
                .iter()
                .map(|e| {
                    let e = &g.edges[*e as usize];
                    let other = if e.source == n { e.target } else { e.source };
                    (
                        e.weight,
                        format!(
                            "{} {:.2} → {}",
                            e.kind.name(),
                            e.weight,
                            g.node_label(other as usize)
                        ),
                    )
                })
                .collect();
            rows.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, r) in rows.iter().take(30) {
                ui.label(r);
            }
            if rows.len() > 30 {
                ui.weak(format!("… and {} more", rows.len() - 30));
            }
        }
    }
}
