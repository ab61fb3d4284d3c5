//! The synthetic incident of SCENARIO.md: four distillation campaigns at
//! their reported sizes hidden among legitimate traffic that contains every
//! hard case, from one recipe and one seed. Writes Parquet tables the app
//! reads and, apart from them, `truth.csv`, which the app never reads.

pub mod dist;
pub mod population;
pub mod prompts;
pub mod recipe;
pub mod traffic;
pub mod world;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Connection, params};

use crate::store::error::{Context as _, StoreError, StoreResult};
use crate::store::progress::Progress;
use crate::store::schema::literal;
use population::Population;
use recipe::{DAYS, Recipe};

/// What `generate` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GenerateReport {
    /// Output folder.
    pub out: PathBuf,
    /// Exchanges written.
    pub exchanges: u64,
    /// Accounts written.
    pub accounts: u64,
    /// Exchanges per truth label.
    pub per_label: Vec<(String, u64)>,
}

/// Exchanges per Parquet part of a large incident.
const PART_ROWS: usize = 4_000_000;

const EXCHANGES_DDL: &str =
    "CREATE TABLE exchanges (exchange_id VARCHAR, ts TIMESTAMP, account_id VARCHAR,
    api_key_id VARCHAR, org_id VARCHAR, ip VARCHAR, asn INTEGER, asn_org VARCHAR, country VARCHAR,
    user_agent VARCHAR, model VARCHAR, input_tokens BIGINT, output_tokens BIGINT, prompt VARCHAR,
    tool_count INTEGER, has_image BOOLEAN, session_id VARCHAR);";

fn batch(pop: &Population, world: world::World, rows: &[traffic::Exchange]) -> RecordBatch {
    let n = rows.len();
    let mut exchange_id = StringBuilder::with_capacity(n, n * 21);
    let mut ts = TimestampMicrosecondBuilder::with_capacity(n);
    let mut account_id = StringBuilder::with_capacity(n, n * 17);
    let mut api_key_id = StringBuilder::with_capacity(n, n * 16);
    let mut org_id = StringBuilder::with_capacity(n, n * 8);
    let mut ip = StringBuilder::with_capacity(n, n * 14);
    let mut asn = Int32Builder::with_capacity(n);
    let mut asn_org = StringBuilder::with_capacity(n, n * 16);
    let mut country = StringBuilder::with_capacity(n, n * 2);
    let mut user_agent = StringBuilder::with_capacity(n, n * 24);
    let mut model = StringBuilder::with_capacity(n, n * 8);
    let mut input_tokens = Int64Builder::with_capacity(n);
    let mut output_tokens = Int64Builder::with_capacity(n);
    let mut prompt = StringBuilder::with_capacity(n, n * 160);
    let mut tool_count = Int32Builder::with_capacity(n);
    let mut has_image = BooleanBuilder::with_capacity(n);
    let mut session_id = StringBuilder::with_capacity(n, n * 16);
    for e in rows {
        let p = &pop.profiles[e.account as usize];
        let net = traffic::network(e);
        exchange_id.append_value(&e.exchange_id);
        ts.append_value(e.ts_us);
        account_id.append_value(&p.id);
        api_key_id.append_value(&e.api_key_id);
        org_id.append_option(p.org_id.as_deref());
        ip.append_value(&e.ip);
        asn.append_value(net.asn);
        asn_org.append_value(world.org(e.net as usize));
        country.append_value(world.log_country(net.country));
        user_agent.append_value(e.user_agent);
        model.append_value(world.model(e.model as usize));
        input_tokens.append_value(e.input_tokens);
        output_tokens.append_value(e.output_tokens);
        if world == world::World::Reference
            || !matches!(p.archetype, population::Archetype::Campaign(_))
        {
            prompt.append_value(&e.prompt);
        } else {
            let salt = xxhash_rust::xxh3::xxh3_64(e.exchange_id.as_bytes());
            prompt.append_value(world.campaign_prompt(&e.prompt, salt));
        }
        tool_count.append_value(e.tool_count);
        has_image.append_value(e.has_image);
        session_id.append_value(&e.session_id);
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("exchange_id", Arc::new(exchange_id.finish())),
        ("ts", Arc::new(ts.finish())),
        ("account_id", Arc::new(account_id.finish())),
        ("api_key_id", Arc::new(api_key_id.finish())),
        ("org_id", Arc::new(org_id.finish())),
        ("ip", Arc::new(ip.finish())),
        ("asn", Arc::new(asn.finish())),
        ("asn_org", Arc::new(asn_org.finish())),
        ("country", Arc::new(country.finish())),
        ("user_agent", Arc::new(user_agent.finish())),
        ("model", Arc::new(model.finish())),
        ("input_tokens", Arc::new(input_tokens.finish())),
        ("output_tokens", Arc::new(output_tokens.finish())),
        ("prompt", Arc::new(prompt.finish())),
        ("tool_count", Arc::new(tool_count.finish())),
        ("has_image", Arc::new(has_image.finish())),
        ("session_id", Arc::new(session_id.finish())),
    ];
    RecordBatch::try_from_iter(columns).expect("columns have equal lengths")
}

fn write_accounts(
    conn: &Connection,
    recipe: &Recipe,
    pop: &Population,
    path: &Path,
) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE accounts (account_id VARCHAR, created_at TIMESTAMP, email_domain VARCHAR,
           payment_fingerprint VARCHAR, signup_ip VARCHAR, signup_country VARCHAR,
           verification_path VARCHAR, org_id VARCHAR);
         CREATE TABLE truth (account_id VARCHAR, label VARCHAR, is_campaign BOOLEAN, grp VARCHAR);
         CREATE TABLE events (ts TIMESTAMP, kind VARCHAR, label VARCHAR);",
    )
    .at(path, "writing accounts")?;
    let w = recipe.world;
    let mut acc = conn.appender("accounts").at(path, "writing accounts")?;
    for p in &pop.profiles {
        acc.append_row(params![
            p.id,
            duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Second, p.created_at),
            p.email_domain,
            p.payment,
            p.signup_ip,
            w.signup_country(&p.signup_country),
            w.verification(p.verification),
            p.org_id
        ])
        .at(path, "writing accounts")?;
    }
    acc.flush().at(path, "writing accounts")?;
    drop(acc);
    let mut truth = conn.appender("truth").at(path, "writing truth")?;
    for p in &pop.profiles {
        let campaign = matches!(p.archetype, population::Archetype::Campaign(_));
        truth
            .append_row(params![p.id, p.archetype.label(recipe), campaign, p.group])
            .at(path, "writing truth")?;
    }
    truth.flush().at(path, "writing truth")?;
    drop(truth);
    let mut ev = conn.appender("events").at(path, "writing events")?;
    for (ts, kind, label) in w.events() {
        ev.append_row(params![
            duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Second, *ts),
            kind,
            label
        ])
        .at(path, "writing events")?;
    }
    ev.flush().at(path, "writing events")
}

/// Name of the LiteLLM spend-log export `generate --litellm` writes.
pub const LITELLM_FILE: &str = "litellm_spend_logs.jsonl";

/// The incident's exchanges as a LiteLLM proxy would log them
/// (`LiteLLM_SpendLogs` rows as JSON Lines, prompts stored): request ids,
/// hashed keys, `end_user` accounts, client addresses, user agents in
/// `request_tags`, the request body with its messages and tools. No
/// accounts, no events, no AS numbers or countries: what a real gateway
/// export holds.
fn write_litellm(conn: &Connection, parts: &[PathBuf], out: &Path) -> StoreResult<()> {
    let files: Vec<String> = parts
        .iter()
        .map(|p| literal(&p.to_string_lossy()))
        .collect();
    conn.execute_batch(&format!(
        "COPY (
           SELECT exchange_id AS request_id, 'acompletion' AS call_type,
                  sha256(api_key_id) AS api_key, 0.0 AS spend,
                  input_tokens + output_tokens AS total_tokens,
                  input_tokens AS prompt_tokens, output_tokens AS completion_tokens,
                  strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS \"startTime\",
                  strftime(ts + INTERVAL 2 SECOND, '%Y-%m-%dT%H:%M:%S.%gZ') AS \"endTime\",
                  model, model AS model_group, 'openai' AS custom_llm_provider,
                  'u_gateway' AS \"user\", account_id AS end_user, org_id AS team_id,
                  ip AS requester_ip_address,
                  ['User-Agent: ' || split_part(user_agent, '/', 1), 'User-Agent: ' || user_agent] AS request_tags,
                  json_object('user_api_key_alias', 'key-' || right(api_key_id, 6)) AS metadata,
                  json_object(
                    'model', model,
                    'tools', to_json(list_transform(range(coalesce(tool_count, 0)), i -> json_object('type', 'function', 'function', json_object('name', 'tool_' || i::VARCHAR)))),
                    'messages', json_array(json_object('role', 'user', 'content',
                       CASE WHEN has_image THEN json_array(
                              json_object('type', 'text', 'text', prompt),
                              json_object('type', 'image_url', 'image_url', json_object('url', 'data:image/png;base64,iVBORw0KGgo=')))
                            ELSE to_json(prompt) END))
                  ) AS proxy_server_request,
                  session_id, 'success' AS status
           FROM read_parquet([{}]) ORDER BY ts
         ) TO {} (FORMAT json);",
        files.join(", "),
        literal(&out.to_string_lossy())
    ))
    .at(out, "writing the LiteLLM export")
}

/// Writes the incident of `recipe` into `out` (all or nothing); with
/// `litellm`, also its exchanges as a LiteLLM spend-log export.
pub fn generate(
    recipe: &Recipe,
    out: &Path,
    litellm: bool,
    progress: &Progress,
) -> StoreResult<GenerateReport> {
    if out.exists() {
        return Err(StoreError::NotWhatItSays {
            path: out.into(),
            reason: "the output folder already exists; choose a new one".into(),
        });
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).at(parent, "cannot create the output folder")?;
    let staging = tempfile::Builder::new()
        .prefix(".distillscope-generate-")
        .tempdir_in(parent)
        .at(parent, "cannot create a working folder")?;
    let folder = staging.path().join("incident");
    let parts_dir = folder.join("exchanges");
    std::fs::create_dir_all(&parts_dir).at(&parts_dir, "cannot create the output folder")?;
    // Rows go through an in-memory table to Parquet parts: storing them in a
    // database file first cost more than generating them (measured).
    let conn = Connection::open_in_memory().at(&folder, "cannot start DuckDB")?;
    conn.execute_batch("SET memory_limit = '4GB'; SET enable_progress_bar = false;")
        .at(&folder, "configuring DuckDB")?;

    progress.stage("Building accounts")?;
    let pop = population::build(recipe);
    write_accounts(&conn, recipe, &pop, &folder)?;
    conn.execute_batch(EXCHANGES_DDL)
        .at(&folder, "creating exchanges")?;

    progress.stage("Generating traffic")?;
    let mut per_label = std::collections::BTreeMap::<String, u64>::new();
    let mut total = 0u64;
    let mut part_rows = 0usize;
    let mut parts: Vec<PathBuf> = Vec::new();
    // Days are generated on the rayon pool one ahead of DuckDB appending the
    // previous one, so both cores stay busy.
    let seed = recipe.seed;
    let campaigns = recipe.campaigns.len();
    let long_prompts = recipe.long_prompts;
    std::thread::scope(|scope| -> StoreResult<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<traffic::Exchange>>(1);
        let pop_ref = &pop;
        let producer_progress = progress.clone();
        std::thread::Builder::new()
            .name("generate-days".into())
            .spawn_scoped(scope, move || {
                for d in 0..DAYS {
                    if producer_progress.is_cancelled() {
                        break;
                    }
                    if tx
                        .send(traffic::day(seed, pop_ref, campaigns, d, long_prompts))
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .expect("spawn generator thread");
        for (d, rows) in rx.iter().enumerate() {
            progress.check()?;
            progress.set_fraction(d as f32 / DAYS as f32);
            for e in &rows {
                let label = pop.profiles[e.account as usize].archetype.label(recipe);
                *per_label.entry(label).or_default() += 1;
            }
            total += rows.len() as u64;
            part_rows += rows.len();
            {
                let mut app = conn
                    .appender("exchanges")
                    .at(&folder, "writing exchanges")?;
                for chunk in rows.chunks(100_000) {
                    app.append_record_batch(batch(&pop, recipe.world, chunk))
                        .at(&folder, "writing exchanges")?;
                }
                app.flush().at(&folder, "writing exchanges")?;
            }
            if part_rows >= PART_ROWS || d + 1 == DAYS as usize {
                let part = parts_dir.join(format!("part-{:04}.parquet", parts.len()));
                conn.execute_batch(&format!(
                    "COPY exchanges TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
                     DELETE FROM exchanges;",
                    literal(&part.to_string_lossy())
                ))
                .at(&part, "writing Parquet")?;
                parts.push(part);
                part_rows = 0;
            }
        }
        Ok(())
    })?;
    progress.check()?;

    progress.stage("Writing accounts, events and truth")?;
    let f = |name: &str| literal(&folder.join(name).to_string_lossy());
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM accounts ORDER BY account_id) TO {} (FORMAT parquet, COMPRESSION zstd);
         COPY (SELECT account_id, label, is_campaign, grp AS \"group\" FROM truth ORDER BY account_id) TO {} (FORMAT csv, HEADER true);",
        f("accounts.parquet"),
        f("truth.csv"),
    ))
    .at(&folder, "writing the incident files")?;
    // The other world has no events table at all.
    if !recipe.world.events().is_empty() {
        conn.execute_batch(&format!(
            "COPY events TO {} (FORMAT parquet);",
            f("events.parquet")
        ))
        .at(&folder, "writing the incident files")?;
    }
    if litellm {
        progress.stage("Writing the LiteLLM spend-log export")?;
        write_litellm(&conn, &parts, &folder.join(LITELLM_FILE))?;
    }
    drop(conn);
    // A small incident is one file; a large one a folder of parts.
    if parts.len() == 1 {
        std::fs::rename(&parts[0], folder.join("exchanges.parquet"))
            .at(&folder, "moving exchanges")?;
        std::fs::remove_dir(&parts_dir).at(&parts_dir, "removing the parts folder")?;
    }
    // An IP database for the synthetic address space, in the iptoasn layout.
    let mut ipdb = String::new();
    for (i, (start, end, net)) in world::ranges().into_iter().enumerate() {
        ipdb.push_str(&format!(
            "{start}\t{end}\t{}\t{}\t{}\n",
            net.asn,
            net.country,
            recipe.world.org(i)
        ));
    }
    std::fs::write(folder.join("ip2asn.tsv"), ipdb).at(&folder, "writing ip2asn.tsv")?;
    let report = GenerateReport {
        out: out.into(),
        exchanges: total,
        accounts: pop.profiles.len() as u64,
        per_label: per_label.into_iter().collect(),
    };
    let recipe_json = serde_json::json!({ "recipe": recipe, "report": report });
    std::fs::write(
        folder.join("recipe.json"),
        serde_json::to_string_pretty(&recipe_json).expect("json"),
    )
    .at(&folder, "writing recipe.json")?;
    std::fs::rename(&folder, out).at(out, "cannot move the incident into place")?;
    Ok(report)
}
