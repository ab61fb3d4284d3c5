#!/usr/bin/env python3
"""Trains the capability classifier's learned part: a linear model over
hashed character n-grams of the prompt (plus the request's shape: tools
offered, an image), and writes it as `assets/prompt_model.bin`, which
`src/analysis/ngram_model.rs` reads. The features here and there must stay
the same: the text's first MAX_CHARS characters, lower-cased, runs of white
space made one space, padded with a space each side; every character
n-gram of length 1 to 4 hashed with XXH3-64 (of its UTF-8 bytes) into
BUCKETS buckets, each present n-gram counting once; the vector scaled to
unit length; then two more inputs, 1.0 when the request offered tools and
1.0 when it carried an image.

Trained on the development half of `prompts.jsonl` only (the half whose
XXH3-64 of the text is even, as benches/classifier.rs splits it): the
held-out half stays unseen, so the benchmark's held-out figures measure
prompts the model never saw. Settings are chosen by 5-fold cross-validation
inside the development half.

The generator's own prompts (`distillscope generate --prompts N`, a seed
apart from the tests') are added to the training data, so the model also
knows the shipped incident's scripts and people; the cross-validated figure
is still measured on the real prompts only. Usage, from the repository root:

    pip install scikit-learn==1.9.1 xxhash==4.1.0 numpy
    distillscope generate --prompts 20 --seed 1001 --out /tmp/generated.jsonl
    python3 benches/real_prompts/train.py /tmp/generated.jsonl

Deterministic: the same corpus gives the same file.
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np
import xxhash
from scipy.sparse import csr_matrix, vstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "prompts.jsonl"
OUT = HERE.parent.parent / "assets/prompt_model.bin"
MAX_CHARS = 1000
BUCKETS = 1 << 16
MAX_N = 4


def normalise(text):
    return " " + " ".join(text[:MAX_CHARS].lower().split()) + " "


def grams(text):
    t = normalise(text)
    out = set()
    for n in range(1, MAX_N + 1):
        for i in range(len(t) - n + 1):
            out.add(t[i : i + n])
    return out


def features(rows, buckets):
    indptr, indices, values = [0], [], []
    for r in rows:
        hashed = sorted({xxhash.xxh3_64_intdigest(g.encode()) % buckets for g in grams(r["text"])})
        norm = 1.0 / np.sqrt(max(len(hashed), 1))
        indices += hashed
        values += [norm] * len(hashed)
        if r.get("tool_count", 0) > 0:
            indices.append(buckets)
            values.append(1.0)
        if r.get("has_image"):
            indices.append(buckets + 1)
            values.append(1.0)
        indptr.append(len(indices))
    return csr_matrix((values, indices, indptr), shape=(len(rows), buckets + 2), dtype=np.float64)


def model(c):
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def balanced_accuracy(truth, got):
    cats = sorted(set(truth))
    recalls = [np.mean([g == c for t, g in zip(truth, got) if t == c]) for c in cats]
    return float(np.mean(recalls))


GENERATED_WEIGHT = 1.0


def fit(c, x, y, gx, gy):
    """Fits on real prompts and the generator's, the latter weighted down
    (they are many and alike)."""
    if gx is None:
        return model(c).fit(x, y)
    weights = np.concatenate([np.ones(x.shape[0]), np.full(gx.shape[0], GENERATED_WEIGHT)])
    return model(c).fit(vstack([x, gx]), np.concatenate([y, gy]), sample_weight=weights)


def main():
    rows = [json.loads(l) for l in CORPUS.open()]
    dev = [r for r in rows if xxhash.xxh3_64_intdigest(r["text"].encode()) % 2 == 0]
    y = np.array([r["category"] for r in dev])
    x = features(dev, BUCKETS)
    gx = gy = None
    if len(sys.argv) > 1:
        generated = [json.loads(l) for l in open(sys.argv[1])]
        gx = features(generated, BUCKETS)
        gy = np.array([r["category"] for r in generated])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    best = None
    for c in (1.0, 4.0, 16.0, 64.0):
        got = np.empty(len(dev), dtype=object)
        for train, test in folds.split(x, y):
            got[test] = fit(c, x[train], y[train], gx, gy).predict(x[test])
        score = balanced_accuracy(list(y), list(got))
        print(f"C={c}: 5-fold balanced accuracy on the development half {score:.3f}", file=sys.stderr)
        if best is None or score > best[1]:
            best = (c, score)
    c = best[0]
    fitted = fit(c, x, y, gx, gy)
    classes = list(fitted.classes_)
    weights = fitted.coef_  # classes x inputs
    bias = fitted.intercept_
    # int8 per class, scaled by the class's largest weight.
    scales = np.abs(weights).max(axis=1) / 127.0
    quantised = np.round(weights / scales[:, None]).astype(np.int8)
    with OUT.open("wb") as f:
        f.write(b"DSPM")
        f.write(struct.pack("<IIIII", 1, BUCKETS, MAX_N, MAX_CHARS, len(classes)))
        for k, name in enumerate(classes):
            b = name.encode()
            f.write(struct.pack("<B", len(b)) + b)
            f.write(struct.pack("<ff", float(bias[k]), float(scales[k])))
        # Input-major: one input's weights for every class side by side.
        f.write(quantised.T.copy().tobytes())
    print(
        f"wrote {OUT} ({OUT.stat().st_size} bytes): C={c}, {len(dev)} development prompts, "
        f"{0 if gx is None else gx.shape[0]} generated, {len(classes)} classes, cross-validated balanced accuracy {best[1]:.3f}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
