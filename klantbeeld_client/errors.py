"""Exceptions raised by :mod:`klantbeeld_client`.

Every exception the client raises on purpose derives from :class:`KlantbeeldError`::

    KlantbeeldError
    ├── FieldTooLong            refused before sending: a value exceeds the API's limit
    ├── TransportError          no HTTP response at all (connection refused, DNS, timeout),
    │                           raised after the last retry
    ├── UnsafeUrl               a URL (e.g. a ``next`` link) points outside the configured API,
    │                           so the token is not sent there
    └── ApiError                the API answered with a status that is not a success
        │                       (``status``, ``method``, ``url``, ``problem``)
        ├── ValidationError     400: ``invalid_params`` lists the API's field messages
        ├── Unauthorized        401 (missing or wrong token)
        ├── Forbidden           403 (token lacks permission)
        ├── NotFound            404 (also: a trailing slash on a collection path)
        ├── ServerError         5xx, raised after the last retry
        └── UnexpectedResponse  2xx whose body the client cannot parse

``str()`` of every error names the call (``POST https://.../klantcontacten``) and why it
failed, so a log line on its own is enough to act on. Tokens never appear in messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InvalidParam:
    """One entry of a problem+json ``invalidParams`` list."""

    name: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason} ({self.code})"


@dataclass(frozen=True)
class Problem:
    """An RFC 7807 ``application/problem+json`` body as Open Klant and Objects send it."""

    type: str | None = None
    code: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    invalid_params: tuple[InvalidParam, ...] = field(default_factory=tuple)

    @classmethod
    def from_body(cls, body: Any) -> Problem | None:
        """Read a decoded JSON body; ``None`` when it does not look like a problem."""
        if not isinstance(body, dict):
            return None
        keys = {"type", "code", "title", "status", "detail", "invalidParams", "invalid_params"}
        if not keys & body.keys():
            return None
        raw_params = body.get("invalidParams", body.get("invalid_params")) or []
        params = tuple(
            InvalidParam(
                name=str(p.get("name", "")),
                code=str(p.get("code", "")),
                reason=str(p.get("reason", "")),
            )
            for p in raw_params
            if isinstance(p, dict)
        )
        status = body.get("status")
        return cls(
            type=_str_or_none(body.get("type")),
            code=_str_or_none(body.get("code")),
            title=_str_or_none(body.get("title")),
            status=status if isinstance(status, int) else None,
            detail=_str_or_none(body.get("detail")),
            instance=_str_or_none(body.get("instance")),
            invalid_params=params,
        )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class KlantbeeldError(Exception):
    """Base class of every error this package raises on purpose."""


class FieldTooLong(KlantbeeldError, ValueError):
    """A value is longer than the API accepts; nothing was sent."""

    def __init__(self, field_name: str, length: int, max_length: int) -> None:
        self.field_name = field_name
        self.length = length
        self.max_length = max_length
        super().__init__(f"{field_name} is {length} characters, the API accepts at most {max_length}; nothing was sent")

    def __repr__(self) -> str:
        return f"FieldTooLong(field_name={self.field_name!r}, length={self.length}, max_length={self.max_length})"


class UnsafeUrl(KlantbeeldError, ValueError):
    """A URL is not under the configured base URL, so the client refuses to call it."""

    def __init__(self, url: str, base_url: str) -> None:
        self.url = url
        self.base_url = base_url
        super().__init__(f"refusing to call {url}: it is not under the API at {base_url}")

    def __repr__(self) -> str:
        return f"UnsafeUrl(url={self.url!r}, base_url={self.base_url!r})"


class TransportError(KlantbeeldError):
    """No HTTP response was received, even after retrying."""

    def __init__(self, method: str, url: str, attempts: int, cause: BaseException) -> None:
        self.method = method
        self.url = url
        self.attempts = attempts
        self.cause = cause
        super().__init__(
            f"{method} {url} failed after {attempts} attempt(s): {type(cause).__name__}: {cause}".rstrip(": ")
        )

    def __repr__(self) -> str:
        return (
            f"TransportError(method={self.method!r}, url={self.url!r}, attempts={self.attempts}, cause={self.cause!r})"
        )


class ApiError(KlantbeeldError):
    """The API answered with an error status."""

    def __init__(
        self,
        status: int,
        method: str,
        url: str,
        problem: Problem | None = None,
        body: str = "",
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.problem = problem
        self.body = body
        self.attempts = attempts
        super().__init__(self._message())

    def _reason(self) -> str:
        if self.problem is not None:
            parts = [p for p in (self.problem.title, self.problem.detail) if p]
            # Avoid "Not found: Not found." when title and detail repeat each other.
            if len(parts) == 2 and parts[0].rstrip(".") == parts[1].rstrip("."):
                parts = parts[:1]
            if parts:
                return ": ".join(parts)
        snippet = self.body.strip().replace("\n", " ")
        return snippet[:200] if snippet else "no details"

    def _message(self) -> str:
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.method} {self.url} returned {self.status}{tries}: {self._reason()}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, method={self.method!r}, "
            f"url={self.url!r}, problem={self.problem!r})"
        )


class ValidationError(ApiError):
    """400: the API rejected the request body or parameters."""

    @property
    def invalid_params(self) -> tuple[InvalidParam, ...]:
        return self.problem.invalid_params if self.problem else ()

    def _message(self) -> str:
        message = super()._message()
        if self.invalid_params:
            message += "; " + "; ".join(str(p) for p in self.invalid_params)
        return message


class Unauthorized(ApiError):
    """401: the token is missing or wrong."""


class Forbidden(ApiError):
    """403: the token is valid but lacks permission for this call."""


class NotFound(ApiError):
    """404: the resource does not exist (or a collection path has a trailing slash)."""


class ServerError(ApiError):
    """5xx, after the configured number of attempts."""


class UnexpectedResponse(ApiError):
    """A success status with a body the client cannot parse."""


def error_for_status(status: int) -> type[ApiError]:
    """The most specific :class:`ApiError` subclass for an HTTP status."""
    if status == 400:
        return ValidationError
    if status == 401:
        return Unauthorized
    if status == 403:
        return Forbidden
    if status == 404:
        return NotFound
    if status >= 500:
        return ServerError
    return ApiError
