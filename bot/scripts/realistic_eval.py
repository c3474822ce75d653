"""Held-out realistic questions: how often the trained model gives up, and how often it is right.

Runs every phrase of bot/tests/realistic_heldout.yml (never in the training data) through the
trained model (rasa's Agent, NLU only) and reports, overall and for products and aspects:
- fallback: the share that falls to `nlu_fallback` (before issue 12 that was "Sorry, dat begrijp
  ik niet"; now the assistant offers the likeliest topics as buttons, see docs/assistant.md);
- correct: the share whose intent is the expected one (or the check of the expected subsidy);
- helped: correct, or a fallback whose two or three likeliest products (the buttons the
  assistant offers) include the expected product.

    cd bot && .venv/bin/python scripts/realistic_eval.py \
        [--model models/x.tar.gz | --url http://127.0.0.1:5005] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import yaml

BOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BOT))
from actions.catalogue import PRODUCT_TOPICS  # noqa: E402

CASES = BOT / "tests" / "realistic_heldout.yml"
MIN_CANDIDATE_CONFIDENCE = 0.1  # as actions/context.py


def load_cases(path: Path = CASES) -> dict[str, list[str]]:
    return {
        intent: list(texts) for intent, texts in yaml.safe_load(path.read_text(encoding="utf-8"))["intents"].items()
    }


def summarise_parse(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": result["intent"]["name"],
        "confidence": round(float(result["intent"]["confidence"]), 3),
        "ranking": [(r["name"], round(float(r["confidence"]), 3)) for r in result.get("intent_ranking", [])[:5]],
        "subsidie": next((e["value"] for e in result.get("entities", []) if e["entity"] == "subsidie"), None),
    }


async def parse_all(model: str, texts: list[str]) -> dict[str, dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return {text: summarise_parse(await agent.parse_message(text)) for text in texts}


def parse_over_http(url: str, texts: list[str]) -> dict[str, dict[str, Any]]:
    """A running `rasa run --enable-api` (no model load): POST /model/parse."""
    import urllib.request

    parsed = {}
    for text in texts:
        request = urllib.request.Request(
            f"{url.rstrip('/')}/model/parse", json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            parsed[text] = summarise_parse(json.load(response))
    return parsed


def judge(parsed: dict[str, dict[str, Any]], cases: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for intent, texts in cases.items():
        for text in texts:
            p = parsed[text]
            fallback = p["name"] == "nlu_fallback"
            offered = [n for n, c in p["ranking"] if n in PRODUCT_TOPICS and c >= MIN_CANDIDATE_CONFIDENCE][:3]
            # "kom ik in aanmerking voor de energiesubsidie" starts that subsidy's check: right topic.
            correct = p["name"] == intent or (p["name"] == "kies_subsidie" and p.get("subsidie") == intent)
            rows.append(
                {
                    "text": text,
                    "expected": intent,
                    "predicted": p["name"],
                    "fallback": fallback,
                    "correct": correct,
                    "helped": correct or (fallback and intent in offered),
                    "kind": "product" if intent in PRODUCT_TOPICS else "aspect",
                }
            )
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("all", "product", "aspect"):
        part = [r for r in rows if kind == "all" or r["kind"] == kind]
        n = len(part) or 1
        out[kind] = {
            "n": len(part),
            "fallback": round(sum(r["fallback"] for r in part) / n, 3),
            "correct": round(sum(r["correct"] for r in part) / n, 3),
            "wrong_topic": round(sum((not r["correct"]) and not r["fallback"] for r in part) / n, 3),
            "helped": round(sum(r["helped"] for r in part) / n, 3),
        }
    return out


def newest_model() -> str:
    models = sorted((BOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no model in bot/models; train first")
    return str(models[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--url", default=None, help="parse with a running Rasa server instead of loading a model")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.disable(logging.WARNING)
    cases = load_cases()
    texts = sorted({t for texts in cases.values() for t in texts})
    if args.url:
        import urllib.request

        with urllib.request.urlopen(f"{args.url.rstrip('/')}/status", timeout=30) as response:
            model = json.load(response).get("model_file", args.url)
        parsed = parse_over_http(args.url, texts)
    else:
        model = args.model or newest_model()
        parsed = asyncio.run(parse_all(model, texts))
    rows = judge(parsed, cases)
    result = {"model": Path(model).name, "summary": summary(rows), "rows": rows}
    for row in rows:
        if not row["correct"]:
            verdict = "FALLBACK" if row["fallback"] else "WRONG   "
            print(f"{verdict} {row['expected']:28} -> {row['predicted']:28} {row['text']}")
    print(json.dumps(result["summary"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
