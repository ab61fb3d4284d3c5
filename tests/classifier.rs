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
