"""Typed models of what the client sends (``XCreate``) and what it reads back (``X``).

Attributes are snake_case; the wire names are camelCase aliases (``plaatsgevonden_op`` is
``plaatsgevondenOp``). Read models are deliberately lenient so they accept what a real
Open Klant 2.18 server sends even where it breaks its own spec: address fields and
``hoofdOnderwerpType`` may be ``""``, ``nummer`` may be ``null``, lists carry ``_expand``,
and unknown members are kept (``extra="allow"``) rather than rejected, so a newer server
does not break an older client. Write models are strict: datetimes must carry an offset,
and :meth:`WriteModel.check_lengths` refuses values the API would reject.
"""

from __future__ import annotations

import enum
import uuid as uuid_module
from datetime import date
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .errors import FieldTooLong

# --- shared helpers --------------------------------------------------------------------


def uuid_of(uuid_or_url: str) -> str:
    """The UUID of a resource given its UUID or its URL (last path segment)."""
    candidate = uuid_or_url
    if "://" in uuid_or_url:
        candidate = urlsplit(uuid_or_url).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        return str(uuid_module.UUID(candidate))
    except ValueError:
        raise ValueError(f"not a UUID or a URL ending in one: {uuid_or_url!r}") from None


def ref(uuid_or_url: str) -> dict[str, str]:
    """A foreign-key reference as the Klantinteracties API wants it on writes."""
    return {"uuid": uuid_of(uuid_or_url)}


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )


class WriteModel(_Model):
    """A request body. ``MAX_LENGTHS`` maps attribute names to the API's maximum length."""

    model_config = ConfigDict(extra="forbid")
    MAX_LENGTHS: ClassVar[dict[str, int]] = {}

    def check_lengths(self) -> None:
        """Raise :class:`FieldTooLong` for the first value the API would reject."""
        for name, limit in self.MAX_LENGTHS.items():
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                raise FieldTooLong(to_camel(name), len(value), limit)

    def to_wire(self) -> dict[str, Any]:
        self.check_lengths()
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Reference(_Model):
    """A link to another resource: ``{"uuid": ..., "url": ...}``."""

    uuid: str
    url: str = ""


# --- enums -----------------------------------------------------------------------------


class SoortActor(enum.StrEnum):
    MEDEWERKER = "medewerker"
    GEAUTOMATISEERDE_ACTOR = "geautomatiseerde_actor"
    ORGANISATORISCHE_EENHEID = "organisatorische_eenheid"


class Rol(enum.StrEnum):
    KLANT = "klant"
    VERTEGENWOORDIGER = "vertegenwoordiger"


class SoortPartij(enum.StrEnum):
    PERSOON = "persoon"
    ORGANISATIE = "organisatie"
    CONTACTPERSOON = "contactpersoon"


class SoortDigitaalAdres(enum.StrEnum):
    EMAIL = "email"
    TELEFOONNUMMER = "telefoonnummer"
    OVERIG = "overig"


class InterneTaakStatus(enum.StrEnum):
    TE_VERWERKEN = "te_verwerken"
    VERWERKT = "verwerkt"


class TaakStatus(enum.StrEnum):
    """Status of an Open Inwoner "taak" object in the Objects API."""

    OPEN = "open"
    AFGEROND = "afgerond"
    VERWERKT = "verwerkt"
    GESLOTEN = "gesloten"


# --- read models: Klantinteracties -----------------------------------------------------


class Adres(_Model):
    """``bezoekadres``/``correspondentieadres``; the real server sends ``""`` when unset."""

    nummeraanduiding_id: str | None = None
    straatnaam: str | None = None
    huisnummer: int | None = None
    huisnummertoevoeging: str | None = None
    postcode: str | None = None
    stad: str | None = None
    adresregel1: str | None = None
    adresregel2: str | None = None
    adresregel3: str | None = None
    land: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class Identificator(_Model):
    """``codeObjecttype``/``codeRegister``/``codeSoortObjectId``/``objectId`` groups."""

    code_objecttype: str | None = None
    code_register: str | None = None
    code_soort_object_id: str | None = None
    object_id: str | None = None


class Partij(_Model):
    uuid: str
    url: str
    nummer: str | None = None
    soort_partij: str | None = None
    indicatie_actief: bool | None = None
    indicatie_geheimhouding: bool | None = None
    voorkeurstaal: str | None = None
    interne_notitie: str | None = None
    bezoekadres: Adres | None = None
    correspondentieadres: Adres | None = None
    partij_identificatie: dict[str, Any] | None = None
    partij_identificatoren: list[Any] | None = None
    betrokkenen: list[Reference] = Field(default_factory=list)
    digitale_adressen: list[Reference] | None = None
    expand: dict[str, Any] = Field(default_factory=dict, alias="_expand")


class PartijIdentificator(_Model):
    uuid: str | None = None
    url: str
    identificeerde_partij: Reference | None = None
    partij_identificator: Identificator | None = None


class Actor(_Model):
    uuid: str
    url: str
    naam: str | None = None
    soort_actor: str | None = None
    indicatie_actief: bool | None = None
    actoridentificator: Identificator | None = None
    actor_identificatie: dict[str, Any] | None = None


class ActorKlantcontact(_Model):
    uuid: str
    url: str
    actor: Reference
    klantcontact: Reference


class Klantcontact(_Model):
    uuid: str
    url: str
    nummer: str | None = None  # deprecated; a real server leaves it null
    referentienummer: str | None = None
    kanaal: str
    onderwerp: str
    inhoud: str | None = None
    reactie: str | None = None
    taal: str
    vertrouwelijk: bool
    indicatie_contact_gelukt: bool | None = None
    hoofd_onderwerp_type: str | None = None  # a real server sends "" (spec: uri)
    verdere_actie_ondernomen: bool | None = None
    plaatsgevonden_op: AwareDatetime | None = None
    metadata: dict[str, str] | None = None
    had_betrokkenen: list[Reference] = Field(default_factory=list)
    had_betrokken_actoren: list[Actor] = Field(default_factory=list)
    omvatte_bijlagen: list[Reference] = Field(default_factory=list)
    leidde_tot_interne_taken: list[Reference] = Field(default_factory=list)
    ging_over_onderwerpobjecten: list[Reference] = Field(default_factory=list)
    expand: dict[str, Any] = Field(default_factory=dict, alias="_expand")


class Contactnaam(_Model):
    voorletters: str | None = None
    voornaam: str | None = None
    voorvoegsel_achternaam: str | None = None
    achternaam: str | None = None


class Betrokkene(_Model):
    uuid: str
    url: str
    was_partij: Reference | None = None
    had_klantcontact: Reference | None = None
    digitale_adressen: list[Reference] = Field(default_factory=list)
    bezoekadres: Adres | None = None
    correspondentieadres: Adres | None = None
    contactnaam: Contactnaam | None = None
    volledige_naam: str | None = None
    rol: str | None = None
    organisatienaam: str | None = None
    initiator: bool | None = None
    expand: dict[str, Any] = Field(default_factory=dict, alias="_expand")


class DigitaalAdres(_Model):
    uuid: str
    url: str
    verstrekt_door_betrokkene: Reference | None = None
    verstrekt_door_partij: Reference | None = None
    adres: str
    soort_digitaal_adres: str
    is_standaard_adres: bool | None = None
    omschrijving: str | None = None
    referentie: str | None = None


class InterneTaak(_Model):
    uuid: str
    url: str
    nummer: str | None = None
    referentienummer: str | None = None
    gevraagde_handeling: str
    aanleidinggevend_klantcontact: Reference
    toegewezen_aan_actoren: list[Reference] = Field(default_factory=list)
    toelichting: str | None = None
    status: str
    toegewezen_op: AwareDatetime | None = None
    afgehandeld_op: AwareDatetime | None = None


class Bijlage(_Model):
    uuid: str
    url: str
    was_bijlage_van_klantcontact: Reference | None = None
    bijlageidentificator: Identificator | None = None


class Onderwerpobject(_Model):
    uuid: str
    url: str
    klantcontact: Reference | None = None
    was_klantcontact: Reference | None = None
    onderwerpobjectidentificator: Identificator | None = None


class MaakKlantcontactResult(_Model):
    """What ``POST /maak-klantcontact`` returns: the three resources, already linked."""

    klantcontact: Klantcontact
    betrokkene: Betrokkene | None = None
    onderwerpobject: Onderwerpobject | None = None


T = TypeVar("T", bound=BaseModel)


class Page(_Model, Generic[T]):
    """One page of a list endpoint (``count``, ``next``, ``previous``, ``results``)."""

    count: int
    next: str | None = None
    previous: str | None = None
    results: list[T]
    expand: dict[str, Any] = Field(default_factory=dict, alias="_expand")


# --- write models: Klantinteracties ----------------------------------------------------


class IdentificatorCreate(WriteModel):
    MAX_LENGTHS: ClassVar[dict[str, int]] = {
        "code_objecttype": 200,
        "code_register": 200,
        "code_soort_object_id": 200,
        "object_id": 200,
    }
    code_objecttype: str
    code_register: str
    code_soort_object_id: str
    object_id: str


class PartijIdentificatorCreate(WriteModel):
    """An identificator created together with its partij (``partijIdentificatoren`` of a POST)."""

    partij_identificator: IdentificatorCreate


class PartijCreate(WriteModel):
    """A partij. ``partij_identificatoren`` are created in the same request, so a partij is never
    stored without its identificator (a retry can find it by that identificator)."""

    MAX_LENGTHS: ClassVar[dict[str, int]] = {"voorkeurstaal": 3, "interne_notitie": 1000}
    soort_partij: SoortPartij
    indicatie_actief: bool = True
    indicatie_geheimhouding: bool | None = None
    voorkeurstaal: str | None = None
    interne_notitie: str | None = None
    partij_identificatie: dict[str, Any] | None = None
    partij_identificatoren: list[PartijIdentificatorCreate] | None = None

    def check_lengths(self) -> None:
        super().check_lengths()
        for identificator in self.partij_identificatoren or []:
            identificator.partij_identificator.check_lengths()


class KlantcontactCreate(WriteModel):
    """A klantcontact. ``inhoud`` over 1000 characters is refused, not cut: use
    :func:`klantbeeld_client.truncate_text` if a shortened summary is acceptable."""

    MAX_LENGTHS: ClassVar[dict[str, int]] = {
        "kanaal": 50,
        "onderwerp": 200,
        "inhoud": 1000,
        "taal": 3,
        "reactie": 4000,
        "referentienummer": 10,
        "hoofd_onderwerp_type": 200,
    }
    kanaal: str
    onderwerp: str
    inhoud: str | None = None
    reactie: str | None = None
    taal: str = "nld"
    vertrouwelijk: bool = False
    plaatsgevonden_op: AwareDatetime | None = None
    indicatie_contact_gelukt: bool | None = None
    verdere_actie_ondernomen: bool | None = None
    referentienummer: str | None = None
    hoofd_onderwerp_type: str | None = None
    metadata: dict[str, str] | None = None

    def check_lengths(self) -> None:
        super().check_lengths()
        for key, value in (self.metadata or {}).items():
            if len(value) > 255:
                raise FieldTooLong(f"metadata.{key}", len(value), 255)


class ContactnaamCreate(WriteModel):
    MAX_LENGTHS: ClassVar[dict[str, int]] = {
        "voorletters": 10,
        "voornaam": 200,
        "voorvoegsel_achternaam": 10,
        "achternaam": 200,
    }
    voorletters: str | None = None
    voornaam: str | None = None
    voorvoegsel_achternaam: str | None = None
    achternaam: str | None = None


class BetrokkeneCreate(WriteModel):
    """A betrokkene. ``klantcontact`` is omitted inside ``maak-klantcontact``."""

    MAX_LENGTHS: ClassVar[dict[str, int]] = {"organisatienaam": 200}
    rol: Rol = Rol.KLANT
    initiator: bool = True
    klantcontact: str | None = Field(default=None, exclude=True)
    partij: str | None = Field(default=None, exclude=True)
    organisatienaam: str | None = None
    contactnaam: ContactnaamCreate | None = None

    def to_wire(self) -> dict[str, Any]:
        if self.contactnaam is not None:
            self.contactnaam.check_lengths()
        body = super().to_wire()
        if self.klantcontact is not None:
            body["hadKlantcontact"] = ref(self.klantcontact)
        if self.partij is not None:
            body["wasPartij"] = ref(self.partij)
        return body


class ActorCreate(WriteModel):
    MAX_LENGTHS: ClassVar[dict[str, int]] = {"naam": 200}
    naam: str
    soort_actor: SoortActor
    indicatie_actief: bool = True
    actoridentificator: IdentificatorCreate | None = None
    actor_identificatie: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        if self.actoridentificator is not None:
            self.actoridentificator.check_lengths()
        return super().to_wire()


class DigitaalAdresCreate(WriteModel):
    """A phone number or e-mail address, given by a betrokkene (for follow-up of that
    contact) or a partij. The server checks phone numbers against
    ``^(0[1-9][0-9]{8}|\\+[0-9]{9,15}|00[0-9]{7,13})$``; use ``overig`` for anything else."""

    MAX_LENGTHS: ClassVar[dict[str, int]] = {"adres": 80, "omschrijving": 40, "referentie": 50}
    adres: str
    soort_digitaal_adres: SoortDigitaalAdres
    verstrekt_door_betrokkene: str | None = Field(default=None, exclude=True)
    verstrekt_door_partij: str | None = Field(default=None, exclude=True)
    omschrijving: str | None = None
    referentie: str | None = None
    is_standaard_adres: bool | None = None

    def to_wire(self) -> dict[str, Any]:
        body = super().to_wire()
        if self.verstrekt_door_betrokkene is not None:
            body["verstrektDoorBetrokkene"] = ref(self.verstrekt_door_betrokkene)
        # Open Klant requires the key (400 "verstrektDoorPartij: Dit veld is vereist."), null allowed.
        body["verstrektDoorPartij"] = (
            ref(self.verstrekt_door_partij) if self.verstrekt_door_partij is not None else None
        )
        return body


class InterneTaakCreate(WriteModel):
    MAX_LENGTHS: ClassVar[dict[str, int]] = {
        "gevraagde_handeling": 200,
        "toelichting": 1000,
        "referentienummer": 10,
    }
    referentienummer: str | None = None
    gevraagde_handeling: str
    aanleidinggevend_klantcontact: str = Field(exclude=True)
    toegewezen_aan_actoren: list[str] = Field(exclude=True, min_length=1)
    toelichting: str | None = None
    status: InterneTaakStatus = InterneTaakStatus.TE_VERWERKEN

    def to_wire(self) -> dict[str, Any]:
        body = super().to_wire()
        body["aanleidinggevendKlantcontact"] = ref(self.aanleidinggevend_klantcontact)
        body["toegewezenAanActoren"] = [ref(a) for a in self.toegewezen_aan_actoren]
        return body


class OnderwerpobjectCreate(WriteModel):
    klantcontact: str | None = Field(default=None, exclude=True)
    onderwerpobjectidentificator: IdentificatorCreate

    def to_wire(self) -> dict[str, Any]:
        self.onderwerpobjectidentificator.check_lengths()
        body = super().to_wire()
        if self.klantcontact is not None:
            body["klantcontact"] = ref(self.klantcontact)
        return body


# --- Objects API -----------------------------------------------------------------------


class ObjectRecord(_Model):
    index: int | None = None
    type_version: int
    data: dict[str, Any] = Field(default_factory=dict)
    geometry: dict[str, Any] | None = None
    start_at: date
    end_at: date | None = None
    registration_at: date | None = None
    correction_for: int | None = None
    corrected_by: int | None = None


class ApiObject(_Model):
    """An object of the Objects API (named so it does not shadow ``object``)."""

    url: str
    uuid: str
    type: str
    record: ObjectRecord


class _SnakeModel(BaseModel):
    """``record.data`` of a taak: the objecttype's own names, sent as they are (no camelCase
    aliases: a strict schema refuses ``verzondenData`` where it has ``verzonden_data``)."""

    model_config = ConfigDict(extra="forbid")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class TaakSoort(enum.StrEnum):
    URL = "url"
    EXTERNFORMULIER = "externformulier"
    PORTAALFORMULIER = "portaalformulier"
    STANDAARDFORMULIER = "standaardformulier"
    OGONEBETALING = "ogonebetaling"
    VRIJ = "vrij"


class TaakIdentificatie(_SnakeModel):
    """Who the taak is for: ``{"type": "bsn", "value": "123456782"}`` (or ``kvk``, 8 digits)."""

    type: Literal["bsn", "kvk"]
    value: str = Field(pattern=r"^([0-9]{9}|[0-9]{8})$")


class LegalSubject(_SnakeModel):
    identifier: str


class Authorizee(_SnakeModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True, validate_by_alias=True
    )
    legal_subject: LegalSubject


class TaakBetrokkene(_SnakeModel):
    """The resident as Open Inwoner reads it for a form taak; these members are camelCase."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True, validate_by_alias=True
    )
    source: Literal["digid", "eherkenning"]
    authorizee: Authorizee
    level_of_assurance: str

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Formulier(_SnakeModel):
    soort: str = "url"
    value: str


class Portaalformulier(_SnakeModel):
    """The form part of a taak: ``formulier`` to open, ``data`` to prefill it with, and
    ``verzonden_data`` once the resident has sent it (snake_case on the wire)."""

    formulier: Formulier
    data: dict[str, Any] = Field(default_factory=dict)
    verzonden_data: dict[str, Any] | None = None


class TaakKoppeling(_SnakeModel):
    registratie: Literal["zaak", "product"]
    value: str


class TaakData(_SnakeModel):
    """``record.data`` of an Open Inwoner "taak" (OIP klanttaak) object.

    Wire names are exactly the objecttype's: snake_case (``verwerker_taak_id``,
    ``verzonden_data``, ``verloopdatum`` as a date-time with offset), except inside
    ``betrokkene``, whose members Open Inwoner reads in camelCase. Use :meth:`to_wire`.
    """

    titel: str = Field(max_length=200)
    status: TaakStatus = TaakStatus.OPEN
    soort: TaakSoort = TaakSoort.EXTERNFORMULIER
    verwerker_taak_id: uuid_module.UUID
    eigenaar: str
    identificatie: TaakIdentificatie
    betrokkene: TaakBetrokkene | None = None
    toelichting: str | None = None
    verloopdatum: AwareDatetime | None = None
    koppeling: TaakKoppeling | None = None
    portaalformulier: Portaalformulier | None = None
    task_url: dict[str, str] | None = None

    def to_wire(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", exclude_none=True, exclude={"betrokkene"})
        if self.betrokkene is not None:
            body["betrokkene"] = self.betrokkene.to_wire()
        return body


__all__ = [
    "Actor",
    "ActorCreate",
    "ActorKlantcontact",
    "Adres",
    "ApiObject",
    "Betrokkene",
    "BetrokkeneCreate",
    "Bijlage",
    "Contactnaam",
    "ContactnaamCreate",
    "DigitaalAdres",
    "DigitaalAdresCreate",
    "Identificator",
    "IdentificatorCreate",
    "InterneTaak",
    "InterneTaakCreate",
    "InterneTaakStatus",
    "Klantcontact",
    "KlantcontactCreate",
    "MaakKlantcontactResult",
    "ObjectRecord",
    "Onderwerpobject",
    "OnderwerpobjectCreate",
    "Page",
    "Partij",
    "PartijCreate",
    "PartijIdentificator",
    "Formulier",
    "Portaalformulier",
    "Reference",
    "Rol",
    "SoortActor",
    "SoortDigitaalAdres",
    "SoortPartij",
    "TaakBetrokkene",
    "TaakData",
    "TaakIdentificatie",
    "TaakKoppeling",
    "TaakSoort",
    "TaakStatus",
    "WriteModel",
    "ref",
    "uuid_of",
]
