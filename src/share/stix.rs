//! A campaign's shareable indicators as a STIX 2.1 bundle (OASIS STIX 2.1,
//! sections 4–7): the sharing `identity`, a `campaign`, one `indicator`
//! per shared value with a STIX pattern, `infrastructure` for the proxy
//! networks, the model-extraction `attack-pattern` (MITRE ATLAS
//! AML.T0024.002), a `note` with the timing profile, the `relationship`s
//! between them, a `report` tying them together, and the TLP marking on
//! every object. Only standard properties: counts go in descriptions.

use std::path::Path;

use serde_json::{Value, json};

use super::select::{ShareContent, ShareKind, ShareOptions, Shareable, Tlp};
use crate::store::error::{Context as _, StoreResult};

/// The TLP 1.0 marking definitions STIX 2.1 predefines (section 7.2.1.4):
/// id, name and colour. TLP 2.0's CLEAR is TLP 1.0's WHITE.
fn tlp_marking(tlp: Tlp) -> Value {
    let (id, colour) = match tlp {
        Tlp::Clear => ("613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
        Tlp::Green => ("34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
        Tlp::Amber => ("f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
    };
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": format!("marking-definition--{id}"),
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": format!("TLP:{}", colour.to_uppercase()),
        "definition": {"tlp": colour},
    })
}

/// A new STIX identifier: the type and a random (version 4) UUID.
fn new_id(kind: &str) -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A string literal of the STIX patterning language (section 9.3).
fn pattern_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The STIX pattern that matches `s`, or None for a value that cannot be
/// written as one (an AS "number" that is not a number).
pub fn pattern(s: &Shareable) -> Option<String> {
    Some(match s.kind {
        ShareKind::Ip if s.value.contains(':') => {
            format!("[ipv6-addr:value = {}]", pattern_string(&s.value))
        }
        ShareKind::Ip => format!("[ipv4-addr:value = {}]", pattern_string(&s.value)),
        ShareKind::Network if s.value.contains(':') => {
            format!("[ipv6-addr:value ISSUBSET {}]", pattern_string(&s.value))
        }
        ShareKind::Network => {
            format!("[ipv4-addr:value ISSUBSET {}]", pattern_string(&s.value))
        }
        ShareKind::Asn => {
            let number: u64 = s.value.trim_start_matches("AS").parse().ok()?;
            format!("[autonomous-system:number = {number}]")
        }
        ShareKind::UserAgent => format!(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {}]",
            pattern_string(&s.value)
        ),
        ShareKind::Template => {
            format!("[artifact:hashes.'SHA-256' = {}]", pattern_string(&s.value))
        }
    })
}

/// What an indicator of this kind says it detects.
fn indicator_text(s: &Shareable) -> (String, String, &'static str) {
    let used = format!(
        "{} of the campaign's accounts used it, of {} accounts in all in the sharing provider's logs.",
        s.campaign_accounts, s.case_accounts
    );
    match s.kind {
        ShareKind::Ip => (
            format!("Proxy or hosting address {}", s.value),
            format!("An address the campaign's accounts sent requests from. {used}"),
            "anonymization",
        ),
        ShareKind::Network => (
            format!("Proxy network {}", s.value),
            format!("A network the campaign's accounts sent requests from. {used}"),
            "anonymization",
        ),
        ShareKind::Asn => (
            format!("Autonomous system {} {}", s.value, s.detail)
                .trim_end()
                .to_owned(),
            format!("The campaign's requests came through this autonomous system. {used}"),
            "anonymization",
        ),
        ShareKind::UserAgent => (
            format!("Client user agent {}", s.value),
            format!("The HTTP user agent of the campaign's scripted clients. {used}"),
            "malicious-activity",
        ),
        ShareKind::Template => (
            format!("Prompt template {}…", &s.value[..s.value.len().min(16)]),
            format!(
                "SHA-256 of a prompt template the campaign's scripts sent, as distillscope \
                 normalises it (code blocks, URLs, e-mail addresses, quoted strings, numbers, \
                 ids and capitalised names replaced by placeholders, runs of white space \
                 collapsed, lower case); the text itself is not shared. {used}"
            ),
            "malicious-activity",
        ),
    }
}

/// The timing profile: the campaign's requests by hour of day.
fn timing_note(content: &ShareContent) -> String {
    let total: i64 = content.hours.iter().sum();
    let shares: Vec<String> = content
        .hours
        .iter()
        .enumerate()
        .map(|(h, n)| format!("{h:02}h {:.1}%", *n as f64 * 100.0 / total.max(1) as f64))
        .collect();
    format!(
        "Timing profile of {total} requests, share by hour of day (UTC): {}.",
        shares.join(", ")
    )
}

/// The STIX 2.1 bundle of `content` as `opts` chooses, stamped `now`
/// (RFC 3339 with milliseconds, UTC).
pub fn bundle(content: &ShareContent, opts: &ShareOptions, now: &str) -> Value {
    let marking = tlp_marking(opts.tlp);
    let marking_id = marking["id"].clone();
    let identity_id = new_id("identity");
    let common = |kind: &str, id: &str| {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": id,
            "created": now,
            "modified": now,
            "created_by_ref": identity_id,
            "object_marking_refs": [marking_id],
        })
    };
    let with = |mut base: Value, extra: Value| {
        if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
            b.extend(e);
        }
        base
    };
    let relationship = |kind: &str, from: &str, to: &str| {
        let id = new_id("relationship");
        with(
            common("relationship", &id),
            json!({"relationship_type": kind, "source_ref": from, "target_ref": to}),
        )
    };
    let mut objects = vec![
        marking.clone(),
        with(
            common("identity", &identity_id),
            json!({"name": opts.identity, "identity_class": "organization"}),
        ),
    ];
    let campaign_id = new_id("campaign");
    let mut campaign = json!({
        "name": content.name,
        "description": content.description,
        "objective": "Harvest a frontier model's answers at scale as training data for another model (distillation).",
    });
    if !content.first_seen.is_empty() {
        campaign["first_seen"] = json!(content.first_seen);
        campaign["last_seen"] = json!(content.last_seen);
    }
    objects.push(with(common("campaign", &campaign_id), campaign));
    let pattern_id = new_id("attack-pattern");
    objects.push(with(
        common("attack-pattern", &pattern_id),
        json!({
            "name": "Extract ML Model through its inference API",
            "description": "Large numbers of scripted prompts sent through many accounts to collect the model's outputs and train another model on them.",
            "external_references": [{
                "source_name": "mitre-atlas",
                "external_id": "AML.T0024.002",
                "url": "https://atlas.mitre.org/techniques/AML.T0024.002",
            }],
        }),
    ));
    let mut links = vec![relationship("uses", &campaign_id, &pattern_id)];
    let valid_from = if content.first_seen.is_empty() {
        now.to_owned()
    } else {
        content.first_seen.clone()
    };
    for s in content.chosen(opts) {
        let Some(pattern) = pattern(s) else { continue };
        let (name, description, kind) = indicator_text(s);
        let id = new_id("indicator");
        objects.push(with(
            common("indicator", &id),
            json!({
                "name": name,
                "description": description,
                "indicator_types": [kind],
                "pattern": pattern,
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": valid_from,
            }),
        ));
        links.push(relationship("indicates", &id, &campaign_id));
        if s.kind == ShareKind::Network {
            let infra = new_id("infrastructure");
            objects.push(with(
                common("infrastructure", &infra),
                json!({
                    "name": format!("Proxy network {}", s.value),
                    "infrastructure_types": ["anonymization"],
                    "description": format!(
                        "Addresses the campaign's {} accounts sent requests through.",
                        s.campaign_accounts
                    ),
                }),
            ));
            links.push(relationship("uses", &campaign_id, &infra));
            links.push(relationship("indicates", &id, &infra));
        }
    }
    objects.push(with(
        common("note", &new_id("note")),
        json!({
            "abstract": "Timing profile",
            "content": timing_note(content),
            "object_refs": [campaign_id],
        }),
    ));
    objects.extend(links);
    let refs: Vec<Value> = objects
        .iter()
        .filter(|o| o["type"] != "marking-definition")
        .map(|o| o["id"].clone())
        .collect();
    let published = now.to_owned();
    objects.push(with(
        common("report", &new_id("report")),
        json!({
            "name": format!("Distillation campaign {}", content.name),
            "description": content.description,
            "report_types": ["campaign", "attack-pattern", "indicator"],
            "published": published,
            "object_refs": refs,
        }),
    ));
    json!({"type": "bundle", "id": new_id("bundle"), "objects": objects})
}

/// Writes `bundle` to `path` whole or not at all (a temporary file renamed
/// into place); an existing file is never replaced.
pub fn write(path: &Path, bundle: &Value) -> StoreResult<()> {
    if path.exists() {
        return Err(crate::store::error::StoreError::NotWhatItSays {
            path: path.into(),
            reason: "already exists: choose another name (a file is never overwritten)".into(),
        });
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).at(path, "cannot write the bundle")?;
    serde_json::to_writer_pretty(&mut tmp, bundle)
        .map_err(std::io::Error::other)
        .at(path, "cannot write the bundle")?;
    tmp.persist_noclobber(path)
        .map_err(|e| e.error)
        .at(path, "cannot write the bundle")?;
    Ok(())
}

/// Now as STIX wants it: RFC 3339, UTC, milliseconds.
pub fn stix_now() -> String {
    crate::case::now().replace('Z', ".000Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(kind: ShareKind, value: &str) -> Shareable {
        Shareable {
            kind,
            value: value.into(),
            detail: String::new(),
            campaign_accounts: 5,
            case_accounts: 5,
        }
    }

    #[test]
    fn patterns_name_the_right_object_and_escape_quotes() {
        assert_eq!(
            pattern(&value(ShareKind::Ip, "2001:db8::7")).unwrap(),
            "[ipv6-addr:value = '2001:db8::7']"
        );
        assert_eq!(
            pattern(&value(ShareKind::Network, "203.0.113.0/24")).unwrap(),
            "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"
        );
        assert_eq!(
            pattern(&value(ShareKind::Asn, "AS64500")).unwrap(),
            "[autonomous-system:number = 64500]"
        );
        assert_eq!(pattern(&value(ShareKind::Asn, "unknown")), None);
        assert_eq!(
            pattern(&value(ShareKind::UserAgent, r"it's a \ client")).unwrap(),
            r"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'it\'s a \\ client']"
        );
    }

    #[test]
    fn identifiers_are_version_4_uuids() {
        let id = new_id("indicator");
        let uuid = id.strip_prefix("indicator--").unwrap();
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(
            parts[3].chars().next(),
            Some('8' | '9' | 'a' | 'b')
        ));
        assert_ne!(new_id("indicator"), id);
    }
}
