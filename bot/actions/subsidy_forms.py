"""The subsidy check: a Rasa form that asks only the questions that decide eligibility.

Which questions a subsidy needs, which answers pass, and the outcome texts all live in the
catalogue (`check:` of an entry), so editors can change a rule without retraining. The form
stops asking as soon as one answer already decides "no".
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.catalogue import SUBSIDY_QUESTIONS, Check, Entry, get_catalogue

FORM = "subsidiecheck_form"
# Subsidies with a check; each needs a `check:` block in the catalogue.
CHECKABLE = ("energiesubsidie", "bijzondere_bijstand")
OUTCOME_SLOT = "check_uitslag"

WOONSITUATIE = {"eigenaar": "eigenaar", "huurder": "huurder"}
SOORT_KOSTEN = {
    "medisch": "medische kosten",
    "inrichting": "inrichting of witgoed",
    "kinderen": "kosten voor kinderen of school",
    "woonkosten": "woonkosten of verhuizing",
    "anders": "iets anders",
}
LABELS = {
    "woont_in_gemeente": "woont in de gemeente",
    "laag_inkomen": "laag inkomen",
    "woonsituatie": "woonsituatie",
    "soort_kosten": "soort kosten",
}

BUTTON_YES = {"title": "Ja", "payload": "/bevestig"}
BUTTON_NO = {"title": "Nee", "payload": "/ontken"}
BUTTON_CHANGE = {"title": "Vorig antwoord wijzigen", "payload": "/wijzig_antwoord"}
BUTTON_STOP = {"title": "Stoppen", "payload": "/stop"}


def _entry(tracker: Tracker) -> Entry | None:
    entry = get_catalogue().get(tracker.get_slot("subsidie"))
    return entry if entry and entry.check else None


def questions_to_ask(check: Check, answers: dict[str, Any]) -> list[str]:
    """The questions of the check up to the first unanswered one or the first that says "no"."""
    asked = []
    for condition in check.conditions:
        asked.append(condition.question)
        answer = answers.get(condition.question)
        if answer is None or not condition.passed_by(answer):
            break
    return asked


def outcome(check: Check, answers: dict[str, Any]) -> tuple[bool, str]:
    """(eligible, reason why not); call only when the questions are answered."""
    for condition in check.conditions:
        if not condition.passed_by(answers.get(condition.question)):
            return False, condition.reason_no
    return True, ""


def _answers(tracker: Tracker) -> dict[str, Any]:
    return {q: tracker.get_slot(q) for q in SUBSIDY_QUESTIONS if tracker.get_slot(q) is not None}


def _show(question: str, value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if question == "soort_kosten":
        return SOORT_KOSTEN.get(value, str(value))
    return str(value)


def describe_answers(tracker: Tracker) -> str:
    """ "woont in de gemeente: ja, laag inkomen: ja" for the agent's summary."""
    return ", ".join(f"{LABELS[q]}: {_show(q, v)}" for q, v in _answers(tracker).items())


def _topic(tracker: Tracker) -> str:
    subsidy = tracker.get_slot("subsidie")
    if subsidy in CHECKABLE:
        return subsidy
    # The resident has not said which subsidy yet: this turn asks for clarification.
    return "niet_begrepen"


class ActionStartSubsidiecheck(Action):
    """Clears answers of an earlier check and takes the subsidy from the message or the topic."""

    def name(self) -> str:
        return "action_start_subsidiecheck"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        subsidy = next(tracker.get_latest_entity_values("subsidie"), None)
        if subsidy not in CHECKABLE:
            onderwerp = tracker.get_slot("onderwerp")
            earlier = tracker.get_slot("subsidie")
            subsidy = onderwerp if onderwerp in CHECKABLE else (earlier if earlier in CHECKABLE else None)
        events: list[EventType] = [SlotSet(q, None) for q in SUBSIDY_QUESTIONS]
        return events + [SlotSet(OUTCOME_SLOT, None), SlotSet("subsidie", subsidy)]


class ValidateSubsidiecheckForm(FormValidationAction):
    def name(self) -> str:
        return "validate_subsidiecheck_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        entry = _entry(tracker)
        if entry is None:
            return ["subsidie"]
        return ["subsidie"] + questions_to_ask(entry.check, _answers(tracker))

    def validate_subsidie(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in CHECKABLE:
            return {"subsidie": value}
        dispatcher.utter_message(
            text="Die check heb ik niet. Ik kan de check doen voor energiesubsidie en bijzondere bijstand."
        )
        return {"subsidie": None}

    def validate_woonsituatie(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"woonsituatie": WOONSITUATIE.get(str(value).lower()) if value else None}

    def validate_soort_kosten(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = str(value).lower() if value else None
        return {"soort_kosten": value if value in SOORT_KOSTEN else None}


def _question(slot: str, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
    if slot == "subsidie":
        return "Voor welke subsidie wil je de check doen?", [
            {"title": "Energiesubsidie", "payload": '/kies_subsidie{"subsidie":"energiesubsidie"}'},
            {"title": "Bijzondere bijstand", "payload": '/kies_subsidie{"subsidie":"bijzondere_bijstand"}'},
        ]
    if slot == "woont_in_gemeente":
        return "Woon je in onze gemeente?", [BUTTON_YES, BUTTON_NO]
    if slot == "laag_inkomen":
        entry = _entry(tracker)
        limit = entry.figure("inkomensgrens") if entry else None
        if limit is not None:
            text = f"Is je inkomen lager dan {limit.value}? (bron: {limit.source.url})"
        else:
            text = "Heb je een laag inkomen? Bijvoorbeeld een bijstandsuitkering."
        return text, [BUTTON_YES, BUTTON_NO]
    if slot == "woonsituatie":
        return "Is het huis van jou, of huur je het?", [
            {"title": "Het huis is van mij", "payload": '/inform{"woonsituatie":"eigenaar"}'},
            {"title": "Ik huur", "payload": '/inform{"woonsituatie":"huurder"}'},
        ]
    if slot == "soort_kosten":
        return "Voor welke kosten heb je hulp nodig?", [
            {"title": label[0].upper() + label[1:], "payload": f'/inform{{"soort_kosten":"{key}"}}'}
            for key, label in SOORT_KOSTEN.items()
        ]
    raise ValueError(f"no question for slot {slot!r}")


class _AskAction(Action):
    """Asks one question of the check; this message carries the turn's topic."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text, buttons = _question(self.slot, tracker)
        entry = _entry(tracker)
        answers = _answers(tracker)
        just_started = (tracker.latest_message.get("intent") or {}).get("name") == "kies_subsidie"
        if entry is not None and just_started and not answers:
            text = (
                f"We doen een korte check voor {entry.title.lower()}. "
                f"Ik stel je hooguit {len(entry.check.conditions)} vragen.\n" + text
            )
        buttons = list(buttons) + ([BUTTON_CHANGE] if answers else []) + [BUTTON_STOP]
        dispatcher.utter_message(text=text, buttons=buttons, json_message={"topic": _topic(tracker)})
        return []


class ActionAskSubsidie(_AskAction):
    slot = "subsidie"


class ActionAskWoontInGemeente(_AskAction):
    slot = "woont_in_gemeente"


class ActionAskLaagInkomen(_AskAction):
    slot = "laag_inkomen"


class ActionAskWoonsituatie(_AskAction):
    slot = "woonsituatie"


class ActionAskSoortKosten(_AskAction):
    slot = "soort_kosten"


class ActionUitslagSubsidiecheck(Action):
    """Explains the outcome and offers to apply (handover) or to change an answer."""

    def name(self) -> str:
        return "action_uitslag_subsidiecheck"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        entry = _entry(tracker)
        if entry is None:
            dispatcher.utter_message(
                text="De check is niet gelukt. Wil je een medewerker spreken?",
                buttons=[{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
                json_message={"topic": "niet_begrepen"},
            )
            return []
        eligible, reason = outcome(entry.check, _answers(tracker))
        change = {"title": "Antwoord wijzigen", "payload": "/wijzig_antwoord"}
        if eligible:
            text = f"{entry.check.outcome_yes}\nWil je de aanvraag doen? Dan zet ik je door naar een medewerker."
            buttons = [
                {"title": "Ja, ik wil aanvragen", "payload": "/aanvragen"},
                change,
                {"title": "Nee, stoppen", "payload": "/stop"},
            ]
        else:
            text = f"{entry.check.outcome_no} {reason}\nKlopt een antwoord niet? Kies dan 'Antwoord wijzigen'."
            buttons = [change, {"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}]
        dispatcher.utter_message(text=text, buttons=buttons, json_message={"topic": entry.topic})
        return [SlotSet(OUTCOME_SLOT, "ja" if eligible else "nee")]


class ActionWijzigAntwoord(Action):
    """ "Nee, ik bedoel ...": during the check the previous answer is asked again; after it, all."""

    def name(self) -> str:
        return "action_wijzig_antwoord"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        entry = _entry(tracker)
        answers = _answers(tracker)
        if entry is None or not answers:
            dispatcher.utter_message(text="Goed, we beginnen opnieuw.")
            return [SlotSet(q, None) for q in SUBSIDY_QUESTIONS] + [SlotSet(OUTCOME_SLOT, None)]
        if tracker.active_loop_name == FORM:
            asked = [c.question for c in entry.check.conditions if c.question in answers]
            previous = asked[-1]
            dispatcher.utter_message(text="Goed, dan vraag ik het nog een keer.")
            return [SlotSet(previous, None)]
        dispatcher.utter_message(text="Goed, dan stel ik de vragen nog een keer.")
        return [SlotSet(q, None) for q in SUBSIDY_QUESTIONS] + [SlotSet(OUTCOME_SLOT, None)]


class ActionStopCheck(Action):
    def name(self) -> str:
        return "action_stop_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        topic = tracker.get_slot("subsidie") or tracker.get_slot("onderwerp") or "afscheid"
        dispatcher.utter_message(
            text="Goed, ik stop ermee. Kan ik je nog ergens anders mee helpen?",
            json_message={"topic": topic},
        )
        return []
