"""Residents (partijen): found by a keyed hash of their identifier, never by the BSN itself."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...store.models import Partij
from ...store.repo import Sessions
from .audit import audit


def identifier_hash(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


async def identify(
    sessions: Sessions,
    secret: str,
    *,
    kind: str,
    value: str,
    display_name: str,
    email: str | None = None,
    phone: str | None = None,
) -> int:
    """Find or create the partij for an identified resident; return its id."""
    digest = identifier_hash(secret, kind, value)
    async with sessions() as session:
        found = (await session.execute(select(Partij.id).where(Partij.identifier_hash == digest))).scalar()
    if found is not None:
        return int(found)
    hint = f"{kind.upper()} *******{value[-2:]}"
    try:
        async with sessions.begin() as session:
            partij = Partij(
                identifier_hash=digest, identifier_hint=hint, display_name=display_name, email=email, phone=phone
            )
            session.add(partij)
            await session.flush()
            return partij.id
    except IntegrityError:  # the same person logging in twice at once
        async with sessions() as session:
            return int((await session.execute(select(Partij.id).where(Partij.identifier_hash == digest))).scalar_one())


async def partij(sessions: Sessions, partij_id: int) -> dict[str, Any] | None:
    async with sessions() as session:
        row = await session.get(Partij, partij_id)
    if row is None:
        return None
    return {
        "id": row.id,
        "name": row.display_name,
        "identifier": row.identifier_hint,
        "email": row.email,
        "phone": row.phone,
        "preferred_language": row.preferred_language,
        "preferred_channel": row.preferred_channel,
    }


async def update_preferences(sessions: Sessions, partij_id: int, **values: Any) -> None:
    allowed = {"email", "phone", "preferred_language", "preferred_channel", "display_name"}
    changes = {k: v for k, v in values.items() if k in allowed}
    async with sessions.begin() as session:
        await session.execute(update(Partij).where(Partij.id == partij_id).values(**changes))
    await audit(sessions, f"resident:{partij_id}", "gegevens.wijzigen", partij_id, None, ", ".join(sorted(changes)))
