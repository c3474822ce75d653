"""Handover to a human: the bot only *asks* for one, in the custom JSON of its turn.

The handover service reads {"topic", "handover": {"team", "reason", "form", "summary"}} and does
the rest (queue, agent, transcript). The bot never talks to agents.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import answer, ask_which, which_text
from actions.catalogue import TEAMS, get_catalogue
from actions.context import (
    ASPECT_INTENTS,
    MAX_CHOICES,
    MIN_CANDIDATE_CONFIDENCE,
    aspect_in_text,
    prior_topic,
    product_candidates,
    product_in_text,
    products_in_text,
    ranked,
)
from actions.distress import (
    GENTLE_NUMBERS,
    GENTLE_QUESTION,
    HELP_BUTTONS,
    NOOD,
    VRAAG,
    assess,
    fallback_outcome,
    form_reply,
    is_dont_know,
    is_number,
)
from actions.subsidy_forms import describe_answers

REASONS = ("verzoek_medewerker", "niet_begrepen", "aanvraag", "klacht", "nood")

# Slots the agent gets as "form"; the answers of the subsidy check and the current topic.
FORM_SLOTS = (
    "onderwerp",
    "subsidie",
    "woont_in_gemeente",
    "laag_inkomen",
    "woonsituatie",
    "soort_kosten",
    "check_uitslag",
)

# Intents of distress, with what the resident must read before anything else.
DISTRESS_TEXT = {
    "nood_psychisch": (
        "Wat goed dat je dit zegt. Je staat er niet alleen voor. "
        "Denk je aan zelfdoding? Bel dan 113 Zelfmoordpreventie: 113 of gratis 0800-0113. "
        "Je kunt ook chatten op 113.nl. Dag en nacht."
    ),
    "nood_huiselijk_geweld": (
        "Wat goed dat je dit vertelt. Bel Veilig Thuis, gratis en dag en nacht: 0800-2000. "
        "Ben je nu in gevaar? Bel dan meteen 112."
    ),
    "nood_spoed": "Is er nu gevaar voor iemand? Bel dan meteen 112.",
}

MAX_QUOTE = 200


def form_data(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in FORM_SLOTS if tracker.get_slot(name) is not None}


def handover_message(*, topic: str, team: str, reason: str, form: dict[str, Any], summary: str) -> dict[str, Any]:
    """The custom JSON of a handover turn (the exact contract with the handover service)."""
    if team not in TEAMS:
        raise ValueError(f"unknown team {team!r}")
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return {
        "topic": topic,
        "handover": {"team": team, "reason": reason, "form": form, "summary": summary},
    }


def handover_text(team: str) -> str:
    return (
        f"Ik zet je door naar een medewerker van team {TEAMS[team]}. "
        "Die ziet ons gesprek, dus je hoeft niets te herhalen. Even geduld."
    )


def _quote(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def _stop_loop(tracker: Tracker) -> list[EventType]:
    if tracker.active_loop_name:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


class ActionOverdracht(Action):
    """Hand over because the resident asked, wants to apply, complains or is in distress."""

    def name(self) -> str:
        return "action_overdracht"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalogue = get_catalogue()
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        subject = tracker.get_slot("subsidie") or tracker.get_slot("onderwerp")
        entry = catalogue.get(subject)
        about = f" over het onderwerp {entry.title}" if entry else ""
        text_prefix = ""

        if intent == "aanvragen" or (intent == "bevestig" and tracker.get_slot("check_uitslag") == "ja"):
            reason, topic = "aanvraag", entry.topic if entry else "medewerker"
            team = entry.team if entry else "klantcontact"
            details = describe_answers(tracker)
            what = entry.title[0].lower() + entry.title[1:] if entry else "iets"
            summary = f"De inwoner wil {what} aanvragen" + (f"; antwoorden: {details}." if details else ".")
        elif intent == "klacht":
            reason, topic, team = "klacht", "medewerker", "klantcontact"
            summary = f'De inwoner heeft een klacht{about}: "{_quote(tracker.latest_message.get("text"))}"'
        elif intent in DISTRESS_TEXT:
            return distress_handover(dispatcher, tracker, intent)
        else:
            reason, topic = "verzoek_medewerker", "medewerker"
            team = entry.team if entry else "klantcontact"
            summary = f"De inwoner wil een medewerker spreken{about}."

        dispatcher.utter_message(
            text=text_prefix + handover_text(team),
            json_message=handover_message(
                topic=topic, team=team, reason=reason, form=form_data(tracker), summary=summary
            ),
        )
        return _stop_loop(tracker)


def distress_handover(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> list[EventType]:
    """The emergency: help numbers first, then a `nood` handover to klantcontact; ends a form."""
    dispatcher.utter_message(
        text=DISTRESS_TEXT[intent] + "\n" + handover_text("klantcontact"),
        json_message=handover_message(
            topic="medewerker",
            team="klantcontact",
            reason="nood",
            form=form_data(tracker),
            summary=(
                "Let op: de inwoner lijkt in nood en heeft de noodnummers gekregen. Bericht: "
                f'"{_quote(tracker.latest_message.get("text"))}"'
            ),
        ),
    )
    return _stop_loop(tracker)


def gentle_question(dispatcher: CollectingDispatcher, *, in_form: bool) -> None:
    """ "Gaat het wel goed met je?" with the help numbers as buttons; no handover."""
    dispatcher.utter_message(
        text=GENTLE_QUESTION + "\n" + GENTLE_NUMBERS,
        buttons=[dict(b) for b in HELP_BUTTONS]
        + [{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
        # Inside the check the form's question follows and carries the topic.
        json_message=None if in_form else {"topic": "niet_begrepen"},
    )


class ActionNood(Action):
    """A distress intent: an emergency only when the message says so (actions/distress.py).

    - emergency: help numbers and a `nood` handover (a form ends; nothing more this turn);
    - ambiguous ("ik kan niet meer", "help" outside a form): "Gaat het wel goed met je?" with the
      help numbers as buttons, no handover;
    - ordinary (a number, "ik weet het niet", frustration about noise or waiting): inside the
      check a form reply, after which the form asks its question again; outside it the usual
      "not understood" answer.
    The rules run the form after this action; after an emergency in the form, FollowupAction
    makes the bot listen instead.
    """

    def name(self) -> str:
        return "action_nood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        text = tracker.latest_message.get("text") or ""
        in_form = bool(tracker.active_loop_name)
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 1.0)
        outcome = assess(intent, text, in_form=in_form, confidence=confidence)
        if outcome == NOOD or intent not in DISTRESS_TEXT:
            events = distress_handover(dispatcher, tracker, intent if intent in DISTRESS_TEXT else "nood_psychisch")
            return events + ([FollowupAction("action_listen")] if in_form else [])
        if outcome == VRAAG:
            gentle_question(dispatcher, in_form=in_form)
            return []
        if in_form:
            # The form asks its question again and that message carries the topic.
            dispatcher.utter_message(text=form_reply(text))
            return []
        dispatcher.utter_message(
            text="Sorry, dat begrijp ik niet goed. Kun je het anders zeggen? Gebruik korte zinnen, "
            "bijvoorbeeld: 'klacht over geluidsoverlast' of 'paspoort aanvragen'.",
            buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
            json_message={"topic": "niet_begrepen"},
        )
        return []


def disambiguate(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A first miss with something to go on: answer or ask "Bedoel je A of B?" instead of giving up.

    - the likeliest intent is an aspect and a product is known (in context, named, or the
      entry prior): that aspect's answer;
    - the landing page's product (topic_hint, utm campaign) is among the likely topics, or
      no topic is likely at all: the answer for that product ("hoe werkt dat?" from the
      energy-subsidy campaign);
    - the message names one product, which is also the likeliest one: its answer;
    - otherwise the two or three likeliest products as buttons (None when there are none).
    """
    text = tracker.latest_message.get("text") or ""
    ranking = [(n, c) for n, c in ranked(tracker) if c >= MIN_CANDIDATE_CONFIDENCE]
    aspect = aspect_in_text(text)
    best = ranking[0][0] if ranking else None
    if best in ASPECT_INTENTS:
        aspect = ASPECT_INTENTS[best]
    known = product_in_text(text) or tracker.get_slot("onderwerp")
    prior = prior_topic(tracker)
    if best in ASPECT_INTENTS and (known or prior):
        return answer(dispatcher, tracker, known or prior, aspect)
    entries = get_catalogue().entries
    named = product_in_text(text)
    named = named if named in entries else None
    choices = [c for c in product_candidates(tracker) if c in entries]
    if named and named not in choices:
        choices = [named] + choices[: MAX_CHOICES - 1]
    if prior and (prior in choices or not choices):
        return answer(dispatcher, tracker, prior, aspect)
    if named and choices[0] == named and len(products_in_text(text)) == 1:
        # The message names one product and the model ranks it first: two signals agree
        # ("ik kom van die post over de energiesubsidie, hoe zit dat").
        return answer(dispatcher, tracker, named, aspect)
    if not choices:
        return None
    if len(choices) == 1:
        # One likely topic but not sure enough: ask it as a yes/no with a button.
        title = entries[choices[0]].title
        return ask_which(
            dispatcher, tracker, aspect, choices, text=f"Ik weet niet zeker wat je bedoelt. Gaat je vraag over {title}?"
        )
    return ask_which(
        dispatcher, tracker, aspect, choices, text="Ik weet niet zeker wat je bedoelt. " + which_text(choices)
    )


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionNietBegrepen(Action):
    """First time: ask to say it differently. Second time in a row: hand over to a person."""

    def name(self) -> str:
        return "action_niet_begrepen"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if fallback_outcome(text) == VRAAG:
            # "ik weet het niet meer", "113": not understood, but possibly a signal; this counts as
            # an answer, so a second miss right after it does not hand over as "niet begrepen".
            gentle_question(dispatcher, in_form=bool(tracker.active_loop_name))
            return []
        if tracker.active_loop_name:
            # The form asks its question again and that message carries the topic.
            if intent == "weet_niet" or is_number(text) or is_dont_know(text):
                dispatcher.utter_message(
                    text=form_reply(text if intent != "weet_niet" else "ik weet het niet"),
                    buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
                )
            else:
                dispatcher.utter_message(text="Sorry, dat begrijp ik niet. Kies een van de knoppen of typ je antwoord.")
            return []
        if intent == "weet_niet":
            dispatcher.utter_message(
                text="Dat geeft niet. Vertel in een paar woorden waar je vraag over gaat, bijvoorbeeld: "
                "'paspoort aanvragen' of 'energiesubsidie'. Je kunt ook een medewerker spreken.",
                buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
                json_message={"topic": "niet_begrepen"},
            )
            return []
        if consecutive_fallbacks(tracker) >= 2:
            team = get_catalogue().team_of(tracker.get_slot("onderwerp"))
            dispatcher.utter_message(
                text="Sorry, ik begrijp je vraag nog steeds niet. " + handover_text(team),
                json_message=handover_message(
                    topic="niet_begrepen",
                    team=team,
                    reason="niet_begrepen",
                    form=form_data(tracker),
                    summary="De assistent begreep de vraag van de inwoner twee keer niet.",
                ),
            )
            return []
        if intent == "nlu_fallback":
            events = disambiguate(dispatcher, tracker)
            if events is not None:
                return events
        dispatcher.utter_message(
            text="Sorry, dat begrijp ik niet. Kun je het anders zeggen? Gebruik korte zinnen, "
            "bijvoorbeeld: 'paspoort aanvragen' of 'grofvuil ophalen'.",
            buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
            json_message={"topic": "niet_begrepen"},
        )
        return []
