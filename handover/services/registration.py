"""Every contact lands in the klantbeeld: what a registration *means*, and doing it exactly once.

Two halves:

- :class:`Registration` listens to state changes: a closed conversation is written to the own
  tables at once and handed to the outbox (``services/outbox.py``) for Open Klant; a call-back
  request enqueues its internetaak as well.
- The remote steps (:func:`register_chat_contact`, :func:`register_callback_task`): which
  resources a chat contact becomes in the Klantinteracties API (klantcontact, betrokkene with
  the call-back's name and contact details, the bot and the agent as actors linked to the
  contact, the transcript as bijlage), and the rule that makes them exactly once against a
  slow or flaky server.

The rule: **every create is preceded by a lookup** with the resource's own filter
(``klantcontacten?referentienummer=``, ``betrokkenen?hadKlantcontact__uuid=``,
``actoren?actoridentificatorObjectId=``, ``actorklantcontacten?actor__uuid=&klantcontact__uuid=``,
``bijlagen?klantcontact__uuid=&bijlageidentificatorCodeObjecttype=``,
``digitaleadressen?verstrektDoorBetrokkene__uuid=&adres=``,
``internetaken?referentienummer=&aanleidinggevendKlantcontact__uuid=``), and a create whose
answer is lost (timeout, connection reset, 5xx) is never repeated blindly: the step starts again
with its lookup and adopts what the server made. The klantcontact's lookup key is a
``referentienummer`` derived from the conversation id, so it is the same in every attempt,
on every instance, after a crash. What is known is kept in ``progress`` (step -> URL) and saved
by the outbox, so a later attempt skips finished steps; the lookups make it correct even when
the progress of the last step was lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from klantbeeld_client import (
    ActorCreate,
    BetrokkeneCreate,
    ContactnaamCreate,
    DigitaalAdresCreate,
    IdentificatorCreate,
    InterneTaakCreate,
    KlantbeeldError,
    KlantcontactCreate,
    KlantinteractiesClient,
    Rol,
    ServerError,
    SoortActor,
    SoortDigitaalAdres,
    TransportError,
    truncate_text,
    uuid_of,
)

from ..core import lifecycle
from ..store.models import CallbackTask
from ..store.repo import Sessions
from . import agents
from .klantbeeld.catalogue import catalogue_titles
from .klantbeeld.contacts import register_contact

if TYPE_CHECKING:
    from .outbox import Outbox

log = logging.getLogger(__name__)

#: ``codeRegister`` of everything this service identifies in Open Klant (actors, transcripts).
REGISTER = "gemeente-chat"
BOT_NAME = "Digitale assistent"
BOT_ID = "digitale-assistent"
TRANSCRIPT_TYPE = "chattranscript"
INHOUD_MAX = 1000
REACTIE_MAX = 4000
#: Outcomes that mean the contact did not come about (the resident never answered).
NOT_REACHED = frozenset({"geen_reactie"})
OUTCOME_TEXT = {
    "opgelost": "Opgelost",
    "doorverwezen": "Doorverwezen",
    "terugbelverzoek": "Terugbelverzoek",
    "geen_reactie": "Geen reactie van de inwoner",
    "afgehandeld": "Afgehandeld",
}
# Open Klant's check of a telefoonnummer (DigitaalAdres.adres).
PHONE = re.compile(r"^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$")
# Attempts of one step within one outbox run (lookup + create each); the outbox retries later.
STEP_ATTEMPTS = 3


def reference_number(prefix: str, key: str) -> str:
    """A stable 10-digit ``referentienummer`` (the API's maximum length) for ``key``.

    Open Klant accepts digits only (its model validates the field as an integer: a letter is
    refused with 400 "Voer een geldig geheel getal in."), unique per collection. ``prefix`` (``C``
    klantcontact, ``T`` internetaak) is part of the hashed key: the SHA-256 of it, modulo
    10**10 and zero-padded, is the same on every instance and in every attempt.
    """
    digest = hashlib.sha256(f"{REGISTER}:{prefix}:{key}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**10:010d}"


class ReferenceCollision(KlantbeeldError):
    """Open Klant holds a klantcontact with our referentienummer that is not ours: stop."""


# --- what a registration is made of --------------------------------------------------------------


@dataclass(frozen=True)
class AgentRef:
    """The agent who handled the chat: ``username`` identifies their medewerker actor."""

    username: str
    name: str


@dataclass(frozen=True)
class ContactPerson:
    """Name and contact details the resident left with a call-back request."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ChatContact:
    conversation_id: str
    onderwerp: str
    inhoud: str
    reactie: str | None
    contact_gelukt: bool | None
    verdere_actie: bool
    plaatsgevonden_op: datetime
    metadata: dict[str, str]
    transcript_url: str
    agent: AgentRef | None = None
    partij: str | None = None
    person: ContactPerson | None = None

    @property
    def referentienummer(self) -> str:
        return reference_number("C", f"conversation:{self.conversation_id}")


def contact_gelukt(outcome: str | None) -> bool:
    """``indicatieContactGelukt``: false when the resident could not be reached."""
    return outcome not in NOT_REACHED


def reactie_text(outcome: str | None, summary: str | None) -> str | None:
    """``reactie`` (the answer given): the outcome and the agent's closing summary."""
    parts = [OUTCOME_TEXT.get(outcome or "", outcome or "")] if outcome else []
    if summary:
        parts.append(summary)
    return truncate_text(". ".join(p for p in parts if p), REACTIE_MAX) or None


def context_metadata(
    channel: str | None,
    utm: dict[str, str] | None,
    page: str | None,
    referrer: str | None,
    handover_reason: str | None,
    topic: str | None,
) -> dict[str, str]:
    """The chat's context for ``metadata`` (string values of at most 255 characters)."""
    values: dict[str, str | None] = {
        "kanaal_detail": channel,
        "pagina": page,
        "verwijzer": referrer,
        "reden_overdracht": handover_reason,
        "product": topic,
    }
    for key, value in (utm or {}).items():
        name = key if key.startswith("utm_") else f"utm_{key}"
        values[name[:40]] = value
    return {k: str(v)[:255] for k, v in values.items() if v}


def split_name(name: str) -> ContactnaamCreate:
    """A name as typed ("Jan de Vries") into ``contactnaam``: first word, rest as surname."""
    words = name.split()
    if len(words) == 1:
        return ContactnaamCreate(voornaam=words[0][:200])
    return ContactnaamCreate(voornaam=words[0][:200], achternaam=" ".join(words[1:])[:200])


def digital_addresses(person: ContactPerson) -> list[tuple[str, SoortDigitaalAdres]]:
    found: list[tuple[str, SoortDigitaalAdres]] = []
    if person.phone:
        number = re.sub(r"[\s().-]", "", person.phone)
        found.append(
            (number, SoortDigitaalAdres.TELEFOONNUMMER)
            if PHONE.match(number)
            else (person.phone.strip()[:80], SoortDigitaalAdres.OVERIG)
        )
    if person.email:
        found.append((person.email.strip()[:80], SoortDigitaalAdres.EMAIL))
    return found


# --- exactly once ----------------------------------------------------------------------------------

Lookup = Callable[[], Awaitable[str | None]]
Create = Callable[[], Awaitable[str]]
#: Failures after which the server may or may not have done the work: look before trying again.
UNCERTAIN = (TransportError, ServerError)


async def once(progress: MutableMapping[str, str], step: str, lookup: Lookup, create: Create) -> str:
    """Do ``step`` exactly once: a URL already in ``progress``, else what ``lookup`` finds, else
    ``create``. When the create's answer is lost, start again with the lookup."""
    if step in progress:
        return progress[step]
    for attempt in range(1, STEP_ATTEMPTS + 1):
        try:
            found = await lookup()
            if found is None:
                found = await create()
            else:
                log.info("registration step %s: adopted %s", step, found)
            progress[step] = found
            return found
        except UNCERTAIN as exc:
            if attempt == STEP_ATTEMPTS:
                raise
            log.info("registration step %s: %s; looking it up before trying again", step, exc)
    raise AssertionError("unreachable")  # pragma: no cover


async def _first(items: object) -> str | None:
    async for item in items:  # type: ignore[attr-defined]
        return str(item.url)
    return None


async def ensure_actor(
    client: KlantinteractiesClient,
    progress: MutableMapping[str, str],
    step: str,
    *,
    naam: str,
    soort: SoortActor,
    identifier: str,
) -> str:
    """The actor identified by ``identifier`` in our register (found, else created); reused by
    every contact, so one agent is one medewerker actor however many chats they handle."""
    kind = {
        SoortActor.MEDEWERKER: "medewerker",
        SoortActor.GEAUTOMATISEERDE_ACTOR: "chatbot",
        SoortActor.ORGANISATORISCHE_EENHEID: "team",
    }[soort]

    async def lookup() -> str | None:
        return await _first(
            client.list_actoren(
                actoridentificatorObjectId=identifier, actoridentificatorCodeRegister=REGISTER, soortActor=soort.value
            )
        )

    async def create() -> str:
        actor = await client.create_actor(
            ActorCreate(
                naam=naam[:200],
                soort_actor=soort,
                actoridentificator=IdentificatorCreate(
                    code_objecttype=kind,
                    code_register=REGISTER,
                    code_soort_object_id="gebruikersnaam",
                    object_id=identifier[:200],
                ),
            )
        )
        return actor.url

    return await once(progress, step, lookup, create)


async def register_chat_contact(
    client: KlantinteractiesClient,
    contact: ChatContact,
    progress: MutableMapping[str, str],
) -> MutableMapping[str, str]:
    """Register one chat in Open Klant; ``progress`` (step -> URL) is filled as steps finish.

    Steps: ``klantcontact``; ``betrokkene`` (rol klant, initiator, the partij when known, the
    call-back's ``contactnaam``); ``digitaal_adres:<adres>`` for the call-back's phone and
    e-mail; ``actor:bot`` and ``actor:agent``; ``link:bot`` and ``link:agent``
    (actorklantcontacten); ``bijlage`` (the transcript). Raises the client's error when a step
    fails; whatever is in ``progress`` by then is done.
    """
    referentienummer = contact.referentienummer

    async def find_contact() -> str | None:
        async for found in client.list_klantcontacten(referentienummer=referentienummer):
            if found.referentienummer != referentienummer:
                continue  # a server that ignores the filter
            same_time = (
                found.plaatsgevonden_op is not None
                and abs((found.plaatsgevonden_op - contact.plaatsgevonden_op).total_seconds()) < 1
            )
            if found.kanaal != "chat" or not same_time:
                raise ReferenceCollision(
                    f"klantcontact {found.url} has referentienummer {referentienummer} but is not the "
                    f"chat of conversation {contact.conversation_id}"
                )
            return found.url
        return None

    async def make_contact() -> str:
        created = await client.create_klantcontact(
            KlantcontactCreate(
                kanaal="chat",
                onderwerp=contact.onderwerp[:200],
                inhoud=truncate_text(contact.inhoud, INHOUD_MAX),
                reactie=contact.reactie,
                taal="nld",
                vertrouwelijk=False,
                plaatsgevonden_op=contact.plaatsgevonden_op,
                # Open Klant refuses verdereActieOndernomen with indicatieContactGelukt true (400
                # no-further-action-when-contact-succesful): with a call-back to follow, "gelukt" is open.
                indicatie_contact_gelukt=None
                if contact.verdere_actie and contact.contact_gelukt
                else contact.contact_gelukt,
                verdere_actie_ondernomen=contact.verdere_actie,
                referentienummer=referentienummer,
                metadata=contact.metadata or None,
            )
        )
        return created.url

    klantcontact = await once(progress, "klantcontact", find_contact, make_contact)
    contact_uuid = uuid_of(klantcontact)

    async def find_betrokkene() -> str | None:
        return await _first(client.list_betrokkenen(hadKlantcontact__uuid=contact_uuid))

    async def make_betrokkene() -> str:
        person = contact.person
        created = await client.create_betrokkene(
            BetrokkeneCreate(
                rol=Rol.KLANT,
                initiator=True,
                klantcontact=klantcontact,
                partij=contact.partij,
                contactnaam=split_name(person.name) if person and person.name and person.name.strip() else None,
            )
        )
        return created.url

    betrokkene = await once(progress, "betrokkene", find_betrokkene, make_betrokkene)

    for adres, soort in digital_addresses(contact.person) if contact.person else []:

        async def find_adres(adres: str = adres) -> str | None:
            return await _first(
                client.list_digitale_adressen(verstrektDoorBetrokkene__uuid=uuid_of(betrokkene), adres=adres)
            )

        async def make_adres(adres: str = adres, soort: SoortDigitaalAdres = soort) -> str:
            created = await client.create_digitaal_adres(
                DigitaalAdresCreate(
                    adres=adres,
                    soort_digitaal_adres=soort,
                    verstrekt_door_betrokkene=betrokkene,
                    omschrijving="Terugbelverzoek chat",
                )
            )
            return created.url

        await once(progress, f"digitaal_adres:{adres}", find_adres, make_adres)

    actors = [
        (
            "bot",
            await ensure_actor(
                client, progress, "actor:bot", naam=BOT_NAME, soort=SoortActor.GEAUTOMATISEERDE_ACTOR, identifier=BOT_ID
            ),
        )
    ]
    if contact.agent is not None:
        actors.append(
            (
                "agent",
                await ensure_actor(
                    client,
                    progress,
                    "actor:agent",
                    naam=contact.agent.name,
                    soort=SoortActor.MEDEWERKER,
                    identifier=contact.agent.username,
                ),
            )
        )
    for role, actor in actors:

        async def find_link(actor: str = actor) -> str | None:
            return await _first(
                client.list_actorklantcontacten(actor__uuid=uuid_of(actor), klantcontact__uuid=contact_uuid)
            )

        async def make_link(actor: str = actor) -> str:
            return (await client.link_actor(actor, klantcontact)).url

        await once(progress, f"link:{role}", find_link, make_link)

    async def find_bijlage() -> str | None:
        return await _first(
            client.list_bijlagen(klantcontact__uuid=contact_uuid, bijlageidentificatorCodeObjecttype=TRANSCRIPT_TYPE)
        )

    async def make_bijlage() -> str:
        created = await client.create_bijlage(
            klantcontact,
            IdentificatorCreate(
                code_objecttype=TRANSCRIPT_TYPE,
                code_register=REGISTER,
                code_soort_object_id="url",
                object_id=contact.transcript_url,
            ),
        )
        return created.url

    await once(progress, "bijlage", find_bijlage, make_bijlage)
    return progress


async def register_callback_task(
    client: KlantinteractiesClient,
    *,
    callback_id: int,
    klantcontact: str,
    team_key: str,
    team_name: str,
    gevraagde_handeling: str,
    toelichting: str | None,
    progress: MutableMapping[str, str],
) -> str:
    """The call-back's internetaak (te_verwerken), assigned to the team's actor; exactly once
    through its referentienummer, derived from the call-back request's id."""
    team = await ensure_actor(
        client,
        progress,
        "actor:team",
        naam=team_name,
        soort=SoortActor.ORGANISATORISCHE_EENHEID,
        identifier=f"team:{team_key}",
    )
    referentienummer = reference_number("T", f"callback:{callback_id}")

    async def find() -> str | None:
        return await _first(
            client.list_internetaken(
                referentienummer=referentienummer, aanleidinggevendKlantcontact__uuid=uuid_of(klantcontact)
            )
        )

    async def make() -> str:
        created = await client.create_internetaak(
            InterneTaakCreate(
                referentienummer=referentienummer,
                gevraagde_handeling=gevraagde_handeling[:200],
                aanleidinggevend_klantcontact=klantcontact,
                toegewezen_aan_actoren=[team],
                toelichting=truncate_text(toelichting, 1000) if toelichting else None,
            )
        )
        return created.url

    return await once(progress, "internetaak", find, make)


# --- the listener ------------------------------------------------------------------------------------


def catalogue_file(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(__file__).resolve().parents[2] / candidate


class Registration:
    def __init__(self, sessions: Sessions, outbox: Outbox) -> None:
        self.sessions = sessions
        self.outbox = outbox
        self.titles = catalogue_titles(catalogue_file(outbox.settings.catalogue_path))

    async def after_transition(
        self, conversation_id: str, before: lifecycle.Snapshot, decision: lifecycle.Decision
    ) -> None:
        state = decision.snapshot.state
        if state is lifecycle.State.CLOSED:
            agent = await agents.view(self.sessions, before.agent_id) if before.agent_id else None
            await register_contact(self.sessions, conversation_id, agent.name if agent else None, self.titles)
            await self.outbox.contact_closed(
                conversation_id, agent={"username": agent.username, "name": agent.name} if agent else None
            )
        elif state is lifecycle.State.CALLBACK_REQUESTED:
            async with self.sessions() as session:
                task_id = (
                    await session.execute(
                        select(CallbackTask.id)
                        .where(CallbackTask.conversation_id == conversation_id)
                        .order_by(CallbackTask.id.desc())
                        .limit(1)
                    )
                ).scalar()
            if task_id is not None:
                await self.outbox.callback_requested(conversation_id, int(task_id))
