//! ForceAtlas2 (Jacomy et al., PLoS ONE 2014): degree-weighted repulsion
//! approximated with a Barnes–Hut quadtree, linear or LinLog attraction,
//! gravity, and the paper's adaptive global and per-node speeds. Warm
//! starts from given positions; pinned nodes never move. Repulsion runs in
//! parallel over nodes with rayon.

use rayon::prelude::*;

/// Layout settings (Gephi's names and defaults where they have one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutSettings {
    /// Repulsion strength (kr).
    pub scaling: f32,
    /// Pull towards the centre (kg).
    pub gravity: f32,
    /// Gravity grows with distance (keeps far components in).
    pub strong_gravity: bool,
    /// Logarithmic attraction: tighter clusters, more white space between.
    pub lin_log: bool,
    /// Exponent applied to edge weights (0 = ignore weights).
    pub edge_weight_influence: f32,
    /// How much swinging is tolerated (higher = faster, less precise).
    pub jitter_tolerance: f32,
    /// Barnes–Hut opening criterion (cell width / distance).
    pub theta: f32,
}

impl Default for LayoutSettings {
    fn default() -> Self {
        LayoutSettings {
            scaling: 2.0,
            gravity: 1.0,
            strong_gravity: false,
            lin_log: false,
            edge_weight_influence: 1.0,
            jitter_tolerance: 1.0,
            theta: 1.2,
        }
    }
}

/// A layout in progress.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Horizontal positions.
    pub x: Vec<f32>,
    /// Vertical positions.
    pub y: Vec<f32>,
    /// Nodes that do not move (dragged by the analyst).
    pub pinned: Vec<bool>,
    /// Settings; may change between steps.
    pub settings: LayoutSettings,
    /// Steps run so far.
    pub iterations: usize,
    mass: Vec<f32>,
    edges: Vec<(u32, u32, f32)>,
    old_fx: Vec<f32>,
    old_fy: Vec<f32>,
    speed: f32,
    speed_efficiency: f32,
}

/// A quadtree cell: a leaf holds `order[first..first + len]`; an inner
/// cell's four children are `cells[children..children + 4]`.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    mass: f32,
    cx: f32,
    cy: f32,
    width: f32,
    first: u32,
    len: u32,
    children: u32,
}

const LEAF: usize = 8;
const MAX_DEPTH: u32 = 24;

struct Tree {
    cells: Vec<Cell>,
    order: Vec<u32>,
}

impl Tree {
    fn build(x: &[f32], y: &[f32], mass: &[f32]) -> Tree {
        let n = x.len();
        let mut t = Tree {
            cells: Vec::with_capacity(n / 2 + 4),
            order: (0..n as u32).collect(),
        };
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for i in 0..n {
            x0 = x0.min(x[i]);
            x1 = x1.max(x[i]);
            y0 = y0.min(y[i]);
            y1 = y1.max(y[i]);
        }
        let half = ((x1 - x0).max(y1 - y0) / 2.0).max(1e-3) * 1.0001;
        t.cells.push(Cell::default());
        t.fill(
            0,
            0,
            n,
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0,
            half,
            0,
            x,
            y,
            mass,
        );
        t
    }

    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        cell: usize,
        lo: usize,
        hi: usize,
        mx: f32,
        my: f32,
        half: f32,
        depth: u32,
        x: &[f32],
        y: &[f32],
        mass: &[f32],
    ) {
        let (mut m, mut sx, mut sy) = (0.0f32, 0.0f32, 0.0f32);
        for &i in &self.order[lo..hi] {
            let i = i as usize;
            m += mass[i];
            sx += mass[i] * x[i];
            sy += mass[i] * y[i];
        }
        let c = &mut self.cells[cell];
        c.mass = m;
        (c.cx, c.cy) = if m > 0.0 { (sx / m, sy / m) } else { (mx, my) };
        c.width = 2.0 * half;
        c.first = lo as u32;
        c.len = (hi - lo) as u32;
        if hi - lo <= LEAF || depth >= MAX_DEPTH {
            return;
        }
        let split = |order: &mut [u32], pred: &dyn Fn(usize) -> bool| -> usize {
            let mut k = 0;
            for j in 0..order.len() {
                if pred(order[j] as usize) {
                    order.swap(j, k);
                    k += 1;
                }
            }
            k
        };
        let left = lo + split(&mut self.order[lo..hi], &|i| x[i] < mx);
        let bottom_left = lo + split(&mut self.order[lo..left], &|i| y[i] < my);
        let bottom_right = left + split(&mut self.order[left..hi], &|i| y[i] < my);
        let first_child = self.cells.len();
        self.cells[cell].children = first_child as u32;
        self.cells.extend([Cell::default(); 4]);
        let q = half / 2.0;
        let parts = [
            (lo, bottom_left, mx - q, my - q),
            (bottom_left, left, mx - q, my + q),
            (left, bottom_right, mx + q, my - q),
            (bottom_right, hi, mx + q, my + q),
        ];
        for (k, (a, b, cx, cy)) in parts.into_iter().enumerate() {
            self.fill(first_child + k, a, b, cx, cy, q, depth + 1, x, y, mass);
        }
    }

    /// Repulsion on node `i` (kr · mᵢ · mⱼ / d along the separation).
    fn repulsion(
        &self,
        i: usize,
        x: &[f32],
        y: &[f32],
        mass: &[f32],
        kr: f32,
        theta2: f32,
    ) -> (f32, f32) {
        let (xi, yi, mi) = (x[i], y[i], mass[i]);
        let (mut fx, mut fy) = (0.0f32, 0.0f32);
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        stack.push(0);
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c as usize];
            if cell.len == 0 {
                continue;
            }
            if cell.children == 0 {
                for &j in &self.order[cell.first as usize..(cell.first + cell.len) as usize] {
                    let j = j as usize;
                    if j == i {
                        continue;
                    }
                    let (dx, dy) = (xi - x[j], yi - y[j]);
                    let d2 = (dx * dx + dy * dy).max(1e-4);
                    let f = kr * mi * mass[j] / d2;
                    fx += dx * f;
                    fy += dy * f;
                }
                continue;
            }
            let (dx, dy) = (xi - cell.cx, yi - cell.cy);
            let d2 = dx * dx + dy * dy;
            if cell.width * cell.width < theta2 * d2 {
                let f = kr * mi * cell.mass / d2.max(1e-4);
                fx += dx * f;
                fy += dy * f;
            } else {
                stack.extend(cell.children..cell.children + 4);
            }
        }
        (fx, fy)
    }
}

impl Layout {
    /// A layout of `n` nodes linked by `edges` (source, target, weight),
    /// starting from `start` positions when given (warm start), else from
    /// a deterministic spiral.
    pub fn new(
        n: usize,
        edges: Vec<(u32, u32, f32)>,
        start: Option<(Vec<f32>, Vec<f32>)>,
        settings: LayoutSettings,
    ) -> Layout {
        let mut mass = vec![1.0f32; n];
        for &(a, b, _) in &edges {
            mass[a as usize] += 1.0;
            mass[b as usize] += 1.0;
        }
        let (x, y) = start.unwrap_or_else(|| spiral(n, 10.0));
        Layout {
            x,
            y,
            pinned: vec![false; n],
            settings,
            iterations: 0,
            mass,
            edges,
            old_fx: vec![0.0; n],
            old_fy: vec![0.0; n],
            speed: 1.0,
            speed_efficiency: 1.0,
        }
    }

    /// Replaces the degree-based masses (e.g. by cluster sizes for a
    /// layout of super-nodes, so big clusters push harder).
    pub fn set_mass(&mut self, mass: Vec<f32>) {
        assert_eq!(mass.len(), self.len());
        self.mass = mass;
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The forces on every node at the current positions.
    fn forces(&self) -> (Vec<f32>, Vec<f32>) {
        let s = &self.settings;
        let n = self.len();
        let tree = Tree::build(&self.x, &self.y, &self.mass);
        let theta2 = s.theta * s.theta;
        let (x, y, mass) = (&self.x, &self.y, &self.mass);
        let rep: Vec<(f32, f32)> = (0..n)
            .into_par_iter()
            .with_min_len(512)
            .map(|i| {
                let (mut fx, mut fy) = tree.repulsion(i, x, y, mass, s.scaling, theta2);
                // Gravity towards the origin.
                let d = (x[i] * x[i] + y[i] * y[i]).sqrt();
                if d > 0.0 {
                    let g = if s.strong_gravity {
                        s.gravity * mass[i]
                    } else {
                        s.gravity * mass[i] / d
                    };
                    fx -= x[i] * g;
                    fy -= y[i] * g;
                }
                (fx, fy)
            })
            .collect();
        let (mut fx, mut fy): (Vec<f32>, Vec<f32>) = rep.into_iter().unzip();
        for &(a, b, w) in &self.edges {
            let (a, b) = (a as usize, b as usize);
            let w = if s.edge_weight_influence == 0.0 {
                1.0
            } else if s.edge_weight_influence == 1.0 {
                w
            } else {
                w.powf(s.edge_weight_influence)
            };
            let (dx, dy) = (x[a] - x[b], y[a] - y[b]);
            let f = if s.lin_log {
                let d = (dx * dx + dy * dy).sqrt();
                if d > 0.0 { w * (1.0 + d).ln() / d } else { 0.0 }
            } else {
                w
            };
            fx[a] -= dx * f;
            fy[a] -= dy * f;
            fx[b] += dx * f;
            fy[b] += dy * f;
        }
        (fx, fy)
    }

    /// One iteration: forces, adaptive speed, moves (pinned nodes stay).
    pub fn step(&mut self) {
        let n = self.len();
        if n == 0 {
            return;
        }
        let (fx, fy) = self.forces();
        // Swinging (erratic) and traction (useful) movement, per the paper.
        let (mut swinging, mut traction) = (0.0f32, 0.0f32);
        let mut node_swing = vec![0.0f32; n];
        for i in 0..n {
            let sx = fx[i] - self.old_fx[i];
            let sy = fy[i] - self.old_fy[i];
            let sw = self.mass[i] * (sx * sx + sy * sy).sqrt();
            let tx = fx[i] + self.old_fx[i];
            let ty = fy[i] + self.old_fy[i];
            node_swing[i] = sw;
            swinging += sw;
            traction += self.mass[i] * (tx * tx + ty * ty).sqrt() / 2.0;
        }
        let nf = n as f32;
        let estimated = 0.05 * nf.sqrt();
        let min_jt = estimated.sqrt();
        let jt = self.settings.jitter_tolerance
            * min_jt.max((estimated * traction / (nf * nf)).min(10.0));
        let min_efficiency = 0.05;
        if traction > 0.0 && swinging / traction > 2.0 && self.speed_efficiency > min_efficiency {
            self.speed_efficiency *= 0.5;
        }
        let target = if swinging > 0.0 {
            jt * self.speed_efficiency * traction / swinging
        } else {
            self.speed
        };
        if swinging > jt * traction {
            if self.speed_efficiency > min_efficiency {
                self.speed_efficiency *= 0.7;
            }
        } else if self.speed < 1000.0 {
            self.speed_efficiency *= 1.3;
        }
        let max_rise = 0.5;
        self.speed += (target - self.speed).min(max_rise * self.speed);
        let speed = self.speed;
        for i in 0..n {
            if !self.pinned[i] {
                let factor = speed / (1.0 + (speed * node_swing[i]).sqrt());
                let (dx, dy) = (fx[i] * factor, fy[i] * factor);
                if dx.is_finite() && dy.is_finite() {
                    self.x[i] += dx;
                    self.y[i] += dy;
                }
            }
        }
        self.old_fx = fx;
        self.old_fy = fy;
        self.iterations += 1;
    }

    /// Runs `iterations` steps.
    pub fn run(&mut self, iterations: usize) {
        for _ in 0..iterations {
            self.step();
        }
    }

    /// The energy whose negative gradient the forces are (linear
    /// attraction, exact repulsion, weak gravity): attraction Σ w·d²/2,
    /// repulsion −Σ kr·mᵢ·mⱼ·ln d, gravity Σ kg·m·d. Quadratic in nodes; for
    /// tests and small graphs.
    pub fn energy(&self) -> f64 {
        let s = &self.settings;
        let (x, y, m) = (&self.x, &self.y, &self.mass);
        let dist =
            |a: usize, b: usize| f64::from(((x[a] - x[b]).powi(2) + (y[a] - y[b]).powi(2)).sqrt());
        let mut e = 0.0f64;
        for &(a, b, w) in &self.edges {
            e += f64::from(w) * dist(a as usize, b as usize).powi(2) / 2.0;
        }
        for i in 0..self.len() {
            for j in i + 1..self.len() {
                e -= f64::from(s.scaling * m[i] * m[j]) * dist(i, j).max(1e-2).ln();
            }
            e += f64::from(s.gravity * m[i]) * f64::from((x[i] * x[i] + y[i] * y[i]).sqrt());
        }
        e
    }
}

/// `n` points on a golden-angle spiral of the given radius: spread evenly,
/// the same every time.
pub fn spiral(n: usize, radius: f32) -> (Vec<f32>, Vec<f32>) {
    let golden = std::f32::consts::PI * (3.0 - 5f32.sqrt());
    (0..n)
        .map(|i| {
            let r = radius * ((i as f32 + 0.5) / n.max(1) as f32).sqrt();
            let a = i as f32 * golden;
            (r * a.cos(), r * a.sin())
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_communities() -> Layout {
        let mut edges = Vec::new();
        for c in 0..2u32 {
            for i in 0..20 {
                for j in i + 1..20 {
                    // A ring keeps each community connected; chords thicken it.
                    if j == i + 1 || (i * 7 + j * 3) % 4 == 0 {
                        edges.push((c * 20 + i, c * 20 + j, 1.0));
                    }
                }
            }
        }
        edges.push((0, 20, 0.2));
        Layout::new(40, edges, None, LayoutSettings::default())
    }

    #[test]
    fn energy_decreases_and_positions_stay_finite() {
        let mut l = two_communities();
        let before = l.energy();
        l.run(200);
        let after = l.energy();
        assert!(after < before, "{before} -> {after}");
        assert!(l.x.iter().chain(&l.y).all(|v| v.is_finite()));
    }

    #[test]
    fn communities_separate() {
        let mut l = two_communities();
        l.run(300);
        let centre = |r: std::ops::Range<usize>| {
            let k = r.len() as f32;
            let cx = r.clone().map(|i| l.x[i]).sum::<f32>() / k;
            let cy = r.map(|i| l.y[i]).sum::<f32>() / k;
            (cx, cy)
        };
        let (a, b) = (centre(0..20), centre(20..40));
        let between = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let spread = (0..20)
            .map(|i| ((l.x[i] - a.0).powi(2) + (l.y[i] - a.1).powi(2)).sqrt())
            .sum::<f32>()
            / 20.0;
        assert!(between > spread, "between {between}, spread {spread}");
    }

    #[test]
    fn pinned_nodes_stay_put() {
        let mut l = two_communities();
        l.pinned[3] = true;
        l.x[3] = 50.0;
        l.y[3] = -50.0;
        l.settings.lin_log = true;
        l.run(100);
        assert_eq!((l.x[3], l.y[3]), (50.0, -50.0));
        assert!(l.x.iter().chain(&l.y).all(|v| v.is_finite()));
    }

    #[test]
    fn barnes_hut_is_close_to_exact_repulsion() {
        let (x, y) = spiral(500, 100.0);
        let mass: Vec<f32> = (0..500).map(|i| 1.0 + (i % 5) as f32).collect();
        let tree = Tree::build(&x, &y, &mass);
        for i in [0usize, 17, 250, 499] {
            let (ax, ay) = tree.repulsion(i, &x, &y, &mass, 1.0, 0.5 * 0.5);
            let (mut ex, mut ey) = (0.0f32, 0.0f32);
            for j in 0..500 {
                if j != i {
                    let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                    let f = mass[i] * mass[j] / (dx * dx + dy * dy);
                    ex += dx * f;
                    ey += dy * f;
                }
            }
            let err = ((ax - ex).powi(2) + (ay - ey).powi(2)).sqrt();
            let size = (ex * ex + ey * ey).sqrt();
            assert!(err <= 0.05 * size + 1e-3, "node {i}: {err} vs {size}");
        }
    }
}
