"""Logs, request ids and tracing: what an operator sees of a running instance.

- ``LOG_FORMAT=json`` writes one JSON object per line: ``time``, ``level``, ``logger``,
  ``instance``, ``event`` and, where known, ``request_id``, ``conversation_id``, ``trace_id`` and
  a few named fields (``status``, ``method``, ``path``, ...). The event text is the developer's
  log message with BSNs, IBANs and e-mail addresses masked; no chat text is ever logged, and
  paths lose their query string and request-link tokens. ``LOG_FORMAT=text`` (default) is the
  classic one-line format.
- Every HTTP request and websocket gets a request id: the caller's ``X-Request-ID`` when it is a
  plain token of up to 64 characters (a proxy's), otherwise a new one; it is sent back in
  ``X-Request-ID`` and is on every log line written while the request is handled.
- ``TRACING_ENABLED=true`` traces HTTP requests (server side) and the service's outgoing HTTP
  calls (Rasa, Open Klant, the Objects API, OIDC) with OpenTelemetry, exported over OTLP/HTTP to
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or printed with ``TRACING_EXPORTER=console``). Off by default;
  nothing of OpenTelemetry is imported then.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .core.masking import mask_personal_numbers
from .settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
CONVERSATION_ID: ContextVar[str | None] = ContextVar("conversation_id", default=None)

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CONVERSATION_PATH = re.compile(r"/conversations/([0-9a-f-]{36})|/transcripts?/([0-9a-f-]{36})")
_LINK_TOKEN = re.compile(r"(/mijn/aanvraag/)[^/?\s\"]+")
# Fields a log call may add with ``extra={...}`` that are written as they are (ids and codes only).
SAFE_FIELDS = ("conversation_id", "agent_id", "role", "reason", "team", "state", "status", "count", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact_path(path: str) -> str:
    """A path fit for logs and traces: no query string, no request-link token."""
    return _LINK_TOKEN.sub(r"\1***", path.split("?", 1)[0])


class ContextFilter(logging.Filter):
    """Puts the request id and conversation id of the current context on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get()
        if not getattr(record, "conversation_id", None):
            conversation = CONVERSATION_ID.get()
            if conversation is None and isinstance(record.args, tuple):
                # Log calls name the conversation as an argument: "... for conversation %s".
                conversation = next((a for a in record.args if isinstance(a, str) and _UUID.fullmatch(a)), None)
            record.conversation_id = conversation
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; see the module docstring for the fields."""

    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "instance": self.instance,
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            _client, method, path, _version, status = record.args
            event.update(event="request", method=str(method), path=redact_path(str(path)), status=status)
        else:
            event["event"] = mask_personal_numbers(record.getMessage(), email=True)[:1000]
        for name in ("request_id", *SAFE_FIELDS):
            value = getattr(record, name, None)
            if value is not None and name not in event:
                event[name] = value if isinstance(value, int | float | bool) else str(value)[:100]
        span_context = _current_span_context()
        if span_context is not None:
            event["trace_id"], event["span_id"] = span_context
        if record.exc_info and record.exc_info[0] is not None:
            event["error"] = record.exc_info[0].__name__
            text = "".join(traceback.format_exception(*record.exc_info))
            event["traceback"] = mask_personal_numbers(text, email=True)[-4000:]
        return json.dumps(event, ensure_ascii=False, default=str)


_tracing_on = False


def _current_span_context() -> tuple[str, str] | None:
    if not _tracing_on:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Send every log record (uvicorn's included) through one handler in the configured format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(settings.instance_name))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    return handler


class RequestIdMiddleware:
    """Pure ASGI: a request id (and the conversation id in the path) for everything downstream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        found = _CONVERSATION_PATH.search(scope.get("path", ""))
        request_token = REQUEST_ID.set(request_id)
        conversation_token = CONVERSATION_ID.set((found.group(1) or found.group(2)) if found else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CONVERSATION_ID.reset(conversation_token)
            REQUEST_ID.reset(request_token)


class Tracing:
    """OpenTelemetry for one app: its own tracer provider (no global state), shut down with the app."""

    def __init__(self, settings: Settings) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
        from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio

        global _tracing_on
        _tracing_on = True
        resource = Resource.create(
            {
                "service.name": settings.tracing_service_name,
                "service.instance.id": settings.instance_name,
                "deployment.environment": settings.environment,
            }
        )
        self.provider = TracerProvider(
            resource=resource, sampler=ParentBasedTraceIdRatio(settings.tracing_sample_ratio)
        )
        exporter: SpanExporter
        if settings.tracing_exporter == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
            exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces" if endpoint else None)
        self.provider.add_span_processor(BatchSpanProcessor(exporter))

    def instrument_app(self, app: Any) -> None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, server_request_hook=_redact_span, excluded_urls="healthz,readyz"
        )

    def instrument_client(self, client: Any) -> None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)

    def shutdown(self) -> None:
        self.provider.shutdown()


def _redact_span(span: Any, scope: dict[str, Any]) -> None:
    """Spans keep the route, never a query string (OIDC codes) or a request-link token."""
    if span is None or not span.is_recording():
        return
    path = redact_path(str(scope.get("path", "")))
    for name in ("http.target", "url.path"):
        span.set_attribute(name, path)
    for name in ("http.url", "url.full"):
        span.set_attribute(name, path)
    span.set_attribute("url.query", "")
