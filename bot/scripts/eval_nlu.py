"""5-fold NLU cross-validation with a short report.

Run from the repository root:  bot/.venv/bin/python bot/scripts/eval_nlu.py
(or from bot/: .venv/bin/python scripts/eval_nlu.py). It runs
`rasa test nlu --cross-validation --folds 5` on bot/data/nlu with bot/config.yml and writes
  bot/results/nlu_cv/...            Rasa's own reports (intent_report.json, intent_errors.json, ...)
  bot/results/nlu_eval.md           per-intent precision/recall/F1 and the confusion pairs
  bot/results/nlu_eval.json         summary: macro F1, weakest intents, pairs, target met
and prints the macro F1. Exit code 1 when the target (macro F1 >= 0.90, no intent below 0.80) is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BOT_DIR = Path(__file__).resolve().parent.parent
RESULTS = BOT_DIR / "results"
TARGET_MACRO_F1 = 0.90
TARGET_MIN_F1 = 0.80
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def run_cross_validation(out: Path, folds: int) -> float:
    rasa = BOT_DIR / ".venv" / "bin" / "rasa"
    cmd = [str(rasa), "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
           "--cross-validation", "--folds", str(folds), "--out", str(out)]
    print("$ cd bot && rasa " + " ".join(cmd[1:]), flush=True)
    started = time.monotonic()
    subprocess.run(cmd, cwd=BOT_DIR, check=True)
    return time.monotonic() - started


def summarise(out: Path, folds: int, seconds: float) -> dict:
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
    per_intent = {
        name: {k: round(v, 3) for k, v in scores.items() if k in ("precision", "recall", "f1-score")}
        | {"support": scores.get("support")}
        for name, scores in report.items()
        if name not in NOT_INTENTS and isinstance(scores, dict)
    }
    f1s = {name: s["f1-score"] for name, s in per_intent.items()}
    macro = round(sum(f1s.values()) / len(f1s), 3)
    pairs = Counter(
        (e["intent"], (e.get("intent_prediction") or {}).get("name")) for e in errors
    )
    weakest = sorted(f1s.items(), key=lambda kv: kv[1])[:5]
    return {
        "command": f"cd bot && rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds {folds}",
        "folds": folds,
        "seconds": round(seconds),
        "macro_f1": macro,
        "min_f1": min(f1s.values()),
        "target": {"macro_f1": TARGET_MACRO_F1, "min_f1": TARGET_MIN_F1},
        "target_met": macro >= TARGET_MACRO_F1 and min(f1s.values()) >= TARGET_MIN_F1,
        "weakest": [{"intent": n, "f1": f} for n, f in weakest],
        "confusion_pairs": [
            {"intent": t, "predicted": p, "count": c} for (t, p), c in pairs.most_common(15)
        ],
        "per_intent": per_intent,
        "examples_misclassified": [
            {"text": e["text"], "intent": e["intent"], "predicted": (e.get("intent_prediction") or {}).get("name")}
            for e in errors
        ],
    }


def write_markdown(summary: dict, path: Path) -> None:
    lines = [
        "# NLU cross-validation",
        "",
        f"`{summary['command']}` ({summary['seconds']} s)",
        "",
        f"Macro F1: **{summary['macro_f1']}** (target {TARGET_MACRO_F1}); lowest intent F1: "
        f"{summary['min_f1']} (target {TARGET_MIN_F1}); target met: {summary['target_met']}",
        "",
        "| intent | precision | recall | F1 | n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, s in sorted(summary["per_intent"].items(), key=lambda kv: kv[1]["f1-score"]):
        lines.append(f"| {name} | {s['precision']} | {s['recall']} | {s['f1-score']} | {s['support']} |")
    lines += ["", "## Confusion pairs (true -> predicted)", ""]
    lines += [f"- {p['intent']} -> {p['predicted']}: {p['count']}" for p in summary["confusion_pairs"]]
    lines += ["", "## Misclassified examples", ""]
    lines += [f"- \"{e['text']}\": {e['intent']} -> {e['predicted']}" for e in summary["examples_misclassified"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-run", action="store_true", help="only summarise an earlier run")
    args = parser.parse_args()
    out = RESULTS / "nlu_cv"
    seconds = 0.0 if args.skip_run else run_cross_validation(out, args.folds)
    summary = summarise(out, args.folds, seconds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nlu_eval.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    write_markdown(summary, RESULTS / "nlu_eval.md")
    print(f"macro F1 = {summary['macro_f1']}  (lowest: "
          + ", ".join(f"{w['intent']} {w['f1']}" for w in summary["weakest"][:3]) + ")")
    print(f"report: {RESULTS / 'nlu_eval.md'}")
    return 0 if summary["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
