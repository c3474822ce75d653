"""Handover to a human: the bot only *asks* for one, in the custom JSON of its turn.

The handover service reads {"topic", "handover": {"team", "reason", "form", "summary"}} and does
the rest (queue, agent, transcript). The bot never talks to agents.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import TEAMS, get_catalogue
from actions.subsidy_forms import describe_answers

REASONS = ("verzoek_medewerker", "niet_begrepen", "aanvraag", "klacht", "nood")

# Slots the agent gets as "form"; the answers of the subsidy check and the current topic.
FORM_SLOTS = (
    "onderwerp", "subsidie", "woont_in_gemeente", "laag_inkomen", "woonsituatie", "soort_kosten", "check_uitslag",
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


def form_data(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in FORM_SLOTS if tracker.get_slot(name) is not None}


def handover_message(
    *, topic: str, team: str, reason: str, form: Dict[str, Any], summary: str
) -> Dict[str, Any]:
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


def _quote(text: Optional[str]) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def _stop_loop(tracker: Tracker) -> List[EventType]:
    if tracker.active_loop_name:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


class ActionOverdracht(Action):
    """Hand over because the resident asked, wants to apply, complains or is in distress."""

    def name(self) -> Text:
        return "action_overdracht"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
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
            summary = f"De inwoner wil {what} aanvragen" + (
                f"; antwoorden: {details}." if details else "."
            )
        elif intent == "klacht":
            reason, topic, team = "klacht", "medewerker", "klantcontact"
            summary = f"De inwoner heeft een klacht{about}: \"{_quote(tracker.latest_message.get('text'))}\""
        elif intent in DISTRESS_TEXT:
            reason, topic, team = "nood", "medewerker", "klantcontact"
            text_prefix = DISTRESS_TEXT[intent] + "\n"
            summary = (
                "Let op: de inwoner lijkt in nood en heeft de noodnummers gekregen. Bericht: "
                f"\"{_quote(tracker.latest_message.get('text'))}\""
            )
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

    def name(self) -> Text:
        return "action_niet_begrepen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if tracker.active_loop_name:
            # The form asks its question again and that message carries the topic.
            dispatcher.utter_message(text="Sorry, dat begrijp ik niet. Kies een van de knoppen of typ je antwoord.")
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
        dispatcher.utter_message(
            text="Sorry, dat begrijp ik niet. Kun je het anders zeggen? Gebruik korte zinnen, "
            "bijvoorbeeld: 'paspoort aanvragen' of 'grofvuil ophalen'.",
            buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
            json_message={"topic": "niet_begrepen"},
        )
        return []
