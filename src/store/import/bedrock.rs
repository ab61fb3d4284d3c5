//! AWS Bedrock model-invocation logs (schemaType ModelInvocationLog). They
//! carry no client IP or user agent: those live in CloudTrail.

use serde_json::Value;

use super::ExchangeRow;
use super::json::{at, has_image, int, last_user_text, list_len, text};

/// Keys of `requestMetadata` that name the caller's own customer.
const TENANT_KEYS: &[&str] = &[
    "tenant",
    "tenant_id",
    "end_user",
    "customer",
    "customer_id",
    "account_id",
    "user",
    "user_id",
];

/// Where each contract column comes from in an invocation record (kept
/// beside [`map`], which it describes).
pub const FIELDS: &[(&str, &str)] = &[
    ("exchange_id", "requestId"),
    ("ts", "timestamp"),
    (
        "account_id",
        "requestMetadata tenant/customer/user key, else identity.arn",
    ),
    ("api_key_id", "identity.arn"),
    ("org_id", "accountId (the AWS account)"),
    ("model", "modelId"),
    ("input_tokens", "input.inputTokenCount"),
    ("output_tokens", "output.outputTokenCount"),
    (
        "prompt",
        "last user turn of input.inputBodyJson (messages, prompt or inputText)",
    ),
    (
        "tool_count",
        "input.inputBodyJson toolConfig.tools or tools",
    ),
    ("has_image", "an image part in the messages"),
    ("session_id", "requestMetadata.session_id"),
];

/// Maps one log record. account_id is the tenant the caller put in
/// `requestMetadata`, else the IAM identity.
pub fn map(v: &Value) -> ExchangeRow {
    let body = at(v, &["input", "inputBodyJson"]);
    let messages = body.and_then(|b| b.get("messages"));
    let prompt = messages
        .and_then(last_user_text)
        .or_else(|| body.and_then(|b| text(b.get("prompt")).or_else(|| text(b.get("inputText")))));
    let tools = body.and_then(|b| at(b, &["toolConfig", "tools"]).or_else(|| b.get("tools")));
    let metadata = v.get("requestMetadata");
    let tenant = metadata.and_then(|m| TENANT_KEYS.iter().find_map(|k| text(m.get(*k))));
    let arn = text(at(v, &["identity", "arn"]));
    ExchangeRow {
        exchange_id: text(v.get("requestId")),
        ts: text(v.get("timestamp")),
        account_id: tenant.or_else(|| arn.clone()),
        api_key_id: arn,
        org_id: text(v.get("accountId")),
        ip: None,
        user_agent: None,
        model: text(v.get("modelId")),
        input_tokens: int(at(v, &["input", "inputTokenCount"])),
        output_tokens: int(at(v, &["output", "outputTokenCount"])),
        prompt,
        tool_count: list_len(tools),
        has_image: messages.map(has_image),
        session_id: metadata
            .and_then(|m| text(m.get("session_id")).or_else(|| text(m.get("sessionId")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_converse_records_with_tenant() {
        let rec = json!({"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-05-03T02:14:07Z",
          "accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/reseller-app/sess-91"},
          "requestId":"3f6c","operation":"Converse","modelId":"us.anthropic.claude-sonnet-4-5-v1:0",
          "input":{"inputTokenCount":1840,"inputBodyJson":{"messages":[{"role":"user","content":[{"text":"Grade this answer against the rubric"}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"run_tests"}}]}}},
          "output":{"outputTokenCount":1280,"outputBodyJson":[{"contentBlockDelta":{}},{"metadata":{}}]},
          "requestMetadata":{"tenant":"cust-4471"}});
        let r = map(&rec);
        assert_eq!(r.account_id.as_deref(), Some("cust-4471"));
        assert_eq!(
            r.api_key_id.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/reseller-app/sess-91")
        );
        assert_eq!(r.tool_count, Some(1));
        assert_eq!(r.output_tokens, Some(1280));
        assert_eq!(
            r.prompt.as_deref(),
            Some("Grade this answer against the rubric")
        );
    }
}
