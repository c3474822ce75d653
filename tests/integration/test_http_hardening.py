"""HTTP hardening (issue 10, finding 5): body limit, no input echo, headers, docs off in production."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from handover.main import create_app
from handover.settings import Settings


async def test_a_body_over_the_limit_is_refused_with_413_declared_or_streamed(start_service, sqlite_url):
    service = start_service(sqlite_url, max_body_bytes=4096)
    async with httpx.AsyncClient(base_url=service.http) as http:
        big = b'{"username": "' + b"a" * 10_000 + b'", "password": "x"}'
        declared = await http.post("/api/auth/login", content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and "te groot" in declared.text
        assert "aaaa" not in declared.text

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            yield b'{"username": "'
            for _ in range(100):
                yield b"b" * 1000
            yield b'", "password": "x"}'

        streamed = await http.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        form = await http.post("/mijn/gegevens", data={"email": "x" * 10_000})
        assert form.status_code == 413
        small = await http.post("/api/auth/login", json={"username": "nobody", "password": "x"})
        assert small.status_code == 401, "under the limit: as before"


async def test_a_validation_error_never_echoes_the_input(start_service, sqlite_url):
    service = start_service(sqlite_url)
    async with httpx.AsyncClient(base_url=service.http) as http:
        secret = "GEHEIM-111222333-" * 100
        bad = await http.post("/api/auth/login", json={"username": secret, "password": ["GEHEIM-lijst"]})
        assert bad.status_code == 422
        assert "GEHEIM" not in bad.text and "111222333" not in bad.text
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "username"), ("body", "password")}
        assert all(set(e) == {"loc", "msg", "type"} for e in bad.json()["detail"])


async def test_huge_numeric_ids_in_paths_are_not_a_500(start_service, sqlite_url):
    service = start_service(sqlite_url)
    async with httpx.AsyncClient(base_url=service.http) as http:
        assert (await http.get("/mijn/aanvragen/99999999999")).status_code in (303, 404)
        huge = await http.post("/api/callbacks/99999999999999999999999/done")
        assert huge.status_code in (401, 422)


PAGES = {
    "/": "page",
    "/console": "page",
    "/demo/website": "page",
    "/demo/social": "page",
    "/static/demo.css": "page",
    "/console/static/console.js": "page",
    "/widget/widget.js": "file",
    "/api/me": "file",
    "/healthz": "file",
    "/bestaat-niet": "file",
    "/mijn/inloggen": "mijn",
}


async def test_every_response_has_security_headers(start_service, sqlite_url):
    service = start_service(sqlite_url)
    async with httpx.AsyncClient(base_url=service.http) as http:
        for path, kind in PAGES.items():
            response = await http.get(path)
            headers = response.headers
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] in ("strict-origin-when-cross-origin", "no-referrer"), path
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp, path
            if kind == "page":
                assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
                assert "connect-src 'self' ws://127.0.0.1:" in csp, path
            elif kind == "file":
                assert csp.startswith("default-src 'none'"), path
            else:
                assert headers["referrer-policy"] == "no-referrer", "MijnGemeente keeps its own, stricter policy"
        assert "content-security-policy" not in (await http.get("/docs")).headers, "development: docs work"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_api_docs_are_off_in_production(path):
    production = Settings(environment="production", secret_key="x" * 40, allowed_origins=["https://www.example.nl"])
    for settings, expected in ((production, 404), (Settings(environment="development"), 200)):
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get(path)
            assert response.status_code == expected, (settings.environment, path)
            if settings.environment == "production":
                assert response.headers["strict-transport-security"].startswith("max-age=")
