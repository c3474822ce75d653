"""The audit log: who looked at or changed a resident's data (append-only, masked)."""

from __future__ import annotations

from ...core.masking import mask_optional
from ...store.models import AuditEntry
from ...store.repo import Sessions


async def audit(
    sessions: Sessions,
    actor: str,
    action: str,
    partij_id: int | None,
    conversation_id: str | None,
    detail: str | None = None,
) -> None:
    async with sessions.begin() as session:
        session.add(
            AuditEntry(
                actor=actor,
                action=action,
                partij_id=partij_id,
                conversation_id=conversation_id,
                detail=mask_optional(detail),
            )
        )
