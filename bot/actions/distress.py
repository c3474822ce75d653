"""When is a distress intent an emergency? A pure decision, shared by the action and the evaluation.

The NLU model puts some ordinary messages in a distress intent: short answers inside the subsidy
check ("ik weet het niet", an amount such as "1850"), a single word ("help"), or frustration about
a municipal matter ("ik kan er niet meer tegen dat de buren ..."). A wrong emergency frightens the
resident and puts a false `nood` at the top of the agents' queue, so the intent alone does not
decide. The handover service keeps its own keyword safety net (handover/core/safety.py), which
does not depend on this module or on the model.

Outcomes:
- NOOD: hand over with reason `nood` and the help numbers first (as before).
- VRAAG: ambiguous; ask gently ("Gaat het wel goed met je?") with the help numbers as buttons.
- GEWOON: not a signal; inside a form it is a form answer (explain and ask again), outside a form
  the assistant says it did not understand.
"""

from __future__ import annotations

import re
import unicodedata

DISTRESS_INTENTS = ("nood_psychisch", "nood_huiselijk_geweld", "nood_spoed")

NOOD, VRAAG, GEWOON = "nood", "vraag", "gewoon"

# Word stems that make a distress reading likely. A short message with none of them is only
# ambiguous (VRAAG), never an emergency by itself. Matched at the start of a word.
_STRONG = (
    "dood",
    "leven",
    "zelfmoord",
    "zelfdod",
    "suic",
    "suïc",
    "einde aan",
    "eind aan",
    "mezelf",
    "mijzelf",
    "zichzelf",
    "snij",
    "pillen",
    "spring",
    "kill",
    "die",
    "suicid",
    "hopeloos",
    "uitweg",
    "beter af zonder",
    "niet meer zijn",
    "niet meer wakker",
    "sla",
    "geslagen",
    "schop",
    "trap",
    "mishandel",
    "geweld",
    "bedreig",
    "misbruik",
    "veilig",
    "abus",
    "beat",
    "hit",
    "hurt",
    "bang",
    "stalk",
    "opvang",
    "brand",
    "fik",
    "vuur",
    "rook",
    "fire",
    "gas",
    "koolmonox",
    "co-melder",
    "ambulan",
    "hartaanval",
    "beroerte",
    "bewusteloos",
    "ademt",
    "bloed",
    "gewond",
    "mes",
    "inbr",
    "overval",
    "levensgevaar",
    "nood",
    "spoed",
    "emergency",
    "ongeluk",
    "ongelok",
    "aangereden",
    "aanrijding",
    "verdrink",
    "stikt",
    "neergestoken",
    "steekpartij",
    "schiet",
    "geschoten",
    "wapen",
    "explosie",
    "accident",
    "112",
    "113",
)
_STRONG_RE = re.compile(r"(?<![\w])(" + "|".join(re.escape(s) for s in _STRONG) + r")")

# Frustration about a municipal matter: these words with no strong stem are not an emergency.
_MUNICIPAL = (
    "buren",
    "buurman",
    "buurvrouw",
    "lawaai",
    "herrie",
    "overlast",
    "geluid",
    "formulier",
    "aanvraag",
    "wachtwoord",
    "inlog",
    "digid",
    "wacht",
    "brief",
    "gemeente",
    "terugbel",
    "belt terug",
    "bellen terug",
    "subsidie",
    "vergunning",
    "afspraak",
    "container",
    "afval",
    "parkeer",
    "belasting",
    "uitkering",
    "loket",
    "medewerker",
    "website",
    "site",
    "app",
    "knop",
    "vraag",
    "vragen",
)
_MUNICIPAL_RE = re.compile(r"(?<![\w])(" + "|".join(re.escape(s) for s in _MUNICIPAL) + r")")

_AMOUNT_WORDS = frozenset(
    (
        "euro",
        "eur",
        "e",
        "per",
        "maand",
        "jaar",
        "week",
        "p/m",
        "pm",
        "netto",
        "bruto",
        "ongeveer",
        "rond",
        "de",
        "zo'n",
        "zon",
        "ca",
        "circa",
        "in",
        "totaal",
        "samen",
        "inkomen",
    )
)
_DONT_KNOW_RE = re.compile(
    r"^(ik )?(weet (het|dat|ik)( het)? niet|weet niet|geen idee|geen flauw idee|ik twijfel|twijfel|"
    r"weet ik (het |veel )?niet|ik weet (het )?niet (zeker|precies|goed)|dat weet ik niet( zeker| precies)?|"
    r"geen idee eigenlijk|i don'?t know|dunno|idk|wn|wnr|weetniet)[.!? ]*$"
)
_SHORT_WORDS = 5
# A longer message with no strong word is an emergency only when the model is this sure
# ("iedereen is beter af als ik er niet meer ben": 1.00); below it, ask gently.
SURE = 0.9

# Messages the model may not know (they fall back) that can still be a signal: ask gently.
_AMBIGUOUS_RE = re.compile(
    r"(weet (het )?(echt |gewoon )?niet meer( wat ik moet)?$|^(ik )?kan (het |echt )?niet meer[.!]*$|"
    r"zie het (echt |allemaal )?niet meer zitten|wanhopig|^11[23]$|"
    # The whole message "het is (me) allemaal te veel": the model now calls it not understood.
    r"^(het |alles )?(is|wordt) (me |mij )?(allemaal |echt )*te ?veel( voor (me|mij))?$)"
)


def normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def is_number(text: str) -> bool:
    """An amount or number ("1850", "1.850 euro", "€ 1200 per maand")."""
    words = normal(text).replace("€", " € ").strip(" .!?").split()
    digits = [w for w in words if re.fullmatch(r"\d[\d.,-]*", w)]
    return bool(digits) and all(w in _AMOUNT_WORDS or w == "€" or w in digits for w in words)


def is_dont_know(text: str) -> bool:
    """ "Ik weet het niet" and its variants, but not "ik weet het niet meer"."""
    return bool(_DONT_KNOW_RE.match(normal(text)))


def has_strong_signal(text: str) -> bool:
    return bool(_STRONG_RE.search(normal(text)))


def is_municipal_frustration(text: str) -> bool:
    """About a municipal matter (neighbours' noise, a form, waiting) and nothing stronger."""
    normal_text = normal(text)
    return bool(_MUNICIPAL_RE.search(normal_text)) and not has_strong_signal(normal_text)


def is_ambiguous_signal(text: str) -> bool:
    return bool(_AMBIGUOUS_RE.search(normal(text).strip(" .!?")))


def fallback_outcome(text: str | None) -> str:
    """For a message the form or the model could not place: VRAAG when it may be a signal."""
    text = text or ""
    return VRAAG if is_ambiguous_signal(text) and not is_municipal_frustration(text) else GEWOON


def assess(intent: str | None, text: str | None, *, in_form: bool, confidence: float = 1.0) -> str | None:
    """NOOD, VRAAG or GEWOON for a message the model put in a distress intent; None for other intents."""
    if intent not in DISTRESS_INTENTS:
        return None
    text = text or ""
    if text.startswith("/"):
        return NOOD  # a button: the resident chose "Ik heb nu hulp nodig" after the gentle question
    words = normal(text).strip(" .!?").split()
    if is_number(text):
        return VRAAG if "".join(words) in ("112", "113") else GEWOON
    if is_dont_know(text):
        return GEWOON
    if is_municipal_frustration(text):
        return GEWOON
    if not has_strong_signal(text):
        if len(words) <= 1:
            # "help", "hulp", "wanhopig": inside a form a form answer, outside ask gently.
            return GEWOON if in_form else VRAAG
        if len(words) <= _SHORT_WORDS or confidence < SURE:
            return VRAAG
    return NOOD


# Texts (B1) for the bot.
GENTLE_QUESTION = (
    "Gaat het wel goed met je? Heb je het zwaar, of is er gevaar? Er zijn mensen die je nu kunnen helpen. "
    "Kies hieronder wat past. Gaat het goed? Dan kun je gewoon verder typen."
)
HELP_BUTTONS = (
    {"title": "Ik denk aan zelfdoding (113)", "payload": "/nood_psychisch"},
    {"title": "Ik ben thuis niet veilig (Veilig Thuis)", "payload": "/nood_huiselijk_geweld"},
    {"title": "Er is nu gevaar (112)", "payload": "/nood_spoed"},
)
GENTLE_NUMBERS = (
    "Direct gevaar: bel 112. Denk je aan zelfdoding: bel 113 (0800-0113). Geweld thuis: Veilig Thuis 0800-2000."
)


def form_reply(text: str | None) -> str:
    """What the subsidy check says before it asks its question again, for an answer it cannot use."""
    if is_number(text or ""):
        return "Je hoeft geen bedrag te typen. Kies een van de knoppen, of typ ja of nee."
    if is_dont_know(text or ""):
        return (
            "Dat geeft niet. Kies het antwoord dat het best past. Weet je het echt niet? "
            "Dan kan een medewerker je helpen."
        )
    return "Kom je er niet uit? Kies een van de knoppen, of vraag een medewerker."
