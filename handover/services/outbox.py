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

import logging
import uuid as uuidlib
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import String, cast, exists, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from klantbeeld_client import (
    ApiConfig,
    ApiError,
    FieldTooLong,
    Formulier,
    InterneTaakStatus,
    KlantbeeldError,
    KlantinteractiesClient,
    NotFound,
    ObjectsClient,
    Portaalformulier,
    TaakBetrokkene,
    TaakData,
    TaakIdentificatie,
    TaakSoort,
    TaakStatus,
    ValidationError,
)

from ..auth import residents
from ..core.errors import HandoverError
from ..core.masking import mask_optional, mask_personal_numbers
from ..settings import Settings
from ..store.models import CallbackTask, ConceptRequest, Conversation, OutboxItem, Team, as_utc, utcnow
from ..store.repo import Sessions
from . import partijen, registration, transcripts
from .klantbeeld.catalogue import catalogue_titles, subject_text, subject_topic
from .worker import Worker

log = logging.getLogger(__name__)
MAX_DELAY = timedelta(minutes=15)
#: 4xx answers that retrying can fix (timeout, conflict, rate limit); any other 4xx cannot.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: How long a claimed item is left to one worker. Longer than the slowest registration (every
#: step timing out three times), so no second instance starts the same item meanwhile.
LEASE = timedelta(minutes=10)


#: The request's status here -> the taak's status in the Objects API (Open Inwoner's values).
TAAK_STATUS = {
    "open": TaakStatus.OPEN,
    "ingediend": TaakStatus.AFGEROND,
    "afgehandeld": TaakStatus.VERWERKT,
    "ingetrokken": TaakStatus.GESLOTEN,
}
#: ``betrokkene.source`` and ``levelOfAssurance`` per identification: the lowest level the login
#: guarantees, so Open Inwoner shows the taak to a resident logged in at that level or higher.
TAAK_LOGIN = {
    "bsn": ("digid", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"),
    "kvk": ("eherkenning", "urn:etoegang:core:assurance-class:loa2"),
}
TAAK_TOELICHTING = (
    "De gemeente heeft deze aanvraag voor u klaargezet tijdens uw chatgesprek. "
    "Controleer de gegevens en verstuur de aanvraag."
)


class TaakNotPublished(KlantbeeldError, HandoverError):
    """The taak's create stopped for good, so a change of its status cannot be sent either."""

    code = "taak_not_published"


def permanent(exc: Exception) -> bool:
    """An error that the same request will meet again: the item stops and needs a person."""
    if isinstance(exc, ApiError):
        return 400 <= exc.status < 500 and exc.status not in RETRYABLE_STATUSES
    return isinstance(exc, FieldTooLong | registration.ReferenceCollision | TaakNotPublished)


def already_exists(exc: ValidationError) -> bool:
    """The Objects API's answer to a POST with a uuid it already holds."""
    texts = [p.reason for p in exc.invalid_params] + [str(exc.problem.detail if exc.problem else "")]
    return any("already exists" in t for t in texts)


async def failed_items(sessions: Sessions, limit: int = 200) -> list[dict[str, Any]]:
    """Items that stopped for good (a 4xx retrying cannot fix), newest first: for operators."""
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxItem).where(OutboxItem.status == "failed").order_by(OutboxItem.id.desc()).limit(limit)
                )
            )
            .scalars()
            .all()
        )
    return [
        {
            "id": r.id,
            "key": r.key,
            "kind": r.kind,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "created_at": as_utc(r.created_at).isoformat(),
        }
        for r in rows
    ]


async def retry_failed(sessions: Sessions, item_id: int) -> bool:
    """Put a failed item back in the queue (once its cause is fixed); False if it is not failed."""
    async with sessions.begin() as session:
        changed = await session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.status == "failed")
            .values(status="pending", next_attempt_at=utcnow())
        )
    return getattr(changed, "rowcount", 0) == 1


class Outbox:
    def __init__(self, sessions: Sessions, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self._http = http
        self.worker = Worker("outbox", self.run_once, settings.outbox_interval_seconds, logger=log)
        self._titles: dict[str, str] | None = None
        # Reads the resident's partij (and links it when that failed at login).
        self.partijen = partijen.OpenKlant(settings, http)
        self.klantinteracties = (
            KlantinteractiesClient(
                ApiConfig(settings.klantinteracties_url, settings.klantinteracties_token, retry_non_idempotent=False),
                http,
            )
            if settings.klantinteracties_url and settings.klantinteracties_token
            else None
        )
        self.objects = (
            ObjectsClient(
                ApiConfig(settings.objects_url, settings.objects_token, retry_non_idempotent=False),
                settings.objects_taak_type_url,
                settings.objects_taak_type_version,
                http,
            )
            if settings.objects_url and settings.objects_token and settings.objects_taak_type_url
            else None
        )

    # --- enqueueing (called by the use cases) -------------------------------------------

    async def enqueue(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Add work unless the same key is already there; False when it was (or nothing to do)."""
        remote = (
            self.klantinteracties if kind in ("klantcontact", "internetaak", "internetaak_status") else self.objects
        )
        if remote is None:
            return False
        try:
            async with self.sessions.begin() as session:
                session.add(OutboxItem(key=key, kind=kind, payload=payload, next_attempt_at=utcnow()))
        except IntegrityError:
            return False
        self.worker.wake()
        return True

    async def contact_closed(
        self, conversation_id: str, *, agent: dict[str, str] | None = None, callback_id: int | None = None
    ) -> None:
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
        await self.enqueue(
            "internetaak",
            f"internetaak:{callback_id}",
            {"callback_id": callback_id, "conversation_id": conversation_id},
        )

    async def callback_done(self, callback_id: int) -> None:
        """An agent marked the call-back done: its internetaak becomes verwerkt."""
        await self.enqueue(
            "internetaak_status",
            f"internetaak_status:{callback_id}",
            {"callback_id": callback_id, "afgehandeld_op": utcnow().isoformat()},
        )

    async def request_published(self, request_id: int) -> bool:
        """Publish the request as a taak, once the resident who may see it is known.

        Called when the agent publishes the request, when a resident binds it (its link), and at
        every login (``resident_logged_in``): the taak is enqueued (once, key ``taak:<id>``) only
        when the request belongs to a partij that is logged in now, because Open Inwoner shows a
        taak only to the BSN it carries and the number is kept only with a live session. An
        anonymous chat's request is not posted: nobody could see it."""
        if self.objects is None:
            return False
        async with self.sessions() as session:
            request = await session.get(ConceptRequest, request_id)
        if request is None or request.partij_id is None or request.status not in ("open", "ingediend"):
            return False
        if request.status == "open" and as_utc(request.expires_at) <= utcnow():
            return False
        found = await residents.identification_of(self.sessions, request.partij_id)
        if found is None:
            return False
        kind, value = found
        return await self.enqueue(
            "taak",
            f"taak:{request_id}",
            {
                "request_id": request_id,
                "uuid": str(uuidlib.uuid4()),
                "verwerker_taak_id": str(uuidlib.uuid4()),
                "identificatie": {"type": kind, "value": value},
            },
        )

    async def resident_logged_in(self, partij_id: int) -> None:
        """Requests that were bound to this resident while they were not logged in get their taak."""
        if self.objects is None:
            return
        async with self.sessions() as session:
            ids = list(
                (
                    await session.execute(
                        select(ConceptRequest.id).where(
                            ConceptRequest.partij_id == partij_id, ConceptRequest.status.in_(("open", "ingediend"))
                        )
                    )
                ).scalars()
            )
        for request_id in ids:
            await self.request_published(int(request_id))

    async def request_status(self, request_id: int, status: TaakStatus) -> bool:
        """The request's taak takes ``status`` (a new record version), after its create; once
        per status (key ``taak:<id>:<status>``). Nothing is sent for a request without a taak."""
        return await self.enqueue(
            "taak_status", f"taak:{request_id}:{status.value}", {"request_id": request_id, "status": status.value}
        )

    async def expire_requests(self, limit: int = 100) -> int:
        """Close (``gesloten``) the taak of every published request that expired unsent."""
        prefix = literal("taak:").concat(cast(ConceptRequest.id, String))
        created, closing = aliased(OutboxItem), aliased(OutboxItem)
        async with self.sessions() as session:
            ids = list(
                (
                    await session.execute(
                        select(ConceptRequest.id)
                        .where(
                            ConceptRequest.status == "open",
                            ConceptRequest.expires_at <= utcnow(),
                            exists().where(created.key == prefix),
                            ~exists().where(closing.key == prefix.concat(":" + TaakStatus.GESLOTEN.value)),
                        )
                        .limit(limit)
                    )
                ).scalars()
            )
        for request_id in ids:
            await self.request_status(int(request_id), TaakStatus.GESLOTEN)
        return len(ids)

    # --- the worker ------------------------------------------------------------------------

    async def start(self) -> None:
        if self.klantinteracties or self.objects:
            self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    async def run_once(self, limit: int = 20) -> int:
        """Send the due items; return how many were completed."""
        if self.objects is not None:
            await self.expire_requests()
        async with self.sessions() as session:
            items = (
                (
                    await session.execute(
                        select(OutboxItem)
                        .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= utcnow())
                        .order_by(OutboxItem.id)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        done = 0
        for item in items:
            # Claim it, so two instances never send the same item at once.
            lease = utcnow() + LEASE
            async with self.sessions.begin() as session:
                claimed = await session.execute(
                    update(OutboxItem)
                    .where(
                        OutboxItem.id == item.id,
                        OutboxItem.status == "pending",
                        OutboxItem.next_attempt_at == item.next_attempt_at,
                    )
                    .values(next_attempt_at=lease)
                )
            if getattr(claimed, "rowcount", 0) != 1:
                continue
            progress = dict((item.result or {}).get("progress") or {})
            try:
                result = await self._send(item, progress)
            except Exception as exc:  # retried later (unless it cannot succeed); never lost
                await self._failed(item, exc, progress)
            else:
                values: dict[str, Any] = {
                    "status": "done",
                    "result": result,
                    "done_at": utcnow(),
                    "attempts": item.attempts + 1,
                    "last_error": None,
                }
                if item.kind == "taak":  # the BSN is in the object now; it need not stay here
                    values["payload"] = {k: v for k, v in item.payload.items() if k != "identificatie"}
                async with self.sessions.begin() as session:
                    await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(**values))
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
            log.error(
                "outbox item %s (%s) FAILED for good after %d attempt(s), needs a person: %s",
                item.id,
                item.key,
                attempts,
                exc,
            )
            async with self.sessions.begin() as session:
                await session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id == item.id)
                    .values(status="failed", attempts=attempts, last_error=error, result=result)
                )
            return
        delay = min(MAX_DELAY, timedelta(seconds=self.settings.outbox_backoff_seconds * 2 ** (attempts - 1)))
        log.warning("outbox item %s (%s) failed, attempt %d, retry in %s: %s", item.id, item.key, attempts, delay, exc)
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item.id)
                .values(attempts=attempts, next_attempt_at=utcnow() + delay, last_error=error, result=result)
            )

    async def _send(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        match item.kind:
            case "klantcontact":
                return await self._klantcontact(item, progress)
            case "internetaak":
                return await self._internetaak(item, progress)
            case "internetaak_status":
                return await self._internetaak_status(item)
            case "taak":
                return await self._taak(item, progress)
            case "taak_status":
                return await self._taak_status(item)
        raise KlantbeeldError(f"unknown outbox kind {item.kind!r}")

    async def _klantcontact(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            conversation = await session.get(Conversation, item.payload["conversation_id"])
            callback = (
                await session.get(CallbackTask, item.payload["callback_id"])
                if item.payload.get("callback_id")
                else None
            )
        if conversation is None:
            return {"skipped": "conversation was deleted"}
        # The resident's partij in Open Klant (found at MijnGemeente login, else now): wasPartij.
        partij_url = (
            await self.partijen.partij_url(self.sessions, conversation.partij_id) if conversation.partij_id else None
        )
        titles = self.titles()
        topic = await subject_topic(self.sessions, conversation.id, frozenset(titles))
        agent = item.payload.get("agent")
        # Older items (before the agent was carried) have only agent_name: no identifier to reuse.
        agent_ref = registration.AgentRef(agent["username"], agent["name"]) if isinstance(agent, dict) else None
        person = registration.ContactPerson(callback.name, callback.phone, callback.email) if callback else None
        contact = registration.ChatContact(
            conversation_id=conversation.id,
            onderwerp=mask_personal_numbers(subject_text(topic, titles)),
            inhoud=mask_personal_numbers(
                conversation.handover_summary or conversation.summary or "Chatgesprek met de gemeente."
            ),
            reactie=mask_optional(registration.reactie_text(conversation.outcome, conversation.summary)),
            contact_gelukt=registration.contact_gelukt(conversation.outcome),
            verdere_actie=callback is not None,
            plaatsgevonden_op=as_utc(conversation.created_at),
            metadata=registration.context_metadata(
                conversation.channel,
                conversation.utm,
                conversation.page,
                conversation.referrer,
                conversation.handover_reason,
                topic,
            ),
            transcript_url=self.transcript_url(conversation.id),
            agent=agent_ref,
            partij=partij_url,
            person=person,
        )
        await registration.register_chat_contact(self.klantinteracties, contact, progress)
        return {
            "progress": progress,
            "klantcontact_url": progress["klantcontact"],
            "referentienummer": contact.referentienummer,
        }

    def titles(self) -> dict[str, str]:
        if self._titles is None:
            self._titles = catalogue_titles(registration.catalogue_file(self.settings.catalogue_path))
        return self._titles

    def transcript_url(self, conversation_id: str) -> str:
        """A signed, expiring link that Open Klant's readers can follow without a session."""
        return transcripts.signed_url(self.settings, conversation_id)

    async def _internetaak(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            contact = (
                await session.execute(
                    select(OutboxItem).where(OutboxItem.key == f"klantcontact:{item.payload['conversation_id']}")
                )
            ).scalar_one_or_none()
            task = await session.get(CallbackTask, item.payload["callback_id"])
            team = await session.get(Team, task.team_key) if task else None
        if task is None:
            return {"skipped": "call-back request was deleted"}
        if contact is None or contact.status != "done" or not (contact.result or {}).get("klantcontact_url"):
            raise KlantbeeldError("waiting for the klantcontact of this conversation to be registered")
        how = ", ".join(x for x in (task.phone and "telefoon", task.email and "e-mail") if x) or "bericht"
        url = await registration.register_callback_task(
            self.klantinteracties,
            callback_id=task.id,
            klantcontact=(contact.result or {})["klantcontact_url"],
            team_key=task.team_key,
            team_name=team.name if team else task.team_key,
            gevraagde_handeling=f"Inwoner terugbellen ({how})",
            toelichting=mask_optional((task.message or "")[:1000]) or None,
            progress=progress,
        )
        return {"progress": progress, "internetaak_url": url}

    async def _internetaak_status(self, item: OutboxItem) -> dict[str, Any]:
        assert self.klantinteracties is not None
        async with self.sessions() as session:
            created = (
                await session.execute(
                    select(OutboxItem).where(OutboxItem.key == f"internetaak:{item.payload['callback_id']}")
                )
            ).scalar_one_or_none()
        if created is None:
            return {"skipped": "no internetaak was registered for this call-back"}
        url = (created.result or {}).get("internetaak_url")
        if created.status != "done" or not url:
            raise KlantbeeldError("waiting for the internetaak of this call-back to be registered")
        # A PATCH to the same values: repeating it after a lost answer changes nothing.
        done = await self.klantinteracties.set_internetaak_status(
            url, InterneTaakStatus.VERWERKT, afgehandeld_op=datetime.fromisoformat(item.payload["afgehandeld_op"])
        )
        return {"internetaak_url": done.url, "status": done.status}

    def taak_data(self, request: ConceptRequest, payload: dict[str, Any]) -> TaakData:
        """``record.data`` of the request's taak, as it stands now (see docs/klantbeeld_client.md)."""
        status = TAAK_STATUS.get(request.status, TaakStatus.OPEN)
        if status is TaakStatus.OPEN and as_utc(request.expires_at) <= utcnow():
            status = TaakStatus.GESLOTEN
        kind, value = payload["identificatie"]["type"], payload["identificatie"]["value"]
        source, level = TAAK_LOGIN[kind]
        return TaakData(
            titel=request.title[:200],
            status=status,
            soort=TaakSoort.EXTERNFORMULIER,
            verwerker_taak_id=payload.get("verwerker_taak_id") or payload["uuid"],
            eigenaar=self.settings.objects_owner,
            toelichting=TAAK_TOELICHTING,
            identificatie=TaakIdentificatie(type=kind, value=value),
            betrokkene=TaakBetrokkene.model_validate(
                {"source": source, "authorizee": {"legalSubject": {"identifier": value}}, "levelOfAssurance": level}
            ),
            verloopdatum=as_utc(request.expires_at),
            portaalformulier=Portaalformulier(
                formulier=Formulier(
                    soort="url", value=self.settings.form_url_template.format(type=request.request_type)
                ),
                data=request.data,
                verzonden_data=request.data if status is TaakStatus.AFGEROND else None,
            ),
        )

    async def _taak(self, item: OutboxItem, progress: dict[str, str]) -> dict[str, Any]:
        """Create the taak exactly once: look it up (by its uuid, then by ``verwerker_taak_id``)
        before every create, and adopt the object when a POST is answered "already exists"."""
        assert self.objects is not None
        objects = self.objects
        async with self.sessions() as session:
            request = await session.get(ConceptRequest, item.payload["request_id"])
        if request is None:
            return {"skipped": "concept request was deleted"}
        if not item.payload.get("identificatie"):
            raise TaakNotPublished("the taak has no identification of the resident: nothing was sent")
        object_uuid = item.payload["uuid"]
        verwerker_taak_id = item.payload.get("verwerker_taak_id") or object_uuid
        taak = self.taak_data(request, item.payload)

        async def lookup() -> str | None:
            try:
                return (await objects.get_object(object_uuid)).url
            except NotFound:
                pass
            async for found in objects.list_objects(data_attr=f"verwerker_taak_id__exact__{verwerker_taak_id}"):
                if str(found.record.data.get("verwerker_taak_id")) == verwerker_taak_id:
                    return found.url
            return None

        async def create() -> str:
            try:
                return (await objects.create_object(taak.to_wire(), uuid=object_uuid)).url
            except ValidationError as exc:
                if not already_exists(exc):
                    raise
                log.info("taak %s already exists (an earlier answer was lost): adopted", object_uuid)
                return (await objects.get_object(object_uuid)).url

        url = await registration.once(progress, "taak", lookup, create)
        return {"progress": progress, "object_url": url, "status": taak.status.value}

    async def _taak_status(self, item: OutboxItem) -> dict[str, Any]:
        """A new record version with the status (and, when sent, ``verzonden_data``). The object is
        read first: a status it already has (an earlier answer was lost) is not written again."""
        assert self.objects is not None
        request_id, target = item.payload["request_id"], TaakStatus(item.payload["status"])
        async with self.sessions() as session:
            created = (
                await session.execute(select(OutboxItem).where(OutboxItem.key == f"taak:{request_id}"))
            ).scalar_one_or_none()
            request = await session.get(ConceptRequest, request_id)
        if created is None:
            return {"skipped": "no taak was published for this request"}
        if created.status == "failed":
            raise TaakNotPublished(f"the taak of request {request_id} was not created ({created.last_error})")
        if created.status != "done":
            raise KlantbeeldError("waiting for the taak of this request to be created")
        url = (created.result or {}).get("object_url")
        if not url:
            return {"skipped": "no taak was created for this request"}
        current = await self.objects.get_object(url)
        data = dict(current.record.data)
        form = dict(data.get("portaalformulier") or {})
        sent = request.data if target is TaakStatus.AFGEROND and request is not None else None
        if data.get("status") == target.value and (sent is None or form.get("verzonden_data") is not None):
            return {"object_url": url, "status": target.value, "record": current.record.index, "unchanged": True}
        if (
            data.get("status") in (TaakStatus.AFGEROND.value, TaakStatus.VERWERKT.value)
            and target is TaakStatus.GESLOTEN
        ):
            return {"object_url": url, "status": data.get("status"), "skipped": "the resident already sent it"}
        data["status"] = target.value
        if sent is not None:
            form["verzonden_data"] = sent
            data["portaalformulier"] = form
        # Not retried by the client: each write is a record version; the next attempt reads first.
        updated = await self.objects.patch_object(url, data, retry=False)
        return {"object_url": url, "status": target.value, "record": updated.record.index}
