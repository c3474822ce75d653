"""The one sign-in session store, for agents and residents alike, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from agents_helper import make_agent
from sqlalchemy import func, select

from handover.auth.sessions import AGENT_SESSIONS, RESIDENT_SESSIONS, SessionStore
from handover.store.db import Database
from handover.store.models import Partij


async def _owner(db: Database, store: SessionStore) -> int:
    if store is AGENT_SESSIONS:
        agent_id, _ = await make_agent(db, ["burgerzaken"])
        return agent_id
    async with db.sessions.begin() as session:
        partij = Partij(identifier_hash="0" * 64, identifier_hint="BSN *******82", display_name="Test")
        session.add(partij)
        await session.flush()
        return partij.id


async def _rows(db: Database, store: SessionStore) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(store.model))).scalar_one())


@pytest.mark.parametrize("store", [AGENT_SESSIONS, RESIDENT_SESSIONS], ids=["agent", "resident"])
async def test_open_find_expire_and_close(db: Database, store: SessionStore) -> None:
    owner = await _owner(db, store)

    token, csrf = await store.open(db.sessions, owner, timedelta(hours=1))
    assert await store.owner_of(db.sessions, token) == (owner, csrf)
    assert await store.owner_of(db.sessions, token + "x") is None
    assert await store.owner_of(db.sessions, None) is None

    stale, _ = await store.open(db.sessions, owner, timedelta(seconds=-1))
    assert await store.owner_of(db.sessions, stale) is None, "an expired session is not a session"
    assert await _rows(db, store) == 2

    await store.open(db.sessions, owner, timedelta(hours=1))
    assert await _rows(db, store) == 2, "opening a session sweeps the expired ones of the same table"

    await store.close(db.sessions, token)
    assert await store.owner_of(db.sessions, token) is None
    assert await _rows(db, store) == 1


async def test_only_the_token_hash_is_stored(db: Database) -> None:
    owner = await _owner(db, AGENT_SESSIONS)
    token, _ = await AGENT_SESSIONS.open(db.sessions, owner, timedelta(hours=1))
    async with db.sessions() as session:
        stored = list((await session.execute(select(AGENT_SESSIONS.model.token_hash))).scalars())
    assert stored and token not in stored
