//! What a file is when it is not the data contract: the known log formats
//! recognised by their fields, the closest known format to a table's
//! columns, the column mapping that would open it, and a preview of a
//! table's first rows for choosing one.

use std::io::BufRead as _;
use std::path::Path;

use duckdb::Connection;

use super::error::{Context as _, StoreError, StoreResult};
use super::import::LogFormat;
use super::mapping::ColumnMapping;
use super::schema;
use super::source::{self, FileFormat, Source, SourceKind};

/// LiteLLM `LiteLLM_SpendLogs` columns (schema.prisma).
const LITELLM_FIELDS: &[&str] = &[
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "completionStartTime",
    "model",
    "model_group",
    "model_id",
    "custom_llm_provider",
    "api_base",
    "user",
    "end_user",
    "team_id",
    "organization_id",
    "requester_ip_address",
    "request_tags",
    "metadata",
    "cache_hit",
    "cache_key",
    "messages",
    "response",
    "proxy_server_request",
    "session_id",
    "status",
];

/// AWS Bedrock model-invocation log fields.
const BEDROCK_FIELDS: &[&str] = &[
    "schemaType",
    "schemaVersion",
    "timestamp",
    "accountId",
    "identity",
    "region",
    "requestId",
    "operation",
    "modelId",
    "input",
    "output",
    "requestMetadata",
    "errorCode",
];

/// OTLP JSON trace fields (a document, or a span flattened into a row).
const OTEL_FIELDS: &[&str] = &[
    "resourceSpans",
    "resource",
    "scopeSpans",
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "attributes",
    "status",
];

/// A column name compared loosely: lower case, letters and digits only.
fn loose(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn has(found: &[String], field: &str) -> bool {
    let want = loose(field);
    found.iter().any(|f| loose(f) == want)
}

/// The log format a record's (or table's) field names announce, if any.
pub fn log_format_of_fields(found: &[String]) -> Option<LogFormat> {
    if has(found, "resourceSpans") {
        Some(LogFormat::Otel)
    } else if has(found, "modelId")
        && has(found, "input")
        && (has(found, "requestId") || has(found, "schemaType"))
    {
        Some(LogFormat::Bedrock)
    } else if has(found, "request_id") && has(found, "startTime") && !has(found, "ts") {
        Some(LogFormat::Litellm)
    } else {
        None
    }
}

/// The head of a text file (gzip read through), at most about 64 KiB.
fn text_head(path: &Path) -> StoreResult<String> {
    let reader = std::io::BufReader::new(super::import::open_text(path)?);
    let mut head = String::new();
    for line in reader.lines().take(400) {
        let Ok(line) = line else { break };
        head.push_str(&line);
        head.push('\n');
        if head.len() > 65_536 {
            break;
        }
    }
    Ok(head)
}

/// The log format of a JSON file from its first record: the keys of the
/// first line when it is a whole object, else (a pretty-printed OTLP
/// document) the field names in its first bytes.
fn json_log_format(path: &Path) -> StoreResult<Option<LogFormat>> {
    let head = text_head(path)?;
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let first = head.lines().next().unwrap_or("");
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(first) {
        let keys: Vec<String> = obj.keys().cloned().collect();
        return Ok(log_format_of_fields(&keys));
    }
    let quoted = |f: &str| head.contains(&format!("\"{f}\""));
    Ok(if quoted("resourceSpans") {
        Some(LogFormat::Otel)
    } else if quoted("ModelInvocationLog") || (quoted("modelId") && quoted("inputTokenCount")) {
        Some(LogFormat::Bedrock)
    } else if quoted("request_id") && quoted("startTime") && !quoted("ts") {
        Some(LogFormat::Litellm)
    } else {
        None
    })
}

/// The columns of a CSV or Parquet file, read by DuckDB (a small sample
/// for CSV types: only the names matter here).
pub fn table_columns(path: &Path, format: FileFormat) -> StoreResult<Vec<String>> {
    let conn = Connection::open_in_memory().at(path, "cannot start DuckDB")?;
    let p = schema::literal(&path.to_string_lossy());
    let relation = match format {
        FileFormat::Parquet => format!("read_parquet({p})"),
        FileFormat::Csv => format!("read_csv({p}, header = true, sample_size = 2048)"),
        FileFormat::JsonLines => {
            format!("read_json({p}, format = 'newline_delimited', sample_size = 2048)")
        }
    };
    Ok(super::normalize::describe(&conn, &relation, path)?
        .into_iter()
        .map(|c| c.name)
        .collect())
}

/// The log format of a file, if it is a LiteLLM, OTel GenAI or Bedrock log
/// rather than a contract table; reads its first record or its columns.
pub fn log_format(path: &Path) -> StoreResult<Option<LogFormat>> {
    match source::format_from_name(path) {
        Some(FileFormat::JsonLines) => json_log_format(path),
        Some(format) => {
            source::check_magic(path, format)?;
            Ok(log_format_of_fields(&table_columns(path, format)?))
        }
        None => Ok(None),
    }
}

/// The log files of a folder and its sub-folders (a folder of daily
/// exports, an S3 prefix of Bedrock logs), in name order, with the table
/// files that are not logs (skipped, and named where the case says so).
pub fn log_files(dir: &Path) -> StoreResult<(Vec<std::path::PathBuf>, Vec<std::path::PathBuf>)> {
    let mut logs = Vec::new();
    let mut others = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(&d)
            .at(&d, "cannot list folder")?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if source::format_from_name(&p).is_some() {
                match log_format(&p) {
                    Ok(Some(_)) => logs.push(p),
                    _ => others.push(p),
                }
            }
        }
    }
    logs.sort();
    others.sort();
    Ok((logs, others))
}

/// The known format closest to a table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closest {
    /// The format, in words.
    pub name: String,
    /// How many of the table's columns it names.
    pub matched: usize,
    /// How many fields the format has.
    pub of: usize,
}

/// The known format (a contract table or a log) sharing most column names
/// with `found`.
pub fn closest(found: &[String]) -> Closest {
    let contract: Vec<(String, Vec<&str>)> = schema::TABLES
        .iter()
        .map(|(t, cols)| {
            (
                format!("the `{t}` table of the data contract"),
                cols.iter().map(|c| c.name).collect(),
            )
        })
        .collect();
    let logs = [
        ("a LiteLLM spend log", LITELLM_FIELDS),
        ("an AWS Bedrock invocation log", BEDROCK_FIELDS),
        ("an OpenTelemetry GenAI trace (OTLP JSON)", OTEL_FIELDS),
    ]
    .map(|(n, f)| (n.to_owned(), f.to_vec()));
    contract
        .into_iter()
        .chain(logs)
        .map(|(name, fields)| Closest {
            matched: fields.iter().filter(|f| has(found, f)).count(),
            of: fields.len(),
            name,
        })
        .max_by(|a, b| {
            a.matched
                .cmp(&b.matched)
                .then((a.matched * b.of).cmp(&(b.matched * a.of)))
                .then(b.name.cmp(&a.name))
        })
        .expect("known formats")
}

/// Other names a contract column goes by in logs and warehouse extracts,
/// compared loosely.
fn synonyms(table: &str, column: &str) -> &'static [&'static str] {
    match (table, column) {
        ("exchanges", "exchange_id") => &[
            "requestid",
            "id",
            "callid",
            "completionid",
            "responseid",
            "eventid",
            "uuid",
            "messageid",
        ],
        (_, "ts") => &[
            "timestamp",
            "time",
            "datetime",
            "requesttime",
            "requestedat",
            "createdat",
            "starttime",
            "eventtime",
            "occurredat",
            "loggedat",
            "created",
            "date",
            "at",
        ],
        (_, "account_id") => &[
            "account",
            "customerid",
            "customer",
            "userid",
            "user",
            "enduser",
            "enduserid",
            "clientid",
            "client",
            "tenantid",
            "tenant",
            "subscriberid",
            "uid",
            "principal",
        ],
        (_, "api_key_id") => &["apikey", "keyid", "apikeyhash", "key", "tokenid"],
        (_, "org_id") => &[
            "organizationid",
            "organisationid",
            "organization",
            "organisation",
            "org",
            "teamid",
            "team",
            "workspaceid",
            "projectid",
        ],
        (_, "ip") => &[
            "ipaddress",
            "clientip",
            "sourceip",
            "srcip",
            "remoteaddr",
            "remoteip",
            "requesteripaddress",
            "clientaddress",
            "ipaddr",
            "xforwardedfor",
        ],
        (_, "user_agent") => &[
            "useragent",
            "ua",
            "agent",
            "httpuseragent",
            "clientuseragent",
        ],
        (_, "model") => &["modelid", "modelname", "engine", "modelgroup", "llmmodel"],
        (_, "input_tokens") => &[
            "prompttokens",
            "inputtokencount",
            "tokensin",
            "intokens",
            "intok",
            "inputtok",
        ],
        (_, "output_tokens") => &[
            "completiontokens",
            "outputtokencount",
            "tokensout",
            "outtokens",
            "outtok",
            "outputtok",
        ],
        (_, "prompt") => &[
            "prompttext",
            "userprompt",
            "input",
            "inputtext",
            "text",
            "message",
            "content",
            "query",
            "question",
            "request",
        ],
        (_, "tool_count") => &["tools", "ntools", "toolscount", "numtools"],
        (_, "has_image") => &["image", "hasimages", "images", "multimodal"],
        (_, "session_id") => &[
            "session",
            "conversationid",
            "conversation",
            "threadid",
            "chatid",
        ],
        (_, "asn") => &["asnumber", "autonomoussystem", "asnnumber"],
        (_, "asn_org") => &["asorg", "asname", "asnname", "asnorganization", "isp"],
        (_, "country") => &["countrycode", "geocountry", "cc"],
        (_, "category") => &["capability", "capabilitycategory", "class"],
        (_, "created_at") => &[
            "createdat",
            "signupat",
            "signuptime",
            "registeredat",
            "signupdate",
            "registrationdate",
            "created",
        ],
        (_, "email_domain") => &["emaildomain", "maildomain", "domain"],
        (_, "payment_fingerprint") => &[
            "paymentfingerprint",
            "cardfingerprint",
            "paymentmethodid",
            "paymentid",
            "card",
            "payment",
        ],
        (_, "signup_ip") => &["signupip", "registrationip", "createdip"],
        (_, "signup_country") => &["signupcountry", "registrationcountry", "country"],
        (_, "verification_path") => &[
            "verification",
            "verificationmethod",
            "signuppath",
            "kyc",
            "program",
            "tier",
        ],
        ("events", "kind") => &["type", "eventtype", "category"],
        ("events", "label") => &["name", "title", "description", "text", "event"],
        _ => &[],
    }
}

/// The source column each contract column of `table` most likely comes
/// from: its own name, else the first synonym found; a source column is
/// given to one contract column only (required columns choose first).
pub fn guesses(table: &str, found: &[String]) -> Vec<(&'static str, Option<String>)> {
    let columns = schema::table(table).unwrap_or(&[]);
    let mut taken: Vec<String> = Vec::new();
    let mut out: Vec<(&'static str, Option<String>)> =
        columns.iter().map(|c| (c.name, None)).collect();
    let order = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.required)
        .chain(columns.iter().enumerate().filter(|(_, c)| !c.required));
    // Columns found under their own names are never given to another.
    for (i, c) in columns.iter().enumerate() {
        if let Some(f) = found.iter().find(|f| f.eq_ignore_ascii_case(c.name)) {
            out[i].1 = Some(f.clone());
            taken.push(f.clone());
        }
    }
    for (i, c) in order {
        if out[i].1.is_some() {
            continue;
        }
        let pick = std::iter::once(loose(c.name))
            .chain(synonyms(table, c.name).iter().map(|s| (*s).to_owned()))
            .find_map(|want| {
                found
                    .iter()
                    .find(|f| loose(f) == want && !taken.contains(f))
                    .cloned()
            });
        if let Some(p) = &pick {
            taken.push(p.clone());
        }
        out[i].1 = pick;
    }
    out
}

/// Why a table could not be read as a contract table, and what would open it.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The table's columns as the source spells them.
    pub found: Vec<String>,
    /// What was expected, what is missing, the closest known format and
    /// the `--map` that would open it, in words.
    pub hint: String,
    /// The mapping in force plus a likely column for each missing one.
    pub suggestion: ColumnMapping,
}

/// Why a table could not be read as `table` and what would open it: the
/// required columns missing, the closest known format, and the `--map`
/// pairs (added to `mapping`) that name a column for each missing one
/// where a likely one exists.
pub fn diagnose(table: &str, found: &[String], mapping: &ColumnMapping) -> Diagnosis {
    let columns = schema::table(table).unwrap_or(&[]);
    let required: Vec<&str> = columns
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name)
        .collect();
    let present = |c: &str| {
        let wanted = mapping.source_in(table, c);
        found.iter().any(|f| f.eq_ignore_ascii_case(wanted))
    };
    let missing: Vec<&str> = required.iter().copied().filter(|c| !present(c)).collect();
    let guessed = guesses(table, found);
    let mut suggestion = mapping.clone();
    let mut pairs = Vec::new();
    for m in &missing {
        let key = if table == "exchanges" {
            (*m).to_owned()
        } else {
            format!("{table}.{m}")
        };
        let guess = guessed
            .iter()
            .find(|(c, _)| c == m)
            .and_then(|(_, g)| g.clone());
        match guess {
            Some(g) => {
                suggestion.pairs.retain(|(c, _)| *c != key);
                suggestion.pairs.push((key.clone(), g.clone()));
                pairs.push(format!("{key}={g}"));
            }
            None => pairs.push(format!("{key}=COLUMN")),
        }
    }
    let close = closest(found);
    let mut hint = format!(
        "expected the `{table}` table of the data contract (required: {}) or a LiteLLM, OpenTelemetry GenAI or Bedrock log",
        required.join(", ")
    );
    if !missing.is_empty() {
        hint.push_str(&format!("; missing: {}", missing.join(", ")));
    }
    if close.matched > 0 {
        hint.push_str(&format!(
            "; closest known format: {} ({} of its {} fields)",
            close.name, close.matched, close.of
        ));
    }
    if !pairs.is_empty() {
        let all: Vec<String> = suggestion
            .pairs
            .iter()
            .map(|(c, s)| format!("{c}={s}"))
            .collect();
        hint.push_str(&format!(
            "; to open it, name the columns: --map {} (in the app: Map columns…)",
            if pairs.iter().any(|p| p.ends_with("=COLUMN")) {
                pairs.join(",")
            } else {
                all.join(",")
            }
        ));
    }
    Diagnosis {
        found: found.to_vec(),
        hint,
        suggestion,
    }
}

/// The first rows of one table of a source, every value as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Column names, as the source spells them.
    pub columns: Vec<String>,
    /// Rows, values as text (`None` for NULL).
    pub rows: Vec<Vec<Option<String>>>,
}

/// Reads the first `limit` rows of `table` in the source at `path` (a
/// table file, a folder of them, or a DuckDB database), for the mapping
/// dialog. Opens the evidence read-only.
pub fn preview(path: &Path, table: &str, limit: usize) -> StoreResult<Preview> {
    let src = Source::detect(path)?;
    let conn = Connection::open_in_memory().at(path, "cannot start DuckDB")?;
    if matches!(src.kind, SourceKind::DuckDb | SourceKind::Case) {
        conn.execute_batch(&format!(
            "ATTACH {} AS {} (READ_ONLY);",
            schema::literal(&path.to_string_lossy()),
            source::EVIDENCE_ALIAS
        ))
        .at(path, "cannot open the database")?;
    }
    let tables = src.tables()?;
    let Some(t) = tables.iter().find(|t| t.table == table) else {
        return Err(StoreError::MissingTable {
            path: path.into(),
            reason: format!("no `{table}` table"),
        });
    };
    let columns: Vec<String> = super::normalize::describe(&conn, &t.relation, &t.file)?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let sql = format!(
        "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (SELECT * FROM {} LIMIT {limit})",
        t.relation
    );
    let mut stmt = conn.prepare(&sql).at(&t.file, "cannot read rows")?;
    let n = columns.len();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .at(&t.file, "cannot read rows")?
        .collect::<Result<Vec<_>, _>>()
        .at(&t.file, "cannot read rows")?;
    Ok(Preview { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn log_formats_are_told_by_their_fields() {
        assert_eq!(
            log_format_of_fields(&names(&["request_id", "startTime", "model"])),
            Some(LogFormat::Litellm)
        );
        assert_eq!(
            log_format_of_fields(&names(&["resourceSpans"])),
            Some(LogFormat::Otel)
        );
        assert_eq!(
            log_format_of_fields(&names(&["requestId", "modelId", "input", "output"])),
            Some(LogFormat::Bedrock)
        );
        // A contract table that happens to carry LiteLLM's ids stays a table.
        assert_eq!(
            log_format_of_fields(&names(&["ts", "account_id", "request_id", "startTime"])),
            None
        );
    }

    #[test]
    fn guesses_take_synonyms_and_never_reuse_a_column() {
        let found = names(&["request_time", "customer", "Prompt", "user_agent_string"]);
        let g = guesses("exchanges", &found);
        let get = |c: &str| g.iter().find(|(n, _)| *n == c).unwrap().1.clone();
        assert_eq!(get("ts").as_deref(), Some("request_time"));
        assert_eq!(get("account_id").as_deref(), Some("customer"));
        assert_eq!(get("prompt").as_deref(), Some("Prompt"));
        assert_eq!(get("user_agent"), None);
        // "Time" once for ts, not again for another column.
        let g = guesses("events", &names(&["time", "type", "name"]));
        assert_eq!(
            g,
            vec![
                ("ts", Some("time".to_owned())),
                ("kind", Some("type".to_owned())),
                ("label", Some("name".to_owned()))
            ]
        );
    }

    #[test]
    fn the_diagnosis_names_what_is_missing_and_the_map_that_opens_it() {
        let Diagnosis {
            hint, suggestion, ..
        } = diagnose(
            "exchanges",
            &names(&["ts", "customer", "prompt"]),
            &ColumnMapping::default(),
        );
        assert!(hint.contains("missing: account_id"), "{hint}");
        assert!(hint.contains("--map account_id=customer"), "{hint}");
        assert_eq!(suggestion.source_in("exchanges", "account_id"), "customer");
        let hint = diagnose(
            "exchanges",
            &names(&["when", "who_knows"]),
            &ColumnMapping::default(),
        )
        .hint;
        assert!(hint.contains("--map ts=COLUMN,account_id=COLUMN"), "{hint}");
        let litellm_like = names(&["request_id", "call_type", "spend", "api_key", "model"]);
        assert!(closest(&litellm_like).name.contains("LiteLLM"));
    }
}
