"""Liveness and readiness, for load balancers, docker-compose and `make run`."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...state import app_state

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive. Says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 only when the database, Redis and Rasa (with a model loaded) all answer."""
    state = app_state(request)

    async def database() -> None:
        await state.db.ping()

    async def redis() -> None:
        await state.redis.ping()

    async def rasa() -> None:
        await state.rasa.status()

    checks = {"database": database, "redis": redis, "rasa": rasa}
    results = await asyncio.gather(
        *(asyncio.wait_for(check(), timeout=3.0) for check in checks.values()), return_exceptions=True
    )
    parts: dict[str, Any] = {}
    for name, result in zip(checks, results, strict=True):
        parts[name] = "ok" if result is None else f"down: {type(result).__name__}: {result}"[:300]
    ready = all(v == "ok" for v in parts.values())
    down = [name for name, v in parts.items() if v != "ok"]
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "parts": parts, "down": down}, status_code=200 if ready else 503
    )
