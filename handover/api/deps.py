"""Dependencies for the HTTP API, as `Annotated` aliases."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from ..services import agents
from ..services.agents import AgentView
from ..settings import Settings
from ..state import app_state

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_settings(request: Request) -> Settings:
    settings: Settings = app_state(request).settings
    return settings


async def current_agent(request: Request) -> AgentView:
    """The logged-in agent; 401 without a live session, 403 on a state change without CSRF."""
    sessions = app_state(request).db.sessions
    found = await agents.session_agent(sessions, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    agent_id, csrf = found
    if request.method in UNSAFE_METHODS and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    agent = await agents.view(sessions, agent_id)
    if agent is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    return agent


SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentAgent = Annotated[AgentView, Depends(current_agent)]
