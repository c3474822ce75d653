import asyncio

from conftest import load_tracker, run
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.subsidy_forms import (
    ActionAskLaagInkomen,
    ActionAskWoontInGemeente,
    ActionStartSubsidiecheck,
    ActionUitslagSubsidiecheck,
    ActionWijzigAntwoord,
    ValidateSubsidiecheckForm,
)

STOP = {"title": "Stoppen", "payload": "/stop"}
CHANGE = {"title": "Vorig antwoord wijzigen", "payload": "/wijzig_antwoord"}


def required(tracker):
    form = ValidateSubsidiecheckForm()
    return asyncio.run(form.required_slots(form.domain_slots({}), CollectingDispatcher(), tracker, {}))


def test_only_deciding_questions_are_asked():
    assert required(load_tracker("energiesubsidie_klaar")) == [
        "subsidie",
        "woont_in_gemeente",
        "laag_inkomen",
        "woonsituatie",
    ]
    # "no" on income already decides: the kind of costs is not asked.
    assert required(load_tracker("bijstand_geen_laag_inkomen")) == [
        "subsidie",
        "woont_in_gemeente",
        "laag_inkomen",
    ]


def test_positive_outcome_offers_to_apply():
    messages, events = run(ActionUitslagSubsidiecheck(), load_tracker("energiesubsidie_klaar"))
    assert messages == [
        {
            "text": "Je kunt misschien energiesubsidie krijgen.\n"
            "Wil je de aanvraag doen? Dan zet ik je door naar een medewerker.",
            "buttons": [
                {"title": "Ja, ik wil aanvragen", "payload": "/aanvragen"},
                {"title": "Antwoord wijzigen", "payload": "/wijzig_antwoord"},
                {"title": "Nee, stoppen", "payload": "/stop"},
            ],
            "custom": {"topic": "energiesubsidie"},
        }
    ]
    assert events == [SlotSet("check_uitslag", "ja")]


def test_negative_outcome_says_why_and_offers_to_change():
    messages, events = run(ActionUitslagSubsidiecheck(), load_tracker("bijstand_geen_laag_inkomen"))
    assert messages == [
        {
            "text": "Je kunt waarschijnlijk geen bijzondere bijstand krijgen. Alleen bij een laag inkomen.\n"
            "Klopt een antwoord niet? Kies dan 'Antwoord wijzigen'.",
            "buttons": [
                {"title": "Antwoord wijzigen", "payload": "/wijzig_antwoord"},
                {"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"},
            ],
            "custom": {"topic": "bijzondere_bijstand"},
        }
    ]
    assert events == [SlotSet("check_uitslag", "nee")]


def test_income_question_uses_a_sourced_limit_when_there_is_one():
    tracker = load_tracker("bijstand_vraag_inkomen_wijzig")
    messages, events = run(ActionAskLaagInkomen(), tracker)
    assert messages == [
        {
            "text": "Is je inkomen lager dan € 1.000 per maand? (bron: https://www.example.org/normen)",
            "buttons": [{"title": "Ja", "payload": "/bevestig"}, {"title": "Nee", "payload": "/ontken"}, CHANGE, STOP],
            "custom": {"topic": "bijzondere_bijstand"},
        }
    ]
    assert events == []


def test_income_question_without_a_sourced_limit_is_a_plain_yes_no():
    messages, _ = run(ActionAskLaagInkomen(), load_tracker("energiesubsidie_klaar"))
    assert messages[0]["text"] == "Heb je een laag inkomen? Bijvoorbeeld een bijstandsuitkering."


def test_correction_during_the_check_asks_the_previous_question_again():
    messages, events = run(ActionWijzigAntwoord(), load_tracker("bijstand_vraag_inkomen_wijzig"))
    assert messages == [{"text": "Goed, dan vraag ik het nog een keer."}]  # the form's question carries the topic
    assert events == [SlotSet("woont_in_gemeente", None)]


def test_starting_a_check_clears_old_answers_and_takes_the_topic():
    messages, events = run(ActionStartSubsidiecheck(), load_tracker("check_starten_na_energie"))
    assert messages == []
    assert events == [
        SlotSet("woont_in_gemeente", None),
        SlotSet("laag_inkomen", None),
        SlotSet("woonsituatie", None),
        SlotSet("soort_kosten", None),
        SlotSet("check_uitslag", None),
        SlotSet("subsidie", "energiesubsidie"),
    ]


def test_first_question_introduces_the_check():
    tracker = load_tracker("check_starten_na_energie")
    tracker.slots.update({"subsidie": "energiesubsidie", "woont_in_gemeente": None})
    messages, _ = run(ActionAskWoontInGemeente(), tracker)
    assert messages == [
        {
            "text": "We doen een korte check voor energiesubsidie. Ik stel je hooguit 3 vragen.\n"
            "Woon je in onze gemeente?",
            "buttons": [{"title": "Ja", "payload": "/bevestig"}, {"title": "Nee", "payload": "/ontken"}, STOP],
            "custom": {"topic": "energiesubsidie"},
        }
    ]
