"""Agent login and logout: an HttpOnly, SameSite=Strict session cookie plus a CSRF token."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...auth.throttle import LoginThrottle
from ...bus.limits import client_address
from ...services import agents
from ...settings import Settings
from ...state import app_state
from ..deps import CSRF_COOKIE, SESSION_COOKIE, CurrentAgent, SettingsDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


def _throttle(request: Request, settings: Settings) -> LoginThrottle:
    throttle: LoginThrottle | None = getattr(app_state(request), "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle(getattr(app_state(request), "redis", None), settings.redis_namespace)
        app_state(request).login_throttle = throttle
    return throttle


def _too_many(seconds: float) -> JSONResponse:
    wait = max(1, math.ceil(seconds))
    minutes = f"{math.ceil(wait / 60)} minuten" if wait > 90 else f"{wait} seconden"
    return JSONResponse(
        {
            "detail": f"Te veel mislukte inlogpogingen. Probeer het over {minutes} opnieuw.",
            "detail_en": f"Too many failed login attempts. Try again in {wait} seconds.",
            "retry_after": wait,
        },
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(wait)},
    )


@router.post("/login", response_model=None)
async def login(
    body: LoginRequest, request: Request, response: Response, settings: SettingsDep
) -> dict[str, Any] | JSONResponse:
    if not settings.agent_local_passwords:
        return JSONResponse(
            {
                "detail": "Inloggen met een wachtwoord staat uit. Log in met je account van de gemeente.",
                "detail_en": "Local passwords are switched off (AGENT_LOCAL_PASSWORDS=false); sign in through OIDC.",
            },
            status_code=status.HTTP_403_FORBIDDEN,
        )
    sessions = app_state(request).db.sessions
    throttle = _throttle(request, settings)
    address = client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        settings.trusted_proxies,
    )
    # Checked before the password: while locked even the right one is refused, at no argon2 cost.
    locked = await throttle.retry_after(body.username, address)
    if locked > 0:
        return _too_many(locked)
    agent_id = await agents.authenticate(sessions, body.username, body.password)
    if agent_id is None:
        await throttle.failed(body.username, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Onbekende gebruikersnaam of verkeerd wachtwoord.")
    await throttle.succeeded(body.username, address)
    csrf = await start_session(request, response, settings, agent_id)
    agent = await agents.view(sessions, agent_id)
    assert agent is not None
    return {"agent": agent.public(), "csrf": csrf}


async def start_session(request: Request, response: Response, settings: Settings, agent_id: int) -> str:
    """Open a session for the agent and set its cookies on ``response``; return the CSRF token."""
    lifetime = timedelta(hours=settings.session_hours)
    token, csrf = await agents.open_session(app_state(request).db.sessions, agent_id, lifetime)
    secure = settings.environment == "production"
    max_age = int(lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/")
    return csrf


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(agent: CurrentAgent, request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await agents.close_session(app_state(request).db.sessions, token)
    await agents.set_status(app_state(request).db.sessions, agent.id, "offline")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
