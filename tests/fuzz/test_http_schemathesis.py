"""Schemathesis against the service's own /openapi.json over real HTTP: no 5xx on any route.

Every operation in the document gets bounded generated requests (SCHEMATHESIS_EXAMPLES per
operation and role, default 25), once anonymously and once as a logged-in agent with its CSRF
header, so the checks behind authentication are reached too. Counts are printed as
`FUZZ-REPORT schemathesis`.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import httpx
import schemathesis
from agents_helper import login
from hypothesis import HealthCheck, given, settings

from handover.store.db import Database

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# /readyz names what is down with 503 by design (no Rasa in this test): that is not a crash.
EXPECTED_5XX = {("GET", "/readyz"): {503}}


def test_no_route_answers_5xx(start_service, sqlite_url):
    service = start_service(sqlite_url, limit_starts_per_address=1_000_000)

    async def agent() -> Any:
        db = Database(sqlite_url)
        try:
            return await login(service, db, ["klantcontact"])
        finally:
            await db.dispose()

    logged = asyncio.run(agent())
    roles = {
        "anonymous": {},
        "agent": {"Cookie": "; ".join(f"{k}={v}" for k, v in logged.cookies.items()), "X-CSRF-Token": logged.csrf},
    }
    schema = schemathesis.openapi.from_url(service.http + "/openapi.json")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = 0
    cases = 0

    def run_operation(operation: Any, headers: dict[str, str]) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            nonlocal cases
            cases += 1
            response = case.call(headers=headers, timeout=15)
            statuses[response.status_code] += 1
            allowed = EXPECTED_5XX.get((operation.method.upper(), operation.path), set())
            if response.status_code >= 500 and response.status_code not in allowed:
                failures.append(
                    f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                    f"{case.as_curl_command()} :: {response.text[:200]}"
                )

        call()

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for role, headers in roles.items():
            if role == "agent" and operation.path == "/api/auth/logout":
                continue  # it would end the session every later call uses (anonymous covers it)
            run_operation(operation, headers)
    assert httpx.get(service.http + "/healthz", timeout=5).status_code == 200
    print(f"\nFUZZ-REPORT schemathesis: {operations} operations, {cases} requests, statuses {dict(statuses)}")
    assert operations >= 10, "the OpenAPI document lists the API"
    assert not failures, "\n".join(failures[:20])
