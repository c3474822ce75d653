"""Distress with few false alarms (issue 12 item 4): the decision and action_nood.

The phrases come from the shared test set tests/distress_cases.yml where possible; the numbers
with the trained model are in docs/assistant.md (scripts/distress_eval.py).
"""

from __future__ import annotations

import pytest
from conftest import load_tracker, run
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.distress import GEWOON, NOOD, VRAAG, assess, fallback_outcome, form_reply, is_dont_know, is_number
from actions.handover import ActionNietBegrepen, ActionNood


def tracker_with(intent: str, text: str, *, in_form: bool) -> Tracker:
    """The bijzondere-bijstand check asking about income, or no form, with this latest message."""
    tracker = load_tracker("bijstand_vraag_inkomen_wijzig" if in_form else "nood_psychisch")
    tracker.latest_message = {"intent": {"name": intent, "confidence": 0.8}, "entities": [], "text": text}
    return tracker


@pytest.mark.parametrize(
    ("text", "in_form", "outcome"),
    [
        ("ik weet het niet", True, GEWOON),
        ("ik weet het niet", False, GEWOON),
        ("1850", True, GEWOON),
        ("1.850 euro", False, GEWOON),
        ("help", True, GEWOON),
        ("help", False, VRAAG),
        ("ik kan er niet meer tegen dat de buren elke nacht herrie maken", False, GEWOON),
        ("ik wacht al maanden op antwoord, ik word er wanhopig van", True, GEWOON),
        ("ik weet het niet meer", False, VRAAG),
        ("ik kan niet meer", True, VRAAG),
        ("112", True, VRAAG),
        ("ik wil niet meer leven", True, NOOD),
        ("iedereen is beter af als ik er niet meer ben", False, NOOD),
        ("mijn partner schopt me", True, NOOD),
        ("er is brand", True, NOOD),
        ("ik ruik gas", False, NOOD),
        ("/nood_psychisch", True, NOOD),
    ],
)
def test_a_distress_intent_is_an_emergency_only_when_the_message_says_so(text, in_form, outcome):
    assert assess("nood_psychisch", text, in_form=in_form) == outcome


def test_other_intents_are_not_judged():
    assert assess("bevestig", "ik wil niet meer leven", in_form=True) is None


@pytest.mark.parametrize("text", ["1850", "€ 1200", "1.850,50", "2400 euro per maand", "1650 netto"])
def test_amounts(text):
    assert is_number(text)


@pytest.mark.parametrize("text", ["ik weet het niet", "weet ik niet", "Geen idee.", "ik weet het niet zeker"])
def test_dont_know(text):
    assert is_dont_know(text)
    assert not is_dont_know(text.rstrip(".") + " meer")


def _handover(messages) -> dict | None:
    return next((m["custom"].get("handover") for m in messages if "custom" in m), None)


def test_dont_know_in_the_check_gets_a_form_reply_not_113():
    messages, events = run(ActionNood(), tracker_with("nood_psychisch", "ik weet het niet", in_form=True))
    assert events == []  # the form asks its question again (rule), with the topic
    assert messages == [{"text": form_reply("ik weet het niet")}]
    assert "113" not in messages[0]["text"] and "112" not in messages[0]["text"]


def test_an_amount_in_the_check_gets_a_form_reply_not_112():
    messages, events = run(ActionNood(), tracker_with("nood_spoed", "1850", in_form=True))
    assert events == []
    assert messages == [{"text": "Je hoeft geen bedrag te typen. Kies een van de knoppen, of typ ja of nee."}]


def test_real_distress_in_the_check_ends_it_with_a_nood_handover_and_the_bot_listens():
    messages, events = run(ActionNood(), tracker_with("nood_psychisch", "ik wil niet meer leven", in_form=True))
    assert "0800-0113" in messages[0]["text"]
    handover = _handover(messages)
    assert handover and handover["reason"] == "nood" and handover["team"] == "klantcontact"
    assert events == [ActiveLoop(None), SlotSet("requested_slot", None), FollowupAction("action_listen")]


def test_real_distress_outside_a_form_is_a_nood_handover():
    messages, events = run(ActionNood(), tracker_with("nood_huiselijk_geweld", "mijn man slaat mij", in_form=False))
    assert "0800-2000" in messages[0]["text"]
    assert _handover(messages)["reason"] == "nood"
    assert events == []


def test_help_outside_a_form_asks_gently_with_the_help_numbers_as_buttons():
    messages, events = run(ActionNood(), tracker_with("nood_spoed", "help", in_form=False))
    assert events == []
    assert len(messages) == 1 and messages[0]["text"].startswith("Gaat het wel goed met je?")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/nood_psychisch", "/nood_huiselijk_geweld", "/nood_spoed", "/vraag_medewerker"]
    assert messages[0]["custom"] == {"topic": "niet_begrepen"}  # exactly one custom message, no handover


def test_ambiguous_in_the_check_asks_gently_and_leaves_the_topic_to_the_form_question():
    messages, events = run(ActionNood(), tracker_with("nood_psychisch", "ik kan niet meer", in_form=True))
    assert events == []
    assert messages[0]["text"].startswith("Gaat het wel goed met je?") and "custom" not in messages[0]


def test_the_help_button_after_the_gentle_question_is_an_emergency():
    messages, _ = run(ActionNood(), tracker_with("nood_psychisch", "/nood_psychisch", in_form=True))
    assert _handover(messages)["reason"] == "nood"


def test_noise_complaint_is_not_an_emergency():
    text = "ik kan er niet meer tegen dat de buren elke nacht herrie maken"
    messages, events = run(ActionNood(), tracker_with("nood_psychisch", text, in_form=False))
    assert _handover(messages) is None and "113" not in messages[0]["text"]
    assert messages[0]["custom"] == {"topic": "niet_begrepen"}


def test_weet_niet_in_the_check_explains_and_offers_a_person():
    messages, events = run(ActionNietBegrepen(), tracker_with("weet_niet", "geen flauw idee", in_form=True))
    assert events == []
    assert messages[0]["text"].startswith("Dat geeft niet.")
    assert messages[0]["buttons"] == [{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}]
    assert "custom" not in messages[0]


def test_weet_niet_outside_the_check_asks_what_the_question_is_about():
    messages, _ = run(ActionNietBegrepen(), tracker_with("weet_niet", "ik weet het niet", in_form=False))
    assert messages[0]["text"].startswith("Dat geeft niet.")
    assert messages[0]["custom"] == {"topic": "niet_begrepen"}


def test_a_long_message_without_a_distress_word_needs_a_sure_model():
    text = "ik ben mijn baan kwijt en heb geen inkomen meer"
    assert assess("nood_psychisch", text, in_form=False, confidence=0.85) == VRAAG
    assert (
        assess("nood_psychisch", "iedereen is beter af als ik er niet meer ben", in_form=False, confidence=0.99) == NOOD
    )


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("ik weet het niet meer", VRAAG),
        ("113", VRAAG),
        ("ik zie het niet meer zitten", VRAAG),
        ("het is allemaal te veel", VRAAG),
        ("alles wordt me te veel", VRAAG),
        ("is dat te veel geld", GEWOON),
        ("ik weet het niet", GEWOON),
        ("1850", GEWOON),
        ("help", GEWOON),
        ("ik kan niet meer inloggen", GEWOON),
    ],
)
def test_not_understood_but_possibly_a_signal_asks_gently(text, outcome):
    assert fallback_outcome(text) == outcome


def test_a_fallback_that_may_be_a_signal_gets_the_gentle_question_in_the_check():
    messages, events = run(ActionNietBegrepen(), tracker_with("nlu_fallback", "ik weet het niet meer", in_form=True))
    assert events == [] and messages[0]["text"].startswith("Gaat het wel goed met je?")
    assert "custom" not in messages[0]


def test_the_evaluation_script_counts_both_sides_without_a_model():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "distress_eval.py"
    spec = importlib.util.spec_from_file_location("distress_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = {
        "distress": ["ik wil niet meer leven"],
        "ambiguous": ["ik kan niet meer"],
        "ordinary": ["ik weet het niet"],
    }
    parsed = {t: {"name": "nood_psychisch", "confidence": 0.99} for group in cases.values() for t in group}
    safety = module.load_safety(module.ROOT / "handover" / "core" / "safety.py")
    before = module.summary(module.judge(parsed, cases, safety, before=True))
    after = module.summary(module.judge(parsed, cases, safety, before=False))
    for where in ("outside", "in_form"):
        assert before[where]["false_alarm_together"] == 1 and after[where]["false_alarm_together"] == 0
        assert before[where]["recall_together"] == after[where]["recall_together"] == 1
        assert after[where]["ambiguous_gentle"] == 1
    assert len(module.load_cases()["distress"]) >= 30
