//! Helpers for pulling request fields out of the JSON of real logs, where
//! numbers come as strings, JSON comes embedded in strings, and the same
//! idea has a different shape in each provider's request body.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// Parses a JSON object keeping only the members named in `keys`: the
/// others (a spend log's response, timings, cost fields) are scanned but
/// never built, which is most of a record's parsing time.
pub fn parse_members(text: &str, keys: &[&str]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Members(keys).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Seed and visitor of [`parse_members`].
struct Members<'k>(&'k [&'k str]);

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(WantedKey(self.0))? {
            match key {
                Some(key) => {
                    out.insert(key, map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// A member's key, allocated only when it is one of the wanted keys.
struct WantedKey<'k>(&'k [&'k str]);

impl<'de> DeserializeSeed<'de> for WantedKey<'_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for WantedKey<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<String>, E> {
        Ok(self.0.contains(&v).then(|| v.to_owned()))
    }
}

/// Follows a path of object keys.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// Parses a value that may be JSON embedded in a string (CSV exports,
/// OTel attributes) into JSON; other values are lent as they are (a
/// request body holds the prompt: copying it for every record was a tenth
/// of the reading time).
pub fn unembed(v: &Value) -> Option<Cow<'_, Value>> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(t).ok().map(Cow::Owned)
            } else {
                None
            }
        }
        Value::Null => None,
        other => Some(Cow::Borrowed(other)),
    }
}

/// A non-empty string, or a number written as text.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer, also when written as a string ("1840").
pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64)),
        _ => None,
    }
}

/// The text of one message's content: a string, or the text parts of a
/// list (OpenAI `{type:text,text}`, Anthropic `{type:text,text}`, Converse
/// `{text}`, OTel `{type:text,content}`).
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(_) => {
                        let kind = p.get("type").and_then(Value::as_str).unwrap_or("text");
                        if kind == "text" || kind == "input_text" {
                            p.get("text")
                                .or_else(|| p.get("content"))
                                .and_then(Value::as_str)
                        } else {
                            None
                        }
                    }
                    _ => None,
                })
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// Parts of a message: `content` (OpenAI, Anthropic, Converse) or `parts` (OTel).
fn parts(message: &Value) -> Option<&Value> {
    message.get("content").or_else(|| message.get("parts"))
}

/// Text of the last `user` turn of a message list.
pub fn last_user_text(messages: &Value) -> Option<String> {
    messages
        .as_array()?
        .iter()
        .rev()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .find_map(|m| parts(m).and_then(content_text))
        .filter(|t| !t.trim().is_empty())
}

/// Whether any message carries an image part.
pub fn has_image(messages: &Value) -> bool {
    let Some(list) = messages.as_array() else {
        return false;
    };
    list.iter().filter_map(parts).any(|c| {
        c.as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
                matches!(
                    kind,
                    "image" | "image_url" | "input_image" | "blob" | "uri" | "file"
                ) || p.get("image").is_some()
                    || p.get("image_url").is_some()
            })
        })
    })
}

/// Length of a list, also when the list is JSON inside a string.
pub fn list_len(v: Option<&Value>) -> Option<i64> {
    Some(unembed(v?)?.as_array()?.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_last_user_turn_in_each_shape() {
        let openai = json!([{"role":"user","content":"first"},{"role":"assistant","content":"x"},
            {"role":"user","content":[{"type":"text","text":"second"},{"type":"image_url","image_url":{"url":"data:"}}]}]);
        assert_eq!(last_user_text(&openai).as_deref(), Some("second"));
        assert!(has_image(&openai));
        let converse = json!([{"role":"user","content":[{"text":"grade it"}]}]);
        assert_eq!(last_user_text(&converse).as_deref(), Some("grade it"));
        assert!(!has_image(&converse));
        let otel = json!([{"role":"user","parts":[{"type":"text","content":"hi"}]}]);
        assert_eq!(last_user_text(&otel).as_deref(), Some("hi"));
        assert_eq!(int(Some(&json!("1840"))), Some(1840));
        assert_eq!(list_len(Some(&json!("[1,2]"))), Some(2));
    }
}
