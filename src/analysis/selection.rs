//! The one selection every view follows (DESIGN.md: one selection, every
//! view), and the SQL filters it turns into.
//!
//! Each view applies every part of the selection except its own dimension,
//! as crossfilter tools do: the timeline shows all days with the brushed
//! range highlighted, the category bars show every category with the chosen
//! ones highlighted, the accounts table lists every account with the chosen
//! ones marked. The exchanges table applies all of it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::days;
use crate::store::schema::literal;

/// An inclusive range of days (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayRange {
    /// First day.
    pub first: i32,
    /// Last day (inclusive).
    pub last: i32,
}

impl DayRange {
    /// A range from two days in any order.
    pub fn new(a: i32, b: i32) -> DayRange {
        DayRange {
            first: a.min(b),
            last: a.max(b),
        }
    }

    /// Whether `day` is in the range.
    pub fn contains(&self, day: i32) -> bool {
        (self.first..=self.last).contains(&day)
    }

    /// "2026-03-01 – 2026-03-10", or one date.
    pub fn label(&self) -> String {
        if self.first == self.last {
            days::iso(self.first)
        } else {
            format!("{} – {}", days::iso(self.first), days::iso(self.last))
        }
    }
}

/// Which part of the selection a view leaves out of its own filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The date range.
    Days,
    /// The categories.
    Categories,
    /// The accounts.
    Accounts,
}

/// What the analyst has selected. Empty parts select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Selection {
    /// Date range.
    #[serde(default)]
    pub days: Option<DayRange>,
    /// Capability categories.
    #[serde(default)]
    pub categories: BTreeSet<String>,
    /// Accounts.
    #[serde(default)]
    pub accounts: BTreeSet<String>,
}

impl Selection {
    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.days.is_none() && self.categories.is_empty() && self.accounts.is_empty()
    }

    /// The selection without one dimension.
    pub fn without(&self, dim: Dimension) -> Selection {
        let mut s = self.clone();
        match dim {
            Dimension::Days => s.days = None,
            Dimension::Categories => s.categories.clear(),
            Dimension::Accounts => s.accounts.clear(),
        }
        s
    }

    /// SQL condition over a table with `day`, `category` and `account_id`
    /// columns (account_day, exchanges_v); `TRUE` when empty.
    pub fn condition(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = self.days {
            parts.push(format!(
                "day BETWEEN DATE '{}' AND DATE '{}'",
                days::iso(r.first),
                days::iso(r.last)
            ));
        }
        if !self.categories.is_empty() {
            parts.push(format!("category IN ({})", in_list(&self.categories)));
        }
        if !self.accounts.is_empty() {
            parts.push(format!("account_id IN ({})", in_list(&self.accounts)));
        }
        if parts.is_empty() {
            "TRUE".to_owned()
        } else {
            parts.join(" AND ")
        }
    }

    /// Human-readable parts, for chips and reports.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = self.days {
            out.push(format!("days {}", r.label()));
        }
        for c in &self.categories {
            out.push(format!("category {c}"));
        }
        for a in &self.accounts {
            out.push(format!("account {a}"));
        }
        out
    }
}

fn in_list(values: &BTreeSet<String>) -> String {
    values
        .iter()
        .map(|v| literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_quote_values_and_leave_out_dimensions() {
        let mut s = Selection::default();
        assert_eq!(s.condition(), "TRUE");
        s.days = Some(DayRange::new(
            days::from_civil(2026, 3, 10),
            days::from_civil(2026, 3, 1),
        ));
        s.categories.insert("math".into());
        s.accounts.insert("o'brien".into());
        let c = s.condition();
        assert!(
            c.contains("day BETWEEN DATE '2026-03-01' AND DATE '2026-03-10'"),
            "{c}"
        );
        assert!(c.contains("category IN ('math')"));
        assert!(c.contains("account_id IN ('o''brien')"));
        let no_days = s.without(Dimension::Days).condition();
        assert!(!no_days.contains("day BETWEEN"));
        assert!(no_days.contains("math"));
        assert_eq!(s.describe().len(), 3);
    }
}
