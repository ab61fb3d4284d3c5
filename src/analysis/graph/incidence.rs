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
use duckdb::arrow::datatypes::{DataType, Int64Type, UInt64Type};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::links::LinkKind;
use crate::analysis::sql;
use crate::analysis::views::PUBLIC_MAIL_DOMAINS;
use crate::store::error::{Context as _, StoreResult};
use crate::store::schema::literal;

/// One account's use of one value (16 bytes: tens of millions are held).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    /// Account index (see [`accounts`]).
    pub account: u32,
    /// First use, seconds since the epoch (u32 holds them to 2106).
    pub first_s: u32,
    /// Last use, seconds since the epoch.
    pub last_s: u32,
    /// Exchanges that carried the value (0 for account-record values).
    pub exchanges: u32,
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

/// Collects (value, member) rows without allocating per row: each value's
/// text is stored once and rows carry its number.
#[derive(Debug, Default)]
struct IncidenceBuilder {
    ids: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
    rows: Vec<(u32, Member)>,
}

impl IncidenceBuilder {
    /// Adds one row.
    fn push(&mut self, value: &str, m: Member) {
        let id = self.intern(value);
        self.rows.push((id, m));
    }

    /// The number of a value's text, given on first sight.
    fn intern(&mut self, value: &str) -> u32 {
        match self.ids.get(value) {
            Some(id) => *id,
            None => {
                let id = self.values.len() as u32;
                self.ids.insert(value.into(), id);
                self.values.push(value.into());
                id
            }
        }
    }

    /// Groups the rows by value: values sorted, members by account, an
    /// account's rows under one value merged.
    fn finish(self) -> Incidence {
        drop(self.ids);
        let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
        order.par_sort_unstable_by(|a, b| self.values[*a as usize].cmp(&self.values[*b as usize]));
        let mut rank = vec![0u32; order.len()];
        for (r, v) in order.iter().enumerate() {
            rank[*v as usize] = r as u32;
        }
        // Bucket the rows by value rank (a counting sort: linear, where a
        // comparison sort of tens of millions of rows took seconds), then
        // order each value's members by account.
        let mut offsets = vec![0usize; order.len() + 1];
        for (v, _) in &self.rows {
            offsets[rank[*v as usize] as usize + 1] += 1;
        }
        for i in 0..order.len() {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let blank = Member {
            account: 0,
            first_s: 0,
            last_s: 0,
            exchanges: 0,
        };
        let mut members = vec![blank; self.rows.len()];
        for (v, m) in self.rows {
            let r = rank[v as usize] as usize;
            members[fill[r]] = m;
            fill[r] += 1;
        }
        drop(fill);
        let mut slices: Vec<&mut [Member]> = Vec::with_capacity(order.len());
        let mut rest: &mut [Member] = &mut members;
        for w in offsets.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            slices.push(head);
            rest = tail;
        }
        slices
            .par_iter_mut()
            .with_min_len(256)
            .for_each(|s| s.sort_unstable_by_key(|m| m.account));
        drop(slices);
        // Merge duplicates in place (an account seen under two spellings of
        // one network).
        let mut kept = 0;
        let mut merged_offsets = Vec::with_capacity(offsets.len());
        merged_offsets.push(0);
        for w in offsets.windows(2) {
            let start = kept;
            for i in w[0]..w[1] {
                let m = members[i];
                if kept > start && members[kept - 1].account == m.account {
                    let last = &mut members[kept - 1];
                    last.first_s = last.first_s.min(m.first_s);
                    last.last_s = last.last_s.max(m.last_s);
                    last.exchanges = last.exchanges.saturating_add(m.exchanges);
                } else {
                    members[kept] = m;
                    kept += 1;
                }
            }
            merged_offsets.push(kept);
        }
        members.truncate(kept);
        let mut values: Vec<Option<Box<str>>> = self.values.into_iter().map(Some).collect();
        Incidence {
            values: order
                .iter()
                .map(|v| values[*v as usize].take().unwrap_or_default().into())
                .collect(),
            offsets: merged_offsets,
            members,
        }
    }
}

impl Incidence {
    /// Groups (value, member) rows by value; values sorted, members by account.
    #[cfg(test)]
    fn from_rows<S: AsRef<str>>(rows: impl IntoIterator<Item = (S, Member)>) -> Incidence {
        let mut b = IncidenceBuilder::default();
        for (v, m) in rows {
            b.push(v.as_ref(), m);
        }
        b.finish()
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

    /// The same accounts grouped by a coarser value (`None` drops a value);
    /// `f` runs once per value, not per member.
    pub fn coarsen(&self, f: impl Fn(&str) -> Option<String> + Sync) -> Incidence {
        let coarse: Vec<Option<String>> = self.values.par_iter().map(|v| f(v)).collect();
        let mut b = IncidenceBuilder::default();
        b.rows.reserve(self.members.len());
        for (v, c) in coarse.iter().enumerate() {
            if let Some(c) = c {
                let id = b.intern(c);
                b.rows.extend(self.members(v).iter().map(|m| (id, *m)));
            }
        }
        b.finish()
    }
}

/// Runs `sql` and hands its result to `each` batch by batch as DuckDB
/// produces it, so tens of millions of rows are never held twice (DuckDB's
/// result and ours). The stream panics on a failed fetch; that is caught
/// here and reported as an error.
fn stream_batches(
    conn: &Connection,
    path: &Path,
    ctx: &str,
    sql: &str,
    mut each: impl FnMut(&RecordBatch) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut stmt = conn.prepare(sql).at(path, ctx)?;
    let stream = stmt.stream_arrow([]).at(path, ctx)?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for b in stream {
            each(&b)?;
        }
        Ok(())
    }));
    result.unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the query failed while streaming".into());
        Err(crate::store::error::StoreError::NotWhatItSays {
            path: path.into(),
            reason: format!("{ctx}: {reason}"),
        })
    })
}

/// Rows of one of our temporary tables.
fn temp_rows(conn: &Connection, path: &Path, ctx: &str, table: &str) -> StoreResult<usize> {
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .at(path, ctx)?;
    Ok(n.max(0) as usize)
}

/// Seconds since the epoch as stored in a [`Member`] (clamped to u32).
fn seconds(s: i64) -> u32 {
    s.clamp(0, i64::from(u32::MAX)) as u32
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
pub fn account_hashes(conn: &Connection, path: &Path) -> StoreResult<FxHashMap<u64, u32>> {
    let hashes: Vec<u64> = crate::analysis::views::query_rows(
        conn,
        path,
        "hashing account ids",
        "SELECT hash(account_id) FROM graph_account ORDER BY idx",
        |r| r.get(0),
    )?;
    let map: FxHashMap<u64, u32> = hashes
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

/// How a log kind is read from `exchanges`: its 64-bit key (what the scan
/// groups by: a number as is, text by DuckDB's hash), and
/// the query giving each key its text once.
struct LogColumn {
    key: String,
    texts: String,
}

/// A text column of the log as a kind's values: hashed for grouping, a
/// missing or empty value linking nobody (hash(NULL) is a number: a missing
/// value must stay NULL).
fn text_column(col: &str) -> LogColumn {
    LogColumn {
        key: text_key(col),
        texts: format!(
            "SELECT DISTINCT hash({col}), {col} FROM exchanges WHERE {col} IS NOT NULL AND {col} <> ''"
        ),
    }
}

/// The 64-bit key of a text value (`expr` is any SQL text expression).
fn text_key(expr: &str) -> String {
    format!("CASE WHEN {expr} IS NOT NULL AND {expr} <> '' THEN hash({expr}) END")
}

/// The SQL expression of the key `value_accounts` has for the value
/// `expr` of an address, user agent or AS number (the log's column, or the
/// same value as text); `None` for other kinds.
pub fn value_key(kind: LinkKind, expr: &str) -> Option<String> {
    Some(match kind {
        LinkKind::Ip | LinkKind::UserAgent => text_key(expr),
        LinkKind::Asn => format!("TRY_CAST({expr} AS UBIGINT)"),
        _ => return None,
    })
}

/// The kinds whose accounts per value the graph build kept in
/// `value_accounts` (none in a case built before it did, or read-only).
pub fn kept_value_kinds(conn: &Connection, path: &Path) -> StoreResult<Vec<String>> {
    if !crate::store::case::has_table(conn, "value_accounts") {
        return Ok(Vec::new());
    }
    crate::analysis::views::query_rows(
        conn,
        path,
        "reading which accounts per value are kept",
        "SELECT DISTINCT kind FROM value_accounts",
        |r| r.get(0),
    )
}

fn log_column(kind: LinkKind) -> Option<LogColumn> {
    Some(match kind {
        LinkKind::Ip => text_column("ip"),
        LinkKind::Asn => LogColumn {
            key: "CAST(asn AS UBIGINT)".into(),
            texts: "SELECT CAST(asn AS UBIGINT), 'AS' || asn || coalesce(' ' || min(asn_org), '')
                    FROM exchanges WHERE asn IS NOT NULL GROUP BY asn"
                .into(),
        },
        LinkKind::UserAgent => text_column("user_agent"),
        LinkKind::ApiKey => text_column("api_key_id"),
        LinkKind::Org => text_column("org_id"),
        // Only templates that can link accounts (shared, and not a short
        // generic turn such as "continue": those are hubs of honest
        // users, not evidence of one operator).
        LinkKind::Template => LogColumn {
            key: format!(
                "CASE WHEN template_id IN ({}) THEN template_id END",
                sql::LINKING_TEMPLATES
            ),
            texts: format!(
                "SELECT template_id, CAST(template_id AS VARCHAR) FROM templates WHERE template_id IN ({})",
                sql::LINKING_TEMPLATES
            ),
        },
        _ => return None,
    })
}

/// Key → text of one log kind; two texts under one key are refused.
fn read_texts(
    conn: &Connection,
    path: &Path,
    kind: LinkKind,
    sql: &str,
) -> StoreResult<HashMap<u64, String>> {
    let ctx = format!("reading the {} values", kind.label());
    let rows: Vec<(u64, String)> =
        crate::analysis::views::query_rows(conn, path, &ctx, sql, |r| Ok((r.get(0)?, r.get(1)?)))?;
    let n = rows.len();
    let map: HashMap<u64, String> = rows.into_iter().collect();
    if map.len() != n {
        return Err(crate::store::error::StoreError::NotWhatItSays {
            path: path.into(),
            reason: format!(
                "two {} values share a 64-bit hash; the graph cannot be built",
                kind.label()
            ),
        });
    }
    Ok(map)
}

/// Reads the incidence of every log kind in `kinds` (ip, asn, user agent,
/// template): one aggregation of `exchanges` per kind over 64-bit keys,
/// then each kind's texts from a small query. (Grouping by the text itself
/// made DuckDB spill to disk; one grouping-sets scan for all kinds held
/// every group at once and spilled too.)
pub fn read_log_kinds(
    conn: &Connection,
    path: &Path,
    kinds: &[LinkKind],
    accounts: &FxHashMap<u64, u32>,
) -> StoreResult<Vec<(LinkKind, Incidence)>> {
    let kinds: Vec<LinkKind> = kinds
        .iter()
        .copied()
        .filter(|k| log_column(*k).is_some())
        .collect();
    // Accounts per value, kept for account pages and packs (best effort: a
    // read-only case goes without, and they count from the log).
    if let Err(e) = conn.execute_batch(
        "CREATE OR REPLACE TABLE value_accounts (kind VARCHAR, key UBIGINT, accounts BIGINT);",
    ) {
        log::info!("accounts per value not kept: {e}");
    }
    // Two lanes, each on its own connection: the addresses (the largest
    // kind) on one, the rest on the other, so that while one lane's rows
    // are grouped in Rust the other's aggregation runs in DuckDB.
    let (big, rest): (Vec<LinkKind>, Vec<LinkKind>) =
        kinds.iter().partition(|k| **k == LinkKind::Ip);
    let lanes: Vec<StoreResult<Vec<(LinkKind, Incidence)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = [big, rest]
            .into_iter()
            .filter(|lane| !lane.is_empty())
            .map(|lane| {
                let lane_conn = conn.try_clone();
                scope.spawn(move || {
                    let lane_conn = lane_conn.at(path, "opening a second connection")?;
                    lane.iter()
                        .map(|k| read_log_kind(&lane_conn, path, *k, accounts))
                        .collect::<StoreResult<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::new();
    for lane in lanes {
        out.extend(lane?);
    }
    out.sort_by_key(|(k, _)| kinds.iter().position(|x| x == k));
    Ok(out)
}

/// One log kind's incidence (see [`read_log_kinds`]).
fn read_log_kind(
    conn: &Connection,
    path: &Path,
    kind: LinkKind,
    accounts: &FxHashMap<u64, u32>,
) -> StoreResult<(LinkKind, Incidence)> {
    let ctx = "reading shared values from the log";
    let Some(c) = log_column(kind) else {
        return Ok((kind, Incidence::default()));
    };
    // Aggregated into a temporary table first: a streamed aggregation
    // ran on one thread, this on all of them.
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE graph_incidence AS
         SELECT acc, value, epoch(min(ts))::BIGINT AS first_s, epoch(max(ts))::BIGINT AS last_s,
                count(*)::BIGINT AS n
         FROM (SELECT hash(account_id) AS acc, {key} AS value, ts FROM exchanges)
         WHERE value IS NOT NULL
         GROUP BY acc, value",
        key = c.key
    ))
    .at(path, ctx)?;
    let sql = "SELECT acc, value, first_s, last_s, n FROM graph_incidence";
    let mut rows = KeyedRows::default();
    // Exactly the room needed: a doubling vector held half again as much.
    rows.rows
        .reserve_exact(temp_rows(conn, path, ctx, "graph_incidence")?);
    stream_batches(conn, path, ctx, sql, |b| {
        let acc = cast(b.column(0), &DataType::UInt64).at(path, ctx)?;
        let acc = acc.as_primitive::<UInt64Type>();
        let values = cast(b.column(1), &DataType::UInt64).at(path, ctx)?;
        let values = values.as_primitive::<UInt64Type>();
        let first = cast(b.column(2), &DataType::Int64).at(path, ctx)?;
        let first = first.as_primitive::<Int64Type>();
        let last = cast(b.column(3), &DataType::Int64).at(path, ctx)?;
        let last = last.as_primitive::<Int64Type>();
        let n = cast(b.column(4), &DataType::Int64).at(path, ctx)?;
        let n = n.as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            let Some(&account) = accounts.get(&acc.value(r)) else {
                continue;
            };
            rows.push(
                values.value(r),
                Member {
                    account,
                    first_s: seconds(first.value(r)),
                    last_s: seconds(last.value(r)),
                    exchanges: n.value(r).clamp(0, i64::from(u32::MAX)) as u32,
                },
            );
        }
        Ok(())
    })?;
    // One row per account and value: counting rows per value counts accounts.
    if let Err(e) = conn.execute_batch(&format!(
        "INSERT INTO value_accounts SELECT '{}', value, count(*) FROM graph_incidence GROUP BY value;",
        kind.name()
    )) {
        log::info!("accounts per value not kept: {e}");
    }
    conn.execute_batch("DROP TABLE graph_incidence")
        .at(path, ctx)?;
    let texts = read_texts(conn, path, kind, &c.texts)?;
    Ok((kind, rows.finish(&texts)))
}

/// Rows keyed by a 64-bit value key, numbered on first sight.
#[derive(Debug, Default)]
struct KeyedRows {
    ids: FxHashMap<u64, u32>,
    keys: Vec<u64>,
    rows: Vec<(u32, Member)>,
}

impl KeyedRows {
    fn push(&mut self, key: u64, m: Member) {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.keys.push(key);
        }
        self.rows.push((id, m));
    }

    /// The incidence, each key given its text (a key without one keeps its
    /// number as text).
    fn finish(self, texts: &HashMap<u64, String>) -> Incidence {
        IncidenceBuilder {
            ids: FxHashMap::default(),
            values: self
                .keys
                .iter()
                .map(|k| {
                    texts
                        .get(k)
                        .map_or_else(|| k.to_string(), Clone::clone)
                        .into()
                })
                .collect(),
            rows: self.rows,
        }
        .finish()
    }
}

/// The SQL returning (value, idx, first second, last second, exchanges) for a kind
/// the `accounts` table holds (payment, sign-up IP, e-mail domain).
fn account_kind_sql(kind: LinkKind) -> Option<String> {
    let from_accounts = |col: &str, extra: &str| {
        format!(
            "SELECT CAST(x.{col} AS VARCHAR) AS value, a.idx,
                    coalesce(epoch(x.created_at)::BIGINT, 0), coalesce(epoch(x.created_at)::BIGINT, 0),
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
    let mut rows = IncidenceBuilder::default();
    stream_batches(conn, path, &ctx, &sql, |b| {
        let values = cast(b.column(0), &DataType::Utf8).at(path, &ctx)?;
        let values = values.as_string::<i32>();
        let idx = cast(b.column(1), &DataType::Int64).at(path, &ctx)?;
        let idx = idx.as_primitive::<Int64Type>();
        let first = cast(b.column(2), &DataType::Int64).at(path, &ctx)?;
        let first = first.as_primitive::<Int64Type>();
        let last = cast(b.column(3), &DataType::Int64).at(path, &ctx)?;
        let last = last.as_primitive::<Int64Type>();
        let n = cast(b.column(4), &DataType::Int64).at(path, &ctx)?;
        let n = n.as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            if values.is_null(r) {
                continue;
            }
            rows.push(
                values.value(r),
                Member {
                    account: idx.value(r) as u32,
                    first_s: seconds(first.value(r)),
                    last_s: seconds(last.value(r)),
                    exchanges: n.value(r).clamp(0, i64::from(u32::MAX)) as u32,
                },
            );
        }
        Ok(())
    })?;
    Ok(rows.finish())
}

/// Co-activity actions: (slot, account) where a slot is one template
/// within one time bucket, as a 64-bit hash computed by DuckDB. (Models are
/// too few to say anything: every active account shares one each bucket.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    /// Distinct (slot, account), sorted.
    pub shared: Vec<(u64, u32)>,
    /// Distinct slots each account acted in, all slots counted.
    pub per_account: Vec<u32>,
}

impl Actions {
    /// From every (slot, account) action of `accounts` accounts.
    pub fn from_all(mut all: Vec<(u64, u32)>, accounts: usize) -> Actions {
        all.par_sort_unstable();
        all.dedup();
        let mut per_account = vec![0u32; accounts];
        for (_, a) in &all {
            per_account[*a as usize] += 1;
        }
        Actions {
            shared: all,
            per_account,
        }
    }
}

/// Reads the co-activity actions. (Leaving the slots of one account out
/// in DuckDB, by a second aggregation, cost more than it saved.)
pub fn read_actions(
    conn: &Connection,
    path: &Path,
    bucket_minutes: i64,
    accounts: &FxHashMap<u64, u32>,
) -> StoreResult<Actions> {
    let secs = bucket_minutes.max(1) * 60;
    let ctx = "reading co-activity";
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE graph_actions AS
         SELECT DISTINCT hash(g.grp, epoch(e.ts)::BIGINT // {secs}) AS slot, hash(e.account_id) AS acc
         FROM exchanges e JOIN (
           SELECT template_id, coalesce(l.template_group, t.template_id) AS grp
           FROM ({linking}) t LEFT JOIN template_labels l USING (template_id)
         ) g USING (template_id)",
        linking = sql::LINKING_TEMPLATES
    ))
    .at(path, ctx)?;
    let mut all = Vec::with_capacity(temp_rows(conn, path, ctx, "graph_actions")?);
    stream_batches(
        conn,
        path,
        ctx,
        "SELECT slot, acc FROM graph_actions",
        |b| {
            let slot = cast(b.column(0), &DataType::UInt64).at(path, ctx)?;
            let slot = slot.as_primitive::<UInt64Type>();
            let acc = cast(b.column(1), &DataType::UInt64).at(path, ctx)?;
            let acc = acc.as_primitive::<UInt64Type>();
            all.extend(
                (0..b.num_rows())
                    .filter_map(|r| accounts.get(&acc.value(r)).map(|a| (slot.value(r), *a))),
            );
            Ok(())
        },
    )?;
    conn.execute_batch("DROP TABLE graph_actions")
        .at(path, ctx)?;
    Ok(Actions::from_all(all, accounts.len()))
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
        let m = |account, first_s, last_s| Member {
            account,
            first_s,
            last_s,
            exchanges: 1,
        };
        let inc = Incidence::from_rows(vec![
            ("b", m(2, 5, 6)),
            ("a", m(1, 1, 2)),
            ("b", m(1, 3, 4)),
            ("b", m(2, 1, 9)),
        ]);
        assert_eq!(inc.values, vec!["a", "b"]);
        assert_eq!(inc.members(1).len(), 2);
        assert_eq!(
            inc.members(1)[1],
            Member {
                account: 2,
                first_s: 1,
                last_s: 9,
                exchanges: 2
            }
        );
    }
}
