"""Use cases of a resident's conversation: start, resume, speak, and the bot's turn.

The lifecycle rules come from :mod:`handover.core.lifecycle`; this module carries out the
effects: it stores first (SQL is the record), then wakes listeners, then talks to Rasa.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ..bus.fanout import Fanout
from ..core import lifecycle
from ..core.masking import mask_personal_numbers
from ..core.protocol import Context, ProtocolError, Say
from ..core.safety import HELP_TEXT, distress
from ..integrations.rasa import BotTurn, RasaClient, RasaUnavailable, intent_of
from ..store import repo
from ..store.models import Conversation, Message, utcnow

log = logging.getLogger(__name__)

BOT_UNAVAILABLE_TEXT = (
    "Sorry, de digitale assistent is even niet bereikbaar. Je bericht is bewaard. "
    "Probeer het over een paar minuten opnieuw."
)


def typing_event(author: str, active: bool, seq: int) -> dict[str, Any]:
    return {"type": "typing", "seq": seq, "author": author, "active": active}


class Conflict(Exception):
    """Someone else changed the conversation first (or it is not the caller's)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __repr__(self) -> str:
        return f"Conflict({self.code!r})"


def snapshot_of(conversation: Conversation) -> lifecycle.Snapshot:
    return lifecycle.Snapshot(lifecycle.State(conversation.state), conversation.team, conversation.agent_id)


TransitionListener = Callable[[str, lifecycle.Snapshot, lifecycle.Decision], Awaitable[None]]


@dataclass(frozen=True)
class Spoken:
    message: Message
    created: bool


class ConversationService:
    def __init__(self, sessions: repo.Sessions, fanout: Fanout, rasa: RasaClient) -> None:
        self.sessions = sessions
        self.fanout = fanout
        self.rasa = rasa
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Called after every state change (routing listens: queue views, offers).
        self.on_transition: list[TransitionListener] = []
        # Called when a bot turn asks for a person: (conversation id, handover payload).
        self.on_handover: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []

    # --- resident commands -------------------------------------------------------------

    async def start(self, context: Context) -> tuple[Conversation, str]:
        return await repo.create_conversation(
            self.sessions,
            channel=context.channel,
            lang=context.lang,
            page=context.page,
            referrer=context.referrer,
            utm=context.utm,
        )

    async def resume(self, token: str) -> Conversation | None:
        return await repo.find_by_token(self.sessions, token)

    async def say(self, conversation_id: str, command: Say) -> Spoken:
        """Store what the resident said, acknowledge it, and route it by the lifecycle."""
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            raise ProtocolError("unknown_conversation", "conversation no longer exists", command.id)
        snapshot = snapshot_of(conversation)
        try:
            decision = lifecycle.decide(snapshot, lifecycle.ResidentSpoke())
        except lifecycle.IllegalTransition:
            raise ProtocolError(
                "conversation_closed", f"conversation is {conversation.state}", command.id
            ) from None

        text = mask_personal_numbers(command.text)
        message, created = await repo.append(
            self.sessions,
            conversation_id,
            repo.NewEvent(
                kind="message", author="resident", text=text, payload=command.payload, client_id=command.id
            ),
        )
        if not created:
            return Spoken(message, created=False)
        kind = distress(command.text)
        if kind is not None:
            # Emergency numbers from the service itself, whatever the bot or an agent says next.
            await repo.append(self.sessions, conversation_id, repo.NewEvent(
                kind="message", author="system", text=HELP_TEXT[kind], meta={"safety": kind}))
        await self.fanout.wake(conversation_id)
        if decision.snapshot != snapshot:
            await self.apply(conversation_id, snapshot, decision)
        if any(isinstance(e, lifecycle.SendToBot) for e in decision.effects):
            metadata = {"channel": conversation.channel, "page": conversation.page, "lang": conversation.lang}
            self._spawn(self._bot_turn(conversation_id, command.payload or text, metadata, message.seq))
        return Spoken(message, created=True)

    async def transition(
        self,
        conversation_id: str,
        event: lifecycle.Event,
        *,
        values: dict[str, Any] | None = None,
        expect_agent: int | None = None,
        announce: dict[str, Any] | None = None,
    ) -> lifecycle.Decision:
        """Apply a lifecycle event: decide, change the row if nobody else did, record it.

        Raises :class:`lifecycle.IllegalTransition` when the event cannot happen, and
        :class:`Conflict` when another agent or instance changed the conversation first.
        """
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            raise Conflict("unknown_conversation")
        before = snapshot_of(conversation)
        if expect_agent is not None and before.agent_id != expect_agent:
            raise Conflict("not_yours")
        decision = lifecycle.decide(before, event)
        await self.apply(conversation_id, before, decision, values=values, announce=announce)
        return decision

    async def apply(
        self,
        conversation_id: str,
        before: lifecycle.Snapshot,
        decision: lifecycle.Decision,
        *,
        values: dict[str, Any] | None = None,
        announce: dict[str, Any] | None = None,
    ) -> None:
        after = decision.snapshot
        if after != before or values:
            changes = {"state": after.state.value, "team": after.team, "agent_id": after.agent_id, **(values or {})}
            if after.state is lifecycle.State.CLOSED:
                changes["closed_at"] = utcnow()
            if not await repo.compare_and_set(
                self.sessions, conversation_id, expect_state=before.state.value, values=changes,
                expect_agent=before.agent_id if before.state is lifecycle.State.ASSIGNED else None,
            ):
                raise Conflict("already_taken")
        for effect in decision.effects:
            if isinstance(effect, lifecycle.AnnounceState):
                meta = {"reason": effect.reason, "team": after.team, **(announce or {})}
                await repo.append(
                    self.sessions,
                    conversation_id,
                    repo.NewEvent(kind="state", author="system", text=effect.state.value, meta=meta),
                )
        await self.fanout.wake(conversation_id)
        for listener in self.on_transition:
            await listener(conversation_id, before, decision)

    # --- the bot's turn ----------------------------------------------------------------

    async def _bot_turn(self, conversation_id: str, text: str, metadata: dict[str, Any], seq: int) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        try:
            async with lock:
                await self.fanout.ephemeral(conversation_id, typing_event("bot", True, seq))
                try:
                    seq = await self._ask_bot(conversation_id, text, metadata)
                finally:
                    await self.fanout.ephemeral(conversation_id, typing_event("bot", False, seq))
        finally:
            if not lock.locked() and self._locks.get(conversation_id) is lock:
                del self._locks[conversation_id]

    async def _ask_bot(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> int:
        try:
            turn = await self.rasa.send(conversation_id, text, metadata)
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable for conversation %s: %s", conversation_id, exc)
            message, _ = await repo.append(
                self.sessions,
                conversation_id,
                repo.NewEvent(kind="message", author="system", text=BOT_UNAVAILABLE_TEXT, meta={"topic": None}),
            )
            await self.fanout.wake(conversation_id)
            return message.seq
        return await self._store_turn(conversation_id, turn)

    async def _store_turn(self, conversation_id: str, turn: BotTurn) -> int:
        intent: str | None = None
        confidence: float | None = None
        try:
            intent, confidence = intent_of(await self.rasa.tracker(conversation_id))
        except RasaUnavailable as exc:
            log.info("no tracker for %s: %s", conversation_id, exc)
        topic = turn.custom.get("topic") if isinstance(turn.custom.get("topic"), str) else None
        meta: dict[str, Any] = {"topic": topic, "intent": intent, "confidence": confidence}
        handover = turn.custom.get("handover")
        seq = 0
        for index, bot_message in enumerate(turn.messages):
            last = index == len(turn.messages) - 1
            message, _ = await repo.append(
                self.sessions,
                conversation_id,
                repo.NewEvent(
                    kind="message",
                    author="bot",
                    text=bot_message.text,
                    buttons=bot_message.buttons,
                    # The handover request rides on the turn's last message, for the agent's view.
                    meta={**meta, "handover": handover} if last and isinstance(handover, dict) else meta,
                ),
            )
            seq = message.seq
            await self.fanout.wake(conversation_id)
        if topic:
            await repo.set_topic(self.sessions, conversation_id, topic)
        if isinstance(handover, dict):
            for listener in self.on_handover:
                await listener(conversation_id, handover)
        return seq

    # --- background work ---------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Let running bot turns finish (shutdown), then cancel what is left."""
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
