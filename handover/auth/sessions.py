"""One store for sign-in sessions: agents in the console and residents in MijnGemeente.

Both kinds are the same thing: a random token in an HttpOnly cookie, of which only the SHA-256
hash is stored, a CSRF token for state-changing requests, and an expiry. They differ only in
their table and in whose session it is (``agent_id`` or ``partij_id``), so one class holds the
rules once: opening (expired rows of the same table are swept on the way), looking up a live
session, and closing it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from ..store.models import AgentSession, ResidentSession, as_utc, utcnow
from ..store.repo import Sessions, hash_token


@dataclass(frozen=True)
class SessionStore:
    """Sessions kept in ``model``'s table, owned by the row named by its ``owner`` column."""

    model: type[AgentSession] | type[ResidentSession]
    owner: str

    async def open(self, sessions: Sessions, owner_id: int, lifetime: timedelta, **extra: Any) -> tuple[str, str]:
        """Return (session token, csrf token). Only the token's hash is stored; ``extra`` are
        further columns of the row (e.g. a resident's identification)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utcnow()
        async with sessions.begin() as session:
            # Housekeeping on the way: nobody needs expired sessions.
            await session.execute(delete(self.model).where(self.model.expires_at <= now))
            row = self.model(token_hash=hash_token(token), csrf_token=csrf, expires_at=now + lifetime, **extra)
            setattr(row, self.owner, owner_id)
            session.add(row)
        return token, csrf

    async def owner_of(self, sessions: Sessions, token: str | None) -> tuple[int, str] | None:
        """Return (owner id, csrf token) for a live session, or None."""
        if not token:
            return None
        async with sessions() as session:
            row: AgentSession | ResidentSession | None = await session.get(self.model, hash_token(token))
        if row is None or as_utc(row.expires_at) <= utcnow():
            return None
        return int(getattr(row, self.owner)), row.csrf_token

    async def close(self, sessions: Sessions, token: str) -> None:
        async with sessions.begin() as session:
            await session.execute(delete(self.model).where(self.model.token_hash == hash_token(token)))


AGENT_SESSIONS = SessionStore(AgentSession, "agent_id")
RESIDENT_SESSIONS = SessionStore(ResidentSession, "partij_id")
