//! Prompt text. Campaign and harness prompts come from fixed templates whose
//! variable parts are numbers, quoted text, code and names (what a template
//! fingerprint normalises away); people's prompts are composed from large
//! vocabularies, so almost no two share a template. Several languages on
//! both sides, so language alone gives nothing away.

use super::dist::{self, Rng};

/// Capability categories the generator writes prompts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cat {
    /// software_engineering
    Code,
    /// agentic_tool_use
    Agent,
    /// long_horizon_planning
    Plan,
    /// reasoning_cot
    Cot,
    /// rubric_grading
    Rubric,
    /// policy_rewrite
    Policy,
    /// vision_computer_use
    Vision,
    /// math
    Math,
    /// writing
    Writing,
    /// general_chat
    Chat,
}

impl Cat {
    /// The taxonomy id the prompt is written to belong to.
    pub fn id(self) -> &'static str {
        match self {
            Cat::Code => "software_engineering",
            Cat::Agent => "agentic_tool_use",
            Cat::Plan => "long_horizon_planning",
            Cat::Cot => "reasoning_cot",
            Cat::Rubric => "rubric_grading",
            Cat::Policy => "policy_rewrite",
            Cat::Vision => "vision_computer_use",
            Cat::Math => "math",
            Cat::Writing => "writing",
            Cat::Chat => "general_chat",
        }
    }
}

impl Cat {
    /// Every category, in taxonomy order.
    pub const ALL: [Cat; 10] = [
        Cat::Code,
        Cat::Agent,
        Cat::Plan,
        Cat::Cot,
        Cat::Rubric,
        Cat::Policy,
        Cat::Vision,
        Cat::Math,
        Cat::Writing,
        Cat::Chat,
    ];
}

/// Who writes the prompt, which decides the template bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// A distillation campaign's scripts (index 0..4).
    Campaign(u8),
    /// A person typing.
    Person,
    /// Students working on the same assignments.
    Homework,
    /// An evaluation harness or CI bot.
    Harness,
    /// A coding-agent product's loop.
    CodingAgent,
    /// A company's internal tool behind its NAT.
    InternalTool,
}

const TOPICS: &[&str] = &[
    "inventory service",
    "payment webhook",
    "user onboarding flow",
    "search index",
    "rate limiter",
    "billing report",
    "image resizer",
    "chat widget",
    "feature flag system",
    "audit logger",
    "recommendation engine",
    "CSV importer",
    "OAuth login",
    "job scheduler",
    "PDF generator",
    "notification queue",
    "geocoding cache",
    "shopping cart",
    "metrics dashboard",
    "log shipper",
    "email templating",
    "access control list",
    "video transcoder",
    "data pipeline",
    "mobile sync layer",
    "pricing engine",
    "fraud score",
    "translation memory",
    "backup rotation",
    "config loader",
];
const THINGS: &[&str] = &[
    "my sister's wedding",
    "a team offsite",
    "our bakery",
    "a hiking trip",
    "the school fundraiser",
    "a job interview",
    "my landlord",
    "a product launch",
    "the quarterly review",
    "a birthday party",
    "my thesis defense",
    "a charity run",
    "our new podcast",
    "the garden club",
    "a farewell lunch",
    "a conference talk",
    "my first marathon",
    "the book club",
    "a kitchen remodel",
    "our startup's pivot",
    "a museum visit",
    "the city council meeting",
    "a road trip",
    "a retirement",
];
const LANGS: &[&str] = &[
    "Python",
    "Rust",
    "TypeScript",
    "Go",
    "Java",
    "C++",
    "Kotlin",
    "Ruby",
    "SQL",
    "Bash",
];
const ERRORS: &[&str] = &[
    "a borrow checker error",
    "a null pointer exception",
    "a timeout",
    "an off-by-one error",
    "a race condition",
    "a memory leak",
    "a deadlock",
    "an import error",
    "a type mismatch",
    "a segfault",
    "flaky tests",
    "a stack overflow",
];
const VERBS: &[&str] = &[
    "parse",
    "validate",
    "cache",
    "paginate",
    "retry",
    "deduplicate",
    "stream",
    "batch",
    "sort",
    "merge",
    "encrypt",
    "compress",
];
const ADJ: &[&str] = &[
    "short",
    "friendly",
    "formal",
    "funny",
    "heartfelt",
    "persuasive",
    "concise",
    "warm",
    "professional",
    "playful",
];
const FORMS: &[&str] = &[
    "email",
    "cover letter",
    "blog post",
    "toast",
    "speech",
    "poem",
    "product description",
    "newsletter",
    "thank-you note",
    "story",
];
const CONCEPTS: &[&str] = &[
    "eigenvalues",
    "Bayes' theorem",
    "the chain rule",
    "modular arithmetic",
    "the central limit theorem",
    "Fourier series",
    "group homomorphisms",
    "linear regression",
    "Markov chains",
    "the pigeonhole principle",
    "Taylor expansions",
    "convex sets",
];
const DISHES: &[&str] = &[
    "ramen",
    "paella",
    "banana bread",
    "shakshuka",
    "pad thai",
    "lasagna",
    "falafel",
    "pierogi",
    "tacos al pastor",
    "miso soup",
];
const WORDS: &[&str] = &[
    "river", "ledger", "orbit", "signal", "harbor", "matrix", "garden", "vector", "lantern",
    "circuit", "meadow", "engine", "cipher", "quarry", "beacon", "delta", "summit", "prism",
    "anchor", "canyon", "falcon", "glacier", "mosaic", "nectar",
];

/// One of a list of static strings.
fn word(r: &mut Rng, list: &[&'static str]) -> &'static str {
    list[dist::below(r, list.len())]
}

fn number(r: &mut Rng, out: &mut String, hi: usize) {
    out.push_str(&(1 + dist::below(r, hi)).to_string());
}

/// A quoted phrase of random words (the part templates vary).
fn quoted(r: &mut Rng, out: &mut String, words: usize) {
    out.push('"');
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word(r, WORDS));
    }
    out.push('"');
}

/// A small fenced code block.
fn code(r: &mut Rng, out: &mut String) {
    let lang = word(r, LANGS);
    let verb = word(r, VERBS);
    let n = 2 + dist::below(r, 40);
    out.push_str("```");
    out.push_str(&lang.to_lowercase());
    out.push('\n');
    match dist::below(r, 3) {
        0 => out.push_str(&format!(
            "def {verb}_items(items, limit={n}):\n    result = []\n    for i in range(len(items) + 1):\n        result.append(items[i])\n    return result[:limit]\n"
        )),
        1 => out.push_str(&format!(
            "fn {verb}(input: &[u32]) -> u32 {{\n    let mut total = 0;\n    for i in 0..=input.len() {{ total += input[i] * {n}; }}\n    total\n}}\n"
        )),
        _ => out.push_str(&format!(
            "function {verb}Records(records) {{\n  return records.filter(r => r.size > {n}).map(r => r.id).sort();\n}}\n"
        )),
    }
    out.push_str("```");
}

/// Syllables of the attachments' pseudo-words: 48³ ≈ 110,000 words, drawn
/// with a Zipf-like skew so the text compresses about as natural text does.
const SYLLABLES: [&str; 48] = [
    "ka", "lo", "mi", "ten", "ra", "su", "vel", "do", "ne", "pri", "ght", "an", "sto", "or", "ble",
    "ci", "mon", "ta", "re", "ul", "fa", "in", "ex", "pa", "tor", "li", "gen", "de", "ver", "com",
    "ist", "mar", "po", "chi", "lan", "se", "ud", "bra", "on", "ti", "qua", "ri", "nu", "el", "vo",
    "zen", "ha", "ment",
];

/// One pseudo-word: frequent ones short, rare ones long.
fn pseudo_word(r: &mut Rng, out: &mut String) {
    // Zipf-like: the rank's logarithm is uniform.
    let rank = (110_592f64.powf(dist::unit(r)) as usize).max(1) - 1;
    let mut n = rank;
    loop {
        out.push_str(SYLLABLES[n % 48]);
        n /= 48;
        if n == 0 {
            break;
        }
    }
}

/// What a user pastes after a real prompt (a source file, a document, a
/// log): varied text of a log-normal length (median 3 KB, capped at 48 KB),
/// code-shaped for coding and agent work. Only for `generate
/// --long-prompts`, which measures a case's size on real-length prompts.
pub fn attachment(r: &mut Rng, cat: Cat, out: &mut String) {
    let bytes = dist::lognormal(r, 3000.0, 0.9).min(48_000.0) as usize;
    let end = out.len() + bytes;
    let code = matches!(cat, Cat::Code | Cat::Agent);
    out.push_str(if code { "\n\n```\n" } else { "\n\n" });
    while out.len() < end {
        if code {
            let indent = 4 * dist::below(r, 4);
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(word(
                r,
                &["let ", "return ", "if ", "for ", "", "", "self."],
            ));
            pseudo_word(r, out);
            out.push_str(word(r, &[" = ", "(", ".", " += ", " == "]));
            pseudo_word(r, out);
            out.push('_');
            pseudo_word(r, out);
            out.push_str(word(r, &[");\n", "\n", ";\n", ") {\n", "]\n"]));
        } else {
            let words = 6 + dist::below(r, 18);
            for i in 0..words {
                if i > 0 {
                    out.push(' ');
                }
                pseudo_word(r, out);
            }
            out.push_str(word(r, &[". ", ". ", "? ", ".\n\n", ", "]));
        }
    }
    if code {
        out.push_str("```");
    }
}

/// Writes one prompt. Returns (has_image, tool_count).
pub fn write(r: &mut Rng, voice: Voice, cat: Cat, out: &mut String) -> (bool, i32) {
    match voice {
        Voice::Campaign(c) => campaign(r, c, cat, out),
        Voice::Harness => harness(r, cat, out),
        Voice::Homework => {
            if dist::chance(r, 0.6) {
                homework(r, cat, out);
                (false, 0)
            } else {
                person(r, cat, out)
            }
        }
        Voice::CodingAgent => coding_agent(r, cat, out),
        Voice::InternalTool => {
            if dist::chance(r, 0.35) {
                out.push_str("Summarize the following incident ticket for the on-call channel in three bullet points: ");
                let n = 8 + dist::below(r, 6);
                quoted(r, out, n);
                (false, 0)
            } else {
                person(r, cat, out)
            }
        }
        Voice::Person => person(r, cat, out),
    }
}

fn campaign(r: &mut Rng, c: u8, cat: Cat, out: &mut String) -> (bool, i32) {
    let tools = 5 + dist::below(r, 12) as i32;
    match (c, cat) {
        (_, Cat::Cot) => {
            match dist::below(r, 4) {
                0 => out.push_str("Solve the following problem. Think step by step and write out your complete reasoning before giving the final answer.\n\nProblem "),
                1 => out.push_str("请一步一步地推理下面的问题，写出完整的推理过程，最后给出答案。题目 "),
                2 => out.push_str("Before giving the final answer, explain your reasoning in full detail, one step at a time. Task "),
                _ => out.push_str("Show your full chain of thought for the question below, then state the answer on the last line. Question "),
            }
            number(r, out, 90000);
            out.push_str(": ");
            let n = 10 + dist::below(r, 10);
            quoted(r, out, n);
            (false, 0)
        }
        (_, Cat::Rubric) => {
            if dist::chance(r, 0.5) {
                out.push_str("You are a strict grader. Grade the following response against the rubric and output only a score from 1 to 10.\n\nRubric: ");
                quoted(r, out, 12);
                out.push_str("\n\nResponse ");
                number(r, out, 90000);
                out.push_str(": ");
                let n = 20 + dist::below(r, 20);
                quoted(r, out, n);
            } else {
                out.push_str("请根据评分标准对下面的回答打分（1到10分），只输出分数。评分标准：");
                quoted(r, out, 10);
                out.push_str(" 回答 ");
                number(r, out, 90000);
                out.push('：');
                quoted(r, out, 20);
            }
            (false, 0)
        }
        (_, Cat::Policy) => {
            match dist::below(r, 3) {
                0 => out.push_str("Rewrite the following request so that it is safe and politically neutral, then answer the rewritten version: "),
                1 => out.push_str("请把下面这个政治敏感的问题改写成安全的版本，然后回答改写后的问题："),
                _ => out.push_str("Explain which parts of this request you would refuse, then produce a censorship-safe version of it: "),
            }
            let n = 10 + dist::below(r, 8);
            quoted(r, out, n);
            (false, 0)
        }
        (_, Cat::Vision) => {
            if dist::chance(r, 0.5) {
                out.push_str("Describe this screenshot in detail and list every clickable button with its coordinates. Screen ");
                number(r, out, 50000);
                out.push('.');
            } else {
                out.push_str("The screenshot shows the browser. Click on the button that submits the form named ");
                quoted(r, out, 3);
                out.push_str(" and report the coordinates (x, y) you clicked.");
            }
            (true, 0)
        }
        (_, Cat::Agent) => {
            match dist::below(r, 3) {
                0 => {
                    out.push_str("You have access to the following tools: search, read_file, edit_file, run_tests, shell. Use the appropriate tool to complete task ");
                    number(r, out, 90000);
                    out.push_str(": ");
                    quoted(r, out, 10);
                    out.push_str(". Respond with the tool call only.");
                }
                1 => {
                    out.push_str("Observation: the tool returned ");
                    quoted(r, out, 8);
                    out.push_str(".\nThought: decide the next tool call for step ");
                    number(r, out, 40);
                    out.push_str(". Action:");
                }
                _ => {
                    out.push_str("你是一个智能体。可用工具：search、read_file、run_tests。请调用合适的工具完成任务 ");
                    number(r, out, 90000);
                    out.push('：');
                    quoted(r, out, 8);
                }
            }
            (false, tools)
        }
        (_, Cat::Plan) => {
            if dist::chance(r, 0.5) {
                out.push_str("Create a detailed 12-step plan with milestones and dependencies to migrate the service ");
                quoted(r, out, 4);
                out.push_str(" to the new platform, then execute step 1 and report progress.");
            } else {
                out.push_str("Continue with step ");
                number(r, out, 12);
                out.push_str(" of 12 of the plan. Previous steps completed: ");
                quoted(r, out, 12);
                out.push_str(". Output the next action and the code for it.");
            }
            (false, if dist::chance(r, 0.5) { tools } else { 0 })
        }
        (_, Cat::Math) => {
            out.push_str("Solve the equation and prove that your solution is unique. Equation ");
            number(r, out, 90000);
            out.push_str(": x^2 + ");
            number(r, out, 99);
            out.push_str("x - ");
            number(r, out, 99);
            out.push_str(" = 0");
            (false, 0)
        }
        (3, Cat::Code) if dist::chance(r, 0.3) => {
            out.push_str("你是一个资深软件工程师。请为下面的需求编写完整的代码并附带单元测试：");
            quoted(r, out, 10);
            (false, 0)
        }
        (_, Cat::Code) | (_, _) => {
            match dist::below(r, 3) {
                0 => {
                    out.push_str("Fix the bug in the following code. Explain the root cause, then give the corrected code and a unit test.\n");
                    code(r, out);
                }
                1 => {
                    out.push_str("Refactor the module below for readability, add type hints and write unit tests for it.\n");
                    code(r, out);
                }
                _ => {
                    out.push_str("Write a complete implementation of ");
                    quoted(r, out, 5);
                    out.push_str(" with error handling and unit tests. Ticket ");
                    number(r, out, 90000);
                    out.push('.');
                }
            }
            (false, if dist::chance(r, 0.4) { tools } else { 0 })
        }
    }
}

fn harness(r: &mut Rng, cat: Cat, out: &mut String) -> (bool, i32) {
    match cat {
        Cat::Rubric => {
            out.push_str("[System] Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Rate the response on a scale of 1 to 10 by strictly following this format: \"[[rating]]\".\n[Question] ");
            quoted(r, out, 12);
            out.push_str("\n[The Start of Assistant's Answer] ");
            quoted(r, out, 25);
            out.push_str(" [The End of Assistant's Answer]");
        }
        Cat::Math => {
            out.push_str("Question: A shop sells ");
            number(r, out, 500);
            out.push_str(" apples on Monday and ");
            number(r, out, 500);
            out.push_str(" on Tuesday. If each apple costs ");
            number(r, out, 9);
            out.push_str(" dollars, how much money did the shop make?\nLet's think step by step.");
        }
        Cat::Code => {
            out.push_str(
                "Complete the following function so that all doctests pass. Return only code.\n",
            );
            code(r, out);
        }
        _ => {
            out.push_str("Question: ");
            quoted(r, out, 12);
            out.push_str("\nAnswer the question. Let's think step by step.");
        }
    }
    (false, 0)
}

fn homework(r: &mut Rng, cat: Cat, out: &mut String) {
    out.push_str("CS 1");
    number(r, out, 2);
    out.push_str("0 assignment ");
    number(r, out, 8);
    out.push_str(", question ");
    number(r, out, 5);
    match cat {
        Cat::Math => out.push_str(": prove that the sum of the first n odd numbers is n^2 and explain each step of the induction."),
        _ => out.push_str(": write a Python function that returns the k most frequent words in a text file, with tests. I get an error on the last test case, can you help me fix it?"),
    }
}

fn coding_agent(r: &mut Rng, cat: Cat, out: &mut String) -> (bool, i32) {
    let tools = 12 + dist::below(r, 20) as i32;
    if dist::chance(r, 0.45) {
        out.push_str("Continue. Tool result from run_tests:\n```\n");
        number(r, out, 400);
        out.push_str(" passed, ");
        number(r, out, 9);
        out.push_str(" failed\n```");
        return (false, tools);
    }
    let (lang, topic, err, verb) = (
        word(r, LANGS),
        word(r, TOPICS),
        word(r, ERRORS),
        word(r, VERBS),
    );
    match cat {
        Cat::Plan => out.push_str(&format!(
            "Plan the work to add {verb} support to the {topic}: break it into steps, then start with the first one. The code is {lang}."
        )),
        _ => out.push_str(&format!(
            "In this repo the {topic} has {err} when we {verb} requests. Find the cause in the {lang} code, edit the file and run the tests."
        )),
    }
    (false, tools)
}

fn person(r: &mut Rng, cat: Cat, out: &mut String) -> (bool, i32) {
    let lang = dist::below(r, 20);
    match cat {
        Cat::Code => {
            let (l, t, e, v) = (
                word(r, LANGS),
                word(r, TOPICS),
                word(r, ERRORS),
                word(r, VERBS),
            );
            match (lang, dist::below(r, 3)) {
                (0, _) => out.push_str(&format!("¿Cómo puedo {v} datos en {l}? Mi {t} tiene {e}.")),
                (1, _) => out.push_str(&format!(
                    "Wie kann ich in {l} Daten {v}? Unser {t} hat {e}."
                )),
                (2, _) => out.push_str(&format!("我的{t}用{l}写的，出现了{e}，怎么修复？")),
                (_, 0) => out.push_str(&format!(
                    "How do I {v} records in {l} for our {t}? I keep hitting {e}."
                )),
                (_, 1) => {
                    out.push_str(&format!(
                        "Can you review this {l} snippet from the {t}? I think it has {e}.\n"
                    ));
                    code(r, out);
                }
                _ => out.push_str(&format!(
                    "What's the cleanest way to {v} results in the {t} ({l})? Tests show {e}."
                )),
            }
            (false, 0)
        }
        Cat::Writing => {
            let (a, f, t) = (word(r, ADJ), word(r, FORMS), word(r, THINGS));
            match lang {
                0 => out.push_str(&format!("Escribe un {f} {a} para {t}.")),
                1 => out.push_str(&format!("Schreib einen {a} {f} für {t}.")),
                _ => out.push_str(&format!(
                    "Write a {a} {f} for {t}, about {} words.",
                    50 * (1 + dist::below(r, 8))
                )),
            }
            (false, 0)
        }
        Cat::Math => {
            let c = word(r, CONCEPTS);
            if dist::chance(r, 0.5) {
                out.push_str(&format!(
                    "Can you explain {c} with a simple example? I have an exam on {}.",
                    word(r, THINGS)
                ));
            } else {
                out.push_str("What is the derivative of x^");
                number(r, out, 9);
                out.push_str(&format!(" times sin(x)? Also remind me how {c} works."));
            }
            (false, 0)
        }
        Cat::Cot => {
            out.push_str(&format!(
                "Think it through step by step: should we move the {} to a queue, given {}?",
                word(r, TOPICS),
                word(r, ERRORS)
            ));
            (false, 0)
        }
        Cat::Rubric => {
            out.push_str(&format!(
                "Here are two answers my students gave about {}. Which response is better and why?",
                word(r, CONCEPTS)
            ));
            (false, 0)
        }
        Cat::Policy => {
            out.push_str(&format!(
                "Why do you refuse to talk about {}? I'm writing a history essay on {}.",
                word(
                    r,
                    &[
                        "Tiananmen",
                        "censorship in the 1980s",
                        "the Falun Gong ban",
                        "political protests"
                    ]
                ),
                word(r, THINGS)
            ));
            (false, 0)
        }
        Cat::Vision => {
            out.push_str(&format!(
                "What is shown in this photo? It's from {}.",
                word(r, THINGS)
            ));
            (true, 0)
        }
        Cat::Agent => {
            out.push_str(&format!(
                "Use the calendar and email tools to schedule {} next week and invite everyone from {}.",
                word(r, THINGS),
                word(r, THINGS)
            ));
            (false, 3 + dist::below(r, 5) as i32)
        }
        Cat::Plan => {
            out.push_str(&format!(
                "Create a 6-week plan to prepare for {} while working full time.",
                word(r, THINGS)
            ));
            (false, 0)
        }
        Cat::Chat => {
            match dist::below(r, 4) {
                0 => out.push_str(&format!("What's a good recipe for {}?", word(r, DISHES))),
                1 => out.push_str(&format!(
                    "Recommend a book like the one about the {} and the {}.",
                    word(r, WORDS),
                    word(r, WORDS)
                )),
                2 => out.push_str(&format!(
                    "Translate 'see you at {}' into Japanese.",
                    word(r, THINGS)
                )),
                _ => out.push_str(&format!("Any tips for {}?", word(r, THINGS))),
            }
            (false, 0)
        }
    }
}

/// One prompt as the generator writes it, with the category it was
/// written for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabelledPrompt {
    /// The prompt.
    pub text: String,
    /// The taxonomy id its text belongs to.
    pub category: &'static str,
    /// The category the generator was asked for (differs from `category`
    /// only for a coding agent's test-result turns).
    pub written_as: &'static str,
    /// Who wrote it: `campaign N`, `person`, `harness`, `homework`, `codingagent`.
    pub voice: String,
    /// Tool definitions sent with it.
    pub tool_count: i32,
    /// Whether it carried an image.
    pub has_image: bool,
}

/// The (voice, category) pairs the generator writes with a category the
/// text plainly shows: the four campaigns' scripts (no essays or chat),
/// people (everything), evaluation harnesses, students and a coding agent's
/// loop. (An internal tool's ticket summaries are left out: they are
/// written under whatever category its people have.)
pub fn labelled_voices() -> Vec<(Voice, Cat)> {
    let mut out = Vec::new();
    for c in 0u8..4 {
        for cat in Cat::ALL {
            if !matches!(cat, Cat::Writing | Cat::Chat) {
                out.push((Voice::Campaign(c), cat));
            }
        }
    }
    out.extend(Cat::ALL.map(|cat| (Voice::Person, cat)));
    out.extend([Cat::Rubric, Cat::Math, Cat::Code, Cat::Cot].map(|cat| (Voice::Harness, cat)));
    out.extend([Cat::Code, Cat::Math].map(|cat| (Voice::Homework, cat)));
    out.extend([Cat::Code, Cat::Plan].map(|cat| (Voice::CodingAgent, cat)));
    out
}

/// `per_pair` prompts for every pair of [`labelled_voices`], drawn from
/// `seed`: labelled material for training and checking a classifier
/// (`distillscope generate --prompts N`, benches/classifier.rs).
pub fn labelled_sample(seed: u64, per_pair: usize) -> Vec<LabelledPrompt> {
    let mut out = Vec::new();
    for (voice, cat) in labelled_voices() {
        let key = match voice {
            Voice::Campaign(c) => u64::from(c),
            Voice::Person => 10,
            Voice::Homework => 11,
            Voice::Harness => 12,
            Voice::CodingAgent => 13,
            Voice::InternalTool => 14,
        };
        let mut r = dist::stream(seed, &[0x006c_6162_656c, key, cat as u64]);
        for _ in 0..per_pair {
            let mut text = String::new();
            let (has_image, tool_count) = write(&mut r, voice, cat, &mut text);
            // A coding agent's loop reports test results whatever its task:
            // such a turn is software engineering.
            let category =
                if voice == Voice::CodingAgent && text.starts_with("Continue. Tool result") {
                    Cat::Code.id()
                } else {
                    cat.id()
                };
            out.push(LabelledPrompt {
                text,
                category,
                written_as: cat.id(),
                voice: match voice {
                    Voice::Campaign(c) => format!("campaign {c}"),
                    v => format!("{v:?}").to_lowercase(),
                },
                tool_count,
                has_image,
            });
        }
    }
    out
}

/// How many of `prompts` the taxonomy labels with the category their text
/// was written for.
pub fn agreeing(
    taxonomy: &crate::analysis::taxonomy::Taxonomy,
    prompts: &[LabelledPrompt],
) -> usize {
    prompts
        .iter()
        .filter(|p| {
            taxonomy
                .classify_request(&p.text, p.tool_count > 0, p.has_image)
                .category
                == p.category
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::taxonomy::Taxonomy;

    /// The generator writes prompts the shipped classifier puts in the
    /// category they were written for, for most prompts of every voice.
    #[test]
    fn generated_prompts_classify_as_intended() {
        // The shipped classifier (rules and the learned model) labels the
        // generator's prompts at least as well as the rules alone did:
        // never more than 5 in 200 fewer per voice and category, and at
        // least 150 in 200 wherever the rules managed that.
        let with_model = Taxonomy::builtin();
        let rules_only = Taxonomy::builtin().rules_only();
        assert!(rules_only.model.is_none() && with_model.model.is_some());
        let sample = labelled_sample(7, 200);
        for pair in sample.chunks(200) {
            let (before, now) = (agreeing(&rules_only, pair), agreeing(&with_model, pair));
            let what = format!(
                "{} {}: {now}/200 (rules alone {before})",
                pair[0].voice, pair[0].written_as
            );
            assert!(now + 5 >= before, "{what}");
            assert!(now >= 150 || before < 150, "{what}");
        }
    }
}
