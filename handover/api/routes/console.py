"""What the agent console reads over HTTP. Every route needs a logged-in agent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from sqlalchemy import select, update

from ...services import agents, outbox
from ...state import app_state
from ...store.models import CallbackTask
from ..deps import CurrentAgent

router = APIRouter(prefix="/api", tags=["console"])


@router.get("/me")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return agent.public()


@router.get("/teams")
async def teams(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    return await agents.teams(app_state(request).db.sessions)


@router.get("/colleagues")
async def colleagues(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    return await agents.colleagues(app_state(request).db.sessions)


@router.get("/canned-responses")
async def canned_responses(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    return await agents.canned_responses(app_state(request).db.sessions, agent.teams)


def _callback(task: CallbackTask) -> dict[str, Any]:
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


@router.get("/callbacks")
async def callbacks(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    async with app_state(request).db.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(CallbackTask).where(CallbackTask.team_key.in_(agent.teams)).order_by(CallbackTask.created_at)
                )
            )
            .scalars()
            .all()
        )
    return [_callback(row) for row in rows]


@router.post("/callbacks/{task_id}/done")
async def callback_done(
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)], agent: CurrentAgent, request: Request
) -> dict[str, Any]:
    async with app_state(request).db.sessions.begin() as session:
        task = await session.get(CallbackTask, task_id)
        if task is None or task.team_key not in agent.teams:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call-back request in your teams")
        await session.execute(update(CallbackTask).where(CallbackTask.id == task_id).values(status="verwerkt"))
        task.status = "verwerkt"
        answer = _callback(task)
    # Its internetaak in Open Klant becomes verwerkt with afgehandeldOp (once; a no-op without Open Klant).
    await app_state(request).outbox.callback_done(task_id)
    return answer


@router.get("/outbox/failed")
async def outbox_failed(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    """Registrations in Open Klant / the Objects API that stopped for good and need a person."""
    return await outbox.failed_items(app_state(request).db.sessions)
