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
use crate::store::progress::Progress;
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
struct TemplateRow {
    /// Fingerprint of the normalised prompt.
    id: u64,
    /// A sample prompt (the least one).
    sample: String,
    /// The normalised text.
    normalized: String,
    /// Some request with this template sent tool definitions.
    with_tools: bool,
    /// Some request with this template carried an image.
    with_image: bool,
}

/// Templates read and classified at a time: only one batch's texts are in
/// memory (1.3 M templates of real-length prompts held at once took 15 GB).
const LABEL_BATCH: i64 = 20_000;

/// What is kept of a template once classified: its label and the MinHash
/// signature it is grouped by, not its text.
struct Classified<'t> {
    id: u64,
    signature: templates::Signature,
    category: &'t str,
    rule: String,
}

/// Classifies and groups every template of the case's `templates` table:
/// each by its sample prompt and the shape of its requests (tools, image),
/// grouped by its normalised text. Templates are read, classified and
/// fingerprinted [`LABEL_BATCH`] at a time, so memory holds one batch's
/// texts and a 512-byte signature per template, whatever the prompts'
/// length. Progress follows the batches.
pub fn label_case_templates(
    conn: &Connection,
    file: &Path,
    taxonomy: &Taxonomy,
    progress: &Progress,
) -> StoreResult<Vec<TemplateLabel>> {
    label_in_batches(conn, file, taxonomy, progress, LABEL_BATCH)
}

/// [`label_case_templates`] reading `batch` templates at a time.
fn label_in_batches(
    conn: &Connection,
    file: &Path,
    taxonomy: &Taxonomy,
    progress: &Progress,
    batch: i64,
) -> StoreResult<Vec<TemplateLabel>> {
    let ctx = "reading templates";
    let end: i64 = conn
        .query_row(
            "SELECT coalesce(max(rowid) + 1, 0) FROM templates",
            [],
            |r| r.get(0),
        )
        .at(file, ctx)?;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT template_id, sample_prompt, {}, with_tools, with_image FROM templates
             WHERE rowid >= ? AND rowid < ?",
            sql::normalise_prompt("sample_prompt")
        ))
        .at(file, ctx)?;
    let mut classified: Vec<Classified> = Vec::new();
    let mut from = 0i64;
    while from < end {
        let rows = stmt
            .query_map(params![from, from + batch], |r| {
                Ok(TemplateRow {
                    id: r.get(0)?,
                    sample: r.get(1)?,
                    normalized: r.get(2)?,
                    with_tools: r.get::<_, Option<bool>>(3)?.unwrap_or(false),
                    with_image: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                })
            })
            .at(file, ctx)?
            .collect::<Result<Vec<_>, _>>()
            .at(file, ctx)?;
        classified.par_extend(rows.par_iter().map(|row| {
            let label = taxonomy.classify_request(&row.sample, row.with_tools, row.with_image);
            Classified {
                id: row.id,
                signature: templates::signature(&row.normalized),
                category: label.category,
                rule: label.rule,
            }
        }));
        from += batch;
        progress.set_fraction(from as f32 / end.max(1) as f32);
        progress.check()?;
    }
    // Grouping depends on the order it sees templates in, and the table's
    // order varies from build to build: by id, the same evidence always
    // gives the same groups, each named by its least template id.
    classified.sort_unstable_by_key(|c| c.id);
    let signatures: Vec<templates::Signature> = classified.iter().map(|c| c.signature).collect();
    let groups = templates::group(&signatures);
    drop(signatures);
    let ids: Vec<u64> = classified.iter().map(|c| c.id).collect();
    Ok(classified
        .into_iter()
        .zip(groups)
        .map(|(c, group)| TemplateLabel {
            template_id: c.id,
            category: c.category.to_owned(),
            category_rule: c.rule,
            template_group: ids[group],
        })
        .collect())
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
    let labels = label_case_templates(run.conn, run.file, taxonomy, run.progress)?;
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

/// Where template labels are written.
#[derive(Debug, Clone, Copy)]
pub enum LabelTable<'a> {
    /// The case's own `template_labels`.
    Case,
    /// A temporary table of this name (labels for one output).
    Temp(&'a str),
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A `templates` table holding `prompts` in this order.
    fn templates_table(prompts: &[&str]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE templates (template_id UBIGINT, sample_prompt VARCHAR,
                                     with_tools BOOLEAN, with_image BOOLEAN)",
        )
        .unwrap();
        for p in prompts {
            let id = xxhash_rust::xxh3::xxh3_64(p.as_bytes());
            conn.execute(
                "INSERT INTO templates VALUES (?, ?, false, false)",
                params![id, p],
            )
            .unwrap();
        }
        conn
    }

    fn labels(conn: &Connection, batch: i64) -> Vec<(u64, String, u64)> {
        let mut labels = label_in_batches(
            conn,
            Path::new("test.duckdb"),
            &Taxonomy::builtin(),
            &Progress::default(),
            batch,
        )
        .unwrap()
        .into_iter()
        .map(|l| (l.template_id, l.category, l.template_group))
        .collect::<Vec<_>>();
        labels.sort();
        labels
    }

    #[test]
    fn templates_are_labelled_and_grouped_alike_in_any_order_and_batch_size() {
        let prompts = [
            "You are an expert grader. Grade the following answer against the rubric and output a score from 1 to 10.",
            "You are an expert grader. Grade the following answer against the rubric and output only a score from 1 to 10.",
            "Write a haiku about the sea in spring and make it rhyme.",
            "Fix the failing unit test in this Rust crate and explain the change.",
        ];
        let forward = labels(&templates_table(&prompts), 20_000);
        let mut reversed_prompts = prompts;
        reversed_prompts.reverse();
        let reversed = templates_table(&reversed_prompts);
        assert_eq!(labels(&reversed, 2), forward);
        assert_eq!(labels(&reversed, 1), forward);
        assert_eq!(forward.len(), prompts.len());
        // The graders are one group, named by their least template id.
        let graders: Vec<&(u64, String, u64)> = forward
            .iter()
            .filter(|l| {
                prompts[..2]
                    .iter()
                    .any(|p| xxhash_rust::xxh3::xxh3_64(p.as_bytes()) == l.0)
            })
            .collect();
        let least = graders.iter().map(|l| l.0).min().unwrap();
        assert_eq!(graders.len(), 2);
        assert!(graders.iter().all(|l| l.2 == least), "{graders:?}");
        let others: Vec<&(u64, String, u64)> =
            forward.iter().filter(|l| !graders.contains(l)).collect();
        assert!(others.iter().all(|l| l.2 == l.0), "{others:?}");
    }
}
