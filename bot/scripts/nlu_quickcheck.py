"""Quick check of the NLU training data: a linear model in seconds, before the real evaluation.

Run from the repository root:  bot/.venv/bin/python bot/scripts/nlu_quickcheck.py [-v]

It reads bot/data/nlu/*.yml, strips entity annotations, and runs 5-fold cross-validation of a
linear SVM on the same features the Rasa pipeline uses (word counts plus char_wb 1-4
n-grams). It is a proxy for content editors, not the reported number: it finds intents that
lack examples and the pairs they are confused with in ~10 s, where `make eval-nlu` (DIET, the
shipped pipeline) takes 15-30 min. -v lists every misclassified example.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import classification_report
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def load_examples(nlu_dir: Path = NLU_DIR) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    intents: list[str] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line[2:]).strip())
                    intents.append(item["intent"])
    return texts, intents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list misclassified examples")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    texts, intents = load_examples()
    counts = Counter(intents)
    print(
        f"{len(texts)} examples, {len(counts)} intents; fewest: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: kv[1])[:4])
    )
    doubles = [t for t, c in Counter(texts).items() if c > 1]
    if doubles:
        print("examples that occur more than once:", "; ".join(doubles[:20]))
    features = make_union(
        CountVectorizer(lowercase=True),
        CountVectorizer(analyzer="char_wb", ngram_range=(1, 4), lowercase=True),
    )
    model = make_pipeline(features, LinearSVC(C=0.5, max_iter=20000))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    predicted = cross_val_predict(model, texts, intents, cv=folds)
    report = classification_report(intents, predicted, output_dict=True, zero_division=0)
    f1 = {k: v["f1-score"] for k, v in report.items() if k in counts}
    print(f"macro F1 {sum(f1.values()) / len(f1):.3f} (linear proxy; the reported number is make eval-nlu)")
    for name, score in sorted(f1.items(), key=lambda kv: kv[1])[:10]:
        print(f"  {name:28} F1 {score:.2f}  n={counts[name]}")
    pairs = Counter((t, p) for t, p in zip(intents, predicted, strict=True) if t != p)
    print("most confused (true -> predicted):")
    for (true, pred), n in pairs.most_common(15):
        print(f"  {true} -> {pred}: {n}")
    if args.verbose:
        for text, true, pred in zip(texts, intents, predicted, strict=True):
            if true != pred:
                print(f"  {true:26} -> {pred:26} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
