"""Teams, agents and their sessions: administration and authentication."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.passwords import hash_password_async, verify_password_async
from ..auth.sessions import AGENT_SESSIONS
from ..core.errors import HandoverError
from ..core.lifecycle import State
from ..store.models import Agent, AgentSession, AgentTeam, CannedResponse, Conversation, Team
from ..store.repo import Sessions
from .presence import status_changed

DEFAULT_TEAMS: dict[str, str] = {
    "klantcontact": "Klantcontactcentrum",
    "burgerzaken": "Burgerzaken",
    "subsidies_inkomen": "Subsidies en inkomen",
    "belastingen": "Belastingen",
    "openbare_ruimte": "Openbare ruimte",
    "vergunningen": "Vergunningen",
}

DEFAULT_CANNED: list[tuple[str, str]] = [
    ("Begroeting", "Goedendag {naam}, u spreekt met {medewerker} van de gemeente. Ik lees even mee."),
    ("Even geduld", "Een moment alstublieft, ik zoek het voor u uit."),
    ("Afsluiten", "Kan ik u nog ergens anders mee helpen? Anders wens ik u een fijne dag."),
]


# What an agent may do (agents sign in with one; an OIDC sign-in takes it from the IdP's claim).
ROLES = ("agent", "supervisor", "beheerder")


class AgentError(HandoverError, ValueError):
    """An agent or team that cannot be created or changed as asked (handover-admin, OIDC sign-in)."""

    code = "invalid_agent"


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    name: str
    teams: list[str]
    max_chats: int
    status: str
    role: str = "agent"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "teams": self.teams,
            "max_chats": self.max_chats,
            "status": self.status,
            "role": self.role,
        }


async def ensure_team(sessions: Sessions, key: str, name: str, opening_hours: dict[str, Any] | None = None) -> None:
    async with sessions.begin() as session:
        team = await session.get(Team, key)
        if team is None:
            session.add(Team(key=key, name=name, opening_hours=opening_hours))
            await session.flush()  # the canned responses refer to the team row
            for title, text in DEFAULT_CANNED:
                session.add(CannedResponse(team_key=key, title=title, text=text))
        else:
            team.name = name
            team.opening_hours = opening_hours


async def ensure_default_teams(sessions: Sessions) -> None:
    async with sessions() as session:
        existing = set((await session.execute(select(Team.key))).scalars())
    for key, name in DEFAULT_TEAMS.items():
        if key not in existing:
            with contextlib.suppress(IntegrityError):  # another instance started at the same moment
                await ensure_team(sessions, key, name)


async def create_agent(
    sessions: Sessions,
    username: str,
    display_name: str,
    password: str,
    teams: list[str],
    max_chats: int = 3,
    role: str = "agent",
) -> int:
    if max_chats < 1:
        raise AgentError("max_chats must be at least 1")
    if role not in ROLES:
        raise AgentError(f"role must be one of {', '.join(ROLES)}")
    password_hash = await hash_password_async(password)
    async with sessions.begin() as session:
        known = set((await session.execute(select(Team.key).where(Team.key.in_(teams)))).scalars())
        unknown = set(teams) - known
        if unknown:
            raise AgentError(f"unknown team(s): {', '.join(sorted(unknown))}")
        if (await session.execute(select(Agent.id).where(Agent.username == username))).first():
            raise AgentError(f"agent {username!r} already exists")
        agent = Agent(
            username=username, display_name=display_name, password_hash=password_hash, max_chats=max_chats, role=role
        )
        session.add(agent)
        await session.flush()
        for team in teams:
            session.add(AgentTeam(agent_id=agent.id, team_key=team))
        return agent.id


async def reset_password(sessions: Sessions, username: str, password: str) -> None:
    password_hash = await hash_password_async(password)
    async with sessions.begin() as session:
        agent = (await session.execute(select(Agent).where(Agent.username == username))).scalar_one_or_none()
        if agent is None:
            raise AgentError(f"no agent {username!r}")
        agent.password_hash = password_hash
        # A reset ends every session of that agent.
        await session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id))


async def view(sessions: Sessions, agent_id: int) -> AgentView | None:
    async with sessions() as session:
        agent = await session.get(Agent, agent_id)
        if agent is None:
            return None
        teams = list(
            (await session.execute(select(AgentTeam.team_key).where(AgentTeam.agent_id == agent_id))).scalars()
        )
    return AgentView(
        agent.id, agent.username, agent.display_name, sorted(teams), agent.max_chats, agent.status, agent.role
    )


async def authenticate(sessions: Sessions, username: str, password: str) -> int | None:
    async with sessions() as session:
        agent = (await session.execute(select(Agent).where(Agent.username == username))).scalar_one_or_none()
    # An agent who signs in only through OIDC has no password hash: nothing can match it.
    if (
        not await verify_password_async(agent.password_hash if agent and agent.password_hash else None, password)
        or agent is None
    ):
        return None
    return agent.id


async def sign_in_oidc(
    sessions: Sessions, *, subject: str, username: str, display_name: str, role: str, teams: list[str] | None
) -> int:
    """The agent an OIDC sign-in stands for, created at the first sign-in.

    ``subject`` is "<issuer> <sub>". The role is taken from the IdP at every sign-in. ``teams``
    from the IdP replace the agent's teams (unknown team keys are ignored); ``None`` keeps the
    teams set locally with handover-admin. An agent created earlier with a local password and the
    same username is linked to the subject at its first OIDC sign-in (the IdP vouches for usernames).
    """
    if role not in ROLES:
        raise AgentError(f"unknown role {role!r}")
    async with sessions.begin() as session:
        agent = (await session.execute(select(Agent).where(Agent.oidc_subject == subject))).scalar_one_or_none()
        if agent is None:
            agent = (
                await session.execute(select(Agent).where(Agent.username == username, Agent.oidc_subject.is_(None)))
            ).scalar_one_or_none()
        if agent is None:
            taken = (await session.execute(select(Agent.id).where(Agent.username == username))).first()
            agent = Agent(
                username=username if not taken else f"{username}-{secrets.token_hex(3)}",
                display_name=display_name,
                password_hash="",
                max_chats=3,
            )
            session.add(agent)
        agent.oidc_subject = subject
        agent.role = role
        agent.display_name = display_name
        await session.flush()
        if teams is not None:
            known = set((await session.execute(select(Team.key).where(Team.key.in_(teams)))).scalars())
            await session.execute(delete(AgentTeam).where(AgentTeam.agent_id == agent.id))
            for team in sorted(known):
                session.add(AgentTeam(agent_id=agent.id, team_key=team))
        status_changed()  # teams may have changed: who is online for which team
        return agent.id


async def open_session(sessions: Sessions, agent_id: int, lifetime: timedelta) -> tuple[str, str]:
    """Return (session token, csrf token); see auth/sessions.py."""
    return await AGENT_SESSIONS.open(sessions, agent_id, lifetime)


async def session_agent(sessions: Sessions, token: str | None) -> tuple[int, str] | None:
    """Return (agent id, csrf token) for a live session, or None."""
    return await AGENT_SESSIONS.owner_of(sessions, token)


async def close_session(sessions: Sessions, token: str) -> None:
    await AGENT_SESSIONS.close(sessions, token)


async def set_status(sessions: Sessions, agent_id: int, status: str) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Agent).where(Agent.id == agent_id).values(status=status))
    status_changed()


async def assigned_conversations(sessions: Sessions, agent_id: int) -> list[str]:
    """The ids of the chats assigned to this agent now."""
    async with sessions() as session:
        return list(
            (
                await session.execute(
                    select(Conversation.id).where(
                        Conversation.agent_id == agent_id, Conversation.state == State.ASSIGNED
                    )
                )
            ).scalars()
        )


async def holders(sessions: Sessions, conversation_ids: list[str]) -> list[tuple[str, int | None, State]]:
    """(id, agent id, state) of each of these conversations: who holds them now."""
    if not conversation_ids:
        return []
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Conversation.id, Conversation.agent_id, Conversation.state).where(
                    Conversation.id.in_(conversation_ids)
                )
            )
        ).all()
    return [(conversation_id, agent_id, state) for conversation_id, agent_id, state in rows]


async def teams(sessions: Sessions) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (await session.execute(select(Team).order_by(Team.name))).scalars().all()
    return [{"key": t.key, "name": t.name, "opening_hours": t.opening_hours} for t in rows]


async def team_names(sessions: Sessions) -> dict[str, str]:
    return {t["key"]: t["name"] for t in await teams(sessions)}


async def canned_responses(sessions: Sessions, team_keys: list[str]) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(CannedResponse).where(CannedResponse.team_key.in_(team_keys)).order_by(CannedResponse.id)
                )
            )
            .scalars()
            .all()
        )
    return [{"team": r.team_key, "title": r.title, "text": r.text} for r in rows]


async def colleagues(sessions: Sessions) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (await session.execute(select(Agent).order_by(Agent.display_name))).scalars().all()
        memberships = (await session.execute(select(AgentTeam.agent_id, AgentTeam.team_key))).all()
    teams: dict[int, list[str]] = {}
    for agent_id, team in memberships:
        teams.setdefault(agent_id, []).append(team)
    return [
        {"id": a.id, "name": a.display_name, "status": a.status, "teams": sorted(teams.get(a.id, []))} for a in rows
    ]
