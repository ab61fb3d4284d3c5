//! Country columns as ISO-3166 alpha-2 codes: logs write "cn", "CHN",
//! "China" or "Russian Federation" for what the settings call "CN". Names,
//! aliases and codes come from the `celes` crate.

use std::str::FromStr;

use celes::Country;

/// The alpha-2 code of a country written as a code (any case, alpha-2,
/// alpha-3 or numeric), a name or a common alias; `None` when unknown.
pub fn iso_code(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let squashed: String = t
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let underscored: String = t
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_");
    Country::from_str(&squashed)
        .or_else(|_| Country::from_str(&underscored))
        .or_else(|_| Country::from_name(&squashed))
        .or_else(|_| Country::from_alias(&squashed))
        .or_else(|_| Country::from_alias(&underscored))
        .ok()
        .map(|c| c.alpha2.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_aliases_become_alpha2() {
        for (text, code) in [
            ("CN", "CN"),
            ("cn", "CN"),
            (" us ", "US"),
            ("CHN", "CN"),
            ("China", "CN"),
            ("Germany", "DE"),
            ("United States", "US"),
            ("United Kingdom", "GB"),
            ("Russia", "RU"),
            ("Russian Federation", "RU"),
            ("Hong Kong", "HK"),
            ("South Korea", "KR"),
            ("Iran", "IR"),
        ] {
            assert_eq!(iso_code(text).as_deref(), Some(code), "{text}");
        }
        assert_eq!(iso_code("Atlantis"), None);
        assert_eq!(iso_code(""), None);
    }
}
