//! LiteLLM proxy spend logs (`LiteLLM_SpendLogs`), field names from
//! BerriAI/litellm `schema.prisma` and `spend_tracking_utils.py`.

use std::borrow::Cow;

use serde_json::Value;

use super::ExchangeRow;
use super::json::{has_image, int, last_user_text, list_len, text, unembed};

/// The full user agent from `request_tags` (LiteLLM adds both
/// `User-Agent: <product>` and `User-Agent: <full UA>`; the longer is kept).
fn user_agent(tags: Option<&Value>) -> Option<String> {
    let tags = unembed(tags?)?;
    tags.as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|t| t.strip_prefix("User-Agent: "))
        .max_by_key(|ua| ua.len())
        .map(str::to_owned)
}

/// Where each contract column comes from in a spend-log row (shown in the
/// Overview and `summary`; kept beside [`map`], which it describes).
pub const FIELDS: &[(&str, &str)] = &[
    ("exchange_id", "request_id"),
    ("ts", "startTime"),
    ("account_id", "end_user, else user, else team_id"),
    ("api_key_id", "api_key"),
    (
        "org_id",
        "organization_id, else metadata.user_api_key_org_id",
    ),
    ("ip", "requester_ip_address (first of a forwarded list)"),
    ("user_agent", "request_tags \"User-Agent: …\" (the longest)"),
    ("model", "model, else model_group"),
    ("input_tokens", "prompt_tokens"),
    ("output_tokens", "completion_tokens"),
    (
        "prompt",
        "last user turn of proxy_server_request.messages (or messages)",
    ),
    ("tool_count", "proxy_server_request.tools"),
    ("has_image", "an image part in the messages"),
    ("session_id", "session_id"),
];

/// The top-level members [`map`] reads: a line is parsed for these only
/// (real spend logs also carry the response, cost and cache fields).
pub const KEYS: &[&str] = &[
    "request_id",
    "startTime",
    "end_user",
    "user",
    "team_id",
    "api_key",
    "organization_id",
    "metadata",
    "requester_ip_address",
    "request_tags",
    "model",
    "model_group",
    "prompt_tokens",
    "completion_tokens",
    "proxy_server_request",
    "messages",
    "session_id",
];

/// Maps one spend-log row. account_id is `end_user` where set, else `user`,
/// else `team_id`.
pub fn map(v: &Value) -> ExchangeRow {
    let metadata = v.get("metadata").and_then(unembed);
    let request = v
        .get("proxy_server_request")
        .and_then(unembed)
        .filter(|r| r.get("messages").is_some());
    // Older releases stored the messages in `messages`; current ones store "{}".
    let messages = request
        .as_deref()
        .and_then(|r| r.get("messages"))
        .map(Cow::Borrowed)
        .or_else(|| v.get("messages").and_then(unembed).filter(|m| m.is_array()));
    let meta = |k: &str| metadata.as_ref().and_then(|m| text(m.get(k)));
    ExchangeRow {
        exchange_id: text(v.get("request_id")),
        ts: text(v.get("startTime")),
        account_id: text(v.get("end_user"))
            .or_else(|| text(v.get("user")))
            .or_else(|| text(v.get("team_id"))),
        api_key_id: text(v.get("api_key")),
        org_id: text(v.get("organization_id")).or_else(|| meta("user_api_key_org_id")),
        ip: text(v.get("requester_ip_address")).or_else(|| meta("requester_ip_address")),
        user_agent: user_agent(v.get("request_tags")),
        model: text(v.get("model")).or_else(|| text(v.get("model_group"))),
        input_tokens: int(v.get("prompt_tokens")),
        output_tokens: int(v.get("completion_tokens")),
        prompt: messages.as_deref().and_then(last_user_text),
        tool_count: request.as_deref().and_then(|r| list_len(r.get("tools"))),
        has_image: messages.as_deref().map(has_image),
        session_id: text(v.get("session_id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_the_documented_sample_row() {
        let row = json!({"request_id":"chatcmpl-9f2c","call_type":"acompletion","api_key":"88dc",
          "spend":0.0213,"total_tokens":3120,"prompt_tokens":1840,"completion_tokens":1280,
          "startTime":"2026-05-03T02:14:07.512Z","model":"claude-sonnet-4-5","user":"u_ops","end_user":"cust-4471",
          "team_id":"t_resale","organization_id":"org_7","requester_ip_address":"203.0.113.45, 10.0.0.2",
          "request_tags":["batch-a","User-Agent: python-httpx","User-Agent: python-httpx/0.27.0"],
          "metadata":{"user_api_key_alias":"key-0412"},
          "proxy_server_request":{"model":"claude-sonnet","tools":[{"name":"run_tests"}],
            "messages":[{"role":"user","content":"Refactor this function"}]},"session_id":"3e1b"});
        let r = map(&row);
        assert_eq!(r.account_id.as_deref(), Some("cust-4471"));
        assert_eq!(r.user_agent.as_deref(), Some("python-httpx/0.27.0"));
        assert_eq!(r.prompt.as_deref(), Some("Refactor this function"));
        assert_eq!(r.tool_count, Some(1));
        assert_eq!(r.input_tokens, Some(1840));
        let mut no_end_user = row.clone();
        no_end_user["end_user"] = Value::Null;
        assert_eq!(map(&no_end_user).account_id.as_deref(), Some("u_ops"));
    }

    #[test]
    fn parsing_only_the_keys_read_maps_every_shape_alike() {
        let rows = [
            json!({"request_id":"a","startTime":"2026-05-03T02:14:07Z","end_user":"c1","api_key":"k",
              "metadata":{"user_api_key_org_id":"org_m","requester_ip_address":"198.51.100.7"},
              "request_tags":"[\"User-Agent: curl/8.5.0\"]","model_group":"m","prompt_tokens":"12",
              "completion_tokens":3,"proxy_server_request":"{}",
              "messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":"x"}]}],
              "response":{"choices":[{"message":{"content":"a long answer"}}]},"spend":0.1}),
            json!({"request_id":"b","startTime":"2026-05-03T02:14:08Z","team_id":"t","user":"",
              "proxy_server_request":"{\"tools\":[{}],\"messages\":[{\"role\":\"user\",\"content\":\"Fix it\"}]}",
              "session_id":"s","organization_id":"o","requester_ip_address":"203.0.113.4","model":"x"}),
        ];
        for row in rows {
            let text = row.to_string();
            let whole = map(&serde_json::from_str(&text).unwrap());
            let members = map(&super::super::json::parse_members(&text, KEYS).unwrap());
            assert_eq!(whole, members);
            assert!(
                whole.exchange_id.is_some() && whole.prompt.is_some(),
                "{whole:?}"
            );
        }
    }
}
