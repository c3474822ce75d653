"""What the agent console reads over HTTP. Every route needs a logged-in agent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status

from ...services import agents, outbox
from ...services import callbacks as callback_tasks
from ...state import app_state
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


@router.get("/callbacks")
async def callbacks(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    return await callback_tasks.of_teams(app_state(request).db.sessions, agent.teams)


@router.post("/callbacks/{task_id}/done")
async def callback_done(
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)], agent: CurrentAgent, request: Request
) -> dict[str, Any]:
    answer = await callback_tasks.mark_done(app_state(request).db.sessions, task_id, agent.teams)
    if answer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call-back request in your teams")
    # Its internetaak in Open Klant becomes verwerkt with afgehandeldOp (once; a no-op without Open Klant).
    await app_state(request).outbox.callback_done(task_id)
    return answer


@router.get("/outbox/failed")
async def outbox_failed(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    """Registrations in Open Klant / the Objects API that stopped for good and need a person."""
    return await outbox.failed_items(app_state(request).db.sessions)
