"""The service's keyword safety net (handover/core/safety.py), independent of the NLU model.

Both sides are measured: every phrase of the net is caught (recall 100% on its own phrases), and
the look-alikes of the shared distress test set (bot/tests/distress_cases.yml, also used by
bot/scripts/distress_eval.py with the model) raise no alarm.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handover.core.safety import _PHRASES, HELP_TEXT, distress

CASES = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "tests" / "distress_cases.yml").read_text())
SEVERITY = ("psychisch", "huiselijk_geweld", "spoed")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ik wil er een eind aan maken", "psychisch"),
        ("ik denk aan ZELFMOORD", "psychisch"),
        ("Ik wil niet meer leven.", "psychisch"),
        ("suïcidaal voel ik me", "psychisch"),
        ("iedereen is beter af zonder mij", "psychisch"),
        ("Mijn man slaat me", "huiselijk_geweld"),
        ("ik voel me niet veilig thuis", "huiselijk_geweld"),
        ("Er is brand in de flat!", "spoed"),
        ("bel 112", "spoed"),
        ("snel, bel een ambulance", "spoed"),
        ("ik ruik gas in de keuken", "spoed"),
    ],
)
def test_distress_is_recognised(text, kind):
    assert distress(text) == kind
    assert "112" in HELP_TEXT[kind]


@pytest.mark.parametrize(("kind", "phrase"), [(k, p) for k, phrases in _PHRASES.items() for p in phrases])
def test_every_phrase_of_the_net_is_caught_in_a_sentence(kind, phrase):
    """Recall of the net on its own phrases: alone, capitalised and inside a longer message."""
    for text in (phrase, phrase.upper() + "!", f"sorry dat ik het zo zeg maar {phrase}, wat moet ik doen?"):
        found = distress(text)
        assert found is not None, text
        assert SEVERITY.index(found) <= SEVERITY.index(kind), text


@pytest.mark.parametrize(
    "text",
    [
        "Hoe vraag ik een paspoort aan?",
        "Wanneer is de brandweerkazerne open?",
        "Ik heb 1120 euro inkomen",
        "Ik ben verhuisd naar de Slaatstraat",
    ],
)
def test_ordinary_questions_are_left_alone(text):
    assert distress(text) is None


@pytest.mark.parametrize("text", [str(t) for t in CASES["ordinary"]])
def test_look_alikes_of_the_shared_test_set_raise_no_alarm(text):
    """ "ik weet het niet", "1850", "help", noise and waiting: not an emergency (issue 12)."""
    assert distress(text) is None


def test_real_distress_of_the_shared_test_set_caught_by_the_net_stays_caught():
    """The share the net catches alone is recorded in docs/assistant.md; it must not drop below it."""
    phrases = [str(t) for group in CASES["distress"].values() for t in group]
    caught = sum(distress(t) is not None for t in phrases)
    assert caught >= 35, (caught, len(phrases))
