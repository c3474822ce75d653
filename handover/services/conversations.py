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

from sqlalchemy import update

from ..bus.fanout import Fanout
from ..core import lifecycle
from ..core.errors import HandoverError
from ..core.masking import mask_data, mask_optional, mask_personal_numbers
from ..core.protocol import Context, ProtocolError, Say
from ..core.safety import HELP_TEXT, distress
from ..integrations.rasa import BotTurn, RasaClient, RasaUnavailable, intent_of
from ..store import repo
from ..store.eventlog import Appended, AppendRefused, EventLog, Guard, NewEvent, StoredEvent
from ..store.models import Conversation, Message, utcnow
from .klantbeeld.answers import mask_answers

log = logging.getLogger(__name__)

BOT_UNAVAILABLE_TEXT = (
    "Sorry, de digitale assistent is even niet bereikbaar. Je bericht is bewaard. "
    "Probeer het over een paar minuten opnieuw, of kies 'Medewerker' om met een medewerker te praten."
)


def typing_event(author: str, active: bool, seq: int) -> dict[str, Any]:
    return {"type": "typing", "seq": seq, "author": author, "active": active}


class Conflict(HandoverError):
    """Someone else changed the conversation first (or it is not the caller's)."""

    code = "already_taken"
    codes = frozenset(
        {"already_taken", "not_yours", "not_your_team", "capacity_reached", "unknown_conversation", "unknown_team"}
    )

    def __init__(self, code: str) -> None:
        super().__init__(code, code=code)

    def __repr__(self) -> str:
        return f"Conflict({self.code!r})"


def snapshot_of(conversation: Conversation) -> lifecycle.Snapshot:
    return lifecycle.Snapshot(lifecycle.State(conversation.state), conversation.team, conversation.agent_id)


TransitionListener = Callable[[str, lifecycle.Snapshot, lifecycle.Decision], Awaitable[None]]


#: Where the resident / an agent may write; the rules are the lifecycle's, SQL checks them atomically.
RESIDENT_MAY_SPEAK = frozenset(s.value for s in lifecycle.states_allowing(lifecycle.ResidentSpoke()))
_RESIDENT_GUARD = Guard(RESIDENT_MAY_SPEAK)  # the same for every resident message
AGENT_MAY_SPEAK = frozenset(s.value for s in lifecycle.states_allowing(lifecycle.AgentSpoke(0)))


@dataclass(frozen=True)
class Spoken:
    message: StoredEvent
    created: bool


class ConversationService:
    def __init__(
        self,
        sessions: repo.Sessions,
        fanout: Fanout,
        rasa: RasaClient,
        log: EventLog,
        product_topics: frozenset[str] = frozenset(),
    ) -> None:
        self.sessions = sessions
        self.fanout = fanout
        self.rasa = rasa
        self.log = log
        # The subject of a conversation is the last *product* it was about; conversation topics
        # such as "medewerker" or "begroeting" never overwrite it. Empty: accept every topic.
        self.product_topics = product_topics
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
            # A page address can carry a number someone typed into a form (?bsn=...).
            page=mask_optional(context.page),
            referrer=mask_optional(context.referrer),
            utm=mask_data(context.utm) if context.utm else None,  # type: ignore[arg-type]
            topic_hint=mask_optional(context.topic_hint),
        )

    async def resume(self, token: str) -> Conversation | None:
        return await repo.find_by_token(self.sessions, token)

    async def resident_left(self, conversation_id: str) -> None:
        await repo.mark_resident_left(self.sessions, conversation_id, utcnow())

    async def resident_back(self, conversation_id: str) -> None:
        await repo.mark_resident_left(self.sessions, conversation_id, None)

    async def reconcile(self) -> int:
        """Wake every local follower that is behind the record (a lost pub/sub message).

        One query per 500 followed conversations, run now and then, instead of a read per
        socket per heartbeat.
        """
        ids = self.fanout.hub.conversations()
        if not ids:
            return 0
        # Residents connected here are not gone, whatever a racing disconnect elsewhere marked.
        await repo.clear_resident_left(self.sessions, ids)
        return self.fanout.hub.behind(await repo.last_seqs(self.sessions, ids))

    async def append(self, conversation_id: str, new: NewEvent, guard: Guard | None = None) -> Appended:
        """Store an event (group commit) and deliver it to every follower once committed."""
        return await self.log.append(conversation_id, new, guard)

    async def say(self, conversation_id: str, command: Say) -> Spoken:
        """Store what the resident said, acknowledge it, and route it by the lifecycle.

        One round trip: the append itself checks that the conversation accepts resident
        messages and returns the state the lifecycle then decides on.
        """
        text = mask_personal_numbers(command.text)
        payload = mask_personal_numbers(command.payload) if command.payload else None
        try:
            appended = await self.log.append(
                conversation_id,
                NewEvent(kind="message", author="resident", text=text, payload=payload, client_id=command.id),
                _RESIDENT_GUARD,
                clear_left=True,
            )
        except AppendRefused as refused:
            if refused.state is None:
                raise ProtocolError("unknown_conversation", "conversation no longer exists", command.id) from None
            raise ProtocolError("conversation_closed", f"conversation is {refused.state}", command.id) from None
        if not appended.created or appended.conversation is None:
            return Spoken(appended.event, created=False)
        row = appended.conversation
        snapshot = lifecycle.Snapshot(lifecycle.State(row.state), row.team, row.agent_id)
        decision = lifecycle.decide(snapshot, lifecycle.ResidentSpoke())
        kind = distress(command.text)
        if kind is not None:
            # Emergency numbers from the service itself, whatever the bot or an agent says next.
            await self.log.append(
                conversation_id, NewEvent(kind="message", author="system", text=HELP_TEXT[kind], meta={"safety": kind})
            )
        if decision.snapshot != snapshot:
            await self.apply(conversation_id, snapshot, decision)
        if any(isinstance(e, lifecycle.SendToBot) for e in decision.effects):
            metadata = {"channel": row.channel, "page": row.page, "lang": row.lang}
            self._spawn(self._bot_turn(conversation_id, payload or text, metadata, appended.event.seq))
        return Spoken(appended.event, created=True)

    async def agent_says(
        self,
        conversation_id: str,
        agent_id: int,
        agent_name: str,
        text: str,
        *,
        client_id: str | None,
        private: bool = False,
    ) -> Appended:
        """Store an agent's message (or private note); only the assigned agent may write."""
        try:
            return await self.log.append(
                conversation_id,
                NewEvent(
                    kind="note" if private else "message",
                    author="agent",
                    text=mask_personal_numbers(text),
                    client_id=client_id,
                    author_name=agent_name,
                ),
                Guard(AGENT_MAY_SPEAK, agent_id),
            )
        except AppendRefused as refused:
            raise Conflict("unknown_conversation" if refused.state is None else "not_yours") from None

    async def transition(
        self,
        conversation_id: str,
        event: lifecycle.Event,
        *,
        values: dict[str, Any] | None = None,
        expect_agent: int | None = None,
        announce: dict[str, Any] | None = None,
        known: lifecycle.Snapshot | None = None,
    ) -> lifecycle.Decision:
        """Apply a lifecycle event: decide, change the row if nobody else did, record it.

        ``expect_agent``: the agent who causes the event (or whose chat it happens to); the
        lifecycle then also checks that the chat is theirs.

        ``known``: the state the caller has just read. It saves reading it again (in a handover
        storm, the resident's ``request_human`` read it twice); should it have changed
        meanwhile, the update finds that out and the event is decided again on a fresh read, so
        the outcome is the same as without it.

        Raises :class:`lifecycle.IllegalTransition` when the event cannot happen (its
        :class:`lifecycle.NotYours` when the chat is not ``expect_agent``'s), and
        :class:`Conflict` when another agent or instance changed the conversation first.
        """
        before = known if known is not None else await self.snapshot(conversation_id)
        if before is None:
            raise Conflict("unknown_conversation")
        try:
            if expect_agent is None:
                decision = lifecycle.decide(before, event)
            else:
                decision = lifecycle.decide_for_agent(before, event, expect_agent)
            await self.apply(conversation_id, before, decision, values=values, announce=announce)
        except (lifecycle.IllegalTransition, Conflict):
            if known is None:
                raise
            return await self.transition(
                conversation_id, event, values=values, expect_agent=expect_agent, announce=announce
            )
        return decision

    # --- agent commands ----------------------------------------------------------------

    async def agent_conversation(self, conversation_id: str, agent_id: int) -> Conversation:
        """The conversation if the lifecycle lets this agent act on it (:class:`lifecycle.AgentActed`)."""
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            raise Conflict("unknown_conversation")
        lifecycle.decide(snapshot_of(conversation), lifecycle.AgentActed(agent_id))
        return conversation

    async def agent_typing(self, conversation_id: str, agent_id: int, active: bool) -> None:
        conversation = await self.agent_conversation(conversation_id, agent_id)
        await self.fanout.ephemeral(conversation_id, typing_event("agent", active, conversation.last_seq))

    async def agent_read(self, conversation_id: str, agent_id: int, seq: int) -> None:
        """The agent read everything up to ``seq``: stored (never backwards) and shown to the resident."""
        await self.agent_conversation(conversation_id, agent_id)
        async with self.sessions.begin() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.agent_read_seq < seq)
                .values(agent_read_seq=seq)
            )
        await self.fanout.ephemeral(conversation_id, {"type": "read", "seq": seq})

    async def hand_back(self, conversation_id: str, agent_id: int) -> None:
        await self.transition(conversation_id, lifecycle.HandedBack(), expect_agent=agent_id)

    async def close(self, conversation_id: str, agent_id: int, outcome: str, summary: str | None) -> None:
        await self.transition(
            conversation_id,
            lifecycle.Closed(outcome),
            expect_agent=agent_id,
            values={"outcome": outcome, "summary": mask_optional(summary)},
        )

    async def feedback(self, conversation_id: str, score: int, comment: str | None) -> None:
        """The resident's rating of the conversation; personal numbers in the comment are masked."""
        await repo.set_feedback(self.sessions, conversation_id, score, mask_optional(comment))

    async def snapshot(self, conversation_id: str) -> lifecycle.Snapshot | None:
        """What the lifecycle knows of a conversation now, or None if there is none."""
        row = await repo.get_state(self.sessions, conversation_id)
        return None if row is None else lifecycle.Snapshot(*row)

    async def transcript(self, conversation_id: str) -> tuple[Conversation, list[Message]] | None:
        """A conversation and its whole record (an agent opening it), or None."""
        conversation = await repo.get_conversation(self.sessions, conversation_id)
        if conversation is None:
            return None
        return conversation, list(await repo.events_after(self.sessions, conversation_id, 0, 100_000))

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
                self.sessions,
                conversation_id,
                expect_state=before.state.value,
                values=changes,
                expect_agent=before.agent_id if before.state is lifecycle.State.ASSIGNED else None,
            ):
                raise Conflict("already_taken")
        for effect in decision.effects:
            if isinstance(effect, lifecycle.AnnounceState):
                meta = {"reason": effect.reason, "team": after.team, **(announce or {})}
                await self.log.append(
                    conversation_id, NewEvent(kind="state", author="system", text=effect.state.value, meta=meta)
                )
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
        # The embedding page's topic_hint and the landing page's utm values (the campaign) are the
        # bot's prior for vague questions ("hoe werkt dat?" from the energy-subsidy post;
        # docs/assistant.md, "Conversation context").
        utm, topic_hint = await repo.get_bot_context(self.sessions, conversation_id)
        if utm:
            metadata = {**metadata, "utm": utm}
        if topic_hint:
            metadata = {**metadata, "topic_hint": topic_hint}
        try:
            turn = await self.rasa.send(conversation_id, text, metadata)
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable for conversation %s: %s", conversation_id, exc)
            appended = await self.log.append(
                conversation_id,
                NewEvent(kind="message", author="system", text=BOT_UNAVAILABLE_TEXT, meta={"topic": None}),
            )
            return appended.event.seq
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
        if isinstance(handover, dict):
            # Form answers as a request needs them (an asked-for IBAN stays), free text masked.
            form = handover.get("form")
            handover = {
                **mask_data({k: v for k, v in handover.items() if k != "form"}),  # type: ignore[dict-item]
                **({"form": mask_answers(form)} if isinstance(form, dict) else {}),
            }
        seq = 0
        for index, bot_message in enumerate(turn.messages):
            last = index == len(turn.messages) - 1
            appended = await self.log.append(
                conversation_id,
                NewEvent(
                    kind="message",
                    author="bot",
                    # The bot may repeat what the resident typed ("Je IBAN is ..."): masked too.
                    text=mask_optional(bot_message.text),
                    buttons=bot_message.buttons,
                    # The handover request rides on the turn's last message, for the agent's view.
                    meta={**meta, "handover": handover} if last and isinstance(handover, dict) else meta,
                ),
            )
            seq = appended.event.seq
        if topic and (not self.product_topics or topic in self.product_topics):
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
