"""Distress: recall on real signals and false alarms on look-alikes, with the trained model.

Runs every phrase of bot/tests/distress_cases.yml through the trained model (rasa's Agent, NLU
only: the dialogue maps each distress intent to one action, so the intent decides), then through
the bot's decision (actions/distress.py: `nood` handover, gentle question, or an ordinary/form
reply) and through the service's keyword safety net (handover/core/safety.py, loaded from its
file, independent of the model). Each phrase is judged outside a form and inside the subsidy
check.

An alarm is a handover with reason `nood` or a safety-net text. A gentle question is not an alarm.

    cd bot && .venv/bin/python scripts/distress_eval.py [--model models/x.tar.gz] [--before]
        [--safety ../handover/core/safety.py] [--json out.json]

--before judges as the assistant did before issue 12: every distress intent was a `nood`
handover, in and out of a form. Exit code 1 when a real signal is missed or a look-alike raises
an alarm.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

BOT = Path(__file__).resolve().parent.parent
ROOT = BOT.parent
sys.path.insert(0, str(BOT))

from actions.distress import DISTRESS_INTENTS, NOOD, VRAAG, assess, fallback_outcome  # noqa: E402

CASES = BOT / "tests" / "distress_cases.yml"


def load_cases(path: Path = CASES) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    distress = [str(t) for phrases in data["distress"].values() for t in phrases]
    return {
        "distress": distress,
        "ambiguous": [str(t) for t in data["ambiguous"]],
        "ordinary": [str(t) for t in data["ordinary"]],
    }


def load_safety(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("safety_net", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Intents that end in action_niet_begrepen, which asks gently when the text may be a signal:
# a fallback, "weet niet", and inside the check an answer the form cannot use (inform without
# the asked entity; a yes/no intent fills a yes/no question and is left out here).
NOT_UNDERSTOOD = {False: ("nlu_fallback", "weet_niet"), True: ("nlu_fallback", "weet_niet", "inform")}


def bot_outcome(intent: str, text: str, confidence: float, *, in_form: bool, before: bool) -> str:
    """nood / vraag / gewoon (not a distress intent or judged ordinary), as the dialogue rules run it."""
    if before:
        return NOOD if intent in DISTRESS_INTENTS else "gewoon"
    if intent in NOT_UNDERSTOOD[in_form]:
        return fallback_outcome(text)
    return assess(intent, text, in_form=in_form, confidence=confidence) or "gewoon"


def judge(parsed: dict[str, dict[str, Any]], cases: dict[str, list[str]], safety: ModuleType, before: bool):
    rows = []
    for group, texts in cases.items():
        for text in texts:
            intent = parsed[text]["name"]
            net = safety.distress(text)
            for in_form in (False, True):
                outcome = bot_outcome(intent, text, parsed[text]["confidence"], in_form=in_form, before=before)
                rows.append(
                    {
                        "group": group,
                        "text": text,
                        "in_form": in_form,
                        "intent": intent,
                        "confidence": round(parsed[text]["confidence"], 3),
                        "bot": outcome,
                        "net": net,
                        "alarm": outcome == NOOD or net is not None,
                    }
                )
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for where, in_form in (("outside", False), ("in_form", True)):
        part = [r for r in rows if r["in_form"] == in_form]
        dist = [r for r in part if r["group"] == "distress"]
        amb = [r for r in part if r["group"] == "ambiguous"]
        ordi = [r for r in part if r["group"] == "ordinary"]
        out[where] = {
            "distress_n": len(dist),
            "recall_model": sum(r["bot"] == NOOD for r in dist),
            "recall_net": sum(r["net"] is not None for r in dist),
            "recall_together": sum(r["alarm"] for r in dist),
            "ambiguous_n": len(amb),
            "ambiguous_alarm": sum(r["alarm"] for r in amb),
            "ambiguous_gentle": sum((not r["alarm"]) and r["bot"] == VRAAG for r in amb),
            "ambiguous_silent": sum((not r["alarm"]) and r["bot"] != VRAAG for r in amb),
            "ordinary_n": len(ordi),
            "false_alarm_model": sum(r["bot"] == NOOD for r in ordi),
            "false_alarm_net": sum(r["net"] is not None for r in ordi),
            "false_alarm_together": sum(r["alarm"] for r in ordi),
            "ordinary_gentle": sum((not r["alarm"]) and r["bot"] == VRAAG for r in ordi),
        }
    return out


async def parse_all(model: str, texts: list[str]) -> dict[str, dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    parsed = {}
    for text in texts:
        result = await agent.parse_message(text)
        parsed[text] = {"name": result["intent"]["name"], "confidence": float(result["intent"]["confidence"])}
    return parsed


def newest_model() -> str:
    models = sorted((BOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no model in bot/models; train first")
    return str(models[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--safety", default=str(ROOT / "handover" / "core" / "safety.py"))
    parser.add_argument("--before", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--parsed", default=None, help="reuse the model's parses from an earlier --json report")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.disable(logging.WARNING)
    cases = load_cases()
    model = args.model or newest_model()
    if args.parsed:
        parsed = json.loads(Path(args.parsed).read_text(encoding="utf-8"))["parsed"]
    else:
        parsed = asyncio.run(parse_all(model, sorted({t for texts in cases.values() for t in texts})))
    rows = judge(parsed, cases, load_safety(Path(args.safety)), args.before)
    result = {
        "model": Path(model).name,
        "before": args.before,
        "summary": summary(rows),
        "rows": rows,
        "parsed": parsed,
    }
    for row in rows:
        wrong = (
            (row["group"] == "distress" and not row["alarm"])
            or (row["group"] == "ordinary" and row["alarm"])
            or (row["group"] == "ambiguous" and not row["alarm"] and row["bot"] != VRAAG)
        )
        if wrong or row["bot"] != "gewoon" or row["net"]:
            where = "form" if row["in_form"] else "out "
            flag = "MISS" if wrong and row["group"] == "distress" else ("WRONG" if wrong else "    ")
            print(
                f"{flag:5} {where} {row['group']:9} {row['bot']:6} net={row['net'] or '-':16} "
                f"{row['intent']}({row['confidence']:.2f}) {row['text']}"
            )
    print(json.dumps(result["summary"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    s = result["summary"]
    failed = any(
        v["recall_together"] < v["distress_n"] or v["false_alarm_together"] or v["ambiguous_silent"] for v in s.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
