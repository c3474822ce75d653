"""A safety net for residents in distress that does not depend on the NLU model.

The assistant also recognises distress, but a statistical model misses some phrasings. Any
resident message that contains one of these phrases gets the emergency numbers at once, from
the service itself, whatever the bot or an agent does next. A miss can cost much more than a
false alarm, so the lists lean towards matching; but a wrong 113 or 112 text frightens a resident
who only answered a question, so a phrase must be a distress signal in itself: "ik kom niet meer
verder met het formulier" or "de ambulance rijdt te hard" are not (issue 12). The bot has its own,
gentler handling of ambiguous messages ("ik kan niet meer", "help"); this net stays independent
of the model. Tests: tests/unit/test_distress.py (every phrase here, and look-alikes).
"""

from __future__ import annotations

import re
import unicodedata

_PHRASES: dict[str, tuple[str, ...]] = {
    "psychisch": (
        "zelfmoord",
        "zelfdoding",
        "suicide",
        "suicidaal",
        "mezelf iets aandoen",
        "mijzelf iets aandoen",
        "mezelf van kant",
        "niet meer leven",
        "kan niet meer verder leven",
        "wil niet meer verder",
        "dood willen",
        "wil dood",
        "wil niet meer leven",
        "eind aan maken",
        "einde aan maken",
        "einde aan mijn leven",
        "kill myself",
        "want to die",
        "wil er niet meer zijn",
        "beter af zonder mij",
        "voor de trein springen",
        "van de brug springen",
        "zelfmoordgedachte",
        "zelfmoordgedachten",
        "zelfmoordneigingen",
        "eind aan te maken",
        "einde aan te maken",
        "mezelf iets aandoe",
        "mijzelf iets aandoe",
        "snij mezelf",
        "mezelf snijden",
        "dood wil",
    ),
    "huiselijk_geweld": (
        "huiselijk geweld",
        "slaat mij",
        "slaat me",
        "schopt mij",
        "schopt me",
        "mishandelt",
        "mishandeld",
        "voel me niet veilig thuis",
        "niet veilig thuis",
        "domestic violence",
        "word geslagen",
        "wordt geslagen",
        "me geslagen",
        "mij geslagen",
        "haar geslagen",
        "beats me",
        "hits me",
    ),
    "spoed": (
        "levensgevaar",
        "een ambulance",
        "ambulance nodig",
        "ambulance bellen",
        "ambulance sturen",
        "hartaanval",
        "112",
        "brand in",
        "er is brand",
        "staat in brand",
        "inbreker",
        "gaslek",
        "ruik gas",
        "bewusteloos",
        "ademt niet",
        "met een mes",
        "is on fire",
    ),
}

HELP_TEXT: dict[str, str] = {
    "psychisch": (
        "Denk je aan zelfdoding? Praat erover. Bel 113 Zelfmoordpreventie: 0800-0113 (gratis, dag en nacht) "
        "of chat via 113.nl. Ben je in direct gevaar? Bel 112."
    ),
    "huiselijk_geweld": (
        "Is er geweld thuis, of voel je je thuis niet veilig? Bel Veilig Thuis: 0800-2000 (gratis, dag en nacht). "
        "Ben je in direct gevaar? Bel 112."
    ),
    "spoed": "Is er direct gevaar voor iemand? Bel dan meteen 112.",
}


def _normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_PATTERNS = {
    kind: re.compile(r"(?<![\w])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w])")
    for kind, phrases in _PHRASES.items()
}


def distress(text: str) -> str | None:
    """The kind of distress a message shows (most serious first), or None."""
    normal = _normal(text)
    for kind in ("psychisch", "huiselijk_geweld", "spoed"):
        if _PATTERNS[kind].search(normal):
            return kind
    return None
