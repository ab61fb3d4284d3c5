//! The derive step: from a case's normalised `exchanges`, build the template
//! table, label every template with the classifier, and compute the
//! aggregates every view reads. SQL does the heavy lifting; Rust classifies
//! the (far fewer) distinct templates in parallel.

use std::path::Path;

use duckdb::{Connection, params};
use rayon::prelude::*;

use super::graph::GraphConfig;
use super::sql;
use super::taxonomy::Taxonomy;
use super::templates;
use crate::store::error::{Context as _, StoreResult};
use crate::store::runner::SqlRunner;

/// One template's label, as written to `template_labels`.
#[derive(Debug, Clone)]
pub struct TemplateLabel {
    /// Fingerprint of the normalised prompt.
    pub template_id: u64,
    /// Category the classifier chose.
    pub category: String,
    /// The rules that decided it.
    pub category_rule: String,
    /// Near-duplicate group (a template id).
    pub template_group: u64,
}

/// One distinct template as the classifier sees it.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    /// Fingerprint of the normalised prompt.
    pub id: u64,
    /// A sample prompt (the least one).
    pub sample: String,
    /// The normalised text.
    pub normalized: String,
    /// Some request with this template sent tool definitions.
    pub with_tools: bool,
    /// Some request with this template carried an image.
    pub with_image: bool,
}

/// Classifies and groups templates: each by its sample prompt and the
/// shape of its requests (tools, image).
pub fn label_templates(taxonomy: &Taxonomy, rows: &[TemplateRow]) -> Vec<TemplateLabel> {
    let normalised: Vec<&str> = rows.iter().map(|r| r.normalized.as_str()).collect();
    let groups = templates::group(&normalised);
    rows.par_iter()
        .zip(groups.par_iter())
        .map(|(row, group)| {
            let label = taxonomy.classify_request(&row.sample, row.with_tools, row.with_image);
            TemplateLabel {
                template_id: row.id,
                category: label.category.to_owned(),
                category_rule: label.rule,
                template_group: rows[*group].id,
            }
        })
        .collect()
}

/// Runs the derive step on a connection whose `exchanges` table is loaded.
pub fn derive(run: &SqlRunner<'_>, taxonomy: &Taxonomy) -> StoreResult<()> {
    run.progress.stage("Grouping prompt templates")?;
    run.create_table_compressed(
        "building the template table",
        "templates",
        &sql::create_templates(),
        sql::TEMPLATE_TEXT,
    )?;
    derive_labelled(run, taxonomy)
}

/// Everything from the labels on: classifies the templates with
/// `taxonomy`, then replaces every table that depends on the labels (the
/// aggregates and the graph). Each statement replaces its table whole, so
/// running it again after an interruption finishes the job.
pub fn derive_labelled(run: &SqlRunner<'_>, taxonomy: &Taxonomy) -> StoreResult<()> {
    run.progress.stage("Classifying templates")?;
    let rows = read_templates(run.conn, run.file)?;
    let labels = label_templates(taxonomy, &rows);
    run.exec("creating template labels", sql::CREATE_TEMPLATE_LABELS)?;
    write_labels(run.conn, run.file, LabelTable::Case, &labels)?;
    run.exec("creating the labelled view", &sql::create_exchanges_view())?;

    run.progress.stage("Aggregating per account and day")?;
    run.exec("aggregating per account and day", sql::CREATE_ACCOUNT_DAY)?;
    run.exec("aggregating per day", sql::CREATE_DAILY_CATEGORY)?;
    run.exec("aggregating per category", sql::CREATE_CATEGORY_SUMMARY)?;
    run.progress.stage("Summarising accounts")?;
    run.exec("summarising accounts", sql::CREATE_ACCOUNT_SUMMARY)?;
    run.exec("counting models per day", sql::CREATE_MODEL_DAY)?;
    run.exec(
        "measuring classifier agreement",
        sql::CREATE_CLASSIFIER_AGREEMENT,
    )?;
    let graph = super::graph::build(run.conn, run.file, &GraphConfig::default(), run.progress)?;
    super::graph::store::write(run.conn, run.file, &graph, "main")?;
    Ok(())
}

/// Reads every template with its request shape from `templates`.
pub fn read_templates(conn: &Connection, file: &Path) -> StoreResult<Vec<TemplateRow>> {
    // The normalised text is not stored: it follows from the sample.
    let mut stmt = conn
        .prepare(&format!(
            "SELECT template_id, sample_prompt, {}, with_tools, with_image FROM templates",
            sql::normalise_prompt("sample_prompt")
        ))
        .at(file, "reading templates")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(TemplateRow {
                id: r.get(0)?,
                sample: r.get(1)?,
                normalized: r.get(2)?,
                with_tools: r.get::<_, Option<bool>>(3)?.unwrap_or(false),
                with_image: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
            })
        })
        .at(file, "reading templates")?;
    rows.collect::<Result<Vec<_>, _>>()
        .at(file, "reading templates")
}

/// Where template labels are written.
#[derive(Debug, Clone, Copy)]
pub enum LabelTable<'a> {
    /// The case's own `template_labels`.
    Case,
    /// A temporary table of this name (labels for one output).
    Temp(&'a str),
}
/// temporary one with the same columns).
/// Appends labels to an existing label table (`template_labels` or a
/// temporary one with the same columns).
pub fn write_labels(
    conn: &Connection,
    file: &Path,
    table: LabelTable,
    labels: &[TemplateLabel],
) -> StoreResult<()> {
    // A temporary table lives in the `temp` catalog; naming it lets a case
    // opened read-only take labels for one output.
    let mut app = match table {
        LabelTable::Case => conn.appender("template_labels"),
        LabelTable::Temp(name) => conn.appender_to_catalog_and_db(name, "temp", "main"),
    }
    .at(file, "writing template labels")?;
    for l in labels {
        app.append_row(params![
            l.template_id,
            l.category,
            l.category_rule,
            l.template_group
        ])
        .at(file, "writing template labels")?;
    }
    app.flush().at(file, "writing template labels")
}
