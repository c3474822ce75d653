"""Answers about products, rendered from the catalogue (no retraining needed for new texts)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import PRODUCT_TOPICS, Entry, Source, get_catalogue
from actions.context import (
    ASPECT_INTENTS,
    DEFAULT_CHOICES,
    aspect_in_text,
    is_button,
    is_switch,
    prior_topic,
    product_candidates,
    product_in_text,
)
from actions.subsidy_forms import CHECKABLE

HOW_LABEL = {
    "online": "Online regelen",
    "afspraak": "Op afspraak",
    "persoon": "Via een medewerker",
}


def render(entry: Entry, base_url: str | None = None) -> str:
    """Plain text, short lines: the widget shows text as text (no markdown)."""
    url = entry.url(base_url)
    lines = [entry.title, entry.explanation, f"Voor wie: {entry.for_whom}"]
    if entry.what_you_need:
        lines.append("Wat heb je nodig:")
        lines.extend(f"- {item}" for item in entry.what_you_need)
    lines.append(f"{HOW_LABEL[entry.how]}: {entry.how_text}")
    for figure in entry.figures:
        lines.append(
            f"{figure.label}: {figure.value} (bron: {figure.source.url}, gecontroleerd op {figure.source.checked})"
        )
    if entry.has_costs and not entry.figures:
        lines.append(f"Wat het kost, lees je op {url}")
    lines.append(f"Meer informatie: {url}")
    return "\n".join(lines)


ASPECT_TITLE = {
    "kosten": "wat kost het",
    "duur": "hoe lang duurt het",
    "online": "online regelen",
    "meenemen": "wat heb je nodig",
    "voor_wie": "voor wie is het",
    "waar": "waar en wanneer",
    "status": "hoe staat je aanvraag ervoor",
    "uitleg": "hoe werkt het",
}
MAX_ANSWER_WORDS = 4
PERSON_BUTTON = {"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}


def _sourced(text: str, source: Source | None) -> str:
    return f"{text} (bron: {source.url}, gecontroleerd op {source.checked})" if source else text


def aspect_lines(entry: Entry, aspect: str) -> list[str]:
    """The body of one aspect section; a missing aspect says so and the link follows."""
    texts = entry.aspect_texts
    if aspect == "kosten":
        lines = [_sourced(f"{f.label}: {f.value}", f.source) for f in entry.figures]
        if "kosten_uitleg" in texts:
            lines.append(_sourced(texts["kosten_uitleg"].text, texts["kosten_uitleg"].source))
        if not lines:
            if entry.free:
                lines.append("Hiervoor betaal je niets.")
            elif entry.has_costs:
                lines.append("Hiervoor betaal je. Wat het kost, lees je op de website.")
            else:
                lines.append("Ik weet niet wat het kost. Kijk op de website of vraag een medewerker.")
        return lines
    if aspect in ("duur", "waar", "status", "online") and aspect in texts:
        return [_sourced(texts[aspect].text, texts[aspect].source)]
    if aspect == "online":
        intro = {
            "online": "Ja, dat kan online.",
            "afspraak": "Dit regel je op afspraak.",
            "persoon": "Dit regel je met een medewerker.",
        }[entry.how]
        return [f"{intro} {entry.how_text}"]
    if aspect == "meenemen":
        items = entry.to_bring or entry.what_you_need
        if items:
            return ["Wat heb je nodig:"] + [f"- {item}" for item in items]
        return ["Wat je nodig hebt, staat op de website."]
    if aspect == "voor_wie":
        return [f"Voor wie: {entry.for_whom}"]
    if aspect == "uitleg":
        return [entry.explanation, f"{HOW_LABEL[entry.how]}: {entry.how_text}"]
    if aspect == "duur":
        return ["Hoe lang het duurt, weet ik niet precies. Dat staat op de website."]
    if aspect == "waar":
        return ["Waar en wanneer je dit regelt, staat op de website."]
    # status
    return [
        "Hoe het met je aanvraag staat, kan ik niet zien. Heb je het online aangevraagd? "
        "Kijk dan in MijnGemeente. Je kunt het ook aan een medewerker vragen."
    ]


def render_aspect(entry: Entry, aspect: str, base_url: str | None = None) -> str:
    """One self-contained section: a heading, the aspect's catalogue text, the product page."""
    lines = [f"{entry.title}: {ASPECT_TITLE[aspect]}"]
    lines += aspect_lines(entry, aspect)
    lines.append(f"Meer informatie: {entry.url(base_url)}")
    return "\n".join(lines)


def product_buttons(entry: Entry, aspect: str | None) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    if entry.topic in CHECKABLE and aspect in (None, "voor_wie", "uitleg"):
        buttons.append(
            {"title": "Check of je het kunt krijgen", "payload": f'/kies_subsidie{{"subsidie":"{entry.topic}"}}'}
        )
        buttons.append(dict(PERSON_BUTTON))
    elif aspect == "status":
        buttons.append(dict(PERSON_BUTTON))
    return buttons


def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str | None, aspect: str | None
) -> list[EventType]:
    """Answer a product (whole text) or one aspect of it; sets the conversation context."""
    entry = get_catalogue().get(topic)
    events: list[EventType] = []
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if tracker.active_loop_name and intent not in ASPECT_INTENTS:
        # A new question ends the check; its answers stay for a handover. An aspect question
        # ("hoe lang duurt het?") is answered and the check goes on (rules/subsidiecheck.yml).
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    if entry is None:
        dispatcher.utter_message(
            text="Daar heb ik nog geen informatie over. Kijk op de website van de gemeente of vraag een medewerker.",
            buttons=[dict(PERSON_BUTTON)],
            json_message={"topic": topic or "buiten_bereik"},
        )
        return events
    text = render(entry) if aspect is None else render_aspect(entry, aspect)
    if tracker.active_loop_name and not events:
        # The check goes on: its question follows in this turn and carries the topic (one
        # custom message per turn), and the check's own buttons are the way on.
        dispatcher.utter_message(text=text)
    else:
        dispatcher.utter_message(text=text, buttons=product_buttons(entry, aspect), json_message={"topic": entry.topic})
    return events + [SlotSet("onderwerp", entry.topic), SlotSet("aspect", aspect)]


def ask_which(
    dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str | None, choices: list[str], *, text: str
) -> list[EventType]:
    """ "Bedoel je A of B?": the likely products as buttons; the aspect waits for the choice."""
    catalogue = get_catalogue()
    buttons = [{"title": catalogue.entries[t].title, "payload": f"/{t}"} for t in choices if t in catalogue.entries]
    dispatcher.utter_message(
        text=text, buttons=buttons + [dict(PERSON_BUTTON)], json_message={"topic": "niet_begrepen"}
    )
    return [SlotSet("aspect", aspect)]


def which_text(choices: list[str]) -> str:
    titles = [get_catalogue().entries[t].title for t in choices if t in get_catalogue().entries]
    if len(titles) >= 2:
        return "Bedoel je " + ", ".join(titles[:-1]) + " of " + titles[-1] + "? Kies een onderwerp."
    return "Over welk onderwerp gaat je vraag? Kies een onderwerp."


def resolve(tracker: Tracker) -> tuple[str | None, str | None]:
    """(product, aspect) of the latest message; product None: nothing to go on."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    if intent in ASPECT_INTENTS:
        aspect: str | None = ASPECT_INTENTS[intent]
        in_check = tracker.get_slot("subsidie") if tracker.active_loop_name else None
        topic = product_in_text(text) or in_check or tracker.get_slot("onderwerp") or prior_topic(tracker)
        return topic, aspect
    topic = topic_of(tracker)
    aspect = aspect_in_text(text)
    # "en voor een rijbewijs?", a button, or a short answer to "Over welk onderwerp gaat je vraag?"
    # (aspect waiting, no product yet) keep the aspect.
    waiting = tracker.get_slot("onderwerp") is None and len(text.split()) <= MAX_ANSWER_WORDS
    if aspect is None and (is_switch(text) or is_button(text) or waiting):
        aspect = tracker.get_slot("aspect")
    return topic, aspect


def topic_of(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in PRODUCT_TOPICS:
        return intent
    subsidy = next(tracker.get_latest_entity_values("subsidie"), None)
    if subsidy in PRODUCT_TOPICS:
        return subsidy
    return tracker.get_slot("onderwerp")


class ActionBeantwoordProduct(Action):
    """A product question or an aspect follow-up ("en wat kost dat?") for the product in context."""

    def name(self) -> str:
        return "action_beantwoord_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        topic, aspect = resolve(tracker)
        if topic is None and aspect is not None:
            choices = product_candidates(tracker, DEFAULT_CHOICES[aspect])
            return ask_which(
                dispatcher, tracker, aspect, choices, text="Over welk onderwerp gaat je vraag? Kies een onderwerp."
            )
        return answer(dispatcher, tracker, topic, aspect)


class ActionAfscheid(Action):
    """Goodbye ends the conversation's context: a later question starts fresh."""

    def name(self) -> str:
        return "action_afscheid"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_afscheid")
        return [SlotSet("onderwerp", None), SlotSet("aspect", None)]
