"""Use cases the handover service's outbox runs: pure client orchestration, no storage.

Each function is a sequence of API calls. When one call fails after the client's own
retries, :class:`RegistrationIncomplete` says which steps already succeeded; pass its
``progress`` back as ``resume=`` and the next attempt continues where this one stopped
instead of creating a second klantcontact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .errors import KlantbeeldError
from .klantinteracties import KlantinteractiesClient
from .models import (
    ApiObject,
    BetrokkeneCreate,
    IdentificatorCreate,
    InterneTaak,
    InterneTaakCreate,
    KlantcontactCreate,
    Portaalformulier,
    Rol,
    SoortActor,
    TaakData,
    TaakStatus,
)
from .objects import ObjectsClient
from .text import truncate_text

INHOUD_MAX = 1000


@dataclass
class ChatContactRegistration:
    """URLs (and the klantcontact's UUID) of what :func:`register_chat_contact` made."""

    klantcontact_url: str | None = None
    klantcontact_uuid: str | None = None
    betrokkene_url: str | None = None
    bot_actor_url: str | None = None
    agent_actor_url: str | None = None
    actorklantcontact_urls: list[str] = field(default_factory=list)
    bijlage_url: str | None = None
    # Actor URLs already linked, so a resumed run does not link them twice.
    linked_actor_urls: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.klantcontact_url is not None and self.bijlage_url is not None


class RegistrationIncomplete(KlantbeeldError):
    """A step failed; ``progress`` holds what was created, ``__cause__`` says why."""

    def __init__(self, step: str, progress: ChatContactRegistration, cause: Exception) -> None:
        self.step = step
        self.progress = progress
        self.cause = cause
        super().__init__(f"chat contact registration stopped at {step}: {cause}")

    def __repr__(self) -> str:
        return f"RegistrationIncomplete(step={self.step!r}, progress={self.progress!r})"


async def register_chat_contact(
    client: KlantinteractiesClient,
    *,
    summary: str,
    onderwerp: str,
    transcript_url: str,
    bot_name: str,
    agent_name: str | None = None,
    partij: str | None = None,
    plaatsgevonden_op: datetime | None = None,
    kanaal: str = "chat",
    vertrouwelijk: bool = False,
    transcript_register: str = "gemeente-chat",
    resume: ChatContactRegistration | None = None,
) -> ChatContactRegistration:
    """Register one chat conversation in the klantbeeld.

    Creates, in order: the klantcontact with its betrokkene (rol ``klant``, linked to
    ``partij`` when known) through ``maak-klantcontact``; the bot as
    ``geautomatiseerde_actor`` and the agent as ``medewerker`` (reused when they already
    exist), each linked through ``actorklantcontacten``; and a bijlage that points at
    ``transcript_url`` (the API stores references, not documents).

    ``summary`` goes into ``inhoud`` and is shortened with :func:`truncate_text` when it is
    over 1000 characters: the full transcript is attached, and an outbox item must not
    fail forever on a long summary. ``onderwerp`` over 200 characters is refused.
    """
    progress = resume or ChatContactRegistration()
    step = "klantcontact"
    try:
        if progress.klantcontact_url is None:
            created = await client.maak_klantcontact(
                KlantcontactCreate(
                    kanaal=kanaal,
                    onderwerp=onderwerp,
                    inhoud=truncate_text(summary, INHOUD_MAX),
                    taal="nld",
                    vertrouwelijk=vertrouwelijk,
                    plaatsgevonden_op=plaatsgevonden_op,
                    indicatie_contact_gelukt=True,
                ),
                betrokkene=BetrokkeneCreate(rol=Rol.KLANT, initiator=True, partij=partij),
            )
            progress.klantcontact_url = created.klantcontact.url
            progress.klantcontact_uuid = created.klantcontact.uuid
            progress.betrokkene_url = created.betrokkene.url if created.betrokkene else None
        klantcontact = progress.klantcontact_url

        step = "bot actor"
        if progress.bot_actor_url is None:
            bot = await client.ensure_actor(bot_name, SoortActor.GEAUTOMATISEERDE_ACTOR)
            progress.bot_actor_url = bot.url
        if agent_name is not None and progress.agent_actor_url is None:
            step = "agent actor"
            agent = await client.ensure_actor(agent_name, SoortActor.MEDEWERKER)
            progress.agent_actor_url = agent.url

        for actor_url in (progress.bot_actor_url, progress.agent_actor_url):
            if actor_url is None or actor_url in progress.linked_actor_urls:
                continue
            step = "actorklantcontact"
            link = await client.link_actor(actor_url, klantcontact)
            progress.actorklantcontact_urls.append(link.url)
            progress.linked_actor_urls.append(actor_url)

        step = "bijlage"
        if progress.bijlage_url is None:
            bijlage = await client.create_bijlage(
                klantcontact,
                IdentificatorCreate(
                    code_objecttype="chattranscript",
                    code_register=transcript_register,
                    code_soort_object_id="url",
                    object_id=transcript_url,
                ),
            )
            progress.bijlage_url = bijlage.url
    except KlantbeeldError as exc:
        if progress.klantcontact_url is None:
            raise  # nothing was created: the plain error says it all
        raise RegistrationIncomplete(step, progress, exc) from exc
    return progress


async def create_callback_task(
    client: KlantinteractiesClient,
    *,
    klantcontact: str,
    gevraagde_handeling: str,
    actoren: Sequence[str],
    toelichting: str | None = None,
) -> InterneTaak:
    """An internetaak (status ``te_verwerken``) asking ``actoren`` to call the resident
    back about ``klantcontact``. Actors and klantcontact are UUIDs or URLs."""
    return await client.create_internetaak(
        InterneTaakCreate(
            gevraagde_handeling=gevraagde_handeling,
            aanleidinggevend_klantcontact=klantcontact,
            toegewezen_aan_actoren=list(actoren),
            toelichting=toelichting,
        )
    )


async def publish_concept_request(
    objects: ObjectsClient,
    *,
    titel: str,
    formulier_url: str,
    prefill: dict[str, Any],
    eigenaar: str,
    betrokkene: str | None = None,
    verloopdatum: date | None = None,
    koppeling: dict[str, Any] | None = None,
    uuid: str | None = None,
) -> ApiObject:
    """Publish a concept request as an Open Inwoner "taak" (soort ``portaalformulier``).

    ``prefill`` becomes ``portaalformulier.data``, which Open Formulieren reads through
    ``?initial_data_reference=<object uuid>``. ``betrokkene`` identifies the resident
    (e.g. their partij URL). Pass ``uuid`` so a retried publish cannot make a duplicate.
    """
    taak = TaakData(
        titel=titel,
        status=TaakStatus.OPEN,
        soort="portaalformulier",
        eigenaar=eigenaar,
        verloopdatum=verloopdatum,
        koppeling=koppeling,
        betrokkene=betrokkene,
        portaalformulier=Portaalformulier(
            formulier={"soort": "url", "value": formulier_url}, data=prefill
        ),
    )
    return await objects.create_object(taak.model_dump(mode="json", exclude_none=True), uuid=uuid)


async def set_taak_status(
    objects: ObjectsClient, uuid_or_url: str, status: TaakStatus
) -> ApiObject:
    """Change only the status of a taak (PATCH merges it into the current data)."""
    return await objects.patch_object(uuid_or_url, {"status": status.value})
