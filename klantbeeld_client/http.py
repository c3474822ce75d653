"""The HTTP layer shared by both API clients: auth, timeouts, retries, pagination, errors.

Retry policy: a request is retried on network errors (no response) and on 5xx answers,
never on 4xx (the same request would fail the same way). POST is not retried by default:
a POST whose answer was lost may have been carried out, and repeating it blindly makes a
second resource. The caller looks the resource up first and creates only what is missing
(see "Exactly once" in docs/klantbeeld_client.md); ``retry_non_idempotent=True`` retries
POST too, for callers that can accept duplicates.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import (
    ApiError,
    Problem,
    TransportError,
    UnexpectedResponse,
    UnsafeUrl,
    error_for_status,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

# The wait between attempts; a name of its own so tests can record the backoff without touching
# asyncio.sleep, which every other coroutine in the process shares.
_backoff_sleep = asyncio.sleep

Params = Mapping[str, str | int | bool | list[str]]


@dataclass(frozen=True)
class ApiConfig:
    """Where an API lives and how to call it. Immutable once made.

    ``base_url`` is the API root without trailing slash, e.g.
    ``https://klanten.example.nl/klantinteracties/api/v1`` or
    ``https://objecten.example.nl/api/v2``.
    """

    base_url: str
    token: str = field(repr=False)
    timeout: float = 10.0
    connect_timeout: float = 5.0
    max_attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    retry_non_idempotent: bool = False
    user_agent: str = "klantbeeld-client/0.1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.token:
            raise ValueError("token must not be empty")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        scheme = urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
        delay = min(self.backoff_max, self.backoff_initial * 2 ** (attempt - 1))
        return float(delay * (0.5 + random.random() / 2))


class HttpClient:
    """A thin async JSON client of one API; use as ``async with HttpClient(config)``.

    Pass your own ``httpx.AsyncClient`` (e.g. with a transport for tests or proxies) as
    ``client``; it is then not closed by :meth:`aclose`.
    """

    def __init__(self, config: ApiConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            follow_redirects=False,
        )
        self._headers = {
            "Authorization": f"Token {config.token}",
            "Accept": "application/json",
            "User-Agent": config.user_agent,
        }

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def url(self, path_or_url: str) -> str:
        """An absolute URL for ``path`` (e.g. ``"klantcontacten"``) or a URL of this API.

        Collection paths get no trailing slash: Open Klant answers 404 to one.
        """
        if "://" in path_or_url:
            base = self.config.base_url
            if not (path_or_url == base or path_or_url.startswith(base + "/")):
                raise UnsafeUrl(path_or_url, base)
            return path_or_url
        return f"{self.config.base_url}/{path_or_url.strip('/')}"

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json_body: Any = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one request (with retries) and return the decoded JSON body (or ``None``).

        ``retry`` overrides the method's default (idempotent methods are retried): ``False`` for
        a write that is not idempotent in effect, such as a new record version of an object."""
        method = method.upper()
        url = self.url(path_or_url)
        send_headers = dict(self._headers)
        if headers:
            send_headers.update(headers)
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            send_headers["Content-Type"] = "application/json"
        if retry is None:
            retry = self.config.retry_non_idempotent or method in IDEMPOTENT_METHODS
        attempts = self.config.max_attempts if retry else 1

        for attempt in range(1, attempts + 1):
            try:
                response = await self._client.request(method, url, content=content, params=params, headers=send_headers)
            except httpx.TransportError as exc:
                if attempt == attempts:
                    raise TransportError(method, url, attempt, exc) from exc
                await _backoff_sleep(self.config.backoff(attempt))
                continue
            if response.status_code >= 500 and attempt < attempts:
                await response.aclose()
                await _backoff_sleep(self.config.backoff(attempt))
                continue
            return self._decode(method, str(response.request.url), response, attempt)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _decode(self, method: str, url: str, response: httpx.Response, attempt: int) -> Any:
        status = response.status_code
        text = response.text
        body: Any = None
        if text.strip():
            try:
                body = response.json()
            except ValueError:
                body = None
                if status < 400:
                    raise UnexpectedResponse(status, method, url, body=text, attempts=attempt) from None
        if status >= 400:
            error_cls = error_for_status(status)
            raise error_cls(
                status,
                method,
                url,
                problem=Problem.from_body(body),
                body=text,
                attempts=attempt,
            )
        if 300 <= status < 400:
            raise ApiError(status, method, url, body=text, attempts=attempt)
        return body

    async def paginate(self, path_or_url: str, params: Params | None = None) -> AsyncIterator[dict[str, Any]]:
        """Yield every item of a paginated list, following ``next`` until it is null."""
        next_url: str | None = self.url(path_or_url)
        next_params = params
        while next_url is not None:
            page = await self.request("GET", next_url, params=next_params)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise UnexpectedResponse(200, "GET", next_url, body=json.dumps(page)[:500] if page else "")
            for item in page["results"]:
                yield item
            # ``next`` already carries the query string of the first call.
            next_url = page.get("next") or None
            next_params = None


__all__ = ["ApiConfig", "HttpClient", "IDEMPOTENT_METHODS", "Params"]
