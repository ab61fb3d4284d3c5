//! OpenTelemetry GenAI spans in OTLP JSON (semantic conventions as of May
//! 2026). Identity attributes usually sit on a parent HTTP span or on the
//! resource, so they are looked up on the span, then up its parents, then on
//! the resource.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::json::{has_image, int, last_user_text, list_len, text, unembed};
use super::{ExchangeRow, Record};

/// Operations that are model requests (tool execution and agent spans are not).
const INFERENCE_OPS: &[&str] = &["chat", "generate_content", "text_completion", "embeddings"];

/// Converts an OTLP `AnyValue` into plain JSON.
fn any_value(v: &Value) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    if let Some(s) = obj.get("stringValue") {
        return s.clone();
    }
    if let Some(b) = obj.get("boolValue") {
        return b.clone();
    }
    if let Some(i) = obj.get("intValue") {
        // 64-bit integers are decimal strings in OTLP/JSON; numbers are accepted too.
        return int(Some(i)).map(Value::from).unwrap_or(Value::Null);
    }
    if let Some(d) = obj.get("doubleValue") {
        return d.clone();
    }
    if let Some(a) = obj.get("arrayValue") {
        let values = a
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        return Value::Array(values.iter().map(any_value).collect());
    }
    if let Some(kv) = obj.get("kvlistValue") {
        return Value::Object(attributes(kv.get("values")));
    }
    Value::Null
}

/// An OTLP attribute list as a JSON object.
fn attributes(list: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for kv in list.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (kv.get("key").and_then(Value::as_str), kv.get("value")) {
            out.insert(k.to_owned(), any_value(v));
        }
    }
    out
}

struct Span {
    line: u64,
    trace: String,
    id: String,
    parent: String,
    start: Option<String>,
    attrs: Map<String, Value>,
    resource: usize,
}

/// Where each contract column comes from in a GenAI span (looked up on the
/// span, its parents, then the resource; kept beside [`map`]).
pub const FIELDS: &[(&str, &str)] = &[
    ("exchange_id", "gen_ai.response.id, else the span id"),
    ("ts", "startTimeUnixNano"),
    ("account_id", "user.id, enduser.id or enduser.pseudo.id"),
    ("ip", "client.address"),
    ("user_agent", "user_agent.original"),
    ("model", "gen_ai.request.model, else gen_ai.response.model"),
    (
        "input_tokens",
        "gen_ai.usage.input_tokens (or prompt_tokens)",
    ),
    (
        "output_tokens",
        "gen_ai.usage.output_tokens (or completion_tokens)",
    ),
    ("prompt", "last user turn of the input messages"),
    ("tool_count", "gen_ai.tool.definitions"),
    ("has_image", "an image part in the messages"),
    ("session_id", "gen_ai.conversation.id, else session.id"),
];

/// Maps the spans of all records of one file.
pub fn map(records: &[Record]) -> Vec<(u64, ExchangeRow)> {
    let mut resources: Vec<Map<String, Value>> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    for rec in records {
        for rs in rec
            .value
            .get("resourceSpans")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            resources.push(attributes(
                rs.get("resource").and_then(|r| r.get("attributes")),
            ));
            let resource = resources.len() - 1;
            for ss in rs
                .get("scopeSpans")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for sp in ss
                    .get("spans")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    spans.push(Span {
                        line: rec.line,
                        trace: text(sp.get("traceId")).unwrap_or_default(),
                        id: text(sp.get("spanId")).unwrap_or_default(),
                        parent: text(sp.get("parentSpanId")).unwrap_or_default(),
                        start: text(sp.get("startTimeUnixNano")),
                        attrs: attributes(sp.get("attributes")),
                        resource,
                    });
                }
            }
        }
    }
    let by_id: HashMap<(&str, &str), usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.trace.as_str(), s.id.as_str()), i))
        .collect();
    // Span, then parents (bounded, cycles are possible in bad data), then resource.
    let lookup = |i: usize, keys: &[&str]| -> Option<String> {
        let mut cur = Some(i);
        for _ in 0..32 {
            let Some(c) = cur else { break };
            let s = &spans[c];
            if let Some(v) = keys.iter().find_map(|k| text(s.attrs.get(*k))) {
                return Some(v);
            }
            cur = by_id.get(&(s.trace.as_str(), s.parent.as_str())).copied();
        }
        keys.iter()
            .find_map(|k| text(resources[spans[i].resource].get(*k)))
    };
    let mut out = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        let op = s.attrs.get("gen_ai.operation.name").and_then(Value::as_str);
        let is_inference = match op {
            Some(op) => INFERENCE_OPS.contains(&op),
            None => s.attrs.contains_key("gen_ai.request.model"),
        };
        if !is_inference {
            continue;
        }
        let a = &s.attrs;
        let messages = a
            .get("gen_ai.input.messages")
            .map(|m| unembed(m).unwrap_or(std::borrow::Cow::Borrowed(m)));
        out.push((
            s.line,
            ExchangeRow {
                exchange_id: text(a.get("gen_ai.response.id"))
                    .or_else(|| Some(s.id.clone()).filter(|x| !x.is_empty())),
                ts: s.start.clone(),
                account_id: lookup(i, &["user.id", "enduser.id", "enduser.pseudo.id"]),
                api_key_id: None,
                org_id: None,
                ip: lookup(i, &["client.address"]),
                user_agent: lookup(i, &["user_agent.original"]),
                model: text(a.get("gen_ai.request.model"))
                    .or_else(|| text(a.get("gen_ai.response.model"))),
                input_tokens: int(a.get("gen_ai.usage.input_tokens"))
                    .or_else(|| int(a.get("gen_ai.usage.prompt_tokens"))),
                output_tokens: int(a.get("gen_ai.usage.output_tokens"))
                    .or_else(|| int(a.get("gen_ai.usage.completion_tokens"))),
                prompt: messages.as_deref().and_then(last_user_text),
                tool_count: list_len(a.get("gen_ai.tool.definitions")),
                has_image: messages.as_deref().map(has_image),
                session_id: text(a.get("gen_ai.conversation.id"))
                    .or_else(|| lookup(i, &["session.id"])),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_spans_with_identity_on_the_parent() {
        let doc = json!({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gateway"}}]},
          "scopeSpans":[{"spans":[
            {"traceId":"t1","spanId":"p1","name":"POST /v1/chat","kind":2,"startTimeUnixNano":"1777774447000000000",
             "attributes":[{"key":"user.id","value":{"stringValue":"acct_220"}},{"key":"client.address","value":{"stringValue":"203.0.113.45"}}]},
            {"traceId":"t1","spanId":"c1","parentSpanId":"p1","name":"chat m","kind":3,"startTimeUnixNano":1777774447512000000u64,
             "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
               {"key":"gen_ai.request.model","value":{"stringValue":"claude-sonnet-4-5"}},
               {"key":"gen_ai.usage.input_tokens","value":{"intValue":"1840"}},
               {"key":"gen_ai.usage.completion_tokens","value":{"intValue":1280}},
               {"key":"gen_ai.input.messages","value":{"stringValue":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"plan it\"}]}]"}}]}]}]}]});
        let rows = map(&[Record {
            line: 1,
            value: doc,
        }]);
        assert_eq!(rows.len(), 1);
        let r = &rows[0].1;
        assert_eq!(r.account_id.as_deref(), Some("acct_220"));
        assert_eq!(r.ip.as_deref(), Some("203.0.113.45"));
        assert_eq!(r.input_tokens, Some(1840));
        assert_eq!(r.output_tokens, Some(1280));
        assert_eq!(r.prompt.as_deref(), Some("plan it"));
        assert_eq!(r.ts.as_deref(), Some("1777774447512000000"));
    }
}
