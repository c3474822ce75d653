"""The resident as a partij in Open Klant, and what the other channels registered for them.

- :meth:`OpenKlant.link_partij` runs at MijnGemeente login: the partij whose partij-identificator
  is the resident's BSN is looked up (``partijen?partijIdentificator__codeSoortObjectId=bsn&
  partijIdentificator__objectId=``) or, with ``KLANTINTERACTIES_CREATE_PARTIJ``, created together
  with that identificator in one request (exactly once: a lost answer is followed by the lookup,
  see ``registration.once``). Its URL is kept on our ``partijen`` row
  (``klantinteracties_url``); the registration of every chat of that resident uses it as the
  betrokkene's ``wasPartij``. Open Klant not answering never stops a login: while the resident is
  logged in, the link is tried again (:meth:`OpenKlant.partij_url`, at most once a minute) when
  their contacts are shown or their chat is registered, and at the next login.
- :meth:`OpenKlant.contacts` merges the own klantcontacten with the ones Open Klant holds for
  that partij on every channel (``klantcontacten?hadBetrokkene__wasPartij__uuid=``), read with a
  short timeout, cached per instance for ``KLANTINTERACTIES_CACHE_SECONDS``, and every read
  (cached or not) audited. The chats this service registered itself are recognised by their
  ``referentienummer`` and shown once. Open Klant down: own contacts and a note.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from klantbeeld_client import (
    ApiConfig,
    IdentificatorCreate,
    KlantbeeldError,
    KlantinteractiesClient,
    PartijCreate,
    PartijIdentificatorCreate,
    SoortPartij,
    uuid_of,
)

from ..auth import residents
from ..core.masking import mask_optional
from ..settings import Settings
from ..store.models import Partij
from ..store.repo import Sessions
from . import registration
from .klantbeeld.audit import audit
from .klantbeeld.contacts import contacts_of

log = logging.getLogger(__name__)

#: How Open Klant identifies a person by BSN (the standard's enumerations).
BSN = {"code_objecttype": "natuurlijk_persoon", "code_soort_object_id": "bsn", "code_register": "brp"}
#: At most this many klantcontacten of one partij are read (the newest first after sorting).
MAX_REMOTE = 100
#: A partij not linked at login is tried again at most this often (seconds) per instance.
RELINK_SECONDS = 60.0
UNAVAILABLE_NOTE = (
    "Contacten via andere kanalen (telefoon, e-mail, balie) kunnen we nu niet ophalen. Probeer het later opnieuw."
)


@dataclass
class Contacts:
    """Own and other channels' contacts, newest first; ``note`` explains what is missing."""

    items: list[dict[str, Any]]
    remote: str  # "off" (no Open Klant), "unlinked" (no partij there), "ok", "unavailable"
    note: str | None = None
    remote_count: int = 0

    def summary(self) -> dict[str, Any]:
        return {"status": self.remote, "note": self.note, "count": self.remote_count}


def _moment(item: dict[str, Any]) -> float:
    value = item.get("closed_at")
    return datetime.fromisoformat(value).timestamp() if isinstance(value, str) and value else 0.0


def _holds_bsn(partij: Any, bsn: str) -> bool:
    """True unless the partij shows identificatoren and none of them is this BSN (a server that
    ignored the filter must not link a resident to somebody else)."""
    found = partij.partij_identificatoren
    if not found:
        return True
    for item in found:
        group = (item or {}).get("partijIdentificator") if isinstance(item, dict) else None
        if isinstance(group, dict) and group.get("codeSoortObjectId") == "bsn" and group.get("objectId") == bsn:
            return True
    return False


class OpenKlant:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        timeout = settings.klantinteracties_read_timeout_seconds
        self.client = (
            KlantinteractiesClient(
                ApiConfig(
                    settings.klantinteracties_url,
                    settings.klantinteracties_token,
                    timeout=timeout,
                    connect_timeout=min(timeout, 5.0),
                    max_attempts=2,
                    backoff_initial=0.1,
                    retry_non_idempotent=False,
                ),
                http,
            )
            if settings.klantinteracties_url and settings.klantinteracties_token
            else None
        )
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._relinked: dict[int, float] = {}

    # --- the partij -------------------------------------------------------------------------

    async def link_partij(self, sessions: Sessions, partij_id: int, *, kind: str, value: str, name: str) -> str | None:
        """Find (or create) the resident's partij in Open Klant and keep its URL; never raises."""
        if self.client is None or kind != "bsn":
            return None
        try:
            url = await asyncio.wait_for(
                self._find_or_create(value, name), self.settings.klantinteracties_read_timeout_seconds * 4
            )
        except (KlantbeeldError, TimeoutError) as exc:
            log.warning(
                "partij of resident %s not linked to Open Klant (tried again at the next login): %s", partij_id, exc
            )
            return None
        if url is None:
            return None
        async with sessions.begin() as session:
            await session.execute(update(Partij).where(Partij.id == partij_id).values(klantinteracties_url=url))
        await audit(
            sessions, f"resident:{partij_id}", "openklant.partij.link", partij_id, None, f"partij {uuid_of(url)}"
        )
        return url

    async def partij_url(self, sessions: Sessions, partij_id: int) -> str | None:
        """The partij's URL in Open Klant; when not linked yet (Open Klant was down at login) and
        the resident is logged in now, linked again from their session's BSN, at most once per
        ``RELINK_SECONDS`` per partij and instance."""
        async with sessions() as session:
            row = (
                await session.execute(
                    select(Partij.klantinteracties_url, Partij.display_name).where(Partij.id == partij_id)
                )
            ).one_or_none()
        if row is None or row[0] or self.client is None:
            return row[0] if row else None
        now = time.monotonic()
        if now - self._relinked.get(partij_id, -RELINK_SECONDS) < RELINK_SECONDS:
            return None
        self._relinked[partij_id] = now
        identification = await residents.identification_of(sessions, partij_id)
        if identification is None:
            return None
        return await self.link_partij(sessions, partij_id, kind=identification[0], value=identification[1], name=row[1])

    async def _find_or_create(self, bsn: str, name: str) -> str | None:
        client = self.client
        assert client is not None

        async def lookup() -> str | None:
            async for partij in client.list_partijen(
                partijIdentificator__codeSoortObjectId="bsn", partijIdentificator__objectId=bsn
            ):
                if _holds_bsn(partij, bsn):
                    return partij.url
            return None

        if not self.settings.klantinteracties_create_partij:
            return await lookup()

        async def create() -> str:
            contactnaam = registration.split_name(name).model_dump(mode="json", by_alias=True, exclude_none=True)
            created = await client.create_partij(
                PartijCreate(
                    soort_partij=SoortPartij.PERSOON,
                    indicatie_actief=True,
                    voorkeurstaal="nld",
                    partij_identificatie={"contactnaam": contactnaam},
                    partij_identificatoren=[
                        PartijIdentificatorCreate(partij_identificator=IdentificatorCreate(object_id=bsn, **BSN))
                    ],
                )
            )
            return created.url

        return await registration.once({}, "partij", lookup, create)

    # --- contacts of every channel ------------------------------------------------------------

    async def contacts(
        self, sessions: Sessions, partij_id: int, *, actor: str, conversation_id: str | None = None
    ) -> Contacts:
        """The resident's own contacts and, when Open Klant knows them, those of other channels."""
        own = await contacts_of(sessions, partij_id)
        if self.client is None:
            return Contacts(own, "off")
        url = await self.partij_url(sessions, partij_id)
        if not url:
            return Contacts(own, "unlinked")
        source = "cache"
        cached = self._cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < self.settings.klantinteracties_cache_seconds:
            remote = cached[1]
        else:
            source = "Open Klant"
            try:
                remote = await asyncio.wait_for(
                    self._read(url), self.settings.klantinteracties_read_timeout_seconds * 2
                )
            except (KlantbeeldError, TimeoutError) as exc:
                log.warning("klantcontacten of partij %s not read from Open Klant: %s", partij_id, exc)
                await audit(
                    sessions,
                    actor,
                    "openklant.klantcontacten.read",
                    partij_id,
                    conversation_id,
                    f"failed: {type(exc).__name__}",
                )
                return Contacts(own, "unavailable", UNAVAILABLE_NOTE)
            self._cache[url] = (time.monotonic(), remote)
        ours = {
            registration.reference_number("C", f"conversation:{c['conversation_id']}")
            for c in own
            if c.get("conversation_id")
        }
        others = [c for c in remote if c.get("referentienummer") not in ours]
        await audit(
            sessions,
            actor,
            "openklant.klantcontacten.read",
            partij_id,
            conversation_id,
            f"{len(others)} of other channels, from {source}",
        )
        merged = sorted(own + others, key=_moment, reverse=True)
        return Contacts(merged, "ok", remote_count=len(others))

    async def _read(self, partij_url: str) -> list[dict[str, Any]]:
        assert self.client is not None
        found: list[dict[str, Any]] = []
        async for contact in self.client.list_klantcontacten(
            hadBetrokkene__wasPartij__uuid=uuid_of(partij_url), pageSize=MAX_REMOTE
        ):
            agents = [a.naam for a in contact.had_betrokken_actoren if a.soort_actor == "medewerker" and a.naam]
            found.append(
                {
                    "id": None,
                    "conversation_id": None,
                    "source": "openklant",
                    "kanaal": contact.kanaal,
                    "onderwerp": contact.onderwerp,
                    "summary": mask_optional(contact.inhoud or contact.reactie),
                    "outcome": None,
                    "agent": ", ".join(agents) or None,
                    "closed_at": contact.plaatsgevonden_op.isoformat() if contact.plaatsgevonden_op else None,
                    "referentienummer": contact.referentienummer,
                }
            )
            if len(found) >= MAX_REMOTE:
                break
        return found
