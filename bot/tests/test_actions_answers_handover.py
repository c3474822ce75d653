from conftest import load_tracker, run
from rasa_sdk.events import ActiveLoop, SlotSet

from actions.answers import ActionBeantwoordProduct
from actions.handover import ActionNietBegrepen, ActionOverdracht

HANDOVER_TEXT = (
    "Ik zet je door naar een medewerker van team {}. Die ziet ons gesprek, dus je hoeft niets te herhalen. Even geduld."
)


def test_product_answer_comes_from_catalogue_and_shows_only_sourced_figures():
    messages, events = run(ActionBeantwoordProduct(), load_tracker("vraag_paspoort"))
    assert messages == [
        {
            "text": "Paspoort en ID-kaart\n"
            "Met een paspoort laat je zien wie je bent.\n"
            "Voor wie: Iedereen die in de gemeente woont.\n"
            "Wat heb je nodig:\n"
            "- een pasfoto\n"
            "Op afspraak: Maak online een afspraak.\n"
            "Kosten paspoort: € 10,00 (bron: https://www.example.org/tarieven, gecontroleerd op 2026-01-01)\n"
            "Meer informatie: https://www.example-gemeente.nl/paspoort",
            "custom": {"topic": "paspoort_idkaart"},
        }
    ]
    assert events == [SlotSet("onderwerp", "paspoort_idkaart"), SlotSet("aspect", None)]


def test_base_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GEMEENTE_BASE_URL", "https://www.tilburg.nl/")
    messages, _ = run(ActionBeantwoordProduct(), load_tracker("vraag_paspoort"))
    assert messages[0]["text"].endswith("Meer informatie: https://www.tilburg.nl/paspoort")


def test_resident_asks_for_a_person_goes_to_the_team_of_the_topic():
    messages, events = run(ActionOverdracht(), load_tracker("medewerker_na_paspoort"))
    assert messages == [
        {
            "text": HANDOVER_TEXT.format("Burgerzaken"),
            "custom": {
                "topic": "medewerker",
                "handover": {
                    "team": "burgerzaken",
                    "reason": "verzoek_medewerker",
                    "form": {"onderwerp": "paspoort_idkaart"},
                    "summary": "De inwoner wil een medewerker spreken over het onderwerp Paspoort en ID-kaart.",
                },
            },
        }
    ]
    assert events == []


def test_complaint_is_handed_over_with_the_message_in_the_summary():
    messages, _ = run(ActionOverdracht(), load_tracker("klacht"))
    assert messages[0]["custom"] == {
        "topic": "medewerker",
        "handover": {
            "team": "klantcontact",
            "reason": "klacht",
            "form": {},
            "summary": 'De inwoner heeft een klacht: "ik ben slecht geholpen aan de balie"',
        },
    }


def test_distress_gives_113_before_the_handover():
    messages, _ = run(ActionOverdracht(), load_tracker("nood_psychisch"))
    text = messages[0]["text"]
    assert "113" in text and "0800-0113" in text
    assert text.endswith(HANDOVER_TEXT.format("Klantcontact"))
    assert messages[0]["custom"]["handover"]["reason"] == "nood"
    assert messages[0]["custom"]["topic"] == "medewerker"


def test_domestic_violence_gives_veilig_thuis_and_112():
    messages, _ = run(ActionOverdracht(), load_tracker("nood_huiselijk_geweld"))
    assert "0800-2000" in messages[0]["text"] and "112" in messages[0]["text"]
    assert messages[0]["custom"]["handover"]["reason"] == "nood"


def test_apply_after_the_check_hands_over_the_answers():
    messages, events = run(ActionOverdracht(), load_tracker("energiesubsidie_aanvragen"))
    assert messages == [
        {
            "text": HANDOVER_TEXT.format("Subsidies en Inkomen"),
            "custom": {
                "topic": "energiesubsidie",
                "handover": {
                    "team": "subsidies_inkomen",
                    "reason": "aanvraag",
                    "form": {
                        "subsidie": "energiesubsidie",
                        "woont_in_gemeente": True,
                        "laag_inkomen": True,
                        "woonsituatie": "eigenaar",
                        "check_uitslag": "ja",
                    },
                    "summary": "De inwoner wil energiesubsidie aanvragen; antwoorden: woont in de gemeente: ja, "
                    "laag inkomen: ja, woonsituatie: eigenaar.",
                },
            },
        }
    ]
    assert events == []


def test_first_fallback_asks_to_rephrase_without_handover():
    messages, events = run(ActionNietBegrepen(), load_tracker("eerste_fallback"))
    assert messages == [
        {
            "text": "Sorry, dat begrijp ik niet. Kun je het anders zeggen? Gebruik korte zinnen, "
            "bijvoorbeeld: 'paspoort aanvragen' of 'grofvuil ophalen'.",
            "buttons": [{"title": "Ik wil een medewerker spreken", "payload": "/vraag_medewerker"}],
            "custom": {"topic": "niet_begrepen"},
        }
    ]
    assert events == []


def test_second_fallback_in_a_row_hands_over():
    messages, _ = run(ActionNietBegrepen(), load_tracker("tweede_fallback"))
    assert messages[0]["custom"] == {
        "topic": "niet_begrepen",
        "handover": {
            "team": "klantcontact",
            "reason": "niet_begrepen",
            "form": {},
            "summary": "De assistent begreep de vraag van de inwoner twee keer niet.",
        },
    }
    assert messages[0]["text"].startswith("Sorry, ik begrijp je vraag nog steeds niet. Ik zet je door")


def test_handover_during_the_check_would_stop_the_form():
    tracker = load_tracker("bijstand_vraag_inkomen_wijzig")
    tracker.latest_message["intent"] = {"name": "vraag_medewerker"}
    messages, events = run(ActionOverdracht(), tracker)
    assert events == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert messages[0]["custom"]["handover"]["form"] == {
        "subsidie": "bijzondere_bijstand",
        "woont_in_gemeente": True,
    }
