from __future__ import annotations

import pytest

from handover.core.safety import HELP_TEXT, distress


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ik wil er een eind aan maken", "psychisch"),
        ("ik denk aan ZELFMOORD", "psychisch"),
        ("Ik wil niet meer leven.", "psychisch"),
        ("suïcidaal voel ik me", "psychisch"),
        ("Mijn man slaat me", "huiselijk_geweld"),
        ("ik voel me niet veilig thuis", "huiselijk_geweld"),
        ("Er is brand in de flat!", "spoed"),
        ("bel 112", "spoed"),
    ],
)
def test_distress_is_recognised(text, kind):
    assert distress(text) == kind
    assert "112" in HELP_TEXT[kind]


@pytest.mark.parametrize(
    "text",
    ["Hoe vraag ik een paspoort aan?", "Wanneer is de brandweerkazerne open?", "Ik heb 1120 euro inkomen",
     "Ik ben verhuisd naar de Slaatstraat"],
)
def test_ordinary_questions_are_left_alone(text):
    assert distress(text) is None
