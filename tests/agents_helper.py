"""Create agents in the database under test and log them in over real HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx
from wsclient import ChatClient

from handover.services import agents
from handover.store.db import Database

PASSWORD = "correct-horse-battery"
_names = itertools.count(1)


@dataclass
class LoggedIn:
    agent_id: int
    username: str
    cookies: dict[str, str]
    csrf: str

    def socket(self, service) -> ChatClient:  # type: ignore[no-untyped-def]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return ChatClient(
            service.http.replace("http", "ws") + "/ws/agent", headers={"Cookie": cookie, "Origin": service.http}
        )


async def make_agent(db: Database, teams: list[str], max_chats: int = 3, name: str | None = None) -> tuple[int, str]:
    await agents.ensure_default_teams(db.sessions)
    username = f"agent{next(_names)}"
    agent_id = await agents.create_agent(
        db.sessions, username, name or f"Medewerker {username}", PASSWORD, teams, max_chats
    )
    return agent_id, username


async def login(service, db: Database, teams: list[str], **kwargs) -> LoggedIn:  # type: ignore[no-untyped-def]
    agent_id, username = await make_agent(db, teams, **kwargs)
    async with httpx.AsyncClient(base_url=service.http) as http:
        response = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return LoggedIn(agent_id, username, dict(response.cookies), response.json()["csrf"])
