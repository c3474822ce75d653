"""Handover, claims and transfers: who gets which conversation, and the router's tick.

Rules come from :mod:`handover.core.lifecycle`; this module decides *which* agent and
*when*. Queue order is priority (a chat whose agent was lost comes first), then waiting time.
A claim is one conditional UPDATE, so exactly one agent wins, whichever instance they are on.
The router's tick (a `Worker`; one instance at a time, by a Redis lock) expires offers, returns
the chats of agents who vanished past the grace period, and offers waiting chats to the online
agent with free capacity who has been idle longest. Presence is in services/presence.py,
offers in services/offers.py, the queue views in services/queue.py.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select, update

from ..bus.fanout import Fanout
from ..core import lifecycle
from ..core.lifecycle import State
from ..core.masking import mask_optional
from ..core.opening_hours import describe_hours, is_open
from ..integrations.rasa import RasaUnavailable
from ..settings import Settings
from ..store import repo
from ..store.eventlog import NewEvent
from ..store.models import Agent, AgentTeam, CallbackTask, Conversation, Team, utcnow
from . import agents as agent_admin
from .conversations import Conflict, ConversationService, snapshot_of
from .klantbeeld.answers import mask_answers
from .offers import Offers
from .presence import Presence
from .queue import QueueItem, QueueViews
from .worker import Worker

log = logging.getLogger(__name__)

#: After a tick, kicks wait this long and then share one tick. A tick is four reads and three
#: Redis calls; in a handover storm every handover kicked one (bench/storm.py with SQL echo on:
#: 22 ticks for 20 handovers). A chat is offered at most this much later.
KICK_COALESCE_SECONDS = 0.05

NO_AGENT_TEXT = (
    "Er is op dit moment geen medewerker beschikbaar. Je kunt blijven wachten, "
    "of een terugbelverzoek of bericht achterlaten. Dan nemen we contact met je op."
)
CLOSED_TEXT = (
    "Het team is nu gesloten ({hours}). Laat een terugbelverzoek of bericht achter, dan nemen we contact met je op."
)


class Router:
    def __init__(self, service: ConversationService, redis: Redis, fanout: Fanout, settings: Settings) -> None:
        self.service = service
        self.sessions = service.sessions
        self.redis = redis
        self.fanout = fanout
        self.settings = settings
        self.presence = Presence(self.sessions, redis, settings)
        self.offers = Offers(self.sessions, fanout, self.presence, settings)
        self.worker = Worker(
            "router", self.tick, settings.router_interval_seconds, pause=KICK_COALESCE_SECONDS, logger=log
        )
        # Key of this deployment; several deployments (or test databases) may share a Redis.
        self.lock_key = f"{settings.redis_namespace}:router-lock"
        self.views = QueueViews(
            self.sessions, fanout, settings.queue_push_interval_seconds, self.presence.online_agents
        )
        self._teams: tuple[float, dict[str, tuple[str, dict[str, Any] | None]]] = (0.0, {})
        service.on_transition.append(self._after_transition)
        service.on_handover.append(self._bot_handover)

    # --- lifecycle of the loop ---------------------------------------------------------

    async def start(self) -> None:
        await self.views.start()
        self.worker.start()

    async def stop(self) -> None:
        await self.views.stop()
        await self.worker.stop()

    def kick(self) -> None:
        self.worker.wake()

    async def tick(self) -> None:
        token = f"{self.settings.instance_name}:{time.monotonic()}"
        try:
            if not await self.redis.set(self.lock_key, token, nx=True, px=5000):
                return
        except (RedisError, OSError):
            return  # without Redis, agents still pick from the queue by hand
        try:
            # What every step needs, read in one session (one checkout, one transaction):
            # a tick with nothing to do is one pooled connection's worth of round trips.
            now = utcnow()
            cutoff = now - timedelta(seconds=self.settings.resident_grace_seconds)
            async with self.sessions() as session:
                expired = (
                    await session.execute(
                        select(Conversation.id, Conversation.offered_agent_id, Conversation.declined_by).where(
                            Conversation.state == State.QUEUED, Conversation.offer_expires_at < now
                        )
                    )
                ).all()
                assigned = (
                    await session.execute(
                        select(Conversation.id, Conversation.agent_id).where(Conversation.state == State.ASSIGNED)
                    )
                ).all()
                gone = list(
                    (
                        await session.execute(
                            select(Conversation.id).where(
                                Conversation.state == State.QUEUED, Conversation.resident_left_at < cutoff
                            )
                        )
                    ).scalars()
                )
                agents = (
                    await session.execute(
                        select(Agent.id, Agent.max_chats, Agent.last_assigned_at, AgentTeam.team_key)
                        .join(AgentTeam, AgentTeam.agent_id == Agent.id)
                        .where(Agent.status == "online")
                    )
                ).all()
            await self.offers.expire(expired)
            await self._release_lost_agents(assigned)
            await self._abandon_departed(gone)
            await self.offers.offer_waiting(agents)
        finally:
            with contextlib.suppress(RedisError, OSError):
                if await self.redis.get(self.lock_key) == token.encode():
                    await self.redis.delete(self.lock_key)

    # --- handover and the resident's choices -------------------------------------------

    async def _bot_handover(self, conversation_id: str, payload: dict[str, Any]) -> None:
        team = str(payload.get("team") or "klantcontact")
        form = payload.get("form") if isinstance(payload.get("form"), dict) else {}
        await self.handover(
            conversation_id,
            team,
            str(payload.get("reason") or "verzoek_medewerker"),
            summary=payload.get("summary") if isinstance(payload.get("summary"), str) else None,
            form=form,
        )

    async def teams(self) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """Team key -> (name, opening hours), read at most every 5 s (a storm reads it once)."""
        read_at, teams = self._teams
        if time.monotonic() - read_at > 5 or not teams:
            async with self.sessions() as session:
                rows = (await session.execute(select(Team.key, Team.name, Team.opening_hours))).all()
            teams = {row.key: (row.name, row.opening_hours) for row in rows}
            self._teams = (time.monotonic(), teams)
        return teams

    async def handover(
        self,
        conversation_id: str,
        team: str,
        reason: str,
        *,
        summary: str | None = None,
        form: dict[str, Any] | None = None,
        known: lifecycle.Snapshot | None = None,
    ) -> None:
        """Queue the conversation for ``team``; ``known``: its state as the caller just read it
        (see :meth:`ConversationService.transition`)."""
        names = {key: name for key, (name, _hours) in (await self.teams()).items()}
        if team not in names:
            log.warning("handover to unknown team %r; using klantcontact", team)
            team = "klantcontact" if "klantcontact" in names else next(iter(names), team)
        slots = await self._tracker_slots(conversation_id)
        merged = mask_answers({**slots, **(form or {})})
        await self.service.transition(
            conversation_id,
            lifecycle.HandoverRequested(team=team, reason=reason),
            values={
                "queued_at": utcnow(),
                "priority": 0,
                "handover_reason": reason,
                "handover_summary": mask_optional(summary),
                "form": merged or None,
                "offered_agent_id": None,
                "offer_expires_at": None,
                "declined_by": None,
            },
            announce={"team_name": names.get(team, team)},
            known=known,
        )
        await self.announce_availability(conversation_id, team)
        self.kick()

    async def _tracker_slots(self, conversation_id: str) -> dict[str, Any]:
        try:
            tracker = await self.service.rasa.tracker(conversation_id)
        except RasaUnavailable:
            return {}
        slots = tracker.get("slots") or {}
        ignore = {"requested_slot", "session_started_metadata"}
        return {k: v for k, v in slots.items() if v not in (None, [], "") and k not in ignore}

    async def announce_availability(self, conversation_id: str, team: str) -> None:
        hours = (await self.teams()).get(team, (team, None))[1]
        open_now = is_open(hours, self.settings.holidays, utcnow(), self.settings.timezone)
        online = await self.presence.online_agents(team)
        if open_now and online:
            return
        reason = "no_agents" if open_now else "closed"
        text = NO_AGENT_TEXT if open_now else CLOSED_TEXT.format(hours=describe_hours(hours))
        appended = await self.service.append(
            conversation_id, NewEvent(kind="message", author="system", text=text, meta={"availability": reason})
        )
        await self.fanout.ephemeral(
            conversation_id,
            {
                "type": "availability",
                "seq": appended.event.seq,
                "team": team,
                "available": False,
                "reason": reason,
                "opening_hours": describe_hours(hours),
            },
        )

    async def request_callback(self, conversation_id: str, details: dict[str, Any]) -> int:
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            raise Conflict("unknown_conversation")
        team = conversation.team or "klantcontact"
        # The state change decides whether a call-back can be left at all (one per wait): only
        # then is the task stored, so pressing twice never leaves two tasks.
        await self.service.transition(
            conversation_id, lifecycle.CallbackRequested(), values={"offered_agent_id": None, "offer_expires_at": None}
        )
        async with self.sessions.begin() as session:
            task = CallbackTask(conversation_id=conversation_id, team_key=team, **details)
            session.add(task)
            await session.flush()
            task_id = task.id
        await self.fanout.ephemeral("queue:" + team, {"type": "callbacks_changed"})
        return task_id

    # --- agents ------------------------------------------------------------------------

    async def claim(self, conversation_id: str, agent_id: int) -> None:
        """Take a queued chat. Raises Conflict('already_taken'|'capacity_reached'|...)."""
        agent = await agent_admin.view(self.sessions, agent_id)
        if agent is None:
            raise Conflict("not_yours")
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            raise Conflict("unknown_conversation")
        claim = lifecycle.AgentClaimed(
            agent_id,
            teams=frozenset(agent.teams),
            offered=conversation.offered_agent_id == agent_id,
            active_chats=await self.active_chats(agent_id),
            max_chats=agent.max_chats,
        )
        if lifecycle.already_in_effect(snapshot_of(conversation), claim):
            return  # a retransmitted accept of a chat this agent already won
        try:
            await self.service.transition(
                conversation_id,
                claim,
                values={"assigned_at": utcnow(), "offered_agent_id": None, "offer_expires_at": None},
                announce={"agent_name": agent.name},
            )
        except (lifecycle.NotYourTeam, lifecycle.CapacityReached) as refused:
            raise Conflict(refused.code) from None
        except lifecycle.IllegalTransition:
            raise Conflict("already_taken") from None  # not (or no longer) waiting
        async with self.sessions.begin() as session:
            await session.execute(update(Agent).where(Agent.id == agent_id).values(last_assigned_at=utcnow()))

    async def release(self, conversation_id: str, agent_id: int, reason: str = "agent_lost") -> None:
        """The agent lost the chat: back to the front of its team's queue."""
        await self.service.transition(
            conversation_id,
            lifecycle.AgentReleased(reason),
            expect_agent=agent_id,
            values={"priority": 1, "offered_agent_id": None, "offer_expires_at": None, "declined_by": [agent_id]},
        )
        self.kick()

    async def transfer(self, conversation_id: str, agent_id: int, team: str, to_agent: int | None = None) -> None:
        names = await agent_admin.team_names(self.sessions)
        if team not in names:
            raise Conflict("unknown_team")
        values: dict[str, Any] = {"queued_at": utcnow(), "priority": 0, "declined_by": [agent_id]}
        if to_agent is not None:
            values.update(
                offered_agent_id=to_agent,
                offer_expires_at=utcnow() + timedelta(seconds=self.settings.offer_timeout_seconds),
            )
        await self.service.transition(
            conversation_id,
            lifecycle.Transferred(team, to_agent),
            expect_agent=agent_id,
            values=values,
            announce={"team_name": names[team]},
        )
        if to_agent is not None:
            await self.offers.send(conversation_id, to_agent, team)
        self.kick()

    async def active_chats(self, agent_id: int) -> int:
        async with self.sessions() as session:
            return int(
                (
                    await session.execute(
                        select(func.count())
                        .select_from(Conversation)
                        .where(Conversation.agent_id == agent_id, Conversation.state == State.ASSIGNED)
                    )
                ).scalar_one()
            )

    async def touch_presence(self, agent_id: int) -> None:
        """The agent's socket says it is still here (see services/presence.py)."""
        await self.presence.touch(agent_id)

    # --- queue views ---------------------------------------------------------------------

    async def queue(self, teams: list[str]) -> dict[str, list[QueueItem]]:
        return await self.views.queue(teams)

    async def expected_wait(self, team: str, position: int) -> int:
        return await self.views.expected_wait(team, position)

    async def publish_queue(self, team: str) -> None:
        """Tell the team's agents and waiting residents now (the coalesced path is ``views.changed``)."""
        await self.views.publish([team])

    async def _after_transition(
        self, conversation_id: str, before: lifecycle.Snapshot, decision: lifecycle.Decision
    ) -> None:
        teams = {e.team for e in decision.effects if isinstance(e, lifecycle.Enqueue | lifecycle.Dequeue)}
        if teams:
            self.views.changed(teams)
        if before.agent_id and decision.snapshot.agent_id != before.agent_id:
            await self.fanout.ephemeral(
                f"agent:{before.agent_id}",
                {"type": "released", "conversation_id": conversation_id, "reason": decision.snapshot.state.value},
            )
        if decision.snapshot.agent_id and decision.snapshot.agent_id != before.agent_id:
            await self.fanout.ephemeral(
                f"agent:{decision.snapshot.agent_id}", {"type": "assigned", "conversation_id": conversation_id}
            )

    # --- the router's work ---------------------------------------------------------------

    async def _release_lost_agents(self, rows: Sequence[Any]) -> None:
        """``rows``: (id, agent_id) of the assigned chats."""
        by_agent: dict[int, list[str]] = {}
        for conversation_id, agent_id in rows:
            if agent_id is not None:
                by_agent.setdefault(agent_id, []).append(conversation_id)
        present = await self.presence.present(list(by_agent))
        now = time.time()
        for agent_id, conversations in by_agent.items():
            if agent_id in present:
                continue
            gone_for = await self.presence.gone_for(agent_id, now)
            if gone_for < self.settings.agent_grace_seconds:
                continue
            log.info("agent %s gone for %.0fs; requeueing %d chat(s)", agent_id, gone_for, len(conversations))
            for conversation_id in conversations:
                with contextlib.suppress(Conflict, lifecycle.IllegalTransition):
                    await self.release(conversation_id, agent_id, "agent_lost")
            await agent_admin.set_status(self.sessions, agent_id, "offline")
            await self.presence.forget_gone(agent_id)

    async def _abandon_departed(self, gone: list[str]) -> None:
        """Queued residents whose socket has been gone past the grace period leave the queue."""
        for conversation_id in gone:
            with contextlib.suppress(Conflict, lifecycle.IllegalTransition):
                await self.service.transition(
                    conversation_id,
                    lifecycle.ResidentLeft(),
                    values={"offered_agent_id": None, "offer_expires_at": None},
                )

    async def snapshot(self, conversation_id: str) -> lifecycle.Snapshot | None:
        return await self.service.snapshot(conversation_id)
