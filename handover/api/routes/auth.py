"""Agent login and logout: an HttpOnly, SameSite=Strict session cookie plus a CSRF token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from ...services import agents
from ..deps import CSRF_COOKIE, SESSION_COOKIE, CurrentAgent, SettingsDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login")
async def login(body: LoginRequest, request: Request, response: Response, settings: SettingsDep) -> dict[str, Any]:
    sessions = request.app.state.db.sessions
    agent_id = await agents.authenticate(sessions, body.username, body.password)
    if agent_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Onbekende gebruikersnaam of verkeerd wachtwoord.")
    lifetime = timedelta(hours=settings.session_hours)
    token, csrf = await agents.open_session(sessions, agent_id, lifetime)
    secure = settings.environment == "production"
    max_age = int(lifetime.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure,
                        path="/")
    agent = await agents.view(sessions, agent_id)
    assert agent is not None
    return {"agent": agent.public(), "csrf": csrf}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(agent: CurrentAgent, request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await agents.close_session(request.app.state.db.sessions, token)
    await agents.set_status(request.app.state.db.sessions, agent.id, "offline")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
