//! Column mappings given by the analyst: `ts=request_time,account_id=customer`
//! maps the source's `request_time` column onto the contract's `ts`.

use super::error::{StoreError, StoreResult};
use super::schema;

/// Canonical column name -> source column name, for the `exchanges` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMapping {
    /// Pairs in the order given.
    pub pairs: Vec<(String, String)>,
}

impl ColumnMapping {
    /// Parses `canonical=source,...`. Canonical names must be contract columns.
    pub fn parse(text: &str) -> StoreResult<ColumnMapping> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((canonical, source)) = part.split_once('=') else {
                return Err(StoreError::BadMapping(format!(
                    "`{part}` is not of the form canonical=source"
                )));
            };
            let (canonical, source) = (canonical.trim(), source.trim());
            if schema::EXCHANGES.iter().all(|c| c.name != canonical) {
                let names: Vec<&str> = schema::EXCHANGES.iter().map(|c| c.name).collect();
                return Err(StoreError::BadMapping(format!(
                    "`{canonical}` is not a column of exchanges (one of: {})",
                    names.join(", ")
                )));
            }
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

    /// The source column that feeds `canonical`: the mapped one, else the
    /// column of the same name.
    pub fn source_for<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.pairs
            .iter()
            .find(|(c, _)| c == canonical)
            .map(|(_, s)| s.as_str())
            .unwrap_or(canonical)
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
        assert_eq!(m.source_for("ts"), "request_time");
        assert_eq!(m.source_for("account_id"), "customer");
        assert_eq!(m.source_for("ip"), "ip");
        assert_eq!(m.to_string(), "ts=request_time,account_id=customer");
        assert!(ColumnMapping::parse("time=x").is_err());
        assert!(ColumnMapping::parse("ts").is_err());
        assert!(ColumnMapping::parse("ts=a,ts=b").is_err());
    }
}
