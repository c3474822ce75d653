"""Answers about products, rendered from the catalogue (no retraining needed for new texts)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import PRODUCT_TOPICS, Entry, get_catalogue
from actions.subsidy_forms import CHECKABLE

HOW_LABEL = {
    "online": "Online regelen",
    "afspraak": "Op afspraak",
    "persoon": "Via een medewerker",
}


def render(entry: Entry, base_url: Optional[str] = None) -> str:
    """Plain text, short lines: the widget shows text as text (no markdown)."""
    url = entry.url(base_url)
    lines = [entry.title, entry.explanation, f"Voor wie: {entry.for_whom}"]
    if entry.what_you_need:
        lines.append("Wat heb je nodig:")
        lines.extend(f"- {item}" for item in entry.what_you_need)
    lines.append(f"{HOW_LABEL[entry.how]}: {entry.how_text}")
    for figure in entry.figures:
        lines.append(
            f"{figure.label}: {figure.value} (bron: {figure.source.url}, "
            f"gecontroleerd op {figure.source.checked})"
        )
    if entry.has_costs and not entry.figures:
        lines.append(f"Wat het kost, lees je op {url}")
    lines.append(f"Meer informatie: {url}")
    return "\n".join(lines)


def topic_of(tracker: Tracker) -> Optional[str]:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in PRODUCT_TOPICS:
        return intent
    subsidy = next(tracker.get_latest_entity_values("subsidie"), None)
    if subsidy in PRODUCT_TOPICS:
        return subsidy
    return tracker.get_slot("onderwerp")


class ActionBeantwoordProduct(Action):
    def name(self) -> Text:
        return "action_beantwoord_product"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        topic = topic_of(tracker)
        entry = get_catalogue().get(topic)
        events: List[EventType] = []
        if tracker.active_loop_name:
            # A new question ends the check; its answers stay for a handover.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        if entry is None:
            dispatcher.utter_message(
                text="Daar heb ik nog geen informatie over. Kijk op de website van de gemeente "
                "of vraag een medewerker.",
                buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
                json_message={"topic": topic or "buiten_bereik"},
            )
            return events
        buttons = []
        if entry.topic in CHECKABLE:
            buttons.append(
                {
                    "title": "Check of je het kunt krijgen",
                    "payload": f'/kies_subsidie{{"subsidie":"{entry.topic}"}}',
                }
            )
            buttons.append({"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"})
        dispatcher.utter_message(text=render(entry), buttons=buttons, json_message={"topic": entry.topic})
        return events + [SlotSet("onderwerp", entry.topic)]
