"""What the conversation is about: the product in context, the aspect asked, the entry prior.

Pure functions over the tracker and the message text, so they are unit-tested without Rasa.

- The product in context is the slot `onderwerp`: set by every product (or aspect) answer,
  changed by a new product, cleared by a goodbye (action_afscheid).
- The aspect is the slot `aspect`: the aspect of the last answer or of the last question the
  bot asked ("Over welk onderwerp gaat je vraag?"), so "en voor een rijbewijs?" and a button
  press keep it.
- The entry prior is the product of the landing page: the `topic_hint` or the utm campaign the
  handover service sends as message metadata (docs/assistant.md, "Conversation context").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlparse

from rasa_sdk import Tracker

from actions.catalogue import ASPECTS, PRODUCT_TOPICS

ASPECT_INTENTS = {f"aspect_{name}": name for name in ASPECTS}

# Words that name a product, for messages whose intent is an aspect ("wat kost dat voor een
# id kaart") and for campaign names ("energiesubsidie-najaar"). First match wins; the general
# "afspraak" comes last.
PRODUCT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern))
    for topic, pattern in (
        ("paspoort_idkaart", r"pas+poo?rt|pas+oo?rt|paspor|\bid[- ]?kaart|identiteitskaart|\bidkaart"),
        ("rijbewijs", r"rijbe?w[iy]j?s|rijbewijs"),
        ("uittreksel_brp", r"uit+reksel|\bbrp\b"),
        ("verhuizing", r"verhui[sz]|nieuw adres|adreswijziging"),
        ("geboorteaangifte", r"geboorte|\bbaby"),
        ("huwelijk", r"trouw|huwelijk|partnerschap"),
        ("parkeervergunning", r"parkeer|parkeren"),
        ("afval_grofvuil", r"grof ?vuil|\bafval|milieustraat|\bkliko"),
        ("omgevingsvergunning", r"omgevingsvergunning|bouwvergunning|dakkapel|aanbouw|kapvergunning"),
        ("kwijtschelding_belastingen", r"kwijtschel|belasting|\baanslag"),
        ("bijzondere_bijstand", r"bijzondere bijstand|\bbijstand"),
        ("energiesubsidie", r"energie|isol[ae]|zonnepane|warmtepomp"),
        ("verenigingssubsidie", r"vereniging|stichting|buurtfeest"),
        ("wmo_ondersteuning", r"\bwmo\b|huishoudelijke hulp|scootmobiel|traplift"),
        ("melding_openbare_ruimte", r"\bmelding|stoeptegel|lantaarnpa|zwerfafval"),
        ("afspraak_openingstijden", r"openingstijd|\bafspraak"),
    )
)

# Cues of an aspect inside a product question ("wat kost een paspoort", "kan ik mijn rijbewijs
# online verlengen"). No cue: the whole product answer.
ASPECT_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (aspect, re.compile(pattern))
    for aspect, pattern in (
        ("status", r"\bstatus|hoe staat het|nog (niks|niets) gehoord|al (klaar|binnen)\b|mijn aanvraag"),
        ("kosten", r"\bkost|\bkosten\b|\bprijs|\btarief|hoe ?duur\b|hoeveel (moet ik )?betal|\bgratis\b"),
        ("duur", r"\bduurt|hoe ?lang|van tevoren|\bwachttijd|binnen hoeveel|wanneer (is|krijg)"),
        ("online", r"\bonline|\binternet|\bdigitaal|via de (site|website|computer)|vanuit huis|thuis regelen"),
        ("meenemen", r"meenemen|mee ?nemen|moet ik mee|welke (papieren|documenten|stukken)|wat heb ik nodig"),
        ("voor_wie", r"voor wie\b|wie (kan|mag)|in aanmerking|recht op|voorwaarden"),
        ("waar", r"\bwaar (moet|kan|is|ga)|\bwelk (loket|adres)|hoe laat|openingstijd"),
    )
)

# A short follow-up that switches product and keeps the aspect: "en voor een rijbewijs?",
# "en bij een id kaart", "geldt dat ook voor rijbewijs".
SWITCH = re.compile(r"^\s*(en|maar|ook|zelfde|idem|geldt dat ook|hoe zit (dat|het) met)\b|\book (voor|bij|met)\b")
MAX_SWITCH_WORDS = 9

# Likely products to offer when an aspect is asked without any product in the conversation.
DEFAULT_CHOICES: dict[str, tuple[str, ...]] = {
    "kosten": ("paspoort_idkaart", "rijbewijs", "uittreksel_brp"),
    "duur": ("paspoort_idkaart", "rijbewijs", "omgevingsvergunning"),
    "online": ("verhuizing", "rijbewijs", "afval_grofvuil"),
    "meenemen": ("paspoort_idkaart", "rijbewijs", "geboorteaangifte"),
    "voor_wie": ("energiesubsidie", "bijzondere_bijstand", "wmo_ondersteuning"),
    "waar": ("afspraak_openingstijden", "paspoort_idkaart", "afval_grofvuil"),
    "status": ("omgevingsvergunning", "wmo_ondersteuning", "bijzondere_bijstand"),
    "uitleg": ("energiesubsidie", "bijzondere_bijstand", "wmo_ondersteuning"),
}
MIN_CANDIDATE_CONFIDENCE = 0.1
MAX_CHOICES = 3


def _normal(text: str) -> str:
    return " ".join((text or "").lower().split())


def products_in_text(text: str) -> list[str]:
    text = _normal(text)
    return [topic for topic, pattern in PRODUCT_WORDS if pattern.search(text)]


def product_in_text(text: str) -> str | None:
    found = products_in_text(text)
    return found[0] if found else None


def aspect_in_text(text: str) -> str | None:
    text = _normal(text)
    return next((aspect for aspect, pattern in ASPECT_CUES if pattern.search(text)), None)


def is_switch(text: str) -> bool:
    """A short "en voor X?" that keeps the aspect of the previous answer."""
    text = _normal(text)
    return bool(SWITCH.search(text)) and len(text.split()) <= MAX_SWITCH_WORDS


def is_button(text: str) -> bool:
    return (text or "").startswith("/")


def topic_from_name(name: Any) -> str | None:
    """A product key from a topic hint or campaign name ("energiesubsidie", "isolatie-2026")."""
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip().lower()
    if name in PRODUCT_TOPICS:
        return name
    return product_in_text(name.replace("_", " ").replace("-", " "))


def entry_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata of the latest user message that carried any (the service sends it each turn)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user" and event.get("metadata"):
            return dict(event["metadata"])
    return dict((tracker.latest_message or {}).get("metadata") or {})


def prior_topic(tracker: Tracker) -> str | None:
    """The product of the landing page: topic_hint first, then the utm campaign (also from the page URL)."""
    meta = entry_metadata(tracker)
    utm = meta.get("utm") if isinstance(meta.get("utm"), dict) else {}
    candidates: list[Any] = [meta.get("topic_hint"), meta.get("campaign"), utm.get("campaign")]
    page = meta.get("page")
    if isinstance(page, str) and "utm_campaign=" in page:
        candidates += parse_qs(urlparse(page).query).get("utm_campaign", [])
    return next((t for t in map(topic_from_name, candidates) if t), None)


def ranked(tracker: Tracker) -> list[tuple[str, float]]:
    """The NLU's intent ranking without the fallback, best first."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in ranking
        if r.get("name") and r.get("name") != "nlu_fallback"
    ]


def product_candidates(tracker: Tracker, extra: Iterable[str] = ()) -> list[str]:
    """Up to three likely products: the ranking's product intents, then `extra` to fill up."""
    found = [n for n, c in ranked(tracker) if n in PRODUCT_TOPICS and c >= MIN_CANDIDATE_CONFIDENCE]
    for topic in extra:
        if topic not in found:
            found.append(topic)
    return found[:MAX_CHOICES]
