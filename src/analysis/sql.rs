//! Every SQL statement of the derive step, in one place, so the same
//! queries can run on another engine over the same tables (DESIGN.md).

/// Steps of prompt normalisation for template fingerprints, applied in
/// order: (RE2 pattern, replacement). Code, URLs, e-mail addresses, quoted
/// strings, numbers and names inside sentences become placeholders, so
/// prompts filled from one template share one normalised text.
pub const NORMALISE_STEPS: &[(&str, &str)] = &[
    // One pass for code blocks, URLs, e-mail addresses, quoted strings and
    // numbers or ids: unbounded repetitions and ASCII classes keep RE2 fast
    // (bounded ones and Unicode \s made this step 5x slower, measured).
    (
        r#"```[^`]*```|https?://[^ \n]+|[A-Za-z0-9._+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+|"[^"]*"|“[^”]*”|«[^»]*»|「[^」]*」|[0-9][0-9a-fA-F.,:_/-]*"#,
        "<v>",
    ),
    // Capitalised words inside a sentence: names.
    (r"([a-z,;:] )[A-Z][a-z]+", r"\1<name>"),
    // Runs of white space (single spaces are left alone: replacing every one is slow).
    (r"[ \t\r\n]{2,}", " "),
];

/// SQL expression that normalises the prompt expression `x`.
pub fn normalise_prompt(x: &str) -> String {
    let mut expr = x.to_owned();
    for (pattern, replacement) in NORMALISE_STEPS {
        expr = format!(
            "regexp_replace({expr}, '{}', '{}', 'g')",
            pattern.replace('\'', "''"),
            replacement.replace('\'', "''")
        );
    }
    format!("lower(trim({expr}))")
}

/// SQL expression for the template fingerprint of the prompt expression `x`.
pub fn template_id(x: &str) -> String {
    format!(
        "CASE WHEN {x} IS NULL OR {x} = '' THEN NULL ELSE hash({}) END",
        normalise_prompt(x)
    )
}

/// The query of the `templates` table: one row per template with a sample prompt,
/// whether its normalised text is long enough to link accounts (the text
/// itself is not kept: it follows from the sample by [`normalise_prompt`],
/// and on real-length prompts a second copy of every template's text was a
/// fifth of the case), volumes and span, and whether any of its requests
/// sent tools or an image (the classifier's request-shape votes).
///
/// The sample is the prompt of the template's request with the least
/// exchange id, not any one: the classifier labels the template from it, so
/// an arbitrary pick made the categories differ between two builds of the
/// same evidence. It is fetched by row after grouping rather than kept as a
/// `min(prompt)` in the grouping: DuckDB holds string aggregate states
/// outside its memory limit, and 1.3 M templates of real-length prompts
/// took 8 GB there.
pub fn create_templates() -> String {
    format!(
        "SELECT template_id, sample_prompt,
                len(string_split(trim(n), ' ')) >= 4 OR length(n) >= 20 AS linkable,
                exchanges, accounts, first_seen, last_seen, with_tools, with_image
         FROM (SELECT a.*, e.prompt AS sample_prompt, {} AS n
           FROM (SELECT template_id, arg_min(rowid, exchange_id) AS sample_row, count(*) AS exchanges,
                  count(DISTINCT account_id) AS accounts, min(ts) AS first_seen, max(ts) AS last_seen,
                  bool_or(coalesce(tool_count, 0) > 0) AS with_tools,
                  bool_or(coalesce(has_image, false)) AS with_image
                 FROM exchanges WHERE template_id IS NOT NULL GROUP BY template_id) a
           JOIN exchanges e ON e.rowid = a.sample_row)",
        normalise_prompt("e.prompt")
    )
}

/// The free-text columns of `templates`, stored compressed.
pub const TEMPLATE_TEXT: &[&str] = &["sample_prompt"];

/// Templates that can link accounts: used by two or more accounts and not
/// a short generic turn ("continue", "thanks", "make it shorter", "继续"),
/// which thousands of honest users type and no operator owns. Short means
/// under four words and under 20 characters (scripts in languages written
/// without spaces are long).
pub const LINKING_TEMPLATES: &str =
    "SELECT template_id FROM templates WHERE accounts >= 2 AND linkable";

/// The classifier's output per template, filled from Rust.
pub const CREATE_TEMPLATE_LABELS: &str = "CREATE OR REPLACE TABLE template_labels (
    template_id UBIGINT PRIMARY KEY, category VARCHAR, category_rule VARCHAR, template_group UBIGINT);";

/// How an exchange `e` joined to its template's labels `l` gets its
/// category: the log's where it has one, else the classifier's, with the
/// rule that decided it.
pub const LABEL_COLUMNS: &str = "coalesce(e.log_category, l.category, 'unknown') AS category,
           CASE WHEN e.log_category IS NOT NULL THEN 'log'
                WHEN l.category IS NULL THEN 'no_prompt'
                ELSE l.category_rule END AS category_rule";

/// The labelled exchanges.
pub fn create_exchanges_view() -> String {
    format!(
        "CREATE OR REPLACE VIEW exchanges_v AS
         SELECT e.* EXCLUDE (log_category), {LABEL_COLUMNS},
                l.category AS classifier_category, l.template_group
         FROM exchanges e LEFT JOIN template_labels l USING (template_id);"
    )
}

/// Per account, day and category: the aggregate most views read. Stored in
/// account order, so filtering by accounts reads only their row groups
/// (zone maps): 10x faster on the full incident than unordered, measured.
pub const CREATE_ACCOUNT_DAY: &str = "CREATE OR REPLACE TABLE account_day AS
    SELECT account_id, day, category, count(*) AS exchanges,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
    FROM exchanges_v GROUP BY account_id, day, category
    ORDER BY account_id, day, category;";

/// Per day and category, over all accounts.
pub const CREATE_DAILY_CATEGORY: &str = "CREATE OR REPLACE TABLE daily_category AS
    SELECT day, category, sum(exchanges) AS exchanges, count(DISTINCT account_id) AS accounts
    FROM account_day GROUP BY day, category;";

/// Per category: volume and accounts (what `summary` and the category view read).
pub const CREATE_CATEGORY_SUMMARY: &str = "CREATE OR REPLACE TABLE category_summary AS
    SELECT category, sum(exchanges)::BIGINT AS exchanges, count(DISTINCT account_id) AS accounts
    FROM account_day GROUP BY category;";

/// Per account: volume, span, infrastructure counts and top category.
pub const CREATE_ACCOUNT_SUMMARY: &str = "CREATE OR REPLACE TABLE account_summary AS
    WITH top AS (
      SELECT account_id, arg_max(category, n) AS top_category, max(n) / sum(n) AS top_category_share
      FROM (SELECT account_id, category, sum(exchanges) AS n FROM account_day GROUP BY ALL)
      GROUP BY account_id
    ), ex AS (
      SELECT account_id, count(*) AS exchanges, count(DISTINCT day) AS active_days,
             min(ts) AS first_seen, max(ts) AS last_seen,
             count(DISTINCT ip) AS ips, count(DISTINCT asn) AS asns, count(DISTINCT country) AS countries,
             count(DISTINCT template_id) AS templates, count(DISTINCT model) AS models,
             sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
      FROM exchanges GROUP BY account_id
    )
    SELECT ex.*, top.top_category, top.top_category_share
    FROM ex LEFT JOIN top USING (account_id);";

/// Per model and day: requests, accounts and the first request. Small
/// (models × days); releases found in the log and the release pivot read it.
pub const CREATE_MODEL_DAY: &str = "CREATE OR REPLACE TABLE model_day AS
    SELECT model, day, count(*) AS exchanges, count(DISTINCT account_id) AS accounts,
           min(ts) AS first_ts
    FROM exchanges WHERE model IS NOT NULL GROUP BY model, day;";

/// How often the classifier agrees with categories the log carried.
pub const CREATE_CLASSIFIER_AGREEMENT: &str = "CREATE OR REPLACE TABLE classifier_agreement AS
    SELECT count(*) FILTER (WHERE category_rule = 'log') AS log_labelled,
           count(*) FILTER (WHERE category_rule = 'log' AND classifier_category IS NOT NULL
                            AND classifier_category <> category) AS disagreements
    FROM exchanges_v;";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_one_expression() {
        let sql = normalise_prompt("p");
        assert!(sql.starts_with("lower(trim("));
        assert_eq!(sql.matches("regexp_replace").count(), NORMALISE_STEPS.len());
    }
}
