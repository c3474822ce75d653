"""Client of the Klantinteracties API 0.9.0 (Open Klant 2.x): one method per call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .errors import UnexpectedResponse
from .http import ApiConfig, HttpClient, Params
from .models import (
    Actor,
    ActorCreate,
    ActorKlantcontact,
    Betrokkene,
    BetrokkeneCreate,
    Bijlage,
    DigitaalAdres,
    DigitaalAdresCreate,
    IdentificatorCreate,
    InterneTaak,
    InterneTaakCreate,
    InterneTaakStatus,
    Klantcontact,
    KlantcontactCreate,
    MaakKlantcontactResult,
    Onderwerpobject,
    OnderwerpobjectCreate,
    Partij,
    PartijCreate,
    PartijIdentificator,
    ref,
    uuid_of,
)

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any, method: str, url: str) -> M:
    """Validate a response body into ``model``, or raise :class:`UnexpectedResponse`."""
    try:
        return model.model_validate(body)
    except PydanticValidationError as exc:
        status = 201 if method == "POST" else 200
        raise UnexpectedResponse(status, method, url, body=f"{model.__name__} did not parse: {exc}") from exc


class KlantinteractiesClient:
    """Typed calls of the Klantinteracties API; use as ``async with``.

    Resources can be given as UUID or URL wherever the API takes a reference.
    """

    def __init__(self, config: ApiConfig, client: httpx.AsyncClient | None = None) -> None:
        self.http = HttpClient(config, client)

    async def __aenter__(self) -> KlantinteractiesClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- generic helpers ---------------------------------------------------------------

    async def _create(self, collection: str, model: type[M], body: dict[str, Any]) -> M:
        data = await self.http.request("POST", collection, json_body=body)
        return parse(model, data, "POST", self.http.url(collection))

    async def _get(self, collection: str, model: type[M], uuid_or_url: str) -> M:
        path = f"{collection}/{uuid_of(uuid_or_url)}"
        data = await self.http.request("GET", path)
        return parse(model, data, "GET", self.http.url(path))

    async def _patch(self, collection: str, model: type[M], uuid_or_url: str, body: dict[str, Any]) -> M:
        path = f"{collection}/{uuid_of(uuid_or_url)}"
        data = await self.http.request("PATCH", path, json_body=body)
        return parse(model, data, "PATCH", self.http.url(path))

    async def _list(self, collection: str, model: type[M], params: Params | None) -> AsyncIterator[M]:
        url = self.http.url(collection)
        async for item in self.http.paginate(collection, params):
            yield parse(model, item, "GET", url)

    # --- partijen ----------------------------------------------------------------------

    async def create_partij(self, partij: PartijCreate) -> Partij:
        return await self._create("partijen", Partij, partij.to_wire())

    async def get_partij(self, uuid_or_url: str) -> Partij:
        return await self._get("partijen", Partij, uuid_or_url)

    def list_partijen(self, **params: str | int | bool) -> AsyncIterator[Partij]:
        """All partijen matching the API's query filters, e.g. ``soortPartij="persoon"``."""
        return self._list("partijen", Partij, params)

    async def find_partij_by_bsn(self, bsn: str) -> Partij | None:
        """The first partij identified by this BSN, or ``None``."""
        async for partij in self.list_partijen(
            partijIdentificator__codeSoortObjectId="bsn",
            partijIdentificator__objectId=bsn,
        ):
            return partij
        return None

    # --- partij-identificatoren ----------------------------------------------------------

    async def create_partij_identificator(self, partij: str, identificator: IdentificatorCreate) -> PartijIdentificator:
        """Link e.g. a BSN (``natuurlijk_persoon``/``bsn``/``brp``) to a partij."""
        body = {
            "identificeerdePartij": ref(partij),
            "partijIdentificator": identificator.to_wire(),
        }
        return await self._create("partij-identificatoren", PartijIdentificator, body)

    async def get_partij_identificator(self, uuid_or_url: str) -> PartijIdentificator:
        return await self._get("partij-identificatoren", PartijIdentificator, uuid_or_url)

    def list_partij_identificatoren(self, **params: str | int | bool) -> AsyncIterator[PartijIdentificator]:
        return self._list("partij-identificatoren", PartijIdentificator, params)

    # --- klantcontacten ----------------------------------------------------------------

    async def create_klantcontact(self, klantcontact: KlantcontactCreate) -> Klantcontact:
        return await self._create("klantcontacten", Klantcontact, klantcontact.to_wire())

    async def get_klantcontact(self, uuid_or_url: str) -> Klantcontact:
        return await self._get("klantcontacten", Klantcontact, uuid_or_url)

    def list_klantcontacten(self, **params: str | int | bool) -> AsyncIterator[Klantcontact]:
        """Filters e.g. ``referentienummer``, ``kanaal``, ``hadBetrokkene__wasPartij__uuid``."""
        return self._list("klantcontacten", Klantcontact, params)

    async def maak_klantcontact(
        self,
        klantcontact: KlantcontactCreate,
        betrokkene: BetrokkeneCreate | None = None,
        onderwerpobject: IdentificatorCreate | None = None,
    ) -> MaakKlantcontactResult:
        """Create a klantcontact with its betrokkene and onderwerpobject in one call."""
        body: dict[str, Any] = {"klantcontact": klantcontact.to_wire()}
        if betrokkene is not None:
            body["betrokkene"] = betrokkene.to_wire()
        if onderwerpobject is not None:
            body["onderwerpobject"] = {"onderwerpobjectidentificator": onderwerpobject.to_wire()}
        return await self._create("maak-klantcontact", MaakKlantcontactResult, body)

    # --- betrokkenen -------------------------------------------------------------------

    async def create_betrokkene(self, betrokkene: BetrokkeneCreate) -> Betrokkene:
        if betrokkene.klantcontact is None:
            raise ValueError("a betrokkene needs klantcontact (its UUID or URL)")
        return await self._create("betrokkenen", Betrokkene, betrokkene.to_wire())

    async def get_betrokkene(self, uuid_or_url: str) -> Betrokkene:
        return await self._get("betrokkenen", Betrokkene, uuid_or_url)

    def list_betrokkenen(self, **params: str | int | bool) -> AsyncIterator[Betrokkene]:
        return self._list("betrokkenen", Betrokkene, params)

    # --- actoren -----------------------------------------------------------------------

    async def create_actor(self, actor: ActorCreate) -> Actor:
        return await self._create("actoren", Actor, actor.to_wire())

    async def get_actor(self, uuid_or_url: str) -> Actor:
        return await self._get("actoren", Actor, uuid_or_url)

    def list_actoren(self, **params: str | int | bool) -> AsyncIterator[Actor]:
        return self._list("actoren", Actor, params)

    async def link_actor(self, actor: str, klantcontact: str) -> ActorKlantcontact:
        """Record that ``actor`` took part in ``klantcontact`` (``actorklantcontacten``)."""
        body = {"actor": ref(actor), "klantcontact": ref(klantcontact)}
        return await self._create("actorklantcontacten", ActorKlantcontact, body)

    def list_actorklantcontacten(self, **params: str | int | bool) -> AsyncIterator[ActorKlantcontact]:
        """Filters: ``actor__uuid``, ``klantcontact__uuid`` (and their ``__url``)."""
        return self._list("actorklantcontacten", ActorKlantcontact, params)

    # --- digitale adressen ---------------------------------------------------------------

    async def create_digitaal_adres(self, adres: DigitaalAdresCreate) -> DigitaalAdres:
        return await self._create("digitaleadressen", DigitaalAdres, adres.to_wire())

    async def get_digitaal_adres(self, uuid_or_url: str) -> DigitaalAdres:
        return await self._get("digitaleadressen", DigitaalAdres, uuid_or_url)

    def list_digitale_adressen(self, **params: str | int | bool) -> AsyncIterator[DigitaalAdres]:
        """Filters e.g. ``verstrektDoorBetrokkene__uuid``, ``adres``, ``soortDigitaalAdres``."""
        return self._list("digitaleadressen", DigitaalAdres, params)

    # --- internetaken ------------------------------------------------------------------

    async def create_internetaak(self, taak: InterneTaakCreate) -> InterneTaak:
        return await self._create("internetaken", InterneTaak, taak.to_wire())

    async def get_internetaak(self, uuid_or_url: str) -> InterneTaak:
        return await self._get("internetaken", InterneTaak, uuid_or_url)

    def list_internetaken(self, **params: str | int | bool) -> AsyncIterator[InterneTaak]:
        return self._list("internetaken", InterneTaak, params)

    async def set_internetaak_status(
        self,
        uuid_or_url: str,
        status: InterneTaakStatus,
        afgehandeld_op: datetime | None = None,
    ) -> InterneTaak:
        """PATCH the status; ``afgehandeld_op`` (with offset) when it becomes verwerkt."""
        body: dict[str, Any] = {"status": status.value}
        if afgehandeld_op is not None:
            if afgehandeld_op.utcoffset() is None:
                raise ValueError("afgehandeld_op needs a time-zone offset")
            body["afgehandeldOp"] = afgehandeld_op.isoformat()
        return await self._patch("internetaken", InterneTaak, uuid_or_url, body)

    # --- bijlagen ----------------------------------------------------------------------

    async def create_bijlage(self, klantcontact: str, identificator: IdentificatorCreate) -> Bijlage:
        """Attach a document to a klantcontact. The API stores a reference only
        (``bijlageidentificator``), never the content: the document lives elsewhere."""
        body = {
            "wasBijlageVanKlantcontact": ref(klantcontact),
            "bijlageidentificator": identificator.to_wire(),
        }
        return await self._create("bijlagen", Bijlage, body)

    async def get_bijlage(self, uuid_or_url: str) -> Bijlage:
        return await self._get("bijlagen", Bijlage, uuid_or_url)

    def list_bijlagen(self, **params: str | int | bool) -> AsyncIterator[Bijlage]:
        return self._list("bijlagen", Bijlage, params)

    # --- onderwerpobjecten -------------------------------------------------------------

    async def create_onderwerpobject(self, onderwerp: OnderwerpobjectCreate) -> Onderwerpobject:
        return await self._create("onderwerpobjecten", Onderwerpobject, onderwerp.to_wire())

    async def get_onderwerpobject(self, uuid_or_url: str) -> Onderwerpobject:
        return await self._get("onderwerpobjecten", Onderwerpobject, uuid_or_url)

    def list_onderwerpobjecten(self, **params: str | int | bool) -> AsyncIterator[Onderwerpobject]:
        return self._list("onderwerpobjecten", Onderwerpobject, params)
