"""Operability: JSON logs with request and conversation ids and no personal data; request ids;
OpenTelemetry traces exported over OTLP when switched on.

The JSON-log test runs the service as operators do (`python -m handover.server`, a process of its
own) and reads what it writes; the tracing test receives the service's OTLP/HTTP export in a
collector on loopback and decodes it with the OpenTelemetry protobuf definitions.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import stack
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from waiting import eventually_blocking
from wsclient import ChatClient

ROOT = Path(__file__).resolve().parents[2]
SECRET_TEXT = "Mijn BSN is 999993653 en mijn mail is eva.deboer@example.nl"
LINK_TOKEN = "geheimelinktoken_abcdefghij12345"


def _wait(condition: Any, what: str, timeout: float = 30) -> None:
    eventually_blocking(condition, what=what, timeout=timeout)


@pytest.fixture
def json_service(sqlite_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = stack.free_port()
    log = tmp_path / "service.log"
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "REDIS_URL": redis_url,
        "RASA_URL": "http://127.0.0.1:9",
        "LOG_FORMAT": "json",
        "INSTANCE_NAME": "handover-obs",
        "ENVIRONMENT": "test",
        "REDIS_NAMESPACE": f"obs{port}",
    }
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "handover.server", "--port", str(port)],  # noqa: S603
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: stack.port_open("127.0.0.1", port) or child.poll() is not None, "the service to listen")
        assert child.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}", log
    finally:
        child.terminate()
        child.wait(20)


async def test_json_logs_carry_ids_and_no_personal_data(json_service: tuple[str, Path]) -> None:
    base, log = json_service
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/healthz", headers={"X-Request-ID": "lb-7f3a9"})
        assert answer.headers["x-request-id"] == "lb-7f3a9"
        made_up = (await http.get("/healthz", headers={"X-Request-ID": "not a {valid} id"})).headers["x-request-id"]
        assert made_up != "not a {valid} id" and len(made_up) == 32
        await http.get(f"/mijn/aanvraag/{LINK_TOKEN}?bsn=999993653")
    async with ChatClient(base.replace("http", "ws") + "/ws/chat", headers={"Origin": base}) as chat:
        conversation = (await chat.start())["conversation_id"]
        await chat.request({"type": "message", "text": SECRET_TEXT})  # Rasa is down: a warning is logged

    def events() -> list[dict[str, Any]]:
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # each line is JSON

    _wait(lambda: any(e.get("conversation_id") == conversation for e in events()), "a log event of the chat")
    written = log.read_text()
    everything = events()
    assert {e["instance"] for e in everything} == {"handover-obs"}
    assert all({"time", "level", "logger", "event"} <= e.keys() for e in everything)
    about_chat = next(e for e in everything if e.get("conversation_id") == conversation)
    assert about_chat["level"] == "warning" and about_chat["logger"] == "handover.services.conversations"
    access = [e for e in everything if e["event"] == "request"]
    assert any(e.get("request_id") == "lb-7f3a9" and e["path"] == "/healthz" and e["status"] == 200 for e in access)
    assert any(e["path"] == "/mijn/aanvraag/***" for e in access)
    # Neither what the resident wrote nor any number or link token in a URL reaches the log.
    for secret in ("999993653", "eva.deboer@example.nl", "Mijn BSN", LINK_TOKEN):
        assert secret not in written, secret


class _Collector(BaseHTTPRequestHandler):
    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.received.append(request)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.received  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _spans(received: list[ExportTraceServiceRequest]) -> list[tuple[dict[str, Any], Any]]:
    found = []
    for request in received:
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                found.extend((resource, span) for span in scope_spans.spans)
    return found


async def test_tracing_is_off_by_default_and_exports_over_otlp_when_switched_on(
    start_service: Any, sqlite_url: str, collector: tuple[str, list[ExportTraceServiceRequest]]
) -> None:
    endpoint, received = collector
    quiet = start_service(sqlite_url, otel_exporter_otlp_endpoint=endpoint)  # TRACING_ENABLED not set
    traced = start_service(
        sqlite_url, tracing_enabled=True, otel_exporter_otlp_endpoint=endpoint, tracing_service_name="handover-test"
    )
    async with httpx.AsyncClient() as http:
        await http.get(f"{quiet.http}/mijn/aanvraag/{LINK_TOKEN}")
        answer = await http.get(f"{traced.http}/mijn/aanvraag/{LINK_TOKEN}?code=geheim")
        assert answer.status_code == 303
    await asyncio.to_thread(
        _wait,
        lambda: any(s.name.startswith("GET /mijn/aanvraag") for _, s in _spans(received)),
        "the request's span at the collector",
    )
    resource, span = next((r, s) for r, s in _spans(received) if s.name == "GET /mijn/aanvraag/{token}")
    assert resource["service.name"] == "handover-test"
    assert resource["service.instance.id"] == traced.settings.instance_name
    assert {r["service.instance.id"] for r, _ in _spans(received)} == {traced.settings.instance_name}
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert attributes.get("url.path", attributes.get("http.target")) == "/mijn/aanvraag/***"
    exported = b"".join(r.SerializeToString() for r in received)
    assert LINK_TOKEN.encode() not in exported and b"geheim" not in exported
