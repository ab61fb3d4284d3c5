"""DuckDB's own reading of a LiteLLM spend-log export: the same fields
distillscope's importer maps, read by `read_json` into a table of a DuckDB
file, with the importer's memory limit. The comparison for the import's
reading stage (BENCHMARKS.md).

    python3 benches/litellm/read_json.py litellm_spend_logs.jsonl out.duckdb

Needs the `duckdb` Python package (the same DuckDB as the tool: 1.5.6).
"""

import sys
import time

import duckdb

COLUMNS = """{request_id: 'VARCHAR', startTime: 'VARCHAR', end_user: 'VARCHAR',
  "user": 'VARCHAR', team_id: 'VARCHAR', api_key: 'VARCHAR', organization_id: 'VARCHAR',
  metadata: 'JSON', requester_ip_address: 'VARCHAR', request_tags: 'JSON', model: 'VARCHAR',
  model_group: 'VARCHAR', prompt_tokens: 'BIGINT', completion_tokens: 'BIGINT',
  proxy_server_request: 'JSON', messages: 'JSON', session_id: 'VARCHAR'}"""

QUERY = f"""
CREATE TABLE exchanges AS
SELECT request_id AS exchange_id, startTime AS ts,
       coalesce(nullif(end_user, ''), nullif("user", ''), team_id) AS account_id,
       api_key AS api_key_id,
       coalesce(organization_id, metadata->>'user_api_key_org_id') AS org_id,
       trim(split_part(coalesce(requester_ip_address, metadata->>'requester_ip_address'), ',', 1)) AS ip,
       request_tags->>'$[#-1]' AS user_agent,
       coalesce(model, model_group) AS model,
       prompt_tokens AS input_tokens, completion_tokens AS output_tokens,
       coalesce(proxy_server_request->'messages', messages)->'$[#-1]'->>'content' AS prompt,
       json_array_length(proxy_server_request->'tools') AS tool_count,
       session_id
FROM read_json(?, format = 'newline_delimited', columns = {COLUMNS})
"""


def main() -> None:
    source, out = sys.argv[1], sys.argv[2]
    con = duckdb.connect(out)
    con.execute("SET memory_limit = '3GB'; SET enable_progress_bar = false")
    start = time.time()
    con.execute(QUERY, [source])
    seconds = time.time() - start
    rows = con.execute("SELECT count(*) FROM exchanges").fetchone()[0]
    print(f"read_json: {rows} rows in {seconds:.1f} s")


if __name__ == "__main__":
    main()
