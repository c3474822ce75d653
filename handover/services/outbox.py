"""Registration in remote systems through a durable, idempotent outbox.

Work is stored in SQL (table `outbox`) in the same moment the local record changes, keyed so
that enqueueing twice is a no-op. A worker loop sends due items with the klantbeeld client;
a failure (remote down, 5xx after the client's own retries, a validation error) schedules the
item again with exponential backoff up to 15 minutes, so an hour of downtime loses nothing.
Progress of a multi-step registration is saved after a partial failure and passed back as
``resume``, so a retry never makes a second klantcontact. Without remote URLs configured,
nothing is enqueued and only the own tables are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid as uuidlib
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from klantbeeld_client import (
    ApiConfig,
    ApiError,
    FieldTooLong,
    InterneTaakStatus,
    KlantbeeldError,
    KlantinteractiesClient,
    ObjectsClient,
    Portaalformulier,
    TaakData,
    TaakStatus,
)

from ..core.masking import mask_optional, mask_personal_numbers
from ..settings import Settings
from ..store.models import CallbackTask, ConceptRequest, Conversation, OutboxItem, Partij, Team, as_utc, utcnow
from ..store.repo import Sessions
from . import klantbeeld, registration, transcripts

log = logging.getLogger(__name__)
MAX_DELAY = timedelta(minutes=15)
#: 4xx answers that retrying can fix (timeout, conflict, rate limit); any other 4xx cannot.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: How long a claimed item is left to one worker. Longer than the slowest registration (every
#: step timing out three times), so no second instance starts the same item meanwhile.
LEASE = timedelta(minutes=10)


def permanent(exc: Exception) -> bool:
    """An error that the same request will meet again: the item stops and needs a person."""
    if isinstance(exc, ApiError):
        return 400 <= exc.status < 500 and exc.status not in RETRYABLE_STATUSES
    return isinstance(exc, FieldTooLong | registration.ReferenceCollision)


async def failed_items(sessions: Sessions, limit: int = 200) -> list[dict[str, Any]]:
    """Items that stopped for good (a 4xx retrying cannot fix), newest first: for operators."""
    async with sessions() as session:
        rows = (await session.execute(select(OutboxItem).where(OutboxItem.status == "failed")
                                      .order_by(OutboxItem.id.desc()).limit(limit))).scalars().all()
    return [{"id": r.id, "key": r.key, "kind": r.kind, "attempts": r.attempts, "last_error": r.last_error,
             "created_at": as_utc(r.created_at).isoformat()} for r in rows]


async def retry_failed(sessions: Sessions, item_id: int) -> bool:
    """Put a failed item back in the queue (once its cause is fixed); False if it is not failed."""
    async with sessions.begin() as session:
        changed = await session.execute(update(OutboxItem).where(
            OutboxItem.id == item_id, OutboxItem.status == "failed").values(
            status="pending", next_attempt_at=utcnow()))
    return getattr(changed, "rowcount", 0) == 1


class Outbox:
    def __init__(self, sessions: Sessions, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self._http = http
        self._task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._titles: dict[str, str] | None = None
        self.klantinteracties = (
            KlantinteractiesClient(ApiConfig(settings.klantinteracties_url, settings.klantinteracties_token,
                                             retry_non_idempotent=False), http)
            if settings.klantinteracties_url and settings.klantinteracties_token else None
        )
        self.objects = (
            ObjectsClient(ApiConfig(settings.objects_url, settings.objects_token, retry_non_idempotent=False),
                          settings.objects_taak_type_url, settings.objects_taak_type_version, http)
            if settings.objects_url and settings.objects_token and settings.objects_taak_type_url else None
        )

    # --- enqueueing (called by the use cases) -------------------------------------------

    async def enqueue(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Add work unless the same key is already there; False when it was (or nothing to do)."""
        remote = self.klantinteracties if kind in ("klantcontact", "internetaak", "internetaak_status") \
            else self.objects
        if remote is None:
            return False
        try:
            async with self.sessions.begin() as session:
                session.add(OutboxItem(key=key, kind=kind, payload=payload, next_attempt_at=utcnow()))
        except IntegrityError:
            return False
        self._kick.set()
        return True

    async def contact_closed(self, conversation_id: str, *, agent: dict[str, str] | None = None,
                             callback_id: int | None = None) -> None:
        """The klantcontact of a conversation; ``agent`` ({username, name}) becomes its medewerker
        actor, ``callback_id`` puts the call-back's name and contact details in its betrokkene."""
        payload: dict[str, Any] = {"conversation_id": conversation_id}
        if agent is not None:
            payload["agent"] = agent
        if callback_id is not None:
            payload["callback_id"] = callback_id
        await self.enqueue("klantcontact", f"klantcontact:{conversation_id}", payload)

    async def callback_requested(self, conversation_id: str, callback_id: int) -> None:
        # An internetaak needs its klantcontact.
        await self.contact_closed(conversation_id, callback_id=callback_id)
        await self.enqueue("internetaak", f"internetaak:{callback_id}", {"callback_id": callback_id,
                                                                        "conversation_id": conversation_id})

    async def callback_done(self, callback_id: int) -> None:
        """An agent marked the call-back done: its internetaak becomes verwerkt."""
        await self.enqueue("internetaak_status", f"internetaak_status:{callback_id}",
                           {"callback_id": callback_id, "afgehandeld_op": utcnow().isoformat()})

    async def request_published(self, request_id: int) -> None:
        await self.enqueue("taak", f"taak:{request_id}", {"request_id": request_id,
                                                          "uuid": str(uuidlib.uuid4())})

    # --- the worker ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.klantinteracties or self.objects:
            self._task = asyncio.create_task(self._loop(), name="outbox")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.settings.outbox_interval_seconds)
            self._kick.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox run failed")

    async def run_once(self, limit: int = 20) -> int:
        """Send the due items; return how many were completed."""
        async with self.sessions() as session:
            items = (await session.execute(
                select(OutboxItem).where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= utcnow())
                .order_by(OutboxItem.id).limit(limit)
            )).scalars().all()
        done = 0
        for item in items:
            # Claim it, so two instances never send the same item at once.
            lease = utcnow() + LEASE
            async with self.sessions.begin() as session:
                claimed = await session.execute(update(OutboxItem).where(
                    OutboxItem.id == item.id, OutboxItem.status == "pending",
                    OutboxItem.next_attempt_at == item.next_attempt_at).values(next_attempt_at=lease))
            if getattr(claimed, "rowcount", 0) != 1:
                continue
            progress = dict((item.result or {}).get("progress") or {})
            try:
                result = await self._send(item, progress)
            except Exception as exc:  # retried later (unless it cannot succeed); never lost
                await self._failed(item, exc, progress)
            else:
                async with self.sessions.begin() as session:
                    await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                        status="done", result=result, done_at=utcnow(), attempts=item.attempts + 1,
                        last_error=None))
                done += 1
        return done

    async def _failed(self, item: OutboxItem, exc: Exception, progress: dict[str, str] | None) -> None:
        attempts = item.attempts + 1
        result = item.result
        if progress:
            result = {**(item.result or {}), "progress": dict(progress)}
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if permanent(exc):
            # Retrying cannot fix it: stop, and tell the operators (log + GET /api/outbox/failed).
            log.error("outbox item %s (%s) FAILED for good after %d attempt(s), needs a person: %s",
                      item.id, item.key, attempts, exc)
            async with self.sessions.begin() as session:
                await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                    status="failed", attempts=attempts, last_error=error, result=result))
            return
        delay = min(MAX_DELAY, timedelta(seconds=self.settings.outbox_backoff_seconds * 2 ** (attempts - 1)))
        log.warning("outbox item %s (%s) failed, attempt %d, retry in %s: %s", item.id, item.key, attempts,
                    delay, exc)
        async with self.sessions.begin() as session:
            await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                attempts=attempts, next_attempt_at=utcnow() + delay, last_error=error, result=result))

    async def _send(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        match item.kind:
            case "klantcontact":
                return await self._klantcontact(item, progress)
            case "internetaak":
                return await self._internetaak(item, progress)
            case "internetaak_status":
                return await self._internetaak_status(item)
            case "taak":
                return await self._taak(item)
        raise KlantbeeldError(f"unknown outbox kind {item.kind!r}")

    async def _klantcontact(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            conversation = await session.get(Conversation, item.payload["conversation_id"])
            callback = (await session.get(CallbackTask, item.payload["callback_id"])
                        if item.payload.get("callback_id") else None)
            # The resident's partij in Open Klant (found at MijnGemeente login): wasPartij.
            partij_url = (await session.execute(select(Partij.klantinteracties_url).where(
                Partij.id == conversation.partij_id))).scalar() if conversation and conversation.partij_id else None
        if conversation is None:
            return {"skipped": "conversation was deleted"}
        titles = self.titles()
        topic = await klantbeeld.subject_topic(self.sessions, conversation.id, frozenset(titles))
        agent = item.payload.get("agent")
        # Older items (before the agent was carried) have only agent_name: no identifier to reuse.
        agent_ref = registration.AgentRef(agent["username"], agent["name"]) if isinstance(agent, dict) else None
        person = registration.ContactPerson(callback.name, callback.phone, callback.email) if callback else None
        contact = registration.ChatContact(
            conversation_id=conversation.id,
            onderwerp=mask_personal_numbers(klantbeeld.subject_text(topic, titles)),
            inhoud=mask_personal_numbers(conversation.handover_summary or conversation.summary
                                         or "Chatgesprek met de gemeente."),
            reactie=mask_optional(registration.reactie_text(conversation.outcome, conversation.summary)),
            contact_gelukt=registration.contact_gelukt(conversation.outcome),
            verdere_actie=callback is not None,
            plaatsgevonden_op=as_utc(conversation.created_at),
            metadata=registration.context_metadata(
                conversation.channel, conversation.utm, conversation.page, conversation.referrer,
                conversation.handover_reason, topic),
            transcript_url=self.transcript_url(conversation.id),
            agent=agent_ref,
            partij=partij_url,
            person=person,
        )
        await registration.register_chat_contact(self.klantinteracties, contact, progress)
        return {"progress": progress, "klantcontact_url": progress["klantcontact"],
                "referentienummer": contact.referentienummer}

    def titles(self) -> dict[str, str]:
        if self._titles is None:
            self._titles = klantbeeld.catalogue_titles(registration.catalogue_file(self.settings.catalogue_path))
        return self._titles

    def transcript_url(self, conversation_id: str) -> str:
        """A signed, expiring link that Open Klant's readers can follow without a session."""
        return transcripts.signed_url(self.settings, conversation_id)

    async def _internetaak(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            contact = (await session.execute(select(OutboxItem).where(
                OutboxItem.key == f"klantcontact:{item.payload['conversation_id']}"))).scalar_one_or_none()
            task = await session.get(CallbackTask, item.payload["callback_id"])
            team = await session.get(Team, task.team_key) if task else None
        if task is None:
            return {"skipped": "call-back request was deleted"}
        if contact is None or contact.status != "done" or not (contact.result or {}).get("klantcontact_url"):
            raise KlantbeeldError("waiting for the klantcontact of this conversation to be registered")
        how = ", ".join(x for x in (task.phone and "telefoon", task.email and "e-mail") if x) or "bericht"
        url = await registration.register_callback_task(
            self.klantinteracties, callback_id=task.id, klantcontact=(contact.result or {})["klantcontact_url"],
            team_key=task.team_key, team_name=team.name if team else task.team_key,
            gevraagde_handeling=f"Inwoner terugbellen ({how})",
            toelichting=mask_optional((task.message or "")[:1000]) or None, progress=progress)
        return {"progress": progress, "internetaak_url": url}

    async def _internetaak_status(self, item: OutboxItem) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            created = (await session.execute(select(OutboxItem).where(
                OutboxItem.key == f"internetaak:{item.payload['callback_id']}"))).scalar_one_or_none()
        if created is None:
            return {"skipped": "no internetaak was registered for this call-back"}
        url = (created.result or {}).get("internetaak_url")
        if created.status != "done" or not url:
            raise KlantbeeldError("waiting for the internetaak of this call-back to be registered")
        # A PATCH to the same values: repeating it after a lost answer changes nothing.
        done = await self.klantinteracties.set_internetaak_status(
            url, InterneTaakStatus.VERWERKT, afgehandeld_op=datetime.fromisoformat(item.payload["afgehandeld_op"]))
        return {"internetaak_url": done.url, "status": done.status}

    async def _taak(self, item: OutboxItem) -> dict[str, Any]:
        assert self.objects is not None
        async with self.sessions() as session:
            request = await session.get(ConceptRequest, item.payload["request_id"])
        if request is None:
            return {"skipped": "concept request was deleted"}
        taak = TaakData(
            titel=request.title, status=TaakStatus.OPEN, soort="portaalformulier",
            eigenaar=self.settings.objects_owner, verloopdatum=request.expires_at.date(),
            portaalformulier=Portaalformulier(
                formulier={"soort": "url", "value": self.settings.form_url_template.format(type=request.request_type)},
                data=request.data))
        created = await self.objects.create_object(taak.model_dump(mode="json", exclude_none=True),
                                                   uuid=item.payload["uuid"])
        return {"object_url": created.url}
