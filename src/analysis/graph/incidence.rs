//! Account × value incidence read from the case: which accounts used which
//! IP, network, ASN, user agent, template, payment instrument, sign-up IP or
//! e-mail domain, and when. DuckDB aggregates the log to one row per
//! (value, account); Rust groups the rows by value and derives networks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray as _, RecordBatch};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Float64Type, Int64Type};

use super::links::LinkKind;
use crate::analysis::views::PUBLIC_MAIL_DOMAINS;
use crate::store::error::{Context as _, StoreResult};
use crate::store::schema::literal;

/// One account's use of one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    /// Account index (see [`accounts`]).
    pub account: u32,
    /// First use, hours since the epoch.
    pub first_h: f64,
    /// Last use, hours since the epoch.
    pub last_h: f64,
    /// Exchanges that carried the value (0 for account-record values).
    pub exchanges: u64,
}

/// Every value of one kind with the accounts that used it.
#[derive(Debug, Clone, Default)]
pub struct Incidence {
    /// The values, sorted.
    pub values: Vec<String>,
    /// `members[offsets[v]..offsets[v + 1]]` used value `v`, by account.
    pub offsets: Vec<usize>,
    /// Members of every value, value after value.
    pub members: Vec<Member>,
}

impl Incidence {
    /// Groups (value, member) rows by value; values sorted, members by account.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, Member)>) -> Incidence {
        let mut by_value: HashMap<String, Vec<Member>> = HashMap::new();
        for (v, m) in rows {
            by_value.entry(v).or_default().push(m);
        }
        let mut values: Vec<(String, Vec<Member>)> = by_value.into_iter().collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Incidence {
            offsets: vec![0],
            ..Incidence::default()
        };
        for (v, mut ms) in values {
            ms.sort_by_key(|m| m.account);
            // Merge duplicates (an account seen under two spellings of one network).
            let mut merged: Vec<Member> = Vec::with_capacity(ms.len());
            for m in ms {
                match merged.last_mut() {
                    Some(last) if last.account == m.account => {
                        last.first_h = last.first_h.min(m.first_h);
                        last.last_h = last.last_h.max(m.last_h);
                        last.exchanges += m.exchanges;
                    }
                    _ => merged.push(m),
                }
            }
            out.values.push(v);
            out.members.extend(merged);
            out.offsets.push(out.members.len());
        }
        out
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The accounts that used value `v`.
    pub fn members(&self, v: usize) -> &[Member] {
        &self.members[self.offsets[v]..self.offsets[v + 1]]
    }

    /// The same accounts grouped by a coarser value (`None` drops a row).
    pub fn coarsen(&self, f: impl Fn(&str) -> Option<String>) -> Incidence {
        let rows = (0..self.len()).flat_map(|v| {
            let coarse = f(&self.values[v]);
            self.members(v)
                .iter()
                .filter_map(move |m| coarse.clone().map(|c| (c, *m)))
        });
        Incidence::from_rows(rows)
    }
}

/// The network an address belongs to: /24 for IPv4, /48 for IPv6, in
/// canonical text (`203.0.113.0/24`, `2001:db8:1::/48`).
pub fn network_of(ip: &str) -> Option<String> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                let o = v4.octets();
                return Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]));
            }
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            Some(format!("{net}/48"))
        }
    }
}

/// Numbers the accounts that have traffic (ordered by id) in a temporary
/// table `graph_account(account_id, idx)` and returns their ids by index.
pub fn accounts(conn: &Connection, path: &Path) -> StoreResult<Vec<String>> {
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE graph_account AS
         SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1)::INTEGER AS idx
         FROM account_summary;",
    )
    .at(path, "numbering accounts for the graph")?;
    crate::analysis::views::query_rows(
        conn,
        path,
        "numbering accounts for the graph",
        "SELECT account_id FROM graph_account ORDER BY idx",
        |r| r.get(0),
    )
}

/// DuckDB's 64-bit hash of every account id → its index, so log scans can
/// group by the hash and skip a 70-million-row join.
pub fn account_hashes(conn: &Connection, path: &Path) -> StoreResult<HashMap<u64, u32>> {
    let hashes: Vec<u64> = crate::analysis::views::query_rows(
        conn,
        path,
        "hashing account ids",
        "SELECT hash(account_id) FROM graph_account ORDER BY idx",
        |r| r.get(0),
    )?;
    let map: HashMap<u64, u32> = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| (*h, i as u32))
        .collect();
    if map.len() != hashes.len() {
        return Err(crate::store::error::StoreError::NotWhatItSays {
            path: path.into(),
            reason: "two account ids share a 64-bit hash; the graph cannot be built".into(),
        });
    }
    Ok(map)
}

/// The log columns behind each kind read from `exchanges`, and the value
/// text of a row of the grouping set of that column.
fn log_column(kind: LinkKind) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        LinkKind::Ip => ("ip", "ip"),
        LinkKind::Asn => ("asn", "'AS' || asn || coalesce(' ' || min(asn_org), '')"),
        LinkKind::UserAgent => ("user_agent", "user_agent"),
        LinkKind::Template => ("template_id", "CAST(template_id AS VARCHAR)"),
        _ => return None,
    })
}

/// Reads the incidence of every log kind in `kinds` (ip, asn, user agent,
/// template) in one scan of `exchanges` with grouping sets.
pub fn read_log_kinds(
    conn: &Connection,
    path: &Path,
    kinds: &[LinkKind],
    accounts: &HashMap<u64, u32>,
) -> StoreResult<Vec<(LinkKind, Incidence)>> {
    let cols: Vec<(LinkKind, &str, &str)> = kinds
        .iter()
        .filter_map(|k| log_column(*k).map(|(c, v)| (*k, c, v)))
        .collect();
    if cols.is_empty() {
        return Ok(Vec::new());
    }
    let sets: Vec<String> = cols.iter().map(|(_, c, _)| format!("(acc, {c})")).collect();
    let names: Vec<&str> = cols.iter().map(|(_, c, _)| *c).collect();
    // One value column: the text of whichever column the row's set groups.
    let value = cols
        .iter()
        .map(|(_, c, v)| format!("WHEN grouping({c}) = 0 THEN {v}"))
        .collect::<Vec<_>>()
        .join(" ");
    let kind_of = cols
        .iter()
        .enumerate()
        .map(|(i, (_, c, _))| format!("WHEN grouping({c}) = 0 THEN {i}"))
        .collect::<Vec<_>>()
        .join(" ");
    // Templates one account used link nobody and are no hub: they are read
    // as NULL (the templates table knows), which the grouping then drops.
    // (A window over the result to drop every such value measured slower.)
    let sql = format!(
        "SELECT * FROM (
           SELECT CASE {kind_of} END AS k, acc, CASE {value} END AS value,
                  epoch(min(ts)) / 3600.0, epoch(max(ts)) / 3600.0, count(*)::BIGINT
           FROM (SELECT hash(account_id) AS acc, ts, {all}{org} FROM exchanges)
           GROUP BY GROUPING SETS ({sets}))
         WHERE value IS NOT NULL",
        all = names
            .iter()
            .map(|c| if *c == "template_id" {
                "CASE WHEN template_id IN (SELECT template_id FROM templates WHERE accounts >= 2)
                      THEN template_id END AS template_id"
            } else {
                c
            })
            .collect::<Vec<_>>()
            .join(", "),
        org = if names.contains(&"asn") {
            ", asn_org"
        } else {
            ""
        },
        sets = sets.join(", ")
    );
    let ctx = "reading shared values from the log";
    let mut stmt = conn.prepare(&sql).at(path, ctx)?;
    let mut rows: Vec<Vec<(String, Member)>> = vec![Vec::new(); cols.len()];
    for b in stmt.query_arrow([]).at(path, ctx)? {
        let k = cast(b.column(0), &DataType::Int64).at(path, ctx)?;
        let k = k.as_primitive::<Int64Type>();
        let acc = cast(b.column(1), &DataType::UInt64).at(path, ctx)?;
        let acc = acc.as_primitive::<duckdb::arrow::datatypes::UInt64Type>();
        let values = cast(b.column(2), &DataType::Utf8).at(path, ctx)?;
        let values = values.as_string::<i32>();
        let first = cast(b.column(3), &DataType::Float64).at(path, ctx)?;
        let first = first.as_primitive::<Float64Type>();
        let last = cast(b.column(4), &DataType::Float64).at(path, ctx)?;
        let last = last.as_primitive::<Float64Type>();
        let n = cast(b.column(5), &DataType::Int64).at(path, ctx)?;
        let n = n.as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            if values.is_null(r) || k.is_null(r) {
                continue;
            }
            let Some(&account) = accounts.get(&acc.value(r)) else {
                continue;
            };
            rows[k.value(r) as usize].push((
                values.value(r).to_owned(),
                Member {
                    account,
                    first_h: first.value(r),
                    last_h: last.value(r),
                    exchanges: n.value(r).max(0) as u64,
                },
            ));
        }
    }
    Ok(cols
        .iter()
        .zip(rows)
        .map(|(c, r)| (c.0, Incidence::from_rows(r)))
        .collect())
}

/// The SQL returning (value, idx, first_h, last_h, exchanges) for a kind
/// the `accounts` table holds (payment, sign-up IP, e-mail domain).
fn account_kind_sql(kind: LinkKind) -> Option<String> {
    let from_accounts = |col: &str, extra: &str| {
        format!(
            "SELECT CAST(x.{col} AS VARCHAR) AS value, a.idx,
                    coalesce(epoch(x.created_at) / 3600.0, 0), coalesce(epoch(x.created_at) / 3600.0, 0),
                    0::BIGINT
             FROM accounts x JOIN graph_account a USING (account_id)
             WHERE x.{col} IS NOT NULL AND x.{col} <> '' {extra}"
        )
    };
    Some(match kind {
        LinkKind::Payment => from_accounts("payment_fingerprint", ""),
        LinkKind::SignupIp => from_accounts("signup_ip", ""),
        LinkKind::EmailDomain => from_accounts(
            "email_domain",
            &format!(
                "AND lower(x.email_domain) NOT IN ({})",
                PUBLIC_MAIL_DOMAINS
                    .iter()
                    .map(|d| literal(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        _ => return None,
    })
}

/// Reads the incidence of an account-record kind (after [`accounts`]);
/// log kinds come from [`read_log_kinds`].
pub fn read_account_kind(conn: &Connection, path: &Path, kind: LinkKind) -> StoreResult<Incidence> {
    let Some(sql) = account_kind_sql(kind) else {
        return Ok(Incidence::default());
    };
    let ctx = format!("reading shared {} values", kind.label());
    let mut stmt = conn.prepare(&sql).at(path, &ctx)?;
    let batches: Vec<RecordBatch> = stmt.query_arrow([]).at(path, &ctx)?.collect();
    let mut rows = Vec::new();
    for b in &batches {
        let values = cast(b.column(0), &DataType::Utf8).at(path, &ctx)?;
        let values = values.as_string::<i32>();
        let idx = cast(b.column(1), &DataType::Int64).at(path, &ctx)?;
        let idx = idx.as_primitive::<Int64Type>();
        let first = cast(b.column(2), &DataType::Float64).at(path, &ctx)?;
        let first = first.as_primitive::<Float64Type>();
        let last = cast(b.column(3), &DataType::Float64).at(path, &ctx)?;
        let last = last.as_primitive::<Float64Type>();
        let n = cast(b.column(4), &DataType::Int64).at(path, &ctx)?;
        let n = n.as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            if values.is_null(r) {
                continue;
            }
            rows.push((
                values.value(r).to_owned(),
                Member {
                    account: idx.value(r) as u32,
                    first_h: first.value(r),
                    last_h: last.value(r),
                    exchanges: n.value(r).max(0) as u64,
                },
            ));
        }
    }
    Ok(Incidence::from_rows(rows))
}

/// Co-activity actions: (slot, account) where a slot is one template
/// within one time bucket, as a 64-bit hash computed by DuckDB. (Models are
/// too few to say anything: every active account shares one each bucket.)
/// Distinct per account; not sorted.
pub fn read_actions(
    conn: &Connection,
    path: &Path,
    bucket_minutes: i64,
    accounts: &HashMap<u64, u32>,
) -> StoreResult<Vec<(u64, u32)>> {
    let secs = bucket_minutes.max(1) * 60;
    let sql = format!(
        "SELECT DISTINCT hash(template_id, epoch(ts)::BIGINT // {secs}) AS slot, hash(account_id) AS acc
         FROM exchanges
         WHERE template_id IN (SELECT template_id FROM templates WHERE accounts >= 2)"
    );
    let ctx = "reading co-activity";
    let mut stmt = conn.prepare(&sql).at(path, ctx)?;
    let mut out = Vec::new();
    for b in stmt.query_arrow([]).at(path, ctx)? {
        let slot = cast(b.column(0), &DataType::UInt64).at(path, ctx)?;
        let slot = slot.as_primitive::<duckdb::arrow::datatypes::UInt64Type>();
        let acc = cast(b.column(1), &DataType::UInt64).at(path, ctx)?;
        let acc = acc.as_primitive::<duckdb::arrow::datatypes::UInt64Type>();
        out.extend(
            (0..b.num_rows())
                .filter_map(|r| accounts.get(&acc.value(r)).map(|a| (slot.value(r), *a))),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_slash_24_and_slash_48() {
        assert_eq!(network_of("203.0.113.7").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(
            network_of("2001:db8:1:2::5").as_deref(),
            Some("2001:db8:1::/48")
        );
        // Compressed and expanded spellings of one /48 are one network.
        assert_eq!(
            network_of("2001:0db8:0001:ffff:0:0:0:1"),
            network_of("2001:db8:1::9")
        );
        assert_eq!(
            network_of("::ffff:198.51.100.4").as_deref(),
            Some("198.51.100.0/24")
        );
        assert_eq!(network_of("not an address"), None);
    }

    #[test]
    fn rows_group_by_value_and_merge_per_account() {
        let m = |account, first_h, last_h| Member {
            account,
            first_h,
            last_h,
            exchanges: 1,
        };
        let inc = Incidence::from_rows(vec![
            ("b".to_owned(), m(2, 5.0, 6.0)),
            ("a".to_owned(), m(1, 1.0, 2.0)),
            ("b".to_owned(), m(1, 3.0, 4.0)),
            ("b".to_owned(), m(2, 1.0, 9.0)),
        ]);
        assert_eq!(inc.values, vec!["a", "b"]);
        assert_eq!(inc.members(1).len(), 2);
        assert_eq!(
            inc.members(1)[1],
            Member {
                account: 2,
                first_h: 1.0,
                last_h: 9.0,
                exchanges: 2
            }
        );
    }
}
