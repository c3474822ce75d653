"""HTTP hardening for every response: body size limit, no input echo in 422s, security headers.

- Bodies over ``MAX_BODY_BYTES`` get 413: at once when ``Content-Length`` says so (nothing is
  read), else as soon as the streamed body passes the limit (nothing more is read).
- A validation error (422) names where and what is wrong, never the input itself (a 100 MiB
  body was echoed back before).
- Every response gets ``X-Content-Type-Options: nosniff``, a ``Referrer-Policy``, and a
  ``Content-Security-Policy`` that fits what is served there (console and demo pages: own
  scripts, styles and sockets only; JSON and files: nothing at all; ``frame-ancestors 'none'``
  everywhere). A route that sets its own (MijnGemeente) keeps it.
- The API documentation (``/docs``, ``/redoc``, ``/openapi.json``) is off in production.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings

TOO_LARGE = "Request body too large / Het verzoek is te groot."

_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
# Pages for people (console, demo pages with the widget) and what they load; docs have their own CDN assets.
_PAGES = ("/console", "/demo/", "/static/")
_DOCS = ("/docs", "/redoc")


def docs_urls(settings: Settings) -> dict[str, Any]:
    """FastAPI's documentation URLs: off in production."""
    if settings.environment == "production":
        return {"docs_url": None, "redoc_url": None, "openapi_url": None}
    return {}


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; FastAPI passes HTTPExceptions through as they are."""

    def __init__(self) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)


def socket_sources(host: str | None, secure: bool) -> str:
    """The websocket addresses of this host for ``connect-src`` (' wss://host', or both schemes)."""
    if host and _HOST.match(host):
        return f" wss://{host}" if secure else f" ws://{host} wss://{host}"
    return ""


def csp_for(path: str, host: str | None, secure: bool) -> str | None:
    if path.startswith(_DOCS):
        return None
    if path == "/" or path.startswith(_PAGES):
        return _PAGE_CSP.format(sockets=socket_sources(host, secure))
    return _NOTHING_CSP


class SecurityMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): limits the body as it streams and adds headers."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, production: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._reply(send, scope, headers, status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": self._headers(scope, headers, list(message.get("headers", [])))}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._reply(send, scope, headers, status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)

    def _headers(
        self, scope: Scope, request_headers: dict[str, str], raw: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        present = {k.lower() for k, _ in raw}
        secure = scope.get("scheme") == "https" or request_headers.get("x-forwarded-proto") == "https"
        extra: list[tuple[str, str | None]] = [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("x-frame-options", "DENY"),
            ("content-security-policy", csp_for(scope.get("path", ""), request_headers.get("host"), secure)),
        ]
        if self.production:
            extra.append(("strict-transport-security", "max-age=31536000"))
        for name, value in extra:
            if value is not None and name.encode() not in present:
                raw.append((name.encode(), value.encode("latin-1")))
        return raw

    async def _reply(self, send: Send, scope: Scope, request_headers: dict[str, str], code: int, detail: str) -> None:
        body = JSONResponse({"detail": detail}, status_code=code).body
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        headers = self._headers(scope, request_headers, raw)
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with the location and message of each problem, never the input that caused it."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [str(part) for part in error.get("loc", ())][:10],
            "msg": str(error.get("msg", ""))[:200],
            "type": str(error.get("type", ""))[:80],
        }
        for error in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        SecurityMiddleware, max_body_bytes=settings.max_body_bytes, production=settings.environment == "production"
    )
    app.add_exception_handler(RequestValidationError, validation_error)
