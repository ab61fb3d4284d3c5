//! The evidence pack of one campaign: a folder a reviewer can open in a
//! spreadsheet and verify. Every CSV comes from one SQL query over the case
//! file (recorded in the manifest), the narrative and charts are drawn from
//! the same rows the CSVs hold, and the folder is written under a temporary
//! name and renamed only when complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::charts;
use super::manifest::{self, Manifest, PackCampaign, PackFile, Sampling, SourceFile};
use super::narrative;
use crate::analysis::detect::{Scan, explain};
use crate::analysis::views::query_rows;
use crate::case::{Campaign, Workbook};
use crate::store::case::CaseMeta;
use crate::store::csv::{Encoding, FORMULA_RULE, write_atomic, write_query};
use crate::store::error::{Context as _, StoreError, StoreResult};
use crate::store::fingerprint;
use crate::store::progress::Progress;

/// What to export and how.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The campaign's name.
    pub campaign: String,
    /// The pack folder to create (must not exist).
    pub out: PathBuf,
    /// Write a random sample of this many exchanges instead of all.
    pub sample: Option<u64>,
    /// Also write `<out>.zip`.
    pub zip: bool,
    /// Sort exchanges.csv oldest first (a sort of every row: 123 s of
    /// DuckDB's for the largest campaign, against 53 s unsorted).
    pub oldest_first: bool,
    /// Who exports.
    pub analyst: String,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct PackReport {
    /// The pack folder.
    pub dir: PathBuf,
    /// The zip beside it, when asked for.
    pub zip: Option<PathBuf>,
    /// The manifest as written.
    pub manifest: Manifest,
    /// SHA-256 of manifest.json: the pack's fingerprint, to note elsewhere.
    pub fingerprint: String,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
}

/// One CSV file of the pack: its name, what it holds, its columns in
/// order with their meaning. The README documents these, and a test checks
/// that the files' headers are exactly these columns.
pub struct CsvSpec {
    /// File name.
    pub name: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// Columns in order, with their meaning.
    pub columns: &'static [(&'static str, &'static str)],
}

/// Every CSV of a pack, in the order they are written.
pub const CSV_FILES: [CsvSpec; 8] = [
    CsvSpec {
        name: "accounts.csv",
        description: "Every account of the campaign, busiest first.",
        columns: &[
            ("account_id", "the billed account"),
            (
                "cluster_id",
                "its cluster in the account network (0: linked to no other account)",
            ),
            ("cluster_name", "that cluster's name"),
            ("first_seen", "first request (UTC)"),
            ("last_seen", "last request (UTC)"),
            ("active_days", "days with at least one request"),
            ("exchanges", "requests"),
            ("input_tokens", "tokens sent"),
            ("output_tokens", "tokens received"),
            ("ips", "distinct client addresses"),
            ("asns", "distinct autonomous systems"),
            ("countries", "distinct countries"),
            ("templates", "distinct normalised prompt templates"),
            ("models", "distinct models requested"),
            ("top_category", "its most frequent capability category"),
            (
                "top_category_share",
                "that category's share of its requests (0-1)",
            ),
            ("signed_up_at", "sign-up time (UTC)"),
            ("email_domain", "domain of the sign-up e-mail"),
            ("payment_fingerprint", "hash of the payment instrument"),
            ("signup_ip", "address used at sign-up"),
            ("signup_country", "declared country"),
            ("verification_path", "how it was verified"),
            ("org_id", "organisation"),
            ("tags", "the analyst's tags, '; '-separated"),
            (
                "other_campaigns",
                "other campaigns it belongs to, '; '-separated",
            ),
            (
                "detection_score",
                "detection score (0 to 4; the threshold in force and what the evidence let detection see are in manifest.json's `detection`; empty if the pack was made without detection)",
            ),
            ("detection_flagged", "whether detection flagged it"),
            (
                "detection_signals",
                "the signals that fired, name=value, '; '-separated",
            ),
        ],
    },
    CsvSpec {
        name: "exchanges.csv",
        description: "Every request of the campaign's accounts (or the documented sample), in the order manifest.json's csv_rules states: oldest first when exported so, else as DuckDB's parallel writer gave them.",
        columns: &[
            ("exchange_id", "request id"),
            ("ts", "arrival time (UTC)"),
            ("account_id", "billed account"),
            ("api_key_id", "key used"),
            ("org_id", "organisation"),
            ("ip", "client address"),
            ("asn", "autonomous system"),
            ("asn_org", "its owner"),
            ("country", "country of the address"),
            ("user_agent", "client user agent"),
            ("model", "model requested"),
            ("session_id", "conversation or agent session"),
            ("input_tokens", "tokens sent"),
            ("output_tokens", "tokens received"),
            ("tool_count", "tool definitions sent"),
            ("has_image", "carried an image"),
            ("category", "capability category"),
            (
                "category_rule",
                "what decided it: log, a taxonomy rule id, or no_prompt",
            ),
            ("template_id", "normalised prompt template (hash)"),
            ("prompt", "last user turn as logged"),
        ],
    },
    CsvSpec {
        name: "daily_timeline.csv",
        description: "The campaign's requests per day and capability category.",
        columns: &[
            ("day", "date (UTC)"),
            ("category", "capability category"),
            ("exchanges", "requests"),
            ("accounts", "accounts active that day in that category"),
            ("input_tokens", "tokens sent"),
            ("output_tokens", "tokens received"),
        ],
    },
    CsvSpec {
        name: "categories.csv",
        description: "Capability mix of the campaign against every other account (the baseline), largest first.",
        columns: &[
            ("category", "capability category"),
            ("campaign_exchanges", "the campaign's requests in it"),
            ("campaign_share", "share of the campaign's requests (0-1)"),
            ("baseline_exchanges", "other accounts' requests in it"),
            (
                "baseline_share",
                "share of the other accounts' requests (0-1)",
            ),
            (
                "lift",
                "campaign_share / baseline_share (empty when the baseline has none)",
            ),
        ],
    },
    CsvSpec {
        name: "infrastructure.csv",
        description: "Infrastructure, payment and templates shared by two or more of the campaign's accounts, most shared first within each kind.",
        columns: &[
            (
                "kind",
                "ip, network (/24 or /48), asn, user_agent, payment_fingerprint, signup_ip, email_domain or template",
            ),
            ("value", "the shared value"),
            (
                "detail",
                "AS owner for an asn, a sample prompt for a template",
            ),
            ("campaign_accounts", "campaign accounts using it"),
            ("case_accounts", "accounts in the whole case using it"),
            (
                "campaign_exchanges",
                "campaign requests through it (empty for sign-up records)",
            ),
            ("first_seen", "first campaign use (UTC)"),
            ("last_seen", "last campaign use (UTC)"),
        ],
    },
    CsvSpec {
        name: "links.csv",
        description: "Edges of the account network among the campaign's accounts and the shared values (hubs) they use.",
        columns: &[
            ("source", "account id"),
            ("target", "account id, or a hub as kind:value"),
            ("target_kind", "account or hub"),
            (
                "link_kind",
                "what links them: ip, net, asn, ua, payment, signup_ip, email_domain, template, coactivity (several, '+'-joined)",
            ),
            ("weight", "link strength (rarity x time overlap)"),
        ],
    },
    CsvSpec {
        name: "events.csv",
        description: "Model releases, enforcement and policy changes recorded in the evidence.",
        columns: &[
            ("ts", "when (UTC)"),
            ("kind", "model_release, enforcement, policy_change or note"),
            ("label", "what happened"),
        ],
    },
    CsvSpec {
        name: "notes.csv",
        description: "The analyst's notes on the campaign, its accounts and its days, then the audit trail of every change to the campaign.",
        columns: &[
            ("record", "note or audit"),
            (
                "number",
                "note id, or the audit sequence number of the whole case (gaps are changes to other campaigns, tags and notes)",
            ),
            ("logged_at", "when (UTC)"),
            ("author", "who"),
            (
                "pinned_to",
                "day, account or campaign (notes); the change (audit)",
            ),
            (
                "target",
                "the date, account id or campaign name (notes); the campaign (audit)",
            ),
            ("text", "the note, or what changed"),
        ],
    },
];

/// The column list of a spec, for SELECT and header checks.
pub fn header(spec: &CsvSpec) -> Vec<&'static str> {
    spec.columns.iter().map(|c| c.0).collect()
}

/// The column order of every pack CSV, one line per file, as the
/// project README states it (a test keeps the two the same).
pub fn columns_markdown() -> String {
    CSV_FILES
        .iter()
        .map(|s| format!("- `{}`: {}\n", s.name, header(s).join(", ")))
        .collect()
}

fn spec(name: &str) -> &'static CsvSpec {
    CSV_FILES
        .iter()
        .find(|s| s.name == name)
        .expect("every pack file has a spec")
}

/// The rules every CSV follows, written into the manifest and the pack's
/// README, with the order of exchanges.csv.
pub fn csv_rules(exchanges_sorted: bool) -> Vec<String> {
    let order = if exchanges_sorted {
        "exchanges.csv is sorted oldest first (by ts, then exchange_id)."
    } else {
        "exchanges.csv is not sorted: rows come in runs of the order the case stores them in (day, then account, then time), the runs interleaved as DuckDB's parallel threads wrote them; sort by ts, then exchange_id, to read it in time order (or export with --oldest-first)."
    };
    vec![
        order.into(),
        "RFC 4180: comma-separated, fields with commas, quotes or line breaks in double quotes, quotes doubled; a header row.".into(),
        "UTF-8 text after a byte-order mark (EF BB BF), so that Excel reads it as UTF-8; DuckDB, pandas and LibreOffice skip the mark, Python's csv module needs encoding='utf-8-sig'.".into(),
        "Times are ISO-8601 UTC (2026-04-01T12:00:00.000Z); days are YYYY-MM-DD.".into(),
        "Column order is fixed (README.md of the pack and of distillscope).".into(),
        FORMULA_RULE.into(),
    ]
}

/// The campaign called `name` in `book`, or an error listing the
/// campaigns there are.
pub fn find_campaign<'b>(
    book: &'b Workbook,
    case_path: &Path,
    name: &str,
) -> StoreResult<&'b std::sync::Arc<Campaign>> {
    book.campaign(name).ok_or_else(|| {
        let names: Vec<&str> = book
            .campaigns
            .iter()
            .map(|c| c.props.name.as_str())
            .collect();
        StoreError::NotWhatItSays {
            path: case_path.into(),
            reason: format!(
                "no campaign called {name:?} in this case (campaigns: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ),
        }
    })
}

/// Rows of daily_timeline.csv, as the narrative and charts read them.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    /// Day (days since 1970-01-01).
    pub day: i32,
    /// Category.
    pub category: String,
    /// Requests.
    pub exchanges: i64,
    /// Accounts active.
    pub accounts: i64,
}

/// Rows of categories.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    /// Category.
    pub category: String,
    /// Campaign requests.
    pub campaign: i64,
    /// Campaign share.
    pub campaign_share: f64,
    /// Other accounts' share.
    pub baseline_share: f64,
    /// Ratio of shares.
    pub lift: Option<f64>,
}

/// Rows of infrastructure.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct InfraRow {
    /// Kind of value.
    pub kind: String,
    /// The value.
    pub value: String,
    /// AS owner or sample prompt.
    pub detail: String,
    /// Campaign accounts using it.
    pub campaign_accounts: i64,
    /// Accounts of the case using it.
    pub case_accounts: i64,
}

/// Rows of events.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Day of the event.
    pub day: i32,
    /// Kind.
    pub kind: String,
    /// Label.
    pub label: String,
}

/// What the narrative and charts are drawn from: the rows of the pack's
/// CSVs, read back from the same temporary tables the CSVs were written from.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The campaign.
    pub campaign: Campaign,
    /// Accounts with at least one request.
    pub active_accounts: i64,
    /// Requests in total.
    pub exchanges: i64,
    /// daily_timeline.csv.
    pub daily: Vec<DailyRow>,
    /// categories.csv.
    pub categories: Vec<CategoryRow>,
    /// infrastructure.csv.
    pub infrastructure: Vec<InfraRow>,
    /// events.csv.
    pub events: Vec<EventRow>,
    /// Network clusters holding the campaign's accounts: id, name, members.
    pub clusters: Vec<(i32, String, i64)>,
    /// Accounts flagged by detection, when it ran.
    pub flagged: Option<i64>,
    /// The analyst's notes (text lines) for the narrative.
    pub notes: Vec<String>,
    /// Who drafts it.
    pub analyst: String,
    /// When.
    pub drafted_at: String,
}

/// Removes the temporary pack folder unless the export completed.
struct PartialDir {
    path: PathBuf,
    done: bool,
}

impl Drop for PartialDir {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes the evidence pack of `opts.campaign` from the case on `conn`.
/// `detection`, when given (a scan and the settings text it ran with),
/// fills the detection columns of accounts.csv.
pub fn export(
    conn: &Connection,
    case_path: &Path,
    meta: &CaseMeta,
    book: &Workbook,
    detection: Option<(&Scan, &str)>,
    opts: &PackOptions,
    progress: &Progress,
) -> StoreResult<PackReport> {
    let scan = detection.map(|d| d.0);
    let started = std::time::Instant::now();
    let mut timings = Vec::new();
    let mut lap = |name: &str, t: &mut std::time::Instant| {
        timings.push((name.to_owned(), t.elapsed().as_secs_f64()));
        *t = std::time::Instant::now();
    };
    let campaign = find_campaign(book, case_path, &opts.campaign)?;
    if campaign.accounts.is_empty() {
        return Err(StoreError::NotWhatItSays {
            path: case_path.into(),
            reason: format!(
                "campaign {:?} has no accounts to export",
                campaign.props.name
            ),
        });
    }
    let out = &opts.out;
    if out.exists() {
        return Err(StoreError::NotWhatItSays {
            path: out.clone(),
            reason: "a file or folder is already there; choose a new folder for the pack".into(),
        });
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pack".into());
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    // What exports killed before they could clean up left (a SIGKILL).
    for stale in crate::store::case::stale_partials(parent, &name) {
        let _ = std::fs::remove_dir_all(stale);
    }
    std::fs::create_dir_all(&tmp).at(&tmp, "cannot create the pack folder")?;
    let mut guard = PartialDir {
        path: tmp.clone(),
        done: false,
    };
    let mut t = std::time::Instant::now();

    // The case file's hash is taken while the CSVs are written (it is the
    // largest read). Its pending writes are checkpointed first so the bytes
    // hashed are the case as it stands.
    progress.interrupt_on_cancel(conn);
    let writable: bool = conn
        .query_row(
            "SELECT NOT readonly FROM duckdb_databases() WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .at(case_path, "reading the case's mode")?;
    if writable {
        conn.execute_batch("CHECKPOINT;")
            .at(case_path, "cannot checkpoint the case before hashing it")?;
    }
    let case_file = case_path.to_path_buf();
    let case_hash = std::thread::Builder::new()
        .name("case-hash".into())
        .spawn(move || -> StoreResult<SourceFile> {
            let size = std::fs::metadata(&case_file)
                .at(&case_file, "cannot read the case file")?
                .len();
            Ok(SourceFile {
                path: case_file.display().to_string(),
                sha256: fingerprint::sha256_file(&case_file)?,
                size,
            })
        })
        .expect("spawn the case hashing thread");

    stage(progress, "Preparing the campaign's accounts")?;
    stage_tables(conn, case_path, campaign, scan)?;
    let mut queries = BTreeMap::new();
    let mut rows = BTreeMap::new();

    let campaign_exchanges: i64 = conn
        .query_row(
            "SELECT coalesce(sum(exchanges), 0)::BIGINT FROM pack_daily",
            [],
            |r| r.get(0),
        )
        .at(case_path, "counting the campaign's exchanges")?;
    let sampling = opts.sample.filter(|n| (*n as i64) < campaign_exchanges).map(|n| Sampling {
        rows: n,
        of: campaign_exchanges as u64,
        method: format!(
            "the {n} exchanges of the campaign's {campaign_exchanges} with the smallest hash(exchange_id, 42) \
             (DuckDB's hash with seed 42; ties by exchange_id), then sorted by time: every exchange had the same \
             chance of being chosen, and the same case always gives the same rows, whatever the threads"
        ),
    });
    // A sample is small enough to sort; the whole campaign only when asked.
    let exchanges_sorted = opts.oldest_first || sampling.is_some();
    // Each CSV is hashed as soon as it is written, beside the next one's
    // query: exchanges.csv (13 GB for the largest campaign) is then hashed
    // while DuckDB works on the infrastructure.
    // Bounded by the number of CSVs, so sending never blocks.
    let (written, to_hash) = std::sync::mpsc::sync_channel::<&'static str>(CSV_FILES.len());
    let hash_dir = tmp.clone();
    let csv_hashes = std::thread::Builder::new()
        .name("pack-hash".into())
        .spawn(
            move || -> StoreResult<BTreeMap<&'static str, (u64, String)>> {
                to_hash
                    .into_iter()
                    .map(|name| Ok((name, manifest::hash_file(&hash_dir.join(name))?)))
                    .collect()
            },
        )
        .expect("spawn the pack hashing thread");
    for spec in &CSV_FILES {
        stage(progress, &format!("Writing {}", spec.name))?;
        if spec.name == "infrastructure.csv" {
            stage_infrastructure(conn, case_path)?;
        }
        let sql = csv_query(spec.name, campaign.id, sampling.as_ref(), exchanges_sorted);
        write_query(conn, &sql, &tmp.join(spec.name), Encoding::Utf8Bom)?;
        let _ = written.send(spec.name);
        queries.insert(spec.name.to_owned(), sql);
        lap(spec.name, &mut t);
    }
    for spec in &CSV_FILES {
        rows.insert(
            spec.name,
            count_rows(conn, case_path, spec.name, &queries[spec.name])?,
        );
    }

    stage(progress, "Drafting the timeline and charts")?;
    let facts = read_facts(conn, case_path, campaign, scan.is_some(), opts, book)?;
    let narrative = narrative::draft(&facts);
    write_atomic(&tmp.join("timeline.md"), narrative.as_bytes())?;
    let charts = [
        (
            "timeline.png",
            "Requests per day by capability category, with model releases and enforcement.",
            charts::timeline_svg(&facts),
        ),
        (
            "categories.png",
            "Capability mix of the campaign against every other account.",
            charts::categories_svg(&facts),
        ),
        (
            "network.png",
            "The campaign's accounts in the account network, with the hubs they share.",
            charts::network_svg(conn, case_path, campaign)?,
        ),
    ];
    for (file, _, svg) in &charts {
        let png = super::svg::png(svg).map_err(|e| StoreError::NotWhatItSays {
            path: tmp.join(file),
            reason: format!("cannot draw the chart: {e}"),
        })?;
        write_atomic(&tmp.join(file), &png)?;
    }
    lap("timeline.md and charts", &mut t);

    let readme = pack_readme(&facts, sampling.as_ref(), exchanges_sorted);
    write_atomic(&tmp.join("README.md"), readme.as_bytes())?;

    stage(progress, "Hashing the pack")?;
    let mut described: Vec<(String, String, Option<u64>)> = CSV_FILES
        .iter()
        .map(|s| {
            (
                s.name.to_owned(),
                s.description.to_owned(),
                Some(rows[s.name]),
            )
        })
        .collect();
    described.push((
        "timeline.md".into(),
        "The drafted timeline of the operation; every figure names the CSV it comes from.".into(),
        None,
    ));
    for (file, desc, _) in &charts {
        described.push(((*file).into(), (*desc).into(), None));
    }
    described.push((
        "README.md".into(),
        "What each file holds, its columns, and how to verify the pack.".into(),
        None,
    ));
    drop(written);
    let mut hashed = csv_hashes.join().expect("pack hashing thread")?;
    let rest: Vec<String> = described
        .iter()
        .map(|d| d.0.clone())
        .filter(|n| !hashed.contains_key(n.as_str()))
        .collect();
    let mut rest_hashes = manifest::hash_files(&tmp, &rest)?.into_iter();
    let hashes: Vec<(u64, String)> = described
        .iter()
        .map(|d| {
            hashed
                .remove(d.0.as_str())
                .or_else(|| rest_hashes.next())
                .expect("every file hashed")
        })
        .collect();
    let files = described
        .into_iter()
        .zip(hashes)
        .map(|((name, description, rows), (size, sha256))| PackFile {
            name,
            size,
            sha256,
            rows,
            description,
        })
        .collect();
    let case = case_hash.join().expect("case hashing thread")?;
    lap("hashing", &mut t);

    let mut filters = BTreeMap::new();
    filters.insert(
        "accounts".into(),
        format!(
            "the {} accounts of campaign {} ({:?}), held in the temporary table pack_accounts: \
             SELECT account_id FROM campaign_accounts WHERE campaign_id = {}",
            campaign.accounts.len(),
            campaign.id,
            campaign.props.name,
            campaign.id
        ),
    );
    filters.insert("days".into(), "all days".into());
    filters.insert("categories".into(), "all categories".into());
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_at: facts.drafted_at.clone(),
        analyst: opts.analyst.clone(),
        campaign: PackCampaign {
            id: campaign.id,
            name: campaign.props.name.clone(),
            status: campaign.props.status.name().into(),
            confidence: campaign.props.confidence,
            accounts: campaign.accounts.len(),
            notes: campaign.props.notes.clone(),
        },
        evidence: meta.evidence.iter().map(SourceFile::from).collect(),
        case,
        filters,
        queries,
        sampling,
        detection: detection.map(|(scan, settings)| {
            let seen: Vec<String> = scan
                .availability
                .lines()
                .iter()
                .map(|l| format!("- {l}"))
                .collect();
            format!(
                "accounts.csv carries detection flagged at score {:.1}. What the evidence let detection see:\n{}\n\nSettings:\n{settings}",
                scan.config.score.flag_threshold,
                seen.join("\n")
            )
        }),
        csv_rules: csv_rules(exchanges_sorted),
        files,
        custody: crate::case::store::custody(conn, case_path)?,
    };
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    write_atomic(&tmp.join(manifest::MANIFEST), json.as_bytes())?;
    let fingerprint = fingerprint::sha256_bytes(json.as_bytes());
    progress.check()?;
    // Every file on the disk before the folder takes its name.
    for entry in std::fs::read_dir(&tmp).at(&tmp, "cannot list the pack")? {
        let file = entry.at(&tmp, "cannot list the pack")?.path();
        crate::store::case::sync_file(&file)?;
    }
    crate::store::case::sync_file(&tmp)?;
    std::fs::rename(&tmp, out).at(out, "cannot move the pack into place")?;
    crate::store::case::sync_dir(out);
    guard.done = true;
    if writable {
        crate::case::store::record_custody(
            conn,
            case_path,
            "exported evidence pack",
            &format!(
                "campaign {:?} to {} (manifest sha256 {fingerprint})",
                campaign.props.name,
                out.display()
            ),
        )?;
    }
    let zip = if opts.zip {
        progress.stage("Writing the zip")?;
        Some(write_zip(out)?)
    } else {
        None
    };
    lap("manifest and rename", &mut t);
    timings.push(("total".into(), started.elapsed().as_secs_f64()));
    Ok(PackReport {
        dir: out.clone(),
        zip,
        manifest,
        fingerprint,
        timings,
    })
}

/// How far the whole export is when each stage starts (exchanges.csv and
/// hashing take most of the time on a large campaign, measured).
const STAGE_DONE: [(&str, f32); 11] = [
    ("Preparing the campaign's accounts", 0.0),
    ("Writing accounts.csv", 0.02),
    ("Writing exchanges.csv", 0.04),
    ("Writing daily_timeline.csv", 0.62),
    ("Writing categories.csv", 0.63),
    ("Writing infrastructure.csv", 0.64),
    ("Writing links.csv", 0.70),
    ("Writing events.csv", 0.73),
    ("Writing notes.csv", 0.74),
    ("Drafting the timeline and charts", 0.75),
    ("Hashing the pack", 0.80),
];

/// Starts a stage and shows how far the export is as a whole.
fn stage(progress: &Progress, name: &str) -> StoreResult<()> {
    progress.stage(name)?;
    let done = STAGE_DONE.iter().find(|s| s.0 == name).map_or(0.0, |s| s.1);
    progress.set_fraction(done);
    Ok(())
}

/// The campaign's accounts, its daily rows and detection results as
/// temporary tables the CSV queries read.
fn stage_tables(
    conn: &Connection,
    path: &Path,
    campaign: &Campaign,
    scan: Option<&Scan>,
) -> StoreResult<()> {
    let ctx = "preparing the campaign's tables";
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE pack_accounts (account_id VARCHAR);
         CREATE OR REPLACE TEMP TABLE pack_detection (account_id VARCHAR, score DOUBLE, flagged BOOLEAN, signals VARCHAR);",
    )
    .at(path, ctx)?;
    {
        let mut app = conn
            .appender_to_catalog_and_db("pack_accounts", "temp", "main")
            .at(path, ctx)?;
        for a in &campaign.accounts {
            app.append_row([a]).at(path, ctx)?;
        }
        app.flush().at(path, ctx)?;
    }
    if let Some(scan) = scan {
        let mut app = conn
            .appender_to_catalog_and_db("pack_detection", "temp", "main")
            .at(path, ctx)?;
        for a in &campaign.accounts {
            if let Some(i) = scan.account_index(a) {
                let v = &scan.accounts[i];
                let signals = explain::fired_list(&v.values, v.fired).replace(", ", "; ");
                app.append_row(duckdb::params![
                    a,
                    (v.score * 100.0).round() / 100.0,
                    v.flagged,
                    signals
                ])
                .at(path, ctx)?;
            }
        }
        app.flush().at(path, ctx)?;
    }
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE pack_daily AS
           SELECT day, category, sum(exchanges)::BIGINT AS exchanges, count(DISTINCT account_id)::BIGINT AS accounts,
                  sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens
           FROM account_day SEMI JOIN pack_accounts USING (account_id)
           GROUP BY day, category;",
    )
    .at(path, ctx)
}

/// The SQL of one CSV file (over the case and the pack's temporary tables).
fn csv_query(file: &str, campaign: i64, sampling: Option<&Sampling>, sorted: bool) -> String {
    let cols = header(spec(file))
        .into_iter()
        .map(crate::store::schema::ident)
        .collect::<Vec<_>>()
        .join(", ");
    match file {
        "accounts.csv" => format!(
            "SELECT {cols} FROM (
               SELECT p.account_id, n.cluster AS cluster_id, gc.name AS cluster_name,
                      s.first_seen, s.last_seen, s.active_days, s.exchanges,
                      s.input_tokens::BIGINT AS input_tokens, s.output_tokens::BIGINT AS output_tokens,
                      s.ips, s.asns, s.countries, s.templates, s.models, s.top_category,
                      round(s.top_category_share, 4) AS top_category_share,
                      a.created_at AS signed_up_at, a.email_domain, a.payment_fingerprint, a.signup_ip,
                      a.signup_country, a.verification_path, a.org_id,
                      t.tags, oc.other_campaigns,
                      d.score AS detection_score, d.flagged AS detection_flagged, d.signals AS detection_signals
               FROM pack_accounts p
               LEFT JOIN account_summary s USING (account_id)
               LEFT JOIN (SELECT account_id, any_value(created_at) AS created_at, any_value(email_domain) AS email_domain,
                                 any_value(payment_fingerprint) AS payment_fingerprint, any_value(signup_ip) AS signup_ip,
                                 any_value(signup_country) AS signup_country, any_value(verification_path) AS verification_path,
                                 any_value(org_id) AS org_id
                          FROM accounts GROUP BY account_id) a USING (account_id)
               LEFT JOIN (SELECT id AS account_id, cluster FROM graph_nodes WHERE kind = 'account') n USING (account_id)
               LEFT JOIN graph_clusters gc ON gc.cluster = n.cluster
               LEFT JOIN (SELECT account_id, string_agg(tag, '; ' ORDER BY tag) AS tags FROM account_tags GROUP BY account_id) t USING (account_id)
               LEFT JOIN (SELECT ca.account_id, string_agg(c.name, '; ' ORDER BY c.name) AS other_campaigns
                          FROM campaign_accounts ca JOIN campaigns c ON c.id = ca.campaign_id
                          WHERE ca.campaign_id <> {campaign} GROUP BY ca.account_id) oc USING (account_id)
               LEFT JOIN pack_detection d USING (account_id)
             ) ORDER BY exchanges DESC NULLS LAST, account_id"
        ),
        "exchanges.csv" => {
            let from = "exchanges_v SEMI JOIN pack_accounts USING (account_id)";
            match sampling {
                // Ordered by a seeded hash, not DuckDB's reservoir sample:
                // a reservoir over a parallel scan depends on which thread
                // reads which rows first, so two exports could differ.
                Some(s) => format!(
                    "SELECT {cols} FROM (SELECT * FROM {from} ORDER BY hash(exchange_id, 42), exchange_id LIMIT {}) ORDER BY ts, exchange_id",
                    s.rows
                ),
                None if sorted => format!("SELECT {cols} FROM {from} ORDER BY ts, exchange_id"),
                // Not sorted: DuckDB writes the rows as its threads read
                // them (53 s for the largest campaign's 28.8 M rows, against
                // 123 s sorted). Keeping the scan's order is no cheaper:
                // one thread took 127 s, and DuckDB 1.5.6 interleaved
                // blocks of a filtered parallel scan even with
                // preserve_insertion_order on.
                None => format!("SELECT {cols} FROM {from}"),
            }
        }
        "daily_timeline.csv" => format!("SELECT {cols} FROM pack_daily ORDER BY day, exchanges DESC, category"),
        "categories.csv" => format!(
            "WITH c AS (SELECT category, sum(exchanges)::BIGINT AS n FROM pack_daily GROUP BY category),
                  t AS (SELECT category, exchanges AS total FROM category_summary),
                  j AS (SELECT t.category, coalesce(c.n, 0) AS campaign_exchanges,
                               t.total - coalesce(c.n, 0) AS baseline_exchanges
                        FROM t LEFT JOIN c USING (category)),
                  s AS (SELECT *, round(campaign_exchanges / nullif(sum(campaign_exchanges) OVER (), 0), 6) AS campaign_share,
                               round(baseline_exchanges / nullif(sum(baseline_exchanges) OVER (), 0), 6) AS baseline_share
                        FROM j)
             SELECT {cols} FROM (SELECT *, round(campaign_share / nullif(baseline_share, 0), 3) AS lift FROM s)
             ORDER BY campaign_exchanges DESC, baseline_exchanges DESC, category"
        ),
        "infrastructure.csv" => format!("SELECT {cols} FROM ({}) ORDER BY kind, campaign_accounts DESC, value", infrastructure_sql()),
        "links.csv" => format!(
            "WITH nodes AS (SELECT node, kind, CASE WHEN kind = 'hub' THEN link_kind || ':' || id ELSE id END AS label,
                                   id IN (SELECT account_id FROM pack_accounts) AND kind = 'account' AS member
                            FROM graph_nodes)
             SELECT {cols} FROM (
               SELECT CASE WHEN a.member THEN a.label ELSE b.label END AS source,
                      CASE WHEN a.member THEN b.label ELSE a.label END AS target,
                      CASE WHEN a.member THEN b.kind ELSE a.kind END AS target_kind,
                      e.kind AS link_kind, round(e.weight, 4) AS weight
               FROM graph_edges e JOIN nodes a ON a.node = e.source JOIN nodes b ON b.node = e.target
               WHERE (a.member AND (b.member OR b.kind = 'hub')) OR (b.member AND a.kind = 'hub'))
             ORDER BY target_kind, weight DESC, source, target"
        ),
        "events.csv" => format!("SELECT {cols} FROM events ORDER BY ts"),
        "notes.csv" => format!(
            "SELECT {cols} FROM (
               SELECT 'note' AS record, id AS number, written_at AS logged_at, author, target_kind AS pinned_to,
                      CASE WHEN target_kind = 'campaign' THEN (SELECT name FROM campaigns WHERE id = {campaign}) ELSE target END AS target,
                      text, 0 AS o
               FROM notes
               WHERE (target_kind = 'campaign' AND target = '{campaign}')
                  OR (target_kind = 'account' AND target IN (SELECT account_id FROM pack_accounts))
                  OR (target_kind = 'day' AND TRY_CAST(target AS DATE) IN (SELECT day FROM pack_daily))
               UNION ALL
               SELECT 'audit', seq, logged_at, analyst, action, coalesce(campaign, ''), detail, 1
               FROM audit_log WHERE campaign_id = {campaign})
             ORDER BY o, logged_at, number"
        ),
        other => unreachable!("no query for {other}"),
    }
}

/// Every address of the case with its /24 or /48 network, as temporary
/// table `pack_ip_net`: networks are named by the graph's own
/// [`network_of`](crate::analysis::graph::incidence::network_of), so a
/// network in a pack is the network hub of the Network view (compressed
/// IPv6 and IPv4-mapped addresses included), computed once per address.
fn stage_networks(conn: &Connection, path: &Path) -> StoreResult<()> {
    let ctx = "naming the networks of the case's addresses";
    let ips: Vec<String> = query_rows(
        conn,
        path,
        ctx,
        "SELECT DISTINCT ip FROM exchanges WHERE ip IS NOT NULL",
        |r| r.get(0),
    )?;
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE pack_ip_net (ip VARCHAR, network VARCHAR);")
        .at(path, ctx)?;
    let mut app = conn
        .appender_to_catalog_and_db("pack_ip_net", "temp", "main")
        .at(path, ctx)?;
    for ip in &ips {
        if let Some(net) = crate::analysis::graph::incidence::network_of(ip) {
            app.append_row(duckdb::params![ip, net]).at(path, ctx)?;
        }
    }
    app.flush().at(path, ctx)
}

/// Shared values of the campaign's accounts, staged as temporary tables.
/// One scan of the campaign's requests gives every (account, address),
/// (account, user agent) and (account, template) pair with its requests and
/// first and last use; networks (see [`stage_networks`]) and ASNs follow
/// from the addresses. Values
/// used by two or more campaign accounts are kept, and only for those is
/// the whole case asked how many accounts use each: addresses, user agents
/// and AS numbers from what the graph build counted (`value_accounts`),
/// templates from `templates`, networks by a scan of the log (and the
/// others too in a case without those counts). Counting distinct accounts
/// over all 64 M requests for every value spilled >13 GB to disk.
/// Sign-up records (payment, sign-up address, e-mail domain) come from
/// `accounts`.
fn stage_infrastructure(conn: &Connection, path: &Path) -> StoreResult<()> {
    // Whole-case accounts of one kind's shared values: the requests whose
    // `expr` is one of `keys`.
    let case_count = |kind: &str, expr: &str, keys: &str| {
        format!(
            "SELECT '{kind}' AS kind, CAST({expr} AS VARCHAR) AS value, count(DISTINCT account_id)::BIGINT AS case_accounts
             FROM exchanges WHERE {keys} GROUP BY 1, 2"
        )
    };
    let shared = |kind: &str| format!("(SELECT value FROM pack_shared WHERE kind = '{kind}')");
    // Addresses, user agents and AS numbers counted by the graph build
    // (`value_accounts`) are looked up, not counted again over the log.
    use crate::analysis::graph::{incidence, links::LinkKind};
    let kept = incidence::kept_value_kinds(conn, path)?;
    let kept_count = |kind: &str, link: LinkKind| {
        let key = incidence::value_key(link, "s.value")
            .filter(|_| kept.iter().any(|k| k == link.name()))?;
        Some(format!(
            "SELECT '{kind}' AS kind, s.value, v.accounts AS case_accounts
             FROM pack_shared s JOIN value_accounts v ON v.kind = '{}' AND v.key = {key}
             WHERE s.kind = '{kind}'",
            link.name()
        ))
    };
    let ip_keys = format!("ip IN {}", shared("ip"));
    let ua_keys = format!("user_agent IN {}", shared("user_agent"));
    let asn_keys = format!(
        "asn IN (SELECT DISTINCT asn FROM pack_pairs WHERE pair = 'ip' AND CAST(asn AS VARCHAR) IN {})",
        shared("asn")
    );
    let ip_count =
        kept_count("ip", LinkKind::Ip).unwrap_or_else(|| case_count("ip", "ip", &ip_keys));
    let asn_count =
        kept_count("asn", LinkKind::Asn).unwrap_or_else(|| case_count("asn", "asn", &asn_keys));
    let ua_count = kept_count("user_agent", LinkKind::UserAgent)
        .unwrap_or_else(|| case_count("user_agent", "user_agent", &ua_keys));
    // Accounts per template are in the templates table.
    let template_count = "SELECT 'template' AS kind, s.value, t.accounts::BIGINT AS case_accounts
         FROM pack_shared s JOIN templates t ON s.value = CAST(t.template_id AS VARCHAR)
         WHERE s.kind = 'template'"
        .to_owned();
    // The addresses of the shared networks, with their network.
    let network_count = format!(
        "SELECT 'network' AS kind, network AS value, count(DISTINCT account_id)::BIGINT AS case_accounts
         FROM exchanges JOIN (SELECT ip, network FROM pack_ip_net WHERE network IN {}) USING (ip)
         GROUP BY 1, 2",
        shared("network")
    );
    stage_networks(conn, path)?;
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE pack_pairs AS
           SELECT account_id, ip, user_agent, template_id,
                  any_value(asn) AS asn, any_value(asn_org) AS asn_org,
                  count(*)::BIGINT AS n, min(ts) AS first_seen, max(ts) AS last_seen,
                  CASE WHEN grouping(ip) = 0 THEN 'ip' WHEN grouping(user_agent) = 0 THEN 'user_agent' ELSE 'template' END AS pair
           FROM exchanges SEMI JOIN pack_accounts USING (account_id)
           GROUP BY GROUPING SETS ((account_id, ip), (account_id, user_agent), (account_id, template_id));
         CREATE OR REPLACE TEMP TABLE pack_shared AS
           WITH ip_pairs AS (SELECT * FROM pack_pairs WHERE pair = 'ip' AND ip IS NOT NULL),
                -- (account, value) pairs, so that counting accounts needs no DISTINCT
                per_account AS (
                  SELECT account_id, 'ip' AS kind, ip AS value, NULL AS detail, n, first_seen, last_seen FROM ip_pairs
                  UNION ALL
                  SELECT account_id, 'network', network, NULL, sum(n), min(first_seen), max(last_seen)
                    FROM ip_pairs JOIN pack_ip_net USING (ip) GROUP BY account_id, network
                  UNION ALL
                  SELECT account_id, 'asn', CAST(asn AS VARCHAR), any_value(asn_org), sum(n), min(first_seen), max(last_seen)
                    FROM ip_pairs WHERE asn IS NOT NULL GROUP BY account_id, asn
                  UNION ALL
                  SELECT account_id, 'user_agent', user_agent, NULL, n, first_seen, last_seen
                    FROM pack_pairs WHERE pair = 'user_agent' AND user_agent IS NOT NULL
                  UNION ALL
                  SELECT account_id, 'template', CAST(template_id AS VARCHAR), NULL, n, first_seen, last_seen
                    FROM pack_pairs WHERE pair = 'template' AND template_id IS NOT NULL)
           SELECT kind, value, any_value(detail) AS detail, count(*)::BIGINT AS campaign_accounts,
                  sum(n)::BIGINT AS campaign_exchanges, min(first_seen) AS first_seen, max(last_seen) AS last_seen
           FROM per_account GROUP BY kind, value HAVING count(*) >= 2;
         CREATE OR REPLACE TEMP TABLE pack_case_accounts AS
           {} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {};
         CREATE OR REPLACE TEMP TABLE pack_infra_log AS
           SELECT s.kind, s.value, s.detail, s.campaign_accounts, c.case_accounts,
                  s.campaign_exchanges, s.first_seen, s.last_seen
           FROM pack_shared s JOIN pack_case_accounts c USING (kind, value);
         DROP TABLE pack_pairs; DROP TABLE pack_ip_net; DROP TABLE pack_shared; DROP TABLE pack_case_accounts;",
        ip_count, network_count, asn_count, ua_count, template_count,
    ))
    .at(path, "finding the campaign's shared infrastructure")
}

/// infrastructure.csv's rows, from the staged tables.
fn infrastructure_sql() -> String {
    let signup = |kind: &str, col: &str| {
        format!(
            "SELECT '{kind}' AS kind, CAST(c.{col} AS VARCHAR) AS value, NULL AS detail,
                    c.campaign_accounts, w.case_accounts, NULL::BIGINT AS campaign_exchanges,
                    NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen
             FROM (SELECT {col}, count(DISTINCT account_id)::BIGINT AS campaign_accounts
                   FROM accounts SEMI JOIN pack_accounts USING (account_id)
                   WHERE {col} IS NOT NULL GROUP BY 1 HAVING count(DISTINCT account_id) >= 2) c
             JOIN (SELECT {col}, count(DISTINCT account_id)::BIGINT AS case_accounts FROM accounts GROUP BY 1) w USING ({col})"
        )
    };
    format!(
        "SELECT kind, value,
                CASE WHEN kind = 'template' THEN left(t.sample_prompt, 160) ELSE l.detail END AS detail,
                l.campaign_accounts, l.case_accounts, l.campaign_exchanges, l.first_seen, l.last_seen
         FROM pack_infra_log l
         -- an equi-join on both keys: with the kind test in ON it was a 9 s nested loop
         LEFT JOIN (SELECT 'template' AS kind, CAST(template_id AS VARCHAR) AS value, sample_prompt FROM templates) t
           USING (kind, value)
         UNION ALL {} UNION ALL {} UNION ALL {}",
        signup("payment_fingerprint", "payment_fingerprint"),
        signup("signup_ip", "signup_ip"),
        signup("email_domain", "email_domain"),
    )
}

/// The sample size of a sampled exchanges query (its `LIMIT`).
fn sampled_rows(sql: &str) -> Option<i64> {
    sql.split(" LIMIT ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.trim().parse().ok())
}

/// How many rows a CSV query gave (read from the temp tables or counted
/// again by DuckDB; the test re-reads the files and compares).
fn count_rows(conn: &Connection, path: &Path, file: &str, sql: &str) -> StoreResult<u64> {
    if file == "exchanges.csv" {
        // Counting by re-running the query would read the log again: the
        // campaign's total is known from its daily rows, or the sample size.
        let (n,): (i64,) = if let Some(rows) = sampled_rows(sql) {
            (rows,)
        } else {
            conn.query_row(
                "SELECT coalesce(sum(exchanges), 0)::BIGINT FROM pack_daily",
                [],
                |r| Ok((r.get(0)?,)),
            )
            .at(path, "counting exchanges")?
        };
        return Ok(n as u64);
    }
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))
        .at(path, &format!("counting the rows of {file}"))?;
    Ok(n as u64)
}

/// What the Campaigns view shows of a campaign: the facts a pack's
/// narrative is drawn from (totals, days, categories against the baseline,
/// shared infrastructure), computed the same way.
pub fn facts(
    conn: &Connection,
    path: &Path,
    campaign: &Campaign,
    book: &Workbook,
    analyst: &str,
) -> StoreResult<Facts> {
    stage_tables(conn, path, campaign, None)?;
    stage_infrastructure(conn, path)?;
    let opts = PackOptions {
        campaign: campaign.props.name.clone(),
        out: PathBuf::new(),
        sample: None,
        zip: false,
        oldest_first: false,
        analyst: analyst.to_owned(),
    };
    read_facts(conn, path, campaign, false, &opts, book)
}

fn read_facts(
    conn: &Connection,
    path: &Path,
    campaign: &Campaign,
    detected: bool,
    opts: &PackOptions,
    book: &Workbook,
) -> StoreResult<Facts> {
    let daily = query_rows(
        conn,
        path,
        "reading the daily rows",
        "SELECT (day - DATE '1970-01-01')::INTEGER, category, exchanges, accounts FROM pack_daily ORDER BY day, category",
        |r| {
            Ok(DailyRow {
                day: r.get(0)?,
                category: r.get(1)?,
                exchanges: r.get(2)?,
                accounts: r.get(3)?,
            })
        },
    )?;
    let categories = query_rows(
        conn,
        path,
        "reading the categories",
        &csv_query("categories.csv", campaign.id, None, false),
        |r| {
            Ok(CategoryRow {
                category: r.get(0)?,
                campaign: r.get(1)?,
                campaign_share: r.get::<_, Option<f64>>(2)?.unwrap_or(0.0),
                baseline_share: r.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
                lift: r.get(5)?,
            })
        },
    )?;
    let infrastructure = query_rows(
        conn,
        path,
        "reading the infrastructure",
        &csv_query("infrastructure.csv", campaign.id, None, false),
        |r| {
            Ok(InfraRow {
                kind: r.get(0)?,
                value: r.get(1)?,
                detail: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                campaign_accounts: r.get(3)?,
                case_accounts: r.get(4)?,
            })
        },
    )?;
    let events = query_rows(
        conn,
        path,
        "reading the events",
        "SELECT (CAST(ts AS DATE) - DATE '1970-01-01')::INTEGER, kind, label FROM events ORDER BY ts",
        |r| {
            Ok(EventRow {
                day: r.get(0)?,
                kind: r.get(1)?,
                label: r.get(2)?,
            })
        },
    )?;
    let (active_accounts, exchanges): (i64, i64) = conn
        .query_row(
            "SELECT count(*)::BIGINT, coalesce(sum(exchanges), 0)::BIGINT FROM account_summary SEMI JOIN pack_accounts USING (account_id)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .at(path, "counting the campaign")?;
    let clusters = query_rows(
        conn,
        path,
        "reading the campaign's clusters",
        "SELECT n.cluster, coalesce(any_value(gc.name), ''), count(*)::BIGINT
         FROM graph_nodes n SEMI JOIN pack_accounts p ON p.account_id = n.id
         LEFT JOIN graph_clusters gc ON gc.cluster = n.cluster
         WHERE n.kind = 'account' GROUP BY n.cluster ORDER BY 3 DESC, 1",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let flagged = if detected {
        Some(
            conn.query_row(
                "SELECT count(*) FILTER (WHERE flagged)::BIGINT FROM pack_detection",
                [],
                |r| r.get(0),
            )
            .at(path, "counting flagged accounts")?,
        )
    } else {
        None
    };
    let notes = book
        .notes
        .iter()
        .filter(|n| match &n.target {
            crate::case::NoteTarget::Campaign(id) => *id == campaign.id,
            crate::case::NoteTarget::Account(a) => campaign.accounts.contains(a),
            crate::case::NoteTarget::Day(d) => daily.iter().any(|r| r.day == *d),
        })
        .map(|n| {
            format!(
                "{} ({}, {}): {}",
                n.at,
                book.target_label(&n.target),
                n.author,
                n.text
            )
        })
        .collect();
    Ok(Facts {
        campaign: campaign.clone(),
        active_accounts,
        exchanges,
        daily,
        categories,
        infrastructure,
        events,
        clusters,
        flagged,
        notes,
        analyst: opts.analyst.clone(),
        drafted_at: crate::case::now(),
    })
}

/// The pack's README: what each file holds and how to check it.
fn pack_readme(facts: &Facts, sampling: Option<&Sampling>, exchanges_sorted: bool) -> String {
    let mut s = format!(
        "# Evidence pack: campaign \"{}\"\n\nMade by distillscope {} for {} on {}. Start with timeline.md.\n\n",
        facts.campaign.props.name,
        env!("CARGO_PKG_VERSION"),
        facts.analyst,
        facts.drafted_at
    );
    s.push_str("## Checking the pack\n\n`distillscope verify <this folder>` recomputes the SHA-256 and size of every file and compares them with manifest.json, naming any file altered, missing or added. manifest.json also records the evidence files' and the case file's SHA-256 and the SQL behind every CSV.\n\n");
    if let Some(sm) = sampling {
        s.push_str(&format!(
            "## Sampling\n\nexchanges.csv holds a sample: {}.\n\n",
            sm.method
        ));
    }
    s.push_str("## How the CSV files are written\n\n");
    for rule in csv_rules(exchanges_sorted) {
        s.push_str(&format!("- {rule}\n"));
    }
    s.push_str("\n## Files and columns\n");
    for spec in &CSV_FILES {
        s.push_str(&format!(
            "\n### {}\n\n{}\n\n| column | meaning |\n| --- | --- |\n",
            spec.name, spec.description
        ));
        for (c, m) in spec.columns {
            s.push_str(&format!("| {c} | {m} |\n"));
        }
    }
    s.push_str("\n### Other files\n\n- timeline.md: the drafted timeline.\n- timeline.png, categories.png, network.png: charts.\n- manifest.json: hashes, sources, filters and SQL.\n");
    s
}

/// Zips the pack folder into `<dir>.zip` (written beside it, then renamed).
fn write_zip(dir: &Path) -> StoreResult<PathBuf> {
    use std::io::Write as _;
    let mut zip_path = dir.as_os_str().to_owned();
    zip_path.push(".zip");
    let zip_path = PathBuf::from(zip_path);
    let tmp = tempfile::Builder::new()
        .prefix(".distillscope-")
        .suffix(".zip.partial")
        .tempfile_in(
            dir.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .at(&zip_path, "cannot create the zip")?;
    {
        let mut zip = zip::ZipWriter::new(tmp.as_file());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        let prefix = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .at(dir, "cannot list the pack")?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            zip.start_file(format!("{prefix}/{name}"), options)
                .map_err(|e| StoreError::NotWhatItSays {
                    path: zip_path.clone(),
                    reason: e.to_string(),
                })?;
            let mut f = std::fs::File::open(dir.join(&name))
                .at(&dir.join(&name), "cannot read for the zip")?;
            std::io::copy(&mut f, &mut zip).at(&zip_path, "cannot write the zip")?;
        }
        zip.finish()
            .map_err(|e| StoreError::NotWhatItSays {
                path: zip_path.clone(),
                reason: e.to_string(),
            })?
            .flush()
            .at(&zip_path, "cannot write the zip")?;
    }
    tmp.persist(&zip_path)
        .map_err(|e| e.error)
        .at(&zip_path, "cannot move the zip into place")?;
    Ok(zip_path)
}
