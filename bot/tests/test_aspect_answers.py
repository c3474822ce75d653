"""Issue 12: the product in context, aspect answers from the catalogue, disambiguation, the entry prior."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BOT_DIR, run
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.answers import ActionAfscheid, ActionBeantwoordProduct
from actions.context import aspect_in_text, is_switch, prior_topic, product_in_text, topic_from_name
from actions.handover import ActionNietBegrepen

EXPLANATION = "Met een paspoort laat je zien wie je bent."


def tracker(
    text: str,
    intent: str,
    *,
    slots: dict[str, Any] | None = None,
    ranking: list[tuple] | None = None,
    metadata: dict[str, Any] | None = None,
    loop: str | None = None,
    earlier: list[dict[str, Any]] | None = None,
) -> Tracker:
    parse = {
        "intent": {"name": intent, "confidence": 0.4 if intent == "nlu_fallback" else 0.95},
        "entities": [],
        "text": text,
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [])],
    }
    user = {"event": "user", "text": text, "parse_data": parse}
    if metadata:
        user["metadata"] = metadata
    return Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": {"onderwerp": None, "aspect": None, "subsidie": None, "requested_slot": None, **(slots or {})},
            "latest_message": parse,
            "events": (earlier or []) + [user],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": loop} if loop else {},
            "latest_action_name": "action_listen",
        }
    )


def test_follow_up_answers_the_aspect_for_the_product_in_context_not_the_whole_text():
    messages, events = run(
        ActionBeantwoordProduct(), tracker("en wat kost dat?", "aspect_kosten", slots={"onderwerp": "paspoort_idkaart"})
    )
    assert messages == [
        {
            "text": "Paspoort en ID-kaart: wat kost het\n"
            "Kosten paspoort: € 10,00 (bron: https://www.example.org/tarieven, gecontroleerd op 2026-01-01)\n"
            "Meer informatie: https://www.example-gemeente.nl/paspoort",
            "custom": {"topic": "paspoort_idkaart"},
        }
    ]
    assert events == [SlotSet("onderwerp", "paspoort_idkaart"), SlotSet("aspect", "kosten")]


@pytest.mark.parametrize(
    "aspect, catalogue_text",
    [
        (
            "duur",
            "Je paspoort is na 5 werkdagen klaar. "
            "(bron: https://www.example.org/paspoort-duur, gecontroleerd op 2026-01-01)",
        ),
        ("waar", "Kom naar het stadskantoor."),
        ("meenemen", "- je oude paspoort"),
        ("voor_wie", "Voor wie: Iedereen die in de gemeente woont."),
        ("online", "Dit regel je op afspraak. Maak online een afspraak."),
        ("status", "Hoe het met je aanvraag staat, kan ik niet zien."),
    ],
)
def test_every_aspect_answer_holds_its_catalogue_text_and_not_the_whole_product(aspect, catalogue_text):
    messages, _ = run(
        ActionBeantwoordProduct(), tracker("en dat?", f"aspect_{aspect}", slots={"onderwerp": "paspoort_idkaart"})
    )
    text = messages[0]["text"]
    assert catalogue_text in text
    assert EXPLANATION not in text and "Kosten paspoort" not in text
    assert text.endswith("Meer informatie: https://www.example-gemeente.nl/paspoort")
    assert len(messages) == 1, "one self-contained section"


def test_a_missing_aspect_is_answered_honestly_with_the_product_page():
    messages, _ = run(
        ActionBeantwoordProduct(), tracker("hoe lang duurt dat", "aspect_duur", slots={"onderwerp": "energiesubsidie"})
    )
    assert messages[0]["text"] == (
        "Energiesubsidie: hoe lang duurt het\n"
        "Hoe lang het duurt, weet ik niet precies. Dat staat op de website.\n"
        "Meer informatie: https://www.example-gemeente.nl/energiesubsidie"
    )


def test_a_product_question_with_an_aspect_gets_only_that_aspect():
    messages, events = run(ActionBeantwoordProduct(), tracker("wat kost een paspoort", "paspoort_idkaart"))
    assert messages[0]["text"].startswith("Paspoort en ID-kaart: wat kost het\n")
    assert EXPLANATION not in messages[0]["text"]
    assert SlotSet("aspect", "kosten") in events


def test_en_voor_x_switches_product_and_keeps_the_aspect():
    messages, events = run(
        ActionBeantwoordProduct(),
        tracker(
            "en voor de energiesubsidie?",
            "energiesubsidie",
            slots={"onderwerp": "paspoort_idkaart", "aspect": "voor_wie"},
        ),
    )
    assert messages[0]["text"].startswith("Energiesubsidie: voor wie is het\nVoor wie: Huiseigenaren.")
    assert events == [SlotSet("onderwerp", "energiesubsidie"), SlotSet("aspect", "voor_wie")]


def test_a_new_product_question_without_en_gets_the_whole_answer():
    messages, events = run(
        ActionBeantwoordProduct(),
        tracker("ik wil een paspoort", "paspoort_idkaart", slots={"onderwerp": "energiesubsidie", "aspect": "kosten"}),
    )
    assert EXPLANATION in messages[0]["text"]
    assert SlotSet("aspect", None) in events


def test_an_aspect_without_a_product_asks_which_one_with_buttons():
    messages, events = run(
        ActionBeantwoordProduct(),
        tracker("wat kost dat", "aspect_kosten", ranking=[("aspect_kosten", 0.9), ("bijzondere_bijstand", 0.05)]),
    )
    assert messages[0]["text"] == "Over welk onderwerp gaat je vraag? Kies een onderwerp."
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/paspoort_idkaart", "/vraag_medewerker"]
    assert messages[0]["custom"] == {"topic": "niet_begrepen"}
    assert events == [SlotSet("aspect", "kosten")]


def test_the_button_after_the_question_answers_the_waiting_aspect():
    messages, _ = run(
        ActionBeantwoordProduct(), tracker("/paspoort_idkaart", "paspoort_idkaart", slots={"aspect": "kosten"})
    )
    assert messages[0]["text"].startswith("Paspoort en ID-kaart: wat kost het\n")


def test_the_campaign_of_the_landing_page_is_the_product_when_none_is_in_context():
    meta = {"channel": "social", "utm": {"campaign": "energiesubsidie", "source": "facebook"}}
    messages, events = run(ActionBeantwoordProduct(), tracker("hoe werkt dat?", "aspect_uitleg", metadata=meta))
    assert messages[0]["text"].startswith("Energiesubsidie: hoe werkt het\nSubsidie voor isolatie.")
    assert messages[0]["custom"] == {"topic": "energiesubsidie"}
    assert "/kies_subsidie" in messages[0]["buttons"][0]["payload"]
    assert SlotSet("onderwerp", "energiesubsidie") in events


def test_the_product_in_context_wins_over_the_campaign():
    meta = {"campaign": "energiesubsidie"}
    messages, _ = run(
        ActionBeantwoordProduct(),
        tracker("wat kost dat", "aspect_kosten", metadata=meta, slots={"onderwerp": "paspoort_idkaart"}),
    )
    assert messages[0]["text"].startswith("Paspoort en ID-kaart: wat kost het")


def test_an_aspect_in_the_check_is_answered_for_the_subsidy_and_the_check_goes_on():
    messages, events = run(
        ActionBeantwoordProduct(),
        tracker(
            "hoe lang duurt het",
            "aspect_duur",
            loop="subsidiecheck_form",
            slots={"subsidie": "energiesubsidie", "requested_slot": "laag_inkomen"},
        ),
    )
    assert messages[0]["text"].startswith("Energiesubsidie: hoe lang duurt het")
    # The form's question follows in the same turn and carries the topic: one custom message per turn.
    assert "custom" not in messages[0] and "buttons" not in messages[0]
    assert all(e.get("event") != "active_loop" for e in events)


def test_a_close_call_offers_the_likeliest_topics_as_buttons():
    messages, events = run(
        ActionNietBegrepen(),
        tracker(
            "ik heb een probleem met geld voor mijn huis",
            "nlu_fallback",
            ranking=[("nlu_fallback", 0.55), ("bijzondere_bijstand", 0.41), ("energiesubsidie", 0.38), ("groet", 0.01)],
        ),
    )
    assert (
        messages[0]["text"]
        == "Ik weet niet zeker wat je bedoelt. Bedoel je Bijzondere bijstand of Energiesubsidie? Kies een onderwerp."
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/bijzondere_bijstand",
        "/energiesubsidie",
        "/vraag_medewerker",
    ]
    assert "handover" not in messages[0]["custom"]
    assert events == [SlotSet("aspect", None)]


def test_a_close_call_that_names_the_likeliest_product_answers_it():
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "ik kom van die post over de energiesubsidie hoe zit dat",
            "nlu_fallback",
            ranking=[("nlu_fallback", 0.55), ("energiesubsidie", 0.4), ("verhuizing", 0.2)],
        ),
    )
    assert messages[0]["custom"] == {"topic": "energiesubsidie"}
    assert messages[0]["text"].startswith("Energiesubsidie\n")


def test_a_named_product_that_the_model_does_not_rank_first_is_offered_not_answered():
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "ik heb geen geld voor mijn energie rekening",
            "nlu_fallback",
            ranking=[("nlu_fallback", 0.55), ("bijzondere_bijstand", 0.45), ("energiesubsidie", 0.4)],
        ),
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/bijzondere_bijstand",
        "/energiesubsidie",
        "/vraag_medewerker",
    ]


def test_two_named_products_are_offered_even_if_the_first_is_likeliest():
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "mijn paspoort en energiesubsidie",
            "nlu_fallback",
            ranking=[("nlu_fallback", 0.55), ("paspoort_idkaart", 0.45), ("energiesubsidie", 0.4)],
        ),
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/paspoort_idkaart",
        "/energiesubsidie",
        "/vraag_medewerker",
    ]


def test_topics_without_a_catalogue_text_are_not_offered():
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "iets met afval of zo",
            "nlu_fallback",
            ranking=[("nlu_fallback", 0.55), ("afval_grofvuil", 0.45), ("paspoort_idkaart", 0.3)],
        ),
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/paspoort_idkaart", "/vraag_medewerker"]
    assert messages[0]["text"] == "Ik weet niet zeker wat je bedoelt. Gaat je vraag over Paspoort en ID-kaart?"


def test_a_close_call_from_the_campaign_page_answers_the_campaign_topic():
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "hoe zit dat nou",
            "nlu_fallback",
            metadata={"utm": {"campaign": "energiesubsidie"}},
            ranking=[("nlu_fallback", 0.55), ("energiesubsidie", 0.3), ("bijzondere_bijstand", 0.2)],
        ),
    )
    assert messages[0]["custom"] == {"topic": "energiesubsidie"}
    assert messages[0]["text"].startswith("Energiesubsidie\n")


def test_the_second_miss_in_a_row_still_offers_a_person():
    miss = {"event": "user", "text": "xx", "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}}}
    messages, _ = run(
        ActionNietBegrepen(),
        tracker(
            "yy",
            "nlu_fallback",
            earlier=[miss, {"event": "bot", "text": "Bedoel je"}],
            ranking=[("nlu_fallback", 0.5), ("rijbewijs", 0.3), ("paspoort_idkaart", 0.3)],
        ),
    )
    assert messages[0]["custom"]["handover"]["reason"] == "niet_begrepen"


def test_goodbye_clears_the_context():
    messages, events = run(ActionAfscheid(), tracker("doei", "afscheid", slots={"onderwerp": "rijbewijs"}))
    assert events == [SlotSet("onderwerp", None), SlotSet("aspect", None)]


def test_text_cues():
    assert aspect_in_text("hoeveel kost een id kaart") == "kosten"
    assert aspect_in_text("kan ik mijn rijbewijs online verlengen") == "online"
    assert aspect_in_text("hoe vraag ik een paspoort aan") is None
    assert aspect_in_text("Kan ik energiesubsidie krijgen?") is None
    assert is_switch("en voor een rijbewijs?") and is_switch("geldt dat ook voor mijn rijbewijs")
    assert not is_switch("ik wil een rijbewijs aanvragen")
    assert product_in_text("wat kost dat voor een id kaart") == "paspoort_idkaart"
    assert topic_from_name("Isolatie-najaar-2026") == "energiesubsidie"
    assert topic_from_name("zomeractie") is None


def test_prior_from_topic_hint_campaign_or_page_url():
    assert (
        prior_topic(tracker("x", "groet", metadata={"topic_hint": "rijbewijs", "campaign": "energiesubsidie"}))
        == "rijbewijs"
    )
    page = "https://www.example-gemeente.nl/energie?utm_source=fb&utm_campaign=energiesubsidie"
    assert prior_topic(tracker("x", "groet", metadata={"page": page})) == "energiesubsidie"
    assert prior_topic(tracker("x", "groet")) is None


def test_generated_aspect_stories_are_up_to_date():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", BOT_DIR / "scripts" / "gen_aspect_stories.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (BOT_DIR / "tests" / "test_aspecten.yml").read_text(encoding="utf-8") == gen.generate(), (
        "run: cd bot && .venv/bin/python scripts/gen_aspect_stories.py"
    )


def test_a_typed_product_after_the_question_also_answers_the_waiting_aspect():
    messages, _ = run(ActionBeantwoordProduct(), tracker("paspoort", "paspoort_idkaart", slots={"aspect": "kosten"}))
    assert messages[0]["text"].startswith("Paspoort en ID-kaart: wat kost het\n")
