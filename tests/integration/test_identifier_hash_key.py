"""Rotating SECRET_KEY keeps residents' partijen when IDENTIFIER_HASH_KEY holds the old key.

The partij identifier hash (BSN/KvK -> partijen.identifier_hash) used to be keyed by SECRET_KEY
(issue 13): a rotation turned every resident into a new person. The hash now has its own key,
defaulting to SECRET_KEY so existing installations keep their partijen.
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from handover.store.db import Database
from handover.store.models import Partij

OLD_KEY = "o" * 40
NEW_KEY = "n" * 40


async def _login_as_eva(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        page = await http.get("/mijn/inloggen")
        state = re.search(r'name="state" value="([^"]+)"', page.text)
        assert state, page.text
        done = await http.post("/mijn/inloggen", data={"state": state.group(1), "persona": "eva"})
        assert done.status_code == 303, done.text


async def _partijen(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(Partij))).scalar_one())
    finally:
        await db.dispose()


async def test_a_rotated_secret_key_keeps_the_partij_when_the_hash_key_holds_the_old_one(start_service, database_url):
    await _login_as_eva(start_service(database_url, secret_key=OLD_KEY).http)
    assert await _partijen(database_url) == 1
    # The migration path: IDENTIFIER_HASH_KEY = the old SECRET_KEY, then SECRET_KEY rotated.
    await _login_as_eva(start_service(database_url, secret_key=NEW_KEY, identifier_hash_key=OLD_KEY).http)
    assert await _partijen(database_url) == 1, "the same resident became a second partij"


async def test_without_the_hash_key_a_rotation_would_make_a_new_person(start_service, database_url):
    """The default is SECRET_KEY (compatible with every hash made before the setting existed)."""
    await _login_as_eva(start_service(database_url, secret_key=OLD_KEY).http)
    await _login_as_eva(start_service(database_url, secret_key=NEW_KEY).http)
    assert await _partijen(database_url) == 2
