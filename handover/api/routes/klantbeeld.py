"""The agent's klantbeeld panel, concept requests and transcripts. All need a logged-in agent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from ...services import transcripts
from ...services.agents import AgentView
from ...services.klantbeeld.agent_view import klantbeeld_for_agent
from ...services.klantbeeld.audit import audit
from ...services.klantbeeld.catalogue import request_types as catalogue_request_types
from ...services.klantbeeld.concept_requests import publish_concept_request
from ...state import app_state
from ...store import repo
from ...store.models import Conversation
from ..deps import CurrentAgent

router = APIRouter(prefix="/api", tags=["klantbeeld"])
ROOT = Path(__file__).resolve().parents[3]


def catalogue(request: Request) -> Path:
    path = Path(app_state(request).settings.catalogue_path)
    return path if path.is_absolute() else ROOT / path


async def _conversation(request: Request, conversation_id: str, agent: AgentView, *, assigned: bool) -> Conversation:
    conversation = await repo.get_conversation(app_state(request).db.sessions, conversation_id)
    mine = conversation is not None and conversation.agent_id == agent.id
    in_team = conversation is not None and conversation.team in agent.teams
    if conversation is None or not (mine or (in_team and not assigned)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation among yours")
    return conversation


@router.get("/request-types")
async def request_types(agent: CurrentAgent, request: Request) -> list[dict[str, Any]]:
    return catalogue_request_types(catalogue(request))


@router.get("/conversations/{conversation_id}/klantbeeld")
async def klantbeeld_view(conversation_id: str, agent: CurrentAgent, request: Request) -> dict[str, Any]:
    await _conversation(request, conversation_id, agent, assigned=False)
    sessions = app_state(request).db.sessions
    view = await klantbeeld_for_agent(sessions, conversation_id, agent.id)
    if view["partij"] is not None:
        # Every channel: the own chats and what Open Klant holds for this partij (audited there).
        contacts = await app_state(request).openklant.contacts(
            sessions, view["partij"]["id"], actor=f"agent:{agent.id}", conversation_id=conversation_id
        )
        view["contacts"] = contacts.items
        view["other_channels"] = contacts.summary()
    return view


class ConceptRequestCreate(BaseModel):
    type: str = Field(min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)


@router.post("/conversations/{conversation_id}/concept-requests", status_code=status.HTTP_201_CREATED)
async def create_concept_request(
    conversation_id: str, body: ConceptRequestCreate, agent: CurrentAgent, request: Request
) -> dict[str, Any]:
    await _conversation(request, conversation_id, agent, assigned=True)
    types = {t["key"]: t for t in catalogue_request_types(catalogue(request))}
    if body.type not in types:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown request type {body.type!r}")
    if len(str(body.data)) > 20_000 or any(len(str(k)) > 80 for k in body.data):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "form data too large")
    state = app_state(request)
    published = await publish_concept_request(
        state.db.sessions,
        conversation_id,
        agent_id=agent.id,
        agent_name=agent.name,
        request_type=body.type,
        title=body.title or types[body.type]["title"],
        data={str(k): v for k, v in body.data.items()},
        lifetime=timedelta(days=state.settings.concept_request_days),
        secret=state.settings.secret_key,
    )
    await state.fanout.wake(conversation_id)
    await state.outbox.request_published(published.request_id)
    return {"id": published.request_id, "seq": published.seq}


@router.get("/conversations/{conversation_id}/transcript", response_class=PlainTextResponse)
async def transcript(conversation_id: str, agent: CurrentAgent, request: Request) -> str:
    conversation = await _conversation(request, conversation_id, agent, assigned=False)
    sessions = app_state(request).db.sessions
    await audit(sessions, f"agent:{agent.id}", "transcript.view", conversation.partij_id, conversation_id)
    return await transcripts.text(sessions, conversation)
