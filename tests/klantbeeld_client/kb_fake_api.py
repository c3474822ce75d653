"""A local HTTP server that plays Open Klant and the Objects API from their OpenAPI documents.

It listens on a real socket on 127.0.0.1 and, for every request:

1. validates it against the spec with openapi-core (path, method, parameters, security,
   body); an invalid request is recorded in ``requests_invalid`` and answered the way
   the real server does: problem+json 400 (401 without token, 404 for unknown paths
   such as a trailing slash);
2. builds the response body from the operation's response schema with
   :class:`ExampleGenerator` (echoing what the client sent where the schema allows);
3. validates that response against the spec too, recording violations in
   ``responses_invalid`` (a test asserts both lists are empty).

Tests steer it with :meth:`FakeApi.fail_next` (canned error answers, e.g. 503 or a
problem+json 400), :attr:`FakeApi.mutate` (rewrite a generated body, used to reproduce
the real server's deviations from its spec) and :attr:`FakeApi.list_total`/``page_size``.

With ``stateful=True`` it keeps what is created (``store``: collection -> uuid -> resource),
answers reads from it and filters lists by the query parameters in ``FILTERS`` (an unknown
filter is recorded as an invalid request, so a test cannot rely on a filter the fake ignores).
:attr:`FakeApi.faults` then decides per request whether it misbehaves like a slow or flaky
server (:class:`Fault`): 502/503 or a connection reset before the work is done, or the same
*after* the resource is stored, or an answer delayed past the client's timeout after storing.

For the Objects API it behaves like Objects API 3.x / Open Object 4.0: with
:attr:`FakeApi.objecttype_schema` set (e.g. :data:`TAAK_SCHEMA`), every ``record.data`` written
(POST, PUT, and PATCH after merging) is validated against it with jsonschema and refused with a
400 when it does not fit; a PUT or PATCH makes a new record (``index`` + 1, all kept in
``records``); a POST with a uuid that exists is refused ("An object with this UUID already
exists"); lists filter on ``type`` and ``data_attr=<key>__exact__<value>``.
"""

from __future__ import annotations

import copy
import enum
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from kb_schema_examples import ExampleGenerator
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from klantbeeld_client import ApiConfig

KLANTINTERACTIES_PREFIX = "/klantinteracties/api/v1"
OBJECTS_PREFIX = "/api/v2"
OBJECTTYPE_URL = "https://objecttypen.example.nl/api/v2/objecttypes/8a3b5f0e-1c2d-4e5f-9a8b-7c6d5e4f3a2b"
TOKEN = "test-token-123"  # noqa: S105 - a fixture value, not a secret

#: A strict taak objecttype (version schema) modelled on what Open Inwoner reads (OIP klanttaak):
#: nothing unknown is allowed anywhere, the resident (``identificatie``) and ``verwerker_taak_id``
#: are required, ``verloopdatum`` is a date-time with offset, and the snake_case names are the
#: standard's own (``verzonden_data``), the ``betrokkene`` members camelCase.
_STRICT: dict[str, Any] = {"type": "object", "additionalProperties": False}
TAAK_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_STRICT,
    "required": ["titel", "status", "soort", "verwerker_taak_id", "eigenaar", "identificatie"],
    "properties": {
        "titel": {"type": "string", "minLength": 1, "maxLength": 200},
        "status": {"enum": ["open", "afgerond", "verwerkt", "gesloten"]},
        "soort": {
            "enum": ["url", "externformulier", "portaalformulier", "standaardformulier", "ogonebetaling", "vrij"]
        },
        "verwerker_taak_id": {"type": "string", "format": "uuid"},
        "eigenaar": {"type": "string", "minLength": 1, "maxLength": 100},
        "toelichting": {"type": "string"},
        "doorlooptijd": {"type": "string"},
        "verloopdatum": {"type": "string", "format": "date-time", "pattern": "(Z|[+-][0-9]{2}:[0-9]{2})$"},
        "identificatie": {
            **_STRICT,
            "required": ["type", "value"],
            "properties": {
                "type": {"enum": ["bsn", "kvk"]},
                "value": {"type": "string", "pattern": "^([0-9]{9}|[0-9]{8})$"},
            },
        },
        "betrokkene": {
            **_STRICT,
            "required": ["source", "authorizee"],
            "properties": {
                "source": {"enum": ["digid", "eherkenning"]},
                "levelOfAssurance": {"type": "string"},
                "authorizee": {
                    **_STRICT,
                    "required": ["legalSubject"],
                    "properties": {
                        "legalSubject": {
                            **_STRICT,
                            "required": ["identifier"],
                            "properties": {"identifier": {"type": "string"}},
                        }
                    },
                },
            },
        },
        "koppeling": {
            **_STRICT,
            "required": ["registratie", "value"],
            "properties": {"registratie": {"enum": ["zaak", "product"]}, "value": {"type": "string", "format": "uuid"}},
        },
        "task_url": {**_STRICT, "required": ["uri"], "properties": {"uri": {"type": "string"}}},
        "portaalformulier": {
            **_STRICT,
            "required": ["formulier"],
            "properties": {
                "formulier": {
                    **_STRICT,
                    "required": ["soort", "value"],
                    "properties": {"soort": {"enum": ["url", "id"]}, "value": {"type": "string"}},
                },
                "data": {"type": "object"},
                "verzonden_data": {"type": "object"},
            },
        },
    },
}


def _inline_nullable_refs(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` for openapi-core, which ignores ``nullable`` next to ``allOf`` (so it
    refused ``"verstrektDoorPartij": null``, which the spec allows and Open Klant requires when
    there is no partij): ``{allOf: [$ref], nullable: true}`` becomes the referenced schema inline
    with ``nullable: true``."""
    original = raw["components"]["schemas"]

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        parts = node.get("allOf")
        if node.get("nullable") and isinstance(parts, list) and len(parts) == 1 and "$ref" in parts[0]:
            target = copy.deepcopy(original[parts[0]["$ref"].rsplit("/", 1)[-1]])
            rest = {k: v for k, v in node.items() if k != "allOf"}
            return {**target, **rest}
        return {key: walk(value) for key, value in node.items()}

    return cast(dict[str, Any], walk(copy.deepcopy(raw)))


@dataclass
class Spec:
    """One OpenAPI document, parsed once per test session."""

    raw: dict[str, Any]
    openapi: OpenAPI
    prefix: str
    routes: list[tuple[re.Pattern[str], str]]

    @classmethod
    def load(cls, path: Path, prefix: str) -> Spec:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        openapi = OpenAPI.from_dict(_inline_nullable_refs(raw))
        routes = []
        for template in raw["paths"]:
            regex = re.sub(r"\{[^}]+\}", "[^/]+", template)
            routes.append((re.compile(f"^{regex}$"), template))
        # Literal paths (/objects/search) win over templated ones (/objects/{uuid}).
        routes.sort(key=lambda route: route[1].count("{"))
        return cls(raw, openapi, prefix, routes)

    def template_for(self, api_path: str) -> str | None:
        for regex, template in self.routes:
            if regex.match(api_path):
                return template
        return None


@dataclass
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Canned:
    status: int
    body: Any = None
    content_type: str = "application/problem+json"
    path_contains: str = ""


class Fault(enum.Enum):
    """How one request goes wrong. ``*_BEFORE``: nothing is done; ``*_AFTER`` and ``SLOW``: the
    server did the work (a create is stored) but the client never gets the answer in time."""

    ERROR_503_BEFORE = "503 before"
    ERROR_502_BEFORE = "502 before"
    RESET_BEFORE = "reset before"
    ERROR_503_AFTER = "503 after"
    ERROR_502_AFTER = "502 after"
    RESET_AFTER = "reset after"
    SLOW = "answer after the client's timeout"


RESET = -1  # status that makes the handler reset the connection instead of answering

#: List filters the stateful fake understands, per collection: query name -> path in the resource.
FILTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "klantcontacten": {"referentienummer": ("referentienummer",), "kanaal": ("kanaal",)},
    "betrokkenen": {"hadKlantcontact__uuid": ("hadKlantcontact", "uuid"), "wasPartij__uuid": ("wasPartij", "uuid")},
    "actoren": {
        "actoridentificatorObjectId": ("actoridentificator", "objectId"),
        "actoridentificatorCodeRegister": ("actoridentificator", "codeRegister"),
        "actoridentificatorCodeObjecttype": ("actoridentificator", "codeObjecttype"),
        "soortActor": ("soortActor",),
        "naam": ("naam",),
        "indicatieActief": ("indicatieActief",),
    },
    "actorklantcontacten": {"actor__uuid": ("actor", "uuid"), "klantcontact__uuid": ("klantcontact", "uuid")},
    "bijlagen": {
        "klantcontact__uuid": ("wasBijlageVanKlantcontact", "uuid"),
        "bijlageidentificatorCodeObjecttype": ("bijlageidentificator", "codeObjecttype"),
        "bijlageidentificatorObjectId": ("bijlageidentificator", "objectId"),
    },
    "digitaleadressen": {
        "verstrektDoorBetrokkene__uuid": ("verstrektDoorBetrokkene", "uuid"),
        "adres": ("adres",),
        "soortDigitaalAdres": ("soortDigitaalAdres",),
    },
    "internetaken": {
        "referentienummer": ("referentienummer",),
        "aanleidinggevendKlantcontact__uuid": ("aanleidinggevendKlantcontact", "uuid"),
        "status": ("status",),
    },
    "partijen": {
        "soortPartij": ("soortPartij",),
        "partijIdentificator__codeSoortObjectId": (
            "partijIdentificatoren",
            "*",
            "partijIdentificator",
            "codeSoortObjectId",
        ),
        "partijIdentificator__objectId": ("partijIdentificatoren", "*", "partijIdentificator", "objectId"),
    },
    "objects": {"type": ("type",), "data_attr": ("record", "data")},
}
PAGING = {"page", "pageSize", "expand"}


def _contact_of_partij(store: dict[str, dict[str, Any]], contact: Any, partij_uuid: str) -> bool:
    """``klantcontacten?hadBetrokkene__wasPartij__uuid=``: a betrokkene links them."""
    return any(
        _at(b, ("hadKlantcontact", "uuid")) == contact.get("uuid") and _at(b, ("wasPartij", "uuid")) == partij_uuid
        for b in store.get("betrokkenen", {}).values()
    )


#: Filters across collections: query name -> (store, item, wanted) -> bool.
JOINS: dict[str, dict[str, Callable[[dict[str, dict[str, Any]], Any, str], bool]]] = {
    "klantcontacten": {"hadBetrokkene__wasPartij__uuid": _contact_of_partij},
}


@dataclass
class FakeApi:
    specs: list[Spec]
    host_url: str = ""
    received: list[Received] = field(default_factory=list)
    requests_invalid: list[str] = field(default_factory=list)
    responses_invalid: list[str] = field(default_factory=list)
    canned: list[Canned] = field(default_factory=list)
    mutate: Callable[[str, str, Any], Any] | None = None
    mutated_violations: list[str] = field(default_factory=list)
    expect_invalid_requests: bool = False  # set by tests that send bad requests on purpose
    list_total: int = 1
    page_size: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)
    stateful: bool = False
    store: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Callable[[str, str], Fault | None] | None = None
    slow_seconds: float = 1.0
    faults_done: list[tuple[str, str, Fault]] = field(default_factory=list)
    objecttype_schema: dict[str, Any] | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # object uuid -> every record

    def stored(self, collection: str) -> list[Any]:
        with self.lock:
            return list(self.store.get(collection, {}).values())

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        times: int = 1,
        content_type: str = "application/problem+json",
        path_contains: str = "",
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``body``."""
        for _ in range(times):
            self.canned.append(Canned(status, body, content_type, path_contains))

    def url(self, prefix: str) -> str:
        return f"{self.host_url}{prefix}"

    # --- request handling --------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        split = urlsplit(raw_path)
        query = parse_qsl(split.query, keep_blank_values=True)
        try:
            decoded = json.loads(body) if body else None
        except ValueError:
            decoded = body.decode("utf-8", "replace")
        with self.lock:
            self.received.append(Received(method, split.path, query, headers, decoded))
            canned = next((c for c in self.canned if c.path_contains in split.path), None)
            if canned is not None:
                self.canned.remove(canned)
        if canned is not None:
            payload = b"" if canned.body is None else json.dumps(canned.body).encode()
            return canned.status, canned.content_type, payload
        fault = self.faults(method, split.path) if self.faults is not None else None
        if fault is not None:
            with self.lock:
                self.faults_done.append((method, split.path, fault))
        if fault in (Fault.ERROR_503_BEFORE, Fault.ERROR_502_BEFORE):
            return self._problem(
                503 if fault is Fault.ERROR_503_BEFORE else 502, "unavailable", "Service Unavailable", raw_path
            )
        if fault is Fault.RESET_BEFORE:
            return RESET, "", b""
        status, content_type, content = self._answer(method, raw_path, split, query, headers, body, decoded)
        if fault in (Fault.ERROR_503_AFTER, Fault.ERROR_502_AFTER):
            return self._problem(
                503 if fault is Fault.ERROR_503_AFTER else 502, "unavailable", "Service Unavailable", raw_path
            )
        if fault is Fault.RESET_AFTER:
            return RESET, "", b""
        if fault is Fault.SLOW:
            time.sleep(self.slow_seconds)  # not a wait: a slow server is the fault under test
        return status, content_type, content

    def _answer(
        self,
        method: str,
        raw_path: str,
        split: Any,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
        decoded: Any,
    ) -> tuple[int, str, bytes]:
        spec = next((s for s in self.specs if split.path.startswith(s.prefix + "/")), None)
        if spec is None:
            return self._problem(404, "not_found", "Niet gevonden.", raw_path)
        if split.path.endswith("/"):  # Open Klant: a trailing slash is a 404
            with self.lock:
                self.requests_invalid.append(f"{method} {raw_path}: trailing slash")
            return self._problem(404, "not_found", "Niet gevonden.", raw_path)
        request = MockRequest(
            self.host_url,
            method.lower(),
            split.path,
            args=query,
            headers=headers,
            data=body,
            content_type=headers.get("content-type", "application/json"),
        )
        errors = list(spec.openapi.iter_request_errors(request))
        if errors:
            return self._request_rejected(method, raw_path, errors)

        api_path = split.path[len(spec.prefix) :]
        template = spec.template_for(api_path)
        assert template is not None  # openapi-core found the operation
        operation = spec.raw["paths"][template][method.lower()]
        status, schema = _success_response(operation)
        payload: Any = None
        if self.stateful:
            found = self._stateful(method, spec, api_path, split.path, query, decoded, schema, raw_path)
            if isinstance(found, tuple):
                return found
            payload = found
        elif schema is not None:
            generator = ExampleGenerator(spec.raw, self.url(spec.prefix))
            payload = self._generate(generator, schema, spec, api_path, split.path, query, decoded)
        if self.mutate is not None and payload is not None:
            payload = self.mutate(method, api_path, payload)
        content = b"" if payload is None else json.dumps(payload).encode()
        response = MockResponse(content, status, content_type="application/json")
        response_errors = [_describe(e) for e in spec.openapi.iter_response_errors(request, response)]
        with self.lock:
            if self.mutate is not None:
                self.mutated_violations.extend(response_errors)
            else:
                self.responses_invalid.extend(f"{method} {split.path} -> {status}: {e}" for e in response_errors)
        return status, "application/json", content

    def _generate(
        self,
        generator: ExampleGenerator,
        schema: dict[str, Any],
        spec: Spec,
        api_path: str,
        path: str,
        query: list[tuple[str, str]],
        body: Any,
    ) -> Any:
        resolved = generator.resolve(schema)
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith("Paginated"):
            items = resolved["properties"]["results"]["items"]
            page = int(dict(query).get("page", "1"))
            start = (page - 1) * self.page_size
            count = max(0, min(self.page_size, self.list_total - start))
            others = [(k, v) for k, v in query if k != "page"]
            has_next = start + count < self.list_total
            return {
                "count": self.list_total,
                "next": f"{self.host_url}{path}?{urlencode([*others, ('page', page + 1)])}" if has_next else None,
                "previous": f"{self.host_url}{path}?{urlencode([*others, ('page', page - 1)])}" if page > 1 else None,
                "results": [generator.example(items) for _ in range(count)],
            }
        hint = copy.deepcopy(body) if isinstance(body, dict) else {}
        segments = api_path.strip("/").split("/")
        if len(segments) >= 2 and _is_uuid(segments[1]):
            hint["uuid"] = segments[1]
            hint["url"] = f"{self.host_url}{spec.prefix}/{segments[0]}/{segments[1]}"
        elif segments == ["maak-klantcontact"]:
            return self._maak_klantcontact(generator, schema, spec, hint)
        elif len(segments) == 1:  # a create: the new resource's own uuid and url
            new_uuid = hint.get("uuid") if isinstance(hint.get("uuid"), str) else None
            new_uuid = new_uuid or str(uuid.uuid4())
            hint["uuid"] = new_uuid
            hint["url"] = f"{self.host_url}{spec.prefix}/{segments[0]}/{new_uuid}"
        return generator.example(schema, hint)

    def _stateful(
        self,
        method: str,
        spec: Spec,
        api_path: str,
        path: str,
        query: list[tuple[str, str]],
        body: Any,
        schema: dict[str, Any] | None,
        raw_path: str,
    ) -> Any:
        """Answer from ``store``: creates are kept, reads and lists come from what was kept."""
        segments = api_path.strip("/").split("/")
        collection = segments[0]
        generator = ExampleGenerator(spec.raw, self.url(spec.prefix))
        with self.lock:
            kept = self.store.setdefault(collection, {})
            if method == "POST" and len(segments) == 1:
                assert schema is not None
                if collection == "objects" and isinstance(body, dict) and body.get("uuid") in kept:
                    return self._problem(
                        400,
                        "invalid",
                        "An object with this UUID already exists",
                        raw_path,
                        [{"name": "uuid", "code": "unique", "reason": "An object with this UUID already exists"}],
                    )
                if collection == "objects" and (refused := self._refuse_data(body["record"]["data"], raw_path)):
                    return refused
                if refused := self._refuse_like_open_klant(collection, body, kept, raw_path):
                    return refused
                created = self._generate(generator, schema, spec, api_path, path, query, body)
                if collection == "objects":
                    created["record"].update(index=1, data=copy.deepcopy(body["record"]["data"]))
                    created["record"].pop("correctedBy", None)
                    self.records[created["uuid"]] = [copy.deepcopy(created["record"])]
                if collection == "maak-klantcontact":
                    for part, target in (("klantcontact", "klantcontacten"), ("betrokkene", "betrokkenen")):
                        if created.get(part):
                            self.store.setdefault(target, {})[created[part]["uuid"]] = created[part]
                else:
                    kept[created["uuid"]] = created
                return created
            if len(segments) == 2:
                current = kept.get(segments[1])
                if current is None:
                    return self._problem(404, "not_found", "Niet gevonden.", raw_path)
                if collection == "objects" and method in ("PATCH", "PUT") and isinstance(body, dict):
                    return self._new_record(current, method, body, raw_path)
                if method in ("PATCH", "PUT") and isinstance(body, dict):
                    current = _merge(current, body) if method == "PATCH" else {**current, **body}
                    kept[segments[1]] = current
                return current
            filters = FILTERS.get(collection, {})
            joins = JOINS.get(collection, {})
            wanted = []
            joined = []
            for name, value in query:
                if name in PAGING:
                    continue
                if name in joins:
                    joined.append((joins[name], value))
                    continue
                if name not in filters:
                    self.requests_invalid.append(f"{method} {raw_path}: the fake does not filter on {name}")
                    continue
                if name == "data_attr":  # <key>[__<nested>]__exact__<value>
                    key, operator, wanted_value = value.rsplit("__", 2) if value.count("__") >= 2 else ("", "", "")
                    if operator != "exact":
                        self.requests_invalid.append(f"{method} {raw_path}: the fake filters data_attr on exact only")
                        continue
                    wanted.append(((*filters[name], *key.split("__")), wanted_value))
                    continue
                wanted.append((filters[name], value))
            matches = [
                item
                for item in kept.values()
                if all(_matches(_at(item, where), value) for where, value in wanted)
                and all(join(self.store, item, value) for join, value in joined)
            ]
            size = int(dict(query).get("pageSize", self.page_size))
            page = int(dict(query).get("page", "1"))
            chunk = matches[(page - 1) * size : page * size]
            others = [(k, v) for k, v in query if k != "page"]
            return {
                "count": len(matches),
                "next": f"{self.host_url}{path}?{urlencode([*others, ('page', page + 1)])}"
                if page * size < len(matches)
                else None,
                "previous": None if page == 1 else f"{self.host_url}{path}?{urlencode([*others, ('page', page - 1)])}",
                "results": chunk,
            }

    def _refuse_like_open_klant(
        self, collection: str, body: Any, kept: dict[str, Any], raw_path: str
    ) -> tuple[int, str, bytes] | None:
        """Checks the real Open Klant (2.x) makes beyond its OpenAPI schema (seen against it)."""
        if not isinstance(body, dict):
            return None
        refuse: list[dict[str, str]] = []
        number = body.get("referentienummer")
        if collection in ("klantcontacten", "internetaken") and number is not None:
            if not re.fullmatch(r"-?[0-9]+", str(number)):
                refuse.append(
                    {"name": "referentienummer", "code": "invalid", "reason": "Voer een geldig geheel getal in."}
                )
            elif any(item.get("referentienummer") == number for item in kept.values()):
                refuse.append(
                    {
                        "name": "referentienummer",
                        "code": "unique",
                        "reason": "Er bestaat al een object met dit referentienummer.",
                    }
                )
        if collection == "klantcontacten" and body.get("verdereActieOndernomen") and body.get("indicatieContactGelukt"):
            refuse.append(
                {
                    "name": "nonFieldErrors",
                    "code": "no-further-action-when-contact-succesful",
                    "reason": "Als het contact gelukt is kan er geen verdere actie zijn ondernomen",
                }
            )
        if collection == "digitaleadressen" and "verstrektDoorPartij" not in body:
            refuse.append({"name": "verstrektDoorPartij", "code": "required", "reason": "Dit veld is vereist."})
        if not refuse:
            return None
        return self._problem(400, "invalid", "Ongeldige invoerwaarde.", raw_path, refuse)

    def _refuse_data(self, data: Any, raw_path: str) -> tuple[int, str, bytes] | None:
        """Like the Objects API: ``record.data`` must fit the objecttype version's JSON schema."""
        if self.objecttype_schema is None:
            return None
        validator = Draft202012Validator(self.objecttype_schema, format_checker=FormatChecker())
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
        if not errors:
            return None
        return self._problem(
            400,
            "invalid",
            "Invalid input.",
            raw_path,
            [
                {
                    "name": "record.data",
                    "code": "invalid-json-schema",
                    "reason": f"{'.'.join(map(str, e.path)) or '(root)'}: {e.message}",
                }
                for e in errors
            ],
        )

    def _new_record(self, current: dict[str, Any], method: str, body: dict[str, Any], raw_path: str) -> Any:
        """PUT or PATCH of an object: a new record (the next index), its data validated."""
        sent = body.get("record") or {}
        data = sent.get("data", {})
        if method == "PATCH":
            data = _merge(current["record"]["data"], data)
        if refused := self._refuse_data(data, raw_path):
            return refused
        history = self.records.setdefault(current["uuid"], [copy.deepcopy(current["record"])])
        record = {**current["record"], **sent, "data": copy.deepcopy(data), "index": len(history) + 1}
        history.append(copy.deepcopy(record))
        updated = {**current, "record": record}
        self.store["objects"][current["uuid"]] = updated
        return updated

    def _maak_klantcontact(self, generator: ExampleGenerator, schema: dict[str, Any], spec: Spec, hint: Any) -> Any:
        """Like Open Klant: the three new resources come back linked to each other."""
        base = f"{self.host_url}{spec.prefix}"
        contact_uuid = str(uuid.uuid4())
        contact = {"uuid": contact_uuid, "url": f"{base}/klantcontacten/{contact_uuid}"}
        hint.setdefault("klantcontact", {}).update(contact)
        for part, collection, link in (
            ("betrokkene", "betrokkenen", "hadKlantcontact"),
            ("onderwerpobject", "onderwerpobjecten", "klantcontact"),
        ):
            if part in hint:
                new_uuid = str(uuid.uuid4())
                hint[part].update(uuid=new_uuid, url=f"{base}/{collection}/{new_uuid}")
                hint[part][link] = dict(contact)
        return generator.example(schema, hint)

    def _request_rejected(self, method: str, raw_path: str, errors: list[Exception]) -> tuple[int, str, bytes]:
        described = [_describe(e) for e in errors]
        with self.lock:
            self.requests_invalid.append(f"{method} {raw_path}: {'; '.join(described)}")
        kinds = {type(e).__name__ for e in errors}
        if any("NotFound" in kind for kind in kinds):
            return self._problem(404, "not_found", "Niet gevonden.", raw_path)
        if any("Security" in kind for kind in kinds):
            return self._problem(401, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven.", raw_path)
        invalid = [
            {"name": name, "code": "invalid", "reason": reason} for e in errors for name, reason in _schema_errors(e)
        ]
        return self._problem(400, "invalid", "Invalid input.", raw_path, invalid)

    def _problem(
        self,
        status: int,
        code: str,
        title: str,
        instance: str,
        invalid_params: list[dict[str, str]] | None = None,
    ) -> tuple[int, str, bytes]:
        body: dict[str, Any] = {
            "type": f"http://127.0.0.1/ref/fouten/{code}/",
            "code": code,
            "title": title,
            "status": status,
            "detail": title,
            "instance": f"urn:uuid:{uuid.uuid4()}",
        }
        if invalid_params is not None:
            body["invalidParams"] = invalid_params
        return status, "application/problem+json", json.dumps(body).encode()


def _at(item: Any, where: tuple[str, ...]) -> Any:
    """The value at ``where``; ``*`` steps into every element of a list (a list comes back)."""
    for index, key in enumerate(where):
        if key == "*":
            return [_at(element, where[index + 1 :]) for element in item] if isinstance(item, list) else None
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, list):
        return any(_matches(element, wanted) for element in value)
    if isinstance(value, bool):
        return wanted.lower() == str(value).lower()
    return value is not None and str(value) == wanted


def _merge(current: Any, patch: Any) -> Any:
    """A recursive merge like the Objects API's PATCH of ``record.data``."""
    if not isinstance(current, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(current)
    for key, value in patch.items():
        merged[key] = _merge(current.get(key), value)
    return merged


def _success_response(operation: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    codes = sorted(int(c) for c in operation["responses"] if c.startswith("2"))
    code = codes[0]
    content = operation["responses"][str(code)].get("content") or {}
    media = content.get("application/json")
    return code, (media or {}).get("schema")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _schema_errors(error: Exception) -> list[tuple[str, str]]:
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return [(_field_name(e), e.message) for e in schema_errors]
    return [("nonFieldErrors", _describe(error))]


def _field_name(error: Any) -> str:
    """The field a jsonschema error is about, named like Open Klant names it."""
    path = [str(p) for p in error.path]
    if error.validator == "required":  # "'onderwerp' is a required property"
        path.append(error.message.split("'")[1])
    return ".".join(path) or "nonFieldErrors"


def _describe(error: Exception) -> str:
    found = _schema_errors(error) if getattr(error.__cause__, "schema_errors", None) else []
    if found:
        return f"{type(error).__name__}: " + ", ".join(f"{n}: {r}" for n, r in found)
    cause = f" ({error.__cause__!r})" if error.__cause__ else ""
    return f"{error!r}{cause}"


class _Handler(BaseHTTPRequestHandler):
    api: FakeApi  # set on the subclass made per server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, content_type, payload = self.api.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a bug in the fake must fail the test, not hang it
            self.api.responses_invalid.append(f"fake server crashed: {exc!r}")
            status, content_type, payload = 599, "text/plain", repr(exc).encode()
        if status == RESET:  # like a proxy or server that drops the connection
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # a client that gave up waiting (a SLOW answer) closed the connection
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):  # the connection was reset on purpose
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class RunningServer:
    """``FakeApi`` served from a thread; ``close()`` stops it."""

    def __init__(self, api: FakeApi) -> None:
        handler = type("Handler", (_Handler,), {"api": api})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        api.host_url = f"http://{host}:{port}"
        self.api = api
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def config_for(api: FakeApi, prefix: str, **overrides: object) -> ApiConfig:
    settings: dict[str, object] = {
        "base_url": api.url(prefix),
        "token": TOKEN,
        "timeout": 5.0,
        "max_attempts": 3,
        "backoff_initial": 0.001,
        "backoff_max": 0.004,
    }
    settings.update(overrides)
    return ApiConfig(**settings)  # type: ignore[arg-type]
