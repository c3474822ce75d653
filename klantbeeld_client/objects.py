"""Client of the Objects API 2.x: create, read, update and list objects of one objecttype."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from types import TracebackType
from typing import Any

import httpx

from .http import ApiConfig, HttpClient
from .klantinteracties import parse
from .models import ApiObject, uuid_of

# Writes must state the coordinate reference system, even without geometry.
CRS_HEADERS = {"Content-Crs": "EPSG:4326"}


class ObjectsClient:
    """Objects of one objecttype; ``objecttype_url`` and ``type_version`` come from config.

    ``objecttype_url`` is the URL of the type in the Objecttypes API, e.g.
    ``https://objecttypen.example.nl/api/v2/objecttypes/<uuid>``.
    """

    def __init__(
        self,
        config: ApiConfig,
        objecttype_url: str,
        type_version: int,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if "://" not in objecttype_url:
            raise ValueError(f"objecttype_url must be a URL, got {objecttype_url!r}")
        self.http = HttpClient(config, client)
        self.objecttype_url = objecttype_url
        self.type_version = type_version

    async def __aenter__(self) -> ObjectsClient:
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

    def _record(self, data: dict[str, Any], start_at: date | None) -> dict[str, Any]:
        return {
            "typeVersion": self.type_version,
            "data": data,
            "startAt": (start_at or date.today()).isoformat(),
        }

    async def _send(self, method: str, path: str, body: dict[str, Any], retry: bool | None = None) -> ApiObject:
        result = await self.http.request(method, path, json_body=body, headers=CRS_HEADERS, retry=retry)
        return parse(ApiObject, result, method, self.http.url(path))

    async def create_object(
        self,
        data: dict[str, Any],
        *,
        start_at: date | None = None,
        uuid: str | None = None,
    ) -> ApiObject:
        """Create an object. Pass ``uuid`` to make a retried create land on the same id."""
        body: dict[str, Any] = {
            "type": self.objecttype_url,
            "record": self._record(data, start_at),
        }
        if uuid is not None:
            body["uuid"] = uuid_of(uuid)
        return await self._send("POST", "objects", body)

    async def get_object(self, uuid_or_url: str) -> ApiObject:
        path = f"objects/{uuid_of(uuid_or_url)}"
        result = await self.http.request("GET", path)
        return parse(ApiObject, result, "GET", self.http.url(path))

    async def replace_object(
        self, uuid_or_url: str, data: dict[str, Any], *, start_at: date | None = None, retry: bool | None = None
    ) -> ApiObject:
        """PUT: a new record whose data is exactly ``data``.

        Every successful write is a new record version, so a blind repeat after a lost answer
        adds one more: pass ``retry=False`` and look (``get_object``) before writing again."""
        body = {"type": self.objecttype_url, "record": self._record(data, start_at)}
        return await self._send("PUT", f"objects/{uuid_of(uuid_or_url)}", body, retry)

    async def patch_object(
        self, uuid_or_url: str, data: dict[str, Any], *, start_at: date | None = None, retry: bool | None = None
    ) -> ApiObject:
        """PATCH: a new record; the server merges ``data`` recursively into the current one.
        ``retry`` as for :meth:`replace_object`."""
        body = {"record": self._record(data, start_at)}
        return await self._send("PATCH", f"objects/{uuid_of(uuid_or_url)}", body, retry)

    def list_objects(self, **params: str | int | bool) -> AsyncIterator[ApiObject]:
        """Objects of the configured type; extra filters as the API names them,
        e.g. ``data_attr="status__exact__open"``."""
        query: dict[str, str | int | bool] = {"type": self.objecttype_url, **params}
        return self._list(query)

    async def _list(self, query: dict[str, str | int | bool]) -> AsyncIterator[ApiObject]:
        url = self.http.url("objects")
        async for item in self.http.paginate("objects", query):
            yield parse(ApiObject, item, "GET", url)
