"""The evaluation scripts: the target is judged per topic, and the quick check reads the data."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from actions.catalogue import CONVERSATION_TOPICS, PRODUCT_TOPICS

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_report(out: Path, f1_of: dict[str, float]) -> None:
    report: dict[str, object] = {
        name: {"precision": f1, "recall": f1, "f1-score": f1, "support": 10} for name, f1 in f1_of.items()
    }
    report["accuracy"] = 0.9
    report["macro avg"] = {"f1-score": 0.0}
    (out / "intent_report.json").write_text(json.dumps(report))
    errors = [{"text": "ik wil niet verder", "intent": "stop", "intent_prediction": {"name": "nood_psychisch"}}]
    (out / "intent_errors.json").write_text(json.dumps(errors))


def test_every_topic_key_but_the_fallback_is_an_intent_in_the_report():
    eval_nlu = load("eval_nlu")
    assert set(eval_nlu.TOPIC_OF_INTENT.values()) == set(PRODUCT_TOPICS) | set(CONVERSATION_TOPICS) - {"niet_begrepen"}


def test_target_is_judged_over_topics_and_all_intents_are_shown(tmp_path: Path):
    eval_nlu = load("eval_nlu")
    f1_of = {intent: 0.95 for intent in eval_nlu.TOPIC_OF_INTENT} | {"stop": 0.5}
    write_report(tmp_path, f1_of)
    summary = eval_nlu.summarise(tmp_path, folds=5, seconds=1.0)
    assert summary["target_met"] is True
    assert summary["topics"] == {"count": 22, "macro_f1": 0.95, "min_f1": 0.95}
    assert summary["intents"]["target_met"] is False
    assert summary["intents"]["min_f1"] == 0.5
    assert summary["confusion_pairs"] == [{"intent": "stop", "predicted": "nood_psychisch", "count": 1}]

    f1_of["buiten_bereik"] = 0.79  # one topic under 0.80 fails the target, whatever the mean
    write_report(tmp_path, f1_of)
    assert eval_nlu.summarise(tmp_path, folds=5, seconds=1.0)["target_met"] is False

    eval_nlu.write_markdown(summary, tmp_path / "report.md")
    text = (tmp_path / "report.md").read_text()
    assert "| vraag_medewerker | medewerker |" in text and "| stop | (no topic) |" in text


def test_quickcheck_strips_annotations_and_reads_every_intent(tmp_path: Path):
    quick = load("nlu_quickcheck")
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: paspoort_idkaart\n  examples: |\n'
        "    - [ID-kaart](document) verlengen\n    - [id](document:ID-kaart) kwijt\n"
        "- synonym: paspoort\n  examples: |\n    - pasport\n"
        '- intent: inform\n  examples: |\n    - ik ben [huurder]{"entity": "woonsituatie"}\n'
    )
    texts, intents = quick.load_examples(tmp_path)
    assert texts == ["ID-kaart verlengen", "id kwijt", "ik ben huurder"]
    assert intents == ["paspoort_idkaart", "paspoort_idkaart", "inform"]


def test_aspects_are_reported_as_a_group(tmp_path: Path):
    eval_nlu = load("eval_nlu")
    f1_of = {intent: 0.95 for intent in eval_nlu.TOPIC_OF_INTENT} | {a: 0.85 for a in eval_nlu.ASPECT_INTENTS}
    write_report(tmp_path, f1_of)
    summary = eval_nlu.summarise(tmp_path, folds=5, seconds=1.0)
    assert summary["aspects"] == {"count": 8, "macro_f1": 0.85, "min_f1": 0.85, "target_met": False}
    assert summary["target_met"] is True
    eval_nlu.write_markdown(summary, tmp_path / "report.md")
    assert "Aspects (8" in (tmp_path / "report.md").read_text(encoding="utf-8")
