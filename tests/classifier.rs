//! The shipped classifier on hand-written prompts (several languages, code
//! pasted in, mixed intent), kept apart from the generator's templates.

use distillscope::analysis::taxonomy::Taxonomy;

#[derive(serde::Deserialize)]
struct Set {
    p: Vec<Prompt>,
}

#[derive(serde::Deserialize)]
struct Prompt {
    c: String,
    t: String,
}

#[test]
fn classifies_hand_written_prompts_and_explains_each_label() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/classifier_prompts.toml"
    ))
    .unwrap();
    let set: Set = toml::from_str(&text).unwrap();
    let tax = Taxonomy::builtin();
    let mut wrong = Vec::new();
    let mut per_cat: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for p in &set.p {
        let label = tax.classify(&p.t);
        assert!(!label.rule.is_empty());
        let e = per_cat.entry(p.c.as_str()).or_default();
        e.1 += 1;
        if label.category == p.c {
            e.0 += 1;
        } else {
            wrong.push(format!(
                "{} -> {} ({}): {:?}",
                p.c, label.category, label.rule, p.t
            ));
        }
    }
    let correct = set.p.len() - wrong.len();
    let accuracy = correct as f64 / set.p.len() as f64;
    // Every category must be recognised most of the time, and 85% overall.
    for (cat, (ok, n)) in &per_cat {
        assert!(*ok * 5 >= *n * 3, "{cat}: {ok}/{n}\n{}", wrong.join("\n"));
    }
    assert!(
        accuracy >= 0.85,
        "accuracy {accuracy:.2}\n{}",
        wrong.join("\n")
    );
}

/// Words inside words and ordinary sentences that start like code never
/// decide a label (they did: "ocr" in "democracy" made vision, and any line
/// starting "Let me" made software engineering).
#[test]
fn words_inside_words_and_code_like_openings_do_not_fire() {
    let tax = Taxonomy::builtin();
    for (prompt, not) in [
        (
            "What is democracy and where did it begin?",
            "vision_computer_use",
        ),
        (
            "Explain the history of the Socratic method in democracy.",
            "vision_computer_use",
        ),
        (
            "Let me know what you think of my holiday plans for Rome.",
            "software_engineering",
        ),
        (
            "Hi!\nLet me ask about the weather in Paris tomorrow.",
            "software_engineering",
        ),
        (
            "Class starts at nine; what should a first-year student bring?",
            "software_engineering",
        ),
        (
            "Import duties on cheese from France, how do they work?",
            "software_engineering",
        ),
        (
            "Public transport in Tokyo is great, what pass should I buy?",
            "software_engineering",
        ),
    ] {
        let label = tax.classify(prompt);
        assert_ne!(
            label.category, not,
            "{prompt:?} labelled {} by {}",
            label.category, label.rule
        );
    }
    // The rules still fire on the real thing.
    for (prompt, want) in [
        (
            "Run OCR on this scan and give me the text",
            "vision_computer_use",
        ),
        (
            "let total = items.len();\nwhy does this not compile?",
            "software_engineering",
        ),
        (
            "import numpy as np\nnp.zeros(3) fails, why?",
            "software_engineering",
        ),
        (
            "class Parser {\n  parse() {}\n}\nadd error handling",
            "software_engineering",
        ),
    ] {
        let label = tax.classify(prompt);
        assert_eq!(
            label.category, want,
            "{prompt:?} labelled by {}",
            label.rule
        );
    }
}
