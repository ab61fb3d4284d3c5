//! The pack's charts, drawn as SVG from the pack's own rows and rendered
//! to PNG: requests per day stacked by category with the events marked,
//! the capability mix against the baseline, and the campaign's part of the
//! account network.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use duckdb::Connection;

use super::pack::Facts;
use super::svg::{escape, hex};
use crate::analysis::days::iso;
use crate::analysis::summary::group_digits;
use crate::analysis::views::query_rows;
use crate::case::Campaign;
use crate::palette::{category_color, event_color};
use crate::store::error::StoreResult;

const FONT: &str = r#"font-family="Ubuntu, sans-serif""#;

/// Edges drawn at most in the network chart (the heaviest), so a campaign
/// of tens of thousands of accounts still renders in seconds.
const MAX_EDGES: usize = 20_000;

fn open(w: f32, h: f32) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    )
}

fn text(s: &mut String, x: f32, y: f32, size: f32, anchor: &str, fill: &str, body: &str) {
    let _ = writeln!(
        s,
        r#"<text x="{x:.1}" y="{y:.1}" {FONT} font-size="{size}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
        escape(body)
    );
}

/// A message in the middle of an empty chart.
fn centred(s: &mut String, w: f32, h: f32, body: &str) {
    text(s, w / 2.0, h / 2.0, 16.0, "middle", "#555", body);
}

/// The chart's title, top left.
fn title(s: &mut String, x: f32, body: &str) {
    text(s, x, 30.0, 18.0, "start", "#222", body);
}

/// A round step for `max / 5`-ish axis ticks.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// Requests per day, stacked by category, events as labelled lines.
pub fn timeline_svg(f: &Facts) -> String {
    let (w, h) = (1400.0f32, 560.0f32);
    let (left, right, top, bottom) = (90.0f32, 30.0f32, 60.0f32, 120.0f32);
    let mut s = open(w, h);
    title(
        &mut s,
        left,
        &format!(
            "Campaign \"{}\": requests per day by capability category",
            f.campaign.props.name
        ),
    );
    let mut per_day: BTreeMap<i32, Vec<(&str, i64)>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &f.daily {
        per_day
            .entry(r.day)
            .or_default()
            .push((r.category.as_str(), r.exchanges));
        *totals.entry(r.category.as_str()).or_default() += r.exchanges;
    }
    let (Some(&first), Some(&last)) = (per_day.keys().next(), per_day.keys().last()) else {
        centred(&mut s, w, h, "no requests");
        s.push_str("</svg>\n");
        return s;
    };
    // Show the events around the campaign too.
    let first = first - 3;
    let last = last + 3;
    let mut order: Vec<&str> = totals.keys().copied().collect();
    order.sort_by(|a, b| totals[b].cmp(&totals[a]).then(a.cmp(b)));
    let max = per_day
        .values()
        .map(|v| v.iter().map(|x| x.1).sum::<i64>())
        .max()
        .unwrap_or(1) as f64;
    let step = nice_step(max);
    let ymax = (max / step).ceil() * step;
    let (pw, ph) = (w - left - right, h - top - bottom);
    let ndays = (last - first + 1) as f32;
    let bw = pw / ndays;
    let x_of = |d: i32| left + (d - first) as f32 * bw;
    let y_of = |v: f64| top + ph - (v / ymax) as f32 * ph;
    let mut tick = 0.0;
    while tick <= ymax + 0.5 {
        let y = y_of(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e4e4e4"/>"##,
            w - right
        );
        text(
            &mut s,
            left - 8.0,
            y + 4.0,
            12.0,
            "end",
            "#555",
            &group_digits(tick as i64),
        );
        tick += step;
    }
    for (day, cells) in &per_day {
        let mut acc = 0.0;
        for cat in &order {
            let Some(v) = cells.iter().find(|c| c.0 == *cat).map(|c| c.1) else {
                continue;
            };
            let (col, _) = hex(category_color(cat));
            let y0 = y_of(acc);
            acc += v as f64;
            let y1 = y_of(acc);
            let _ = writeln!(
                s,
                r#"<rect x="{:.2}" y="{y1:.2}" width="{:.2}" height="{:.2}" fill="{col}"/>"#,
                x_of(*day) + 0.1 * bw,
                0.8 * bw.max(0.5),
                (y0 - y1).max(0.0)
            );
        }
    }
    // Date ticks: about ten.
    let every = ((ndays / 10.0).ceil() as i32).max(1);
    let mut d = first;
    while d <= last {
        let x = x_of(d) + bw / 2.0;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#888"/>"##,
            top + ph,
            top + ph + 5.0
        );
        text(&mut s, x, top + ph + 20.0, 12.0, "middle", "#444", &iso(d));
        d += every;
    }
    for (i, e) in f
        .events
        .iter()
        .filter(|e| e.day >= first && e.day <= last)
        .enumerate()
    {
        let x = x_of(e.day) + bw / 2.0;
        let (col, _) = hex(event_color(&e.kind));
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="{col}" stroke-width="2" stroke-dasharray="6 4"/>"#,
            top + ph
        );
        let label: String = e.label.chars().take(48).collect();
        // Labels near the right edge go left of their line.
        let (lx, anchor) = if x > w - 320.0 {
            (x - 4.0, "end")
        } else {
            (x + 4.0, "start")
        };
        text(
            &mut s,
            lx,
            top + 14.0 + 16.0 * (i % 3) as f32,
            12.0,
            anchor,
            &col,
            &label,
        );
    }
    // Legend.
    let mut lx = left;
    let ly = h - 40.0;
    for cat in &order {
        let (col, _) = hex(category_color(cat));
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{col}"/>"#,
            ly - 10.0
        );
        text(&mut s, lx + 16.0, ly, 12.0, "start", "#333", cat);
        lx += 24.0 + 7.0 * cat.len() as f32;
        if lx > w - 200.0 {
            break;
        }
    }
    text(
        &mut s,
        w - right,
        h - 12.0,
        11.0,
        "end",
        "#777",
        "Source: daily_timeline.csv, events.csv",
    );
    s.push_str("</svg>\n");
    s
}

/// The campaign's share of each category against the baseline's.
pub fn categories_svg(f: &Facts) -> String {
    let rows: Vec<_> = f
        .categories
        .iter()
        .filter(|r| r.campaign_share > 0.0 || r.baseline_share > 0.0)
        .collect();
    let (w, row_h) = (1100.0f32, 34.0f32);
    let (left, top) = (230.0f32, 80.0f32);
    let h = top + row_h * rows.len() as f32 + 60.0;
    let mut s = open(w, h);
    title(
        &mut s,
        24.0,
        &format!(
            "Campaign \"{}\": capability mix against every other account",
            f.campaign.props.name
        ),
    );
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="46" width="12" height="12" fill="#4e79a7"/>"##
    );
    text(
        &mut s,
        left + 16.0,
        56.0,
        12.0,
        "start",
        "#333",
        "campaign share",
    );
    let _ = writeln!(
        s,
        r##"<rect x="{:.0}" y="46" width="12" height="12" fill="#bbbbbb"/>"##,
        left + 150.0
    );
    text(
        &mut s,
        left + 166.0,
        56.0,
        12.0,
        "start",
        "#333",
        "baseline share",
    );
    let max = rows
        .iter()
        .map(|r| r.campaign_share.max(r.baseline_share))
        .fold(0.01, f64::max);
    let pw = w - left - 220.0;
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f32 * row_h;
        text(
            &mut s,
            left - 10.0,
            y + 18.0,
            13.0,
            "end",
            "#222",
            &r.category,
        );
        let (col, _) = hex(category_color(&r.category));
        let a = (r.campaign_share / max) as f32 * pw;
        let b = (r.baseline_share / max) as f32 * pw;
        let _ = writeln!(
            s,
            r#"<rect x="{left}" y="{:.1}" width="{a:.1}" height="13" fill="{col}"/>"#,
            y + 3.0
        );
        let _ = writeln!(
            s,
            r##"<rect x="{left}" y="{:.1}" width="{b:.1}" height="9" fill="#bbbbbb"/>"##,
            y + 18.0
        );
        let lift = r
            .lift
            .map(|l| format!("lift {l:.1}×"))
            .unwrap_or_else(|| "not in baseline".into());
        text(
            &mut s,
            left + a.max(b) + 8.0,
            y + 18.0,
            12.0,
            "start",
            "#333",
            &format!(
                "{:.1}% vs {:.1}%  ({lift})",
                100.0 * r.campaign_share,
                100.0 * r.baseline_share
            ),
        );
    }
    text(
        &mut s,
        w - 20.0,
        h - 14.0,
        11.0,
        "end",
        "#777",
        "Source: categories.csv",
    );
    s.push_str("</svg>\n");
    s
}

/// The campaign's accounts at their places in the account network, with
/// the hubs they use and the heaviest edges among them.
pub fn network_svg(conn: &Connection, path: &Path, campaign: &Campaign) -> StoreResult<String> {
    // pack_accounts is the campaign (see pack::stage_tables).
    let nodes: Vec<(i32, String, f32, f32)> = query_rows(
        conn,
        path,
        "reading the campaign's network",
        "WITH m AS (SELECT node FROM graph_nodes n SEMI JOIN pack_accounts p ON p.account_id = n.id WHERE n.kind = 'account'),
              h AS (SELECT DISTINCT CASE WHEN e.source IN (SELECT node FROM m) THEN e.target ELSE e.source END AS node
                    FROM graph_edges e WHERE e.source IN (SELECT node FROM m) OR e.target IN (SELECT node FROM m))
         SELECT n.node, n.kind, n.x, n.y FROM graph_nodes n
         WHERE n.node IN (SELECT node FROM m) OR (n.kind = 'hub' AND n.node IN (SELECT node FROM h))",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let edges: Vec<(i32, i32)> = query_rows(
        conn,
        path,
        "reading the campaign's network",
        &format!(
            "WITH m AS (SELECT node FROM graph_nodes n SEMI JOIN pack_accounts p ON p.account_id = n.id WHERE n.kind = 'account')
             SELECT source, target FROM graph_edges
             WHERE source IN (SELECT node FROM m) OR target IN (SELECT node FROM m)
             ORDER BY weight DESC LIMIT {MAX_EDGES}"
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (w, h) = (1200.0f32, 1000.0f32);
    let mut s = open(w, h);
    let accounts = nodes.iter().filter(|n| n.1 == "account").count();
    let hubs = nodes.len() - accounts;
    title(
        &mut s,
        24.0,
        &format!(
            "Campaign \"{}\" in the account network: {} accounts, {} shared values (hubs)",
            campaign.props.name,
            group_digits(accounts as i64),
            group_digits(hubs as i64)
        ),
    );
    if nodes.is_empty() {
        centred(&mut s, w, h, "none of its accounts is in the network");
        s.push_str("</svg>\n");
        return Ok(s);
    }
    // Framed on the campaign's accounts: hubs it shares with accounts far
    // away (a large ASN, say) would otherwise shrink it to a dot in a corner.
    // Those are pinned to the frame's edge and drawn hollow.
    let framed: Vec<&(i32, String, f32, f32)> = if accounts > 0 {
        nodes.iter().filter(|n| n.1 == "account").collect()
    } else {
        nodes.iter().collect()
    };
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for n in &framed {
        x0 = x0.min(n.2);
        x1 = x1.max(n.2);
        y0 = y0.min(n.3);
        y1 = y1.max(n.3);
    }
    let margin = 0.2 * (x1 - x0).max(y1 - y0).max(1e-3);
    let (x0, x1, y0, y1) = (x0 - margin, x1 + margin, y0 - margin, y1 + margin);
    let (pad, top) = (40.0f32, 60.0f32);
    let scale =
        ((w - 2.0 * pad) / (x1 - x0).max(1e-3)).min((h - top - pad - 30.0) / (y1 - y0).max(1e-3));
    // Centred in the picture.
    let ox = (w - (x1 - x0) * scale) / 2.0;
    let oy = top + (h - top - 30.0 - (y1 - y0) * scale) / 2.0;
    let mut outside = 0usize;
    let at: std::collections::HashMap<i32, (f32, f32, bool, bool)> = nodes
        .iter()
        .map(|n| {
            let (x, y) = (n.2.clamp(x0, x1), n.3.clamp(y0, y1));
            let pinned = x != n.2 || y != n.3;
            outside += usize::from(pinned);
            let hub = n.1 == "hub";
            (
                n.0,
                (ox + (x - x0) * scale, oy + (y - y0) * scale, hub, pinned),
            )
        })
        .collect();
    for (a, b) in &edges {
        if let (Some(p), Some(q)) = (at.get(a), at.get(b)) {
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#9aa0a6" stroke-opacity="0.35" stroke-width="0.6"/>"##,
                p.0, p.1, q.0, q.1
            );
        }
    }
    let colour = &campaign.props.colour;
    let r = if accounts > 5000 {
        1.6
    } else if accounts > 500 {
        2.5
    } else {
        4.0
    };
    for (x, y, hub, pinned) in at.values() {
        if *hub {
            let paint = if *pinned {
                r##"fill="none" stroke="#555555" stroke-width="1""##
            } else {
                r##"fill="#555555""##
            };
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {paint}/>"##,
                x - r,
                y - r,
                2.0 * r,
                2.0 * r
            );
        } else {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{colour}"/>"#
            );
        }
    }
    let mut note = "circles: campaign accounts; grey squares: shared values".to_owned();
    if outside > 0 {
        note += &format!(
            "; hollow: {} further away, pinned to the edge",
            group_digits(outside as i64)
        );
    }
    if edges.len() >= MAX_EDGES {
        note += &format!(
            "; the {} heaviest links drawn",
            group_digits(MAX_EDGES as i64)
        );
    }
    note += ". Source: links.csv";
    text(&mut s, w - 20.0, h - 12.0, 11.0, "end", "#777", &note);
    s.push_str("</svg>\n");
    Ok(s)
}
