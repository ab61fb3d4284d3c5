//! Column mappings given by the analyst: `ts=request_time,account_id=customer`
//! maps the source's `request_time` column onto the contract's `ts`. A
//! name without a table is a column of `exchanges`; `accounts.created_at=signup_time`
//! and `events.kind=type` map the other tables.

use super::error::{StoreError, StoreResult};
use super::schema;

/// Contract column (`column` of exchanges, or `table.column`) -> source column name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMapping {
    /// Pairs in the order given.
    pub pairs: Vec<(String, String)>,
}

impl ColumnMapping {
    /// Parses `canonical=source,...`. Canonical names must be contract
    /// columns, of `exchanges` unless written `accounts.column` or `events.column`.
    pub fn parse(text: &str) -> StoreResult<ColumnMapping> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((canonical, source)) = part.split_once('=') else {
                return Err(StoreError::BadMapping(format!(
                    "`{part}` is not of the form canonical=source"
                )));
            };
            let (canonical, source) = (canonical.trim(), source.trim());
            let (table, column) = canonical
                .split_once('.')
                .unwrap_or(("exchanges", canonical));
            let Some(columns) = schema::table(table) else {
                return Err(StoreError::BadMapping(format!(
                    "`{table}` in `{canonical}` is not a table (exchanges, accounts or events)"
                )));
            };
            if columns.iter().all(|c| c.name != column) {
                let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
                return Err(StoreError::BadMapping(format!(
                    "`{column}` is not a column of {table} (one of: {})",
                    names.join(", ")
                )));
            }
            // One spelling per column: `exchanges.ts` is `ts`.
            let canonical = if table == "exchanges" {
                column.to_owned()
            } else {
                format!("{table}.{column}")
            };
            let canonical = canonical.as_str();
            if source.is_empty() {
                return Err(StoreError::BadMapping(format!(
                    "no source column given for `{canonical}`"
                )));
            }
            if pairs.iter().any(|(c, _)| c == canonical) {
                return Err(StoreError::BadMapping(format!(
                    "`{canonical}` is mapped twice"
                )));
            }
            pairs.push((canonical.to_owned(), source.to_owned()));
        }
        Ok(ColumnMapping { pairs })
    }

    /// The source column that feeds `column` of `table`: the mapped one,
    /// else the column of the same name.
    pub fn source_in<'a>(&'a self, table: &str, column: &'a str) -> &'a str {
        self.pairs
            .iter()
            .find(|(c, _)| match c.split_once('.') {
                Some((t, col)) => t == table && col == column,
                None => table == "exchanges" && c == column,
            })
            .map(|(_, s)| s.as_str())
            .unwrap_or(column)
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl std::fmt::Display for ColumnMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self.pairs.iter().map(|(c, s)| format!("{c}={s}")).collect();
        f.write_str(&text.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_and_rejects_unknown_columns() {
        let m = ColumnMapping::parse("ts=request_time, account_id=customer").unwrap();
        assert_eq!(m.source_in("exchanges", "ts"), "request_time");
        assert_eq!(m.source_in("exchanges", "account_id"), "customer");
        assert_eq!(m.source_in("exchanges", "ip"), "ip");
        // The accounts table keeps its own account_id.
        assert_eq!(m.source_in("accounts", "account_id"), "account_id");
        assert_eq!(m.to_string(), "ts=request_time,account_id=customer");
        assert!(ColumnMapping::parse("time=x").is_err());
        assert!(ColumnMapping::parse("ts").is_err());
        assert!(ColumnMapping::parse("ts=a,ts=b").is_err());
        assert!(ColumnMapping::parse("ts=a,exchanges.ts=b").is_err());
    }

    #[test]
    fn maps_accounts_and_events_columns() {
        let m =
            ColumnMapping::parse("accounts.created_at=signup_time,events.kind=type,ts=t").unwrap();
        assert_eq!(m.source_in("accounts", "created_at"), "signup_time");
        assert_eq!(m.source_in("events", "kind"), "type");
        assert_eq!(m.source_in("events", "ts"), "ts");
        assert_eq!(m.source_in("exchanges", "ts"), "t");
        assert_eq!(m.source_in("exchanges", "kind"), "kind");
        let err = ColumnMapping::parse("events.type=kind")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a column of events"), "{err}");
        let err = ColumnMapping::parse("users.id=x").unwrap_err().to_string();
        assert!(err.contains("not a table"), "{err}");
    }
}
