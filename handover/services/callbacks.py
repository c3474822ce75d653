"""Call-back requests as the console lists and completes them (left by residents through routing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ..store.models import CallbackTask
from ..store.repo import Sessions


def public(task: CallbackTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "conversation_id": task.conversation_id,
        "team": task.team_key,
        "name": task.name,
        "phone": task.phone,
        "email": task.email,
        "message": task.message,
        "status": task.status,
        "created_at": task.created_at.isoformat() if task.created_at else None,
    }


async def of_teams(sessions: Sessions, teams: list[str]) -> list[dict[str, Any]]:
    """The call-back requests of these teams, oldest first."""
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(CallbackTask).where(CallbackTask.team_key.in_(teams)).order_by(CallbackTask.created_at)
                )
            )
            .scalars()
            .all()
        )
    return [public(row) for row in rows]


async def mark_done(sessions: Sessions, task_id: int, teams: list[str]) -> dict[str, Any] | None:
    """Mark a call-back request of one of these teams ``verwerkt``; None if there is no such request."""
    async with sessions.begin() as session:
        task = await session.get(CallbackTask, task_id)
        if task is None or task.team_key not in teams:
            return None
        await session.execute(update(CallbackTask).where(CallbackTask.id == task_id).values(status="verwerkt"))
        task.status = "verwerkt"
        return public(task)
