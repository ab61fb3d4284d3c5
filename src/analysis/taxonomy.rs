//! The capability taxonomy of assets/taxonomy.toml and the classifier it
//! drives: keyword rules, the request's shape and, when the file asks for
//! it, the learned n-gram model of [`super::prompt_model`]. Every label
//! comes with what decided it (the rules, the model's strongest n-grams).

use std::path::Path;

use regex::RegexSet;

use super::prompt_model::{Prediction, PromptModel};

/// The taxonomy that ships with the tool.
pub const DEFAULT_TAXONOMY: &str = include_str!("../../assets/taxonomy.toml");

/// Label for exchanges that carry no prompt to classify.
pub const UNKNOWN: &str = "unknown";
/// The category of prompts no rule matches.
pub const FALLBACK: &str = "general_chat";

/// One rule as written in the file.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RuleDef {
    /// Unique id, reported with every label it decides.
    pub id: String,
    /// Regular expression, matched case-insensitively.
    pub pattern: String,
    /// How much a match adds to the category's score.
    pub weight: f32,
}

/// One category as written in the file.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CategoryDef {
    /// Category id, e.g. `software_engineering`.
    pub id: String,
    /// What a prompt in it asks for.
    pub description: String,
    /// Rules that vote for it.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

/// What the shape of a request adds, beside its text: tool definitions
/// sent with it, an image in it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RequestDef {
    /// Category and weight a request with tools votes for.
    pub tools: Option<RequestVote>,
    /// Category and weight a request with an image votes for.
    pub image: Option<RequestVote>,
}

/// One vote from the request's shape.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RequestVote {
    /// The category it votes for.
    pub category: String,
    /// How much it adds.
    pub weight: f32,
}

/// How much the learned prompt model (assets/prompt_model.bin) counts.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ModelDef {
    /// Added to each category's score: this weight times the model's
    /// probability for it (so at most this much).
    pub weight: f32,
    /// The model's weight grows with the prompt's length up to this many
    /// characters: on a short prompt it has few n-grams to go on and leans
    /// on what most short prompts were in training (chat), so the rules
    /// count for more there.
    pub full_weight_chars: Option<usize>,
}

#[derive(Debug, serde::Deserialize)]
struct TaxonomyFile {
    category: Vec<CategoryDef>,
    #[serde(default)]
    request: RequestDef,
    model: Option<ModelDef>,
}

/// Errors in a taxonomy file.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    /// TOML that does not parse.
    #[error("taxonomy does not parse: {0}")]
    Toml(#[from] toml::de::Error),
    /// A rule whose pattern is not a valid regular expression.
    #[error("rule `{rule}`: invalid pattern: {error}")]
    Pattern { rule: String, error: String },
    /// Two rules or categories share an id, or the fallback is missing.
    #[error("{0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("cannot read taxonomy {}: {error}", path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// The result of classifying one prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Label<'a> {
    /// Winning category id.
    pub category: &'a str,
    /// What decided it: the winning category's rules that matched and the
    /// request's shape, joined by `+`, then the model's part (`model 93%`
    /// and its strongest n-grams) and the other categories' rules it
    /// outvoted (` over a+b`); `default` when nothing matched.
    pub rule: String,
    /// The winning score.
    pub score: f32,
}

/// A compiled taxonomy.
pub struct Taxonomy {
    /// Categories in file order (ties go to the earlier one).
    pub categories: Vec<CategoryDef>,
    /// Votes from the request's shape (tools, image).
    pub request: RequestDef,
    /// The learned model's weight, when the file uses it.
    pub model: Option<ModelDef>,
    /// For each of the model's classes, the category it votes for.
    model_categories: Vec<Option<usize>>,
    set: RegexSet,
    /// For each pattern in `set`: (category index, rule index).
    owners: Vec<(usize, usize)>,
}

impl Taxonomy {
    /// Parses and compiles a taxonomy from TOML text.
    pub fn parse(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let file: TaxonomyFile = toml::from_str(text)?;
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (ci, cat) in file.category.iter().enumerate() {
            if !ids.insert(cat.id.clone()) {
                return Err(TaxonomyError::Invalid(format!(
                    "category `{}` appears twice",
                    cat.id
                )));
            }
            for (ri, rule) in cat.rules.iter().enumerate() {
                if !ids.insert(rule.id.clone()) {
                    return Err(TaxonomyError::Invalid(format!(
                        "rule id `{}` appears twice",
                        rule.id
                    )));
                }
                // ASCII word boundaries keep the fast DFA engine usable on
                // non-ASCII text (Unicode \b forces the slow one).
                let pattern = format!("(?im){}", rule.pattern.replace(r"\b", r"(?-u:\b)"));
                regex::Regex::new(&pattern).map_err(|e| TaxonomyError::Pattern {
                    rule: rule.id.clone(),
                    error: e.to_string(),
                })?;
                patterns.push(pattern);
                owners.push((ci, ri));
            }
        }
        if !file.category.iter().any(|c| c.id == FALLBACK) {
            return Err(TaxonomyError::Invalid(format!(
                "the taxonomy needs a `{FALLBACK}` category for prompts no rule matches"
            )));
        }
        // A large lazy-DFA cache keeps the fast engine from thrashing on
        // many alternations (measured: 430 us -> see BENCHMARKS.md).
        let set = regex::RegexSetBuilder::new(&patterns)
            .dfa_size_limit(256 << 20)
            .size_limit(256 << 20)
            .build()
            .map_err(|e| TaxonomyError::Pattern {
                rule: "(all rules together)".into(),
                error: e.to_string(),
            })?;
        for (what, vote) in [
            ("tools", &file.request.tools),
            ("image", &file.request.image),
        ] {
            if let Some(v) = vote
                && !file.category.iter().any(|c| c.id == v.category)
            {
                return Err(TaxonomyError::Invalid(format!(
                    "request.{what} votes for `{}`, which is not a category",
                    v.category
                )));
            }
        }
        let model_categories = match &file.model {
            Some(m) if !(m.weight.is_finite() && m.weight >= 0.0) => {
                return Err(TaxonomyError::Invalid(format!(
                    "model.weight must be a number of zero or more, not {}",
                    m.weight
                )));
            }
            Some(_) => PromptModel::builtin()
                .classes()
                .iter()
                .map(|c| file.category.iter().position(|d| &d.id == c))
                .collect(),
            None => Vec::new(),
        };
        Ok(Taxonomy {
            categories: file.category,
            request: file.request,
            model: file.model,
            model_categories,
            set,
            owners,
        })
    }

    /// The taxonomy shipped in assets/.
    pub fn builtin() -> Taxonomy {
        Taxonomy::parse(DEFAULT_TAXONOMY).expect("the shipped taxonomy is valid")
    }

    /// The same taxonomy without its learned model: the rules and the
    /// request's shape alone (for comparison).
    pub fn rules_only(mut self) -> Taxonomy {
        self.model = None;
        self.model_categories.clear();
        self
    }

    /// Loads a taxonomy file, or the shipped one when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Taxonomy, TaxonomyError> {
        match path {
            None => Ok(Taxonomy::builtin()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| TaxonomyError::Io {
                    path: path.into(),
                    error,
                })?;
                Taxonomy::parse(&text)
            }
        }
    }

    /// Category ids in file order.
    pub fn category_ids(&self) -> Vec<&str> {
        self.categories.iter().map(|c| c.id.as_str()).collect()
    }

    /// The model's part in a label for category `ci`, named only where it
    /// counted for something: its probability and strongest n-grams.
    fn model_explains(&self, p: Option<&Prediction<'_>>, ci: usize) -> Option<String> {
        let p = p?;
        let k = self.model_categories.iter().position(|c| *c == Some(ci))?;
        if p.probabilities[k] < 0.2 {
            return None;
        }
        let grams: Vec<String> = p.evidence(k).iter().map(|g| format!("{g:?}")).collect();
        Some(format!(
            "model {:.0}% {}",
            p.probabilities[k] * 100.0,
            grams.join(" ")
        ))
    }

    /// Classifies one prompt by its text alone.
    pub fn classify(&self, prompt: &str) -> Label<'_> {
        self.classify_request(prompt, false, false)
    }

    /// Classifies one request: its prompt's text, and whether it carried
    /// tool definitions or an image (each a vote of `[request]`, named
    /// `request.tools` / `request.image` in the label's rules).
    pub fn classify_request(&self, prompt: &str, tools: bool, image: bool) -> Label<'_> {
        let mut scores = vec![0f32; self.categories.len()];
        let matches: Vec<usize> = self.set.matches(prompt).into_iter().collect();
        for &m in &matches {
            let (ci, ri) = self.owners[m];
            scores[ci] += self.categories[ci].rules[ri].weight;
        }
        let mut shape: Vec<(usize, &str)> = Vec::new();
        for (on, vote, name) in [
            (tools, &self.request.tools, "request.tools"),
            (image, &self.request.image, "request.image"),
        ] {
            if let (true, Some(v)) = (on, vote)
                && let Some(ci) = self.categories.iter().position(|c| c.id == v.category)
            {
                scores[ci] += v.weight;
                shape.push((ci, name));
            }
        }
        // The learned model: weight x probability for each category.
        let prediction = self.model.as_ref().filter(|m| m.weight > 0.0).map(|def| {
            let p = PromptModel::builtin().predict(prompt, tools, image);
            let weight = match def.full_weight_chars {
                Some(full) if full > 0 => {
                    def.weight * (prompt.chars().take(full).count() as f32 / full as f32)
                }
                _ => def.weight,
            };
            for (k, ci) in self.model_categories.iter().enumerate() {
                if let Some(ci) = *ci {
                    scores[ci] += weight * p.probabilities[k];
                }
            }
            p
        });
        let mut best = None::<usize>;
        for (ci, &score) in scores.iter().enumerate() {
            if score > 0.0 && best.is_none_or(|b| score > scores[b]) {
                best = Some(ci);
            }
        }
        match best {
            None => Label {
                category: FALLBACK,
                rule: "default".into(),
                score: 0.0,
            },
            Some(ci) => {
                let rules: Vec<String> = matches
                    .iter()
                    .map(|&m| self.owners[m])
                    .filter(|(c, _)| *c == ci)
                    .map(|(c, r)| self.categories[c].rules[r].id.as_str())
                    .chain(shape.iter().filter(|(c, _)| *c == ci).map(|(_, n)| *n))
                    .map(str::to_owned)
                    .chain(self.model_explains(prediction.as_ref(), ci))
                    .collect();
                // Rules of other categories that matched and were outvoted.
                let outvoted: Vec<&str> = matches
                    .iter()
                    .map(|&m| self.owners[m])
                    .filter(|(c, _)| *c != ci)
                    .map(|(c, r)| self.categories[c].rules[r].id.as_str())
                    .collect();
                let mut rules = rules.join("+");
                if !outvoted.is_empty() {
                    rules.push_str(" over ");
                    rules.push_str(&outvoted.join("+"));
                }
                Label {
                    category: &self.categories[ci].id,
                    rule: rules,
                    score: scores[ci],
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_explains() {
        let t = Taxonomy::builtin();
        let l = t.classify("Please fix this bug in my Rust function:\n```rust\nfn a() {}\n```");
        assert_eq!(l.category, "software_engineering");
        assert!(l.rule.contains("se.code_block"), "{}", l.rule);
        let l = t.classify("hello there");
        assert_eq!(l.category, "general_chat");
        // By the rules alone, a prompt no rule matches is general chat by
        // default; the model always has an opinion, and it is named.
        let rules = Taxonomy::builtin().rules_only();
        let l = rules.classify("zzz qqq");
        assert_eq!((l.category, l.rule.as_str()), ("general_chat", "default"));
        let l = t.classify("Write a short poem about the sea for my grandmother's birthday card");
        assert_eq!(l.category, "writing", "{}", l.rule);
        assert!(l.rule.contains("model "), "{}", l.rule);
        // A rule the model outvoted is named too.
        let l = t.classify(
            "Question: A shop sells 23 apples on Monday and 287 on Tuesday. If each apple costs 3 dollars, how much money did the shop make?\nLet's think step by step.",
        );
        assert_eq!(l.category, "math", "{}", l.rule);
        assert!(l.rule.ends_with(" over cot.step_by_step"), "{}", l.rule);
    }

    #[test]
    fn the_model_reads_languages_the_rules_have_no_words_for() {
        // Hand-written (not from the corpus): a chain-of-thought cue in
        // Korean, which no rule knows, and Korean small talk that is not.
        let t = Taxonomy::builtin();
        let rules = Taxonomy::builtin().rules_only();
        let prompt = "다음 문제를 단계적으로 생각해서 풀어 주세요. 철수는 사과 3개를 가지고 있었는데 2개를 더 샀습니다.\n답: 차근 차근 생각해봅시다.";
        let l = t.classify(prompt);
        assert_eq!(l.category, "reasoning_cot", "{}", l.rule);
        assert!(l.rule.contains("model "), "{}", l.rule);
        assert_ne!(rules.classify(prompt).category, "reasoning_cot");
        let chat = t.classify("안녕하세요, 오늘 기분이 어때요?");
        assert_eq!(chat.category, "general_chat", "{}", chat.rule);
    }

    #[test]
    fn a_taxonomy_without_a_model_section_uses_rules_only() {
        let text = DEFAULT_TAXONOMY.split("\n[model]").next().expect("text");
        let t = Taxonomy::parse(text).expect("taxonomy");
        assert!(t.model.is_none());
        let bad = format!("{text}\n[model]\nweight = -1.0\n");
        assert!(matches!(
            Taxonomy::parse(&bad),
            Err(TaxonomyError::Invalid(_))
        ));
    }

    #[test]
    fn the_request_shape_votes_and_is_named() {
        let t = Taxonomy::builtin();
        let plain = t.classify("Find me a Japanese restaurant in San Francisco");
        assert_eq!(plain.category, "general_chat");
        let with_tools = t.classify_request(
            "Find me a Japanese restaurant in San Francisco",
            true,
            false,
        );
        assert_eq!(with_tools.category, "agentic_tool_use");
        assert!(
            with_tools.rule.starts_with("request.tools"),
            "{}",
            with_tools.rule
        );
        let with_image = t.classify_request("What is this?", false, true);
        assert_eq!(with_image.category, "vision_computer_use");
        // Code with tools stays code when its text says so strongly.
        let code = t.classify_request(
            "Fix this bug in my Rust function and add unit tests:\n```rust\nfn a() {}\n```",
            true,
            false,
        );
        assert_eq!(code.category, "software_engineering", "{}", code.rule);
    }

    #[test]
    fn rejects_bad_files() {
        assert!(Taxonomy::parse("[[category]]\nid='a'\ndescription=''\n").is_err());
        let bad = "[[category]]\nid='general_chat'\ndescription=''\nrules=[{id='x',weight=1,pattern='('}]";
        assert!(matches!(
            Taxonomy::parse(bad),
            Err(TaxonomyError::Pattern { .. })
        ));
    }
}
