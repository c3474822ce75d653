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
import dataclasses
import logging
import uuid as uuidlib
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from klantbeeld_client import (
    ApiConfig,
    ChatContactRegistration,
    KlantbeeldError,
    KlantinteractiesClient,
    ObjectsClient,
    RegistrationIncomplete,
    SoortActor,
    create_callback_task,
    publish_concept_request,
    register_chat_contact,
)

from ..core.masking import mask_optional, mask_personal_numbers
from ..settings import Settings
from ..store.models import CallbackTask, ConceptRequest, Conversation, OutboxItem, as_utc, utcnow
from ..store.repo import Sessions

log = logging.getLogger(__name__)
BOT_NAME = "Digitale assistent"
MAX_DELAY = timedelta(minutes=15)


class Outbox:
    def __init__(self, sessions: Sessions, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self._http = http
        self._task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self.klantinteracties = (
            KlantinteractiesClient(ApiConfig(settings.klantinteracties_url, settings.klantinteracties_token), http)
            if settings.klantinteracties_url and settings.klantinteracties_token else None
        )
        self.objects = (
            ObjectsClient(ApiConfig(settings.objects_url, settings.objects_token),
                          settings.objects_taak_type_url, settings.objects_taak_type_version, http)
            if settings.objects_url and settings.objects_token and settings.objects_taak_type_url else None
        )

    # --- enqueueing (called by the use cases) -------------------------------------------

    async def enqueue(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Add work unless the same key is already there; False when it was (or nothing to do)."""
        remote = self.klantinteracties if kind in ("klantcontact", "internetaak") else self.objects
        if remote is None:
            return False
        try:
            async with self.sessions.begin() as session:
                session.add(OutboxItem(key=key, kind=kind, payload=payload, next_attempt_at=utcnow()))
        except IntegrityError:
            return False
        self._kick.set()
        return True

    async def contact_closed(self, conversation_id: str) -> None:
        await self.enqueue("klantcontact", f"klantcontact:{conversation_id}", {"conversation_id": conversation_id})

    async def callback_requested(self, conversation_id: str, callback_id: int) -> None:
        await self.contact_closed(conversation_id)  # an internetaak needs its klantcontact
        await self.enqueue("internetaak", f"internetaak:{callback_id}", {"callback_id": callback_id,
                                                                        "conversation_id": conversation_id})

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
            lease = utcnow() + timedelta(seconds=120)
            async with self.sessions.begin() as session:
                claimed = await session.execute(update(OutboxItem).where(
                    OutboxItem.id == item.id, OutboxItem.status == "pending",
                    OutboxItem.next_attempt_at == item.next_attempt_at).values(next_attempt_at=lease))
            if getattr(claimed, "rowcount", 0) != 1:
                continue
            try:
                result = await self._send(item)
            except Exception as exc:  # any failure is retried later; the item is never lost
                await self._failed(item, exc)
            else:
                async with self.sessions.begin() as session:
                    await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                        status="done", result=result, done_at=utcnow(), attempts=item.attempts + 1,
                        last_error=None))
                done += 1
        return done

    async def _failed(self, item: OutboxItem, exc: Exception) -> None:
        attempts = item.attempts + 1
        delay = min(MAX_DELAY, timedelta(seconds=self.settings.outbox_backoff_seconds * 2 ** (attempts - 1)))
        result = item.result
        if isinstance(exc, RegistrationIncomplete):
            result = {"progress": dataclasses.asdict(exc.progress)}
        log.warning("outbox item %s (%s) failed, attempt %d, retry in %s: %s", item.id, item.key, attempts,
                    delay, exc)
        async with self.sessions.begin() as session:
            await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                attempts=attempts, next_attempt_at=utcnow() + delay, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                result=result))

    async def _send(self, item: OutboxItem) -> dict[str, Any]:
        match item.kind:
            case "klantcontact":
                return await self._klantcontact(item)
            case "internetaak":
                return await self._internetaak(item)
            case "taak":
                return await self._taak(item)
        raise KlantbeeldError(f"unknown outbox kind {item.kind!r}")

    async def _klantcontact(self, item: OutboxItem) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            conversation = await session.get(Conversation, item.payload["conversation_id"])
        if conversation is None:
            return {"skipped": "conversation was deleted"}
        progress = None
        if item.result and isinstance(item.result.get("progress"), dict):
            progress = ChatContactRegistration(**item.result["progress"])
        summary = mask_personal_numbers(
            conversation.summary or conversation.handover_summary or "Chatgesprek met de gemeente.")
        registration = await register_chat_contact(
            self.klantinteracties,
            summary=summary,
            onderwerp=(conversation.topic or "chatgesprek").replace("_", " ")[:200],
            transcript_url=f"{self.settings.public_base_url.rstrip('/')}/api/conversations/{conversation.id}/transcript",
            bot_name=BOT_NAME,
            agent_name=item.payload.get("agent_name"),
            plaatsgevonden_op=as_utc(conversation.created_at),
            resume=progress,
        )
        return {"progress": dataclasses.asdict(registration), "klantcontact_url": registration.klantcontact_url}

    async def _internetaak(self, item: OutboxItem) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            contact = (await session.execute(select(OutboxItem).where(
                OutboxItem.key == f"klantcontact:{item.payload['conversation_id']}"))).scalar_one_or_none()
            task = await session.get(CallbackTask, item.payload["callback_id"])
        if task is None:
            return {"skipped": "call-back request was deleted"}
        if contact is None or contact.status != "done" or not (contact.result or {}).get("klantcontact_url"):
            raise KlantbeeldError("waiting for the klantcontact of this conversation to be registered")
        team = await self.klantinteracties.ensure_actor(task.team_key, SoortActor.ORGANISATORISCHE_EENHEID)
        how = ", ".join(x for x in (task.phone and f"telefoon {task.phone}", task.email and f"e-mail {task.email}")
                        if x) or "bericht"
        created = await create_callback_task(
            self.klantinteracties, klantcontact=(contact.result or {})["klantcontact_url"],
            gevraagde_handeling=f"Terugbelverzoek ({how})", actoren=[team.url],
            toelichting=mask_optional((task.message or "")[:1000]) or None)
        return {"internetaak_url": created.url}

    async def _taak(self, item: OutboxItem) -> dict[str, Any]:
        assert self.objects is not None
        async with self.sessions() as session:
            request = await session.get(ConceptRequest, item.payload["request_id"])
        if request is None:
            return {"skipped": "concept request was deleted"}
        created = await publish_concept_request(
            self.objects, titel=request.title,
            formulier_url=self.settings.form_url_template.format(type=request.request_type),
            prefill=request.data, eigenaar=self.settings.objects_owner,
            verloopdatum=request.expires_at.date(), uuid=item.payload["uuid"])
        return {"object_url": created.url}
