//! The data contract of DATA.md: table and column names, types and which
//! columns are required. Every importer and check reads this one list.

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// lower_snake_case name, the same in code, SQL and exports.
    pub name: &'static str,
    /// DuckDB type of the normalised column in the case file.
    pub sql_type: &'static str,
    /// Whether a source must provide it.
    pub required: bool,
}

const fn col(name: &'static str, sql_type: &'static str, required: bool) -> Column {
    Column {
        name,
        sql_type,
        required,
    }
}

/// `exchanges`: one row per API request.
pub const EXCHANGES: &[Column] = &[
    col("exchange_id", "VARCHAR", false),
    col("ts", "TIMESTAMP", true),
    col("account_id", "VARCHAR", true),
    col("api_key_id", "VARCHAR", false),
    col("org_id", "VARCHAR", false),
    col("ip", "VARCHAR", false),
    col("asn", "INTEGER", false),
    col("asn_org", "VARCHAR", false),
    col("country", "VARCHAR", false),
    col("user_agent", "VARCHAR", false),
    col("model", "VARCHAR", false),
    col("input_tokens", "BIGINT", false),
    col("output_tokens", "BIGINT", false),
    col("prompt", "VARCHAR", false),
    col("tool_count", "INTEGER", false),
    col("has_image", "BOOLEAN", false),
    col("session_id", "VARCHAR", false),
    col("category", "VARCHAR", false),
];

/// `accounts`: one row per account (optional table).
pub const ACCOUNTS: &[Column] = &[
    col("account_id", "VARCHAR", true),
    col("created_at", "TIMESTAMP", false),
    col("email_domain", "VARCHAR", false),
    col("payment_fingerprint", "VARCHAR", false),
    col("signup_ip", "VARCHAR", false),
    col("signup_country", "VARCHAR", false),
    col("verification_path", "VARCHAR", false),
    col("org_id", "VARCHAR", false),
];

/// `events`: things that happened outside the log (optional table).
pub const EVENTS: &[Column] = &[
    col("ts", "TIMESTAMP", true),
    col("kind", "VARCHAR", true),
    col("label", "VARCHAR", true),
];

/// The three contract tables, by name.
pub const TABLES: &[(&str, &[Column])] = &[
    ("exchanges", EXCHANGES),
    ("accounts", ACCOUNTS),
    ("events", EVENTS),
];

/// Looks a contract table up by name.
pub fn table(name: &str) -> Option<&'static [Column]> {
    TABLES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// `CREATE TABLE` column list for a contract table (no derived columns).
pub fn column_defs(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.sql_type))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quotes an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
