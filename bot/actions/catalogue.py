"""The product catalogue: content editors change `catalogue/producten.yml` without retraining.

The file is read once per process (and again when its modification time changes), validated,
and turned into plain objects. A structural error (unknown team, missing text) stops the action
server at start-up, so a broken catalogue never reaches residents. A figure without a source is
not an error: it is dropped (and logged), and the answer points to the product page instead.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.example-gemeente.nl"
CATALOGUE_PATH = Path(
    os.environ.get("CATALOGUE_PATH", Path(__file__).resolve().parent.parent / "catalogue" / "producten.yml")
)

# The topic and team keys are a contract with the handover service (docs/assistant.md).
PRODUCT_TOPICS = (
    "paspoort_idkaart",
    "rijbewijs",
    "verhuizing",
    "uittreksel_brp",
    "geboorteaangifte",
    "huwelijk",
    "parkeervergunning",
    "afval_grofvuil",
    "melding_openbare_ruimte",
    "omgevingsvergunning",
    "kwijtschelding_belastingen",
    "bijzondere_bijstand",
    "energiesubsidie",
    "verenigingssubsidie",
    "wmo_ondersteuning",
    "afspraak_openingstijden",
)
CONVERSATION_TOPICS = (
    "medewerker",
    "begroeting",
    "afscheid",
    "bedankt",
    "bot_vraag",
    "buiten_bereik",
    "niet_begrepen",
)
TEAMS: dict[str, str] = {
    "burgerzaken": "Burgerzaken",
    "subsidies_inkomen": "Subsidies en Inkomen",
    "belastingen": "Belastingen",
    "openbare_ruimte": "Openbare Ruimte",
    "vergunningen": "Vergunningen",
    "klantcontact": "Klantcontact",
}
WAYS_TO_ARRANGE = ("online", "afspraak", "persoon")
# Aspects a resident asks about once a product is known ("wat kost dat?", "kan dat online?").
# Each has an intent `aspect_<name>` and is answered as one self-contained section
# (actions/answers.py). `meenemen` also covers "which documents do I need".
ASPECTS = ("kosten", "duur", "online", "meenemen", "voor_wie", "waar", "status", "uitleg")
# Optional catalogue text fields per aspect (`meenemen` is a list, like `wat_nodig`).
ASPECT_TEXT_FIELDS = ("duur", "online", "waar", "status", "kosten_uitleg")
_DIGIT = re.compile(r"\d")
SUBSIDY_QUESTIONS = ("woont_in_gemeente", "laag_inkomen", "woonsituatie", "soort_kosten")


class CatalogueError(ValueError):
    """The catalogue file is not usable; the message names the entry and the field."""

    def __repr__(self) -> str:
        return f"CatalogueError({str(self)!r})"


@dataclass(frozen=True)
class Source:
    url: str
    checked: str  # ISO date on which an editor checked the figure against the source


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    source: Source


@dataclass(frozen=True)
class AspectText:
    text: str
    source: Source | None = None


@dataclass(frozen=True)
class Condition:
    """One eligibility question of a subsidy check and the answers that pass it."""

    question: str
    passes: tuple[Any, ...]  # empty: every answer passes (the question only informs the agent)
    reason_no: str = ""

    def passed_by(self, answer: Any) -> bool:
        return not self.passes or answer in self.passes


@dataclass(frozen=True)
class Check:
    conditions: tuple[Condition, ...]
    outcome_yes: str
    outcome_no: str


@dataclass(frozen=True)
class Entry:
    topic: str
    title: str
    explanation: str
    for_whom: str
    what_you_need: tuple[str, ...]
    how: str
    how_text: str
    path: str
    team: str
    figures: tuple[Figure, ...] = ()
    has_costs: bool = False
    check: Check | None = None
    free: bool = False
    # Aspect texts by field name (ASPECT_TEXT_FIELDS); absent: the answer points to the product page.
    aspect_texts: Mapping[str, AspectText] = field(default_factory=dict)
    to_bring: tuple[str, ...] = ()

    def url(self, base_url: str | None = None) -> str:
        base = (base_url or os.environ.get("GEMEENTE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/{self.path.lstrip('/')}"

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


@dataclass
class Catalogue:
    entries: dict[str, Entry]
    dropped_figures: list[str] = field(default_factory=list)

    def get(self, topic: str | None) -> Entry | None:
        return self.entries.get(topic or "")

    def team_of(self, topic: str | None) -> str:
        entry = self.get(topic)
        return entry.team if entry else "klantcontact"


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' ontbreekt of is leeg")
    return value.strip()


def _figures(raw: Any, where: str, dropped: list[str]) -> tuple[Figure, ...]:
    figures = []
    for i, item in enumerate(raw or []):
        label = f"{where}.bedragen[{i}]"
        if not isinstance(item, Mapping):
            raise CatalogueError(f"{label}: verwacht een lijst van velden")
        bron = item.get("bron") or {}
        url, checked = bron.get("url"), bron.get("gecontroleerd")
        if not (isinstance(url, str) and url.startswith("https://") and checked):
            # No source, no figure: residents then get the product page instead of a number.
            logger.warning("%s: bedrag zonder bron wordt niet getoond", label)
            dropped.append(label)
            continue
        figures.append(
            Figure(
                key=_text(item, "sleutel", label),
                label=_text(item, "omschrijving", label),
                value=str(item.get("waarde", "")).strip() or _text(item, "waarde", label),
                source=Source(url=url, checked=str(checked)),
            )
        )
    return tuple(figures)


def _aspect_texts(raw: Mapping[str, Any], where: str, dropped: list[str]) -> dict[str, AspectText]:
    """`duur: tekst` or `duur: {tekst: ..., bron: {url, gecontroleerd}}`.

    The figures rule holds here too: a text with a number (days, weeks, euros) needs a source,
    otherwise it is dropped (and logged) and the answer points to the product page.
    """
    texts: dict[str, AspectText] = {}
    for key in ASPECT_TEXT_FIELDS:
        value = raw.get(key)
        if value is None:
            continue
        label = f"{where}.{key}"
        if isinstance(value, str):
            value = {"tekst": value}
        if not isinstance(value, Mapping):
            raise CatalogueError(f"{label}: verwacht een tekst of 'tekst' met 'bron'")
        text = _text(value, "tekst", label)
        bron = value.get("bron") or {}
        url, checked = bron.get("url"), bron.get("gecontroleerd")
        source = (
            Source(url=url, checked=str(checked))
            if (isinstance(url, str) and url.startswith("https://") and checked)
            else None
        )
        if source is None and _DIGIT.search(text):
            logger.warning("%s: tekst met een getal zonder bron wordt niet getoond", label)
            dropped.append(label)
            continue
        texts[key] = AspectText(text=" ".join(text.split()), source=source)
    return texts


def _check(raw: Any, where: str) -> Check | None:
    if raw is None:
        return None
    conditions = []
    for i, item in enumerate(raw.get("vragen") or []):
        label = f"{where}.check.vragen[{i}]"
        question = item.get("vraag")
        if question not in SUBSIDY_QUESTIONS:
            raise CatalogueError(f"{label}: onbekende vraag {question!r}")
        passes = item.get("voldoet")
        passes = tuple(passes) if isinstance(passes, list) else (() if passes is None else (passes,))
        conditions.append(Condition(question=question, passes=passes, reason_no=str(item.get("reden_nee", "")).strip()))
    if not conditions:
        raise CatalogueError(f"{where}.check: geen vragen")
    return Check(
        conditions=tuple(conditions),
        outcome_yes=_text(raw, "uitslag_ja", f"{where}.check"),
        outcome_no=_text(raw, "uitslag_nee", f"{where}.check"),
    )


def parse(data: Any) -> Catalogue:
    """Validate the parsed YAML document and build the catalogue (raises CatalogueError)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("onderwerpen"), Mapping):
        raise CatalogueError("het bestand moet een 'onderwerpen:' blok hebben")
    entries: dict[str, Entry] = {}
    dropped: list[str] = []
    for topic, raw in data["onderwerpen"].items():
        where = f"onderwerpen.{topic}"
        if topic not in PRODUCT_TOPICS:
            raise CatalogueError(f"{where}: onbekend onderwerp (toegestaan: {', '.join(PRODUCT_TOPICS)})")
        if not isinstance(raw, Mapping):
            raise CatalogueError(f"{where}: verwacht velden")
        team = raw.get("team")
        if team not in TEAMS:
            raise CatalogueError(f"{where}: onbekend team {team!r} (toegestaan: {', '.join(TEAMS)})")
        regelen = raw.get("regelen") or {}
        how = regelen.get("manier")
        if how not in WAYS_TO_ARRANGE:
            raise CatalogueError(f"{where}.regelen.manier: kies uit {', '.join(WAYS_TO_ARRANGE)}")
        needs = raw.get("wat_nodig") or []
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            raise CatalogueError(f"{where}.wat_nodig: verwacht een lijst met tekst")
        bring = raw.get("meenemen") or []
        if not isinstance(bring, list) or not all(isinstance(n, str) for n in bring):
            raise CatalogueError(f"{where}.meenemen: verwacht een lijst met tekst")
        entries[topic] = Entry(
            topic=topic,
            title=_text(raw, "titel", where),
            explanation=_text(raw, "uitleg", where),
            for_whom=_text(raw, "voor_wie", where),
            what_you_need=tuple(n.strip() for n in needs),
            how=how,
            how_text=_text(regelen, "tekst", f"{where}.regelen"),
            path=_text(raw, "pad", where),
            team=team,
            figures=_figures(raw.get("bedragen"), where, dropped),
            has_costs=bool(raw.get("kosten", False)),
            check=_check(raw.get("check"), where),
            free=bool(raw.get("gratis", False)),
            aspect_texts=_aspect_texts(raw, where, dropped),
            to_bring=tuple(n.strip() for n in bring),
        )
    return Catalogue(entries=entries, dropped_figures=dropped)


def load(path: Path | None = None) -> Catalogue:
    with open(path or CATALOGUE_PATH, encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle))


_cache: dict[str, tuple[float, Catalogue]] = {}


def get_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue, reloaded when the file changes, so editors need no restart either."""
    path = path or CATALOGUE_PATH
    mtime = os.path.getmtime(path)
    cached = _cache.get(str(path))
    if cached is None or cached[0] != mtime:
        try:
            _cache[str(path)] = (mtime, load(path))
        except (CatalogueError, yaml.YAMLError):
            if cached is None:
                raise
            # A broken edit while running: keep serving the last good version.
            logger.exception("catalogus %s is ongeldig; de vorige versie blijft in gebruik", path)
            _cache[str(path)] = (mtime, cached[1])
    return _cache[str(path)][1]


def main() -> int:
    """`python -m actions.catalogue`: validate the catalogue file (for editors and CI)."""
    catalogue = load()
    missing = [t for t in PRODUCT_TOPICS if t not in catalogue.entries]
    for label in catalogue.dropped_figures:
        print(f"let op: {label} heeft geen bron en wordt niet getoond")
    for topic in missing:
        print(f"let op: geen catalogustekst voor {topic}")
    print(f"catalogus in orde: {len(catalogue.entries)} onderwerpen")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
