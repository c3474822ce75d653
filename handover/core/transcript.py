"""The one text rendering of a conversation's transcript. Pure: no I/O.

Used for the agent console's "transcript" download and for the signed link Open Klant's
bijlage points at (``services/transcripts.py`` reads the rows and calls :func:`render`). It
speaks the console's words (Inwoner, Assistent, Medewerker, Systeem; the state names of the
console's status lines) and the municipality's local time, with the zone named in the heading,
so what an agent reads in the console and in the download agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from .clock import LOCAL_ZONE, local
from .masking import mask_personal_numbers

#: As in the console (handover/web/console/src/i18n.js, WHO).
NAMES = {"resident": "Inwoner", "bot": "Assistent", "agent": "Medewerker", "system": "Systeem"}
#: As in the console (STATE_TEXT).
STATE_TEXT = {
    "bot": "bij de assistent",
    "queued": "in de wachtrij",
    "assigned": "in gesprek",
    "closed": "afgesloten",
    "callback_requested": "terugbelverzoek",
    "abandoned": "verlaten door inwoner",
}


class Line(Protocol):
    """One stored event of the transcript (``store.models.Message`` has these)."""

    @property
    def kind(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def author_name(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


def render(
    conversation_id: str,
    channel: str,
    started_at: datetime,
    events: Iterable[Line],
    *,
    notes: bool = True,
    zone: str = LOCAL_ZONE,
) -> str:
    """The transcript as plain text, times on the clock of ``zone``.

    ``notes``: include the agents' private notes (the console's copy; never the link's).
    A line of another day than the conversation's start carries its date.
    """
    start = local(started_at, zone)
    lines = [f"Gesprek {conversation_id} ({channel}, {start:%Y-%m-%d %H:%M}, tijden in {zone})"]
    for event in events:
        if event.kind == "note" and not notes:
            continue
        at = local(event.created_at, zone)
        when = f"{at:%H:%M}" if at.date() == start.date() else f"{at:%Y-%m-%d %H:%M}"
        if event.kind == "state":
            state = event.text or ""
            lines.append(f"[{when}] -- status: {STATE_TEXT.get(state, state)}")
            continue
        who = event.author_name or NAMES.get(event.author, event.author)
        private = " (notitie)" if event.kind == "note" else ""
        # Masked again on the way out: rows stored before masking covered every form stay safe.
        lines.append(f"[{when}] {who}{private}: {mask_personal_numbers(event.text or '')}")
    return "\n".join(lines) + "\n"
