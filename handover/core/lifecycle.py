"""The conversation lifecycle as a pure state machine: events in, a new state and effects out.

No I/O happens here. The websocket, Redis, SQL and Rasa adapters ask :func:`decide` what a
thing that happened means for a conversation and carry out the effects it returns, so every
rule about who may talk to whom lives in this one module and is tested without a server.

    bot ──handover──▶ queued ──claim──▶ assigned ──close──▶ closed
     ▲                 │  ▲               │  │
     └──cancel─────────┘  └──release──────┘  └──hand back──▶ bot
    queued ──no agent / closed office──▶ callback_requested
    queued ──resident left──▶ abandoned
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .errors import HandoverError


class State(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    CALLBACK_REQUESTED = "callback_requested"
    ABANDONED = "abandoned"


#: States in which nobody handles the conversation any more and residents cannot write.
FINAL_STATES = frozenset({State.CLOSED, State.ABANDONED})


@dataclass(frozen=True)
class Snapshot:
    """What the machine needs to know about a conversation."""

    state: State
    team: str | None = None
    agent_id: int | None = None


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentSpoke:
    """The resident sent text or pressed a button."""


@dataclass(frozen=True)
class AgentSpoke:
    """The agent sent a message (or a private note) in a conversation."""

    agent_id: int


@dataclass(frozen=True)
class AgentActed:
    """An agent acts on a conversation (opens, reads, types, hands back, closes, transfers, is
    released): only the agent it is assigned to may."""

    agent_id: int


@dataclass(frozen=True)
class HandoverRequested:
    """The bot's custom payload or the resident's "Medewerker" button asks for a person."""

    team: str
    reason: str


@dataclass(frozen=True)
class QueueCancelled:
    """The resident no longer wants to wait and returns to the assistant."""


@dataclass(frozen=True)
class AgentClaimed:
    """An agent accepts a queued chat. What the adapter knows about the agent comes along, so
    the rules about who may take which chat are decided here too (``None``: not checked)."""

    agent_id: int
    teams: frozenset[str] | None = None  # the agent's teams
    offered: bool = False  # the chat is offered to this agent in person (a transfer to them)
    active_chats: int = 0  # chats assigned to the agent now
    max_chats: int | None = None  # the agent's capacity


@dataclass(frozen=True)
class AgentReleased:
    """The agent lost the conversation (disconnect past the grace period, or not accepted)."""

    reason: str = "agent_lost"


@dataclass(frozen=True)
class Transferred:
    team: str
    agent_id: int | None = None


@dataclass(frozen=True)
class HandedBack:
    """The agent gives the conversation back to the assistant."""


@dataclass(frozen=True)
class CallbackRequested:
    """No agent is available or the team is closed; a follow-up task was left."""


@dataclass(frozen=True)
class ResidentLeft:
    """The resident went away while waiting in the queue."""


@dataclass(frozen=True)
class Closed:
    outcome: str = "afgehandeld"


Event = (
    ResidentSpoke
    | AgentSpoke
    | AgentActed
    | HandoverRequested
    | QueueCancelled
    | AgentClaimed
    | AgentReleased
    | Transferred
    | HandedBack
    | CallbackRequested
    | ResidentLeft
    | Closed
)

# --- effects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendToBot:
    """Pass the resident's words to Rasa and publish its replies."""


@dataclass(frozen=True)
class DeliverToAgent:
    """Show the resident's words to the assigned agent."""


@dataclass(frozen=True)
class DeliverToResident:
    """Show the agent's words to the resident (a private note: to other agents only)."""


@dataclass(frozen=True)
class HoldForAgent:
    """Store only: the agent sees it on pick-up."""


@dataclass(frozen=True)
class Enqueue:
    team: str
    front: bool = False


@dataclass(frozen=True)
class Dequeue:
    team: str


@dataclass(frozen=True)
class AnnounceState:
    """Record the state change in the transcript so both sides see it."""

    state: State
    reason: str | None = None


Effect = SendToBot | DeliverToAgent | DeliverToResident | HoldForAgent | Enqueue | Dequeue | AnnounceState


@dataclass(frozen=True)
class Decision:
    snapshot: Snapshot
    effects: tuple[Effect, ...] = field(default_factory=tuple)


class IllegalTransition(HandoverError):
    """The event cannot happen in the conversation's current state."""

    code = "invalid_state"

    def __init__(self, state: State, event: Event) -> None:
        super().__init__(f"{type(event).__name__} is not allowed in state {state.value!r}")
        self.state = state
        self.event = event

    def __repr__(self) -> str:
        return f"{type(self).__name__}(state={self.state.value!r}, event={type(self.event).__name__})"


class NotYours(IllegalTransition):
    """An agent acted on a conversation that is not assigned to them (or no longer)."""

    code = "not_yours"


class NotYourTeam(IllegalTransition):
    """An agent accepted a queued chat of a team they are not in (and it was not offered to them)."""

    code = "not_your_team"


class CapacityReached(IllegalTransition):
    """An agent accepted a chat while they already have as many as they may."""

    code = "capacity_reached"


def _to(snapshot: Snapshot, state: State, *effects: Effect, reason: str | None = None, **changes: object) -> Decision:
    new = Snapshot(
        state=state,
        team=changes.get("team", snapshot.team),  # type: ignore[arg-type]
        agent_id=changes.get("agent_id", snapshot.agent_id),  # type: ignore[arg-type]
    )
    return Decision(new, (*effects, AnnounceState(state, reason)))


def decide(snapshot: Snapshot, event: Event) -> Decision:
    """Return what ``event`` does to a conversation in ``snapshot``; raise if it cannot happen."""
    state = snapshot.state
    match event:
        case ResidentSpoke():
            if state is State.BOT or state is State.CALLBACK_REQUESTED:
                # After leaving a call-back request the resident can go on with the assistant.
                effects: tuple[Effect, ...] = (SendToBot(),)
                if state is State.CALLBACK_REQUESTED:
                    return Decision(Snapshot(State.BOT, snapshot.team, None), (*effects, AnnounceState(State.BOT)))
                return Decision(snapshot, effects)
            if state is State.QUEUED:
                return Decision(snapshot, (HoldForAgent(),))
            if state is State.ASSIGNED:
                return Decision(snapshot, (DeliverToAgent(),))
        case AgentSpoke(agent_id=agent_id):
            if state is State.ASSIGNED and snapshot.agent_id == agent_id:
                return Decision(snapshot, (DeliverToResident(),))
            raise NotYours(state, event)
        case AgentActed(agent_id=agent_id):
            if state is State.ASSIGNED and snapshot.agent_id == agent_id:
                return Decision(snapshot)
            raise NotYours(state, event)
        case HandoverRequested(team=team, reason=reason):
            if state in (State.BOT, State.CALLBACK_REQUESTED):
                return _to(snapshot, State.QUEUED, Enqueue(team), reason=reason, team=team, agent_id=None)
        case QueueCancelled():
            if state is State.QUEUED and snapshot.team:
                return _to(snapshot, State.BOT, Dequeue(snapshot.team), reason="cancelled", agent_id=None)
        case AgentClaimed(agent_id=agent_id, teams=teams, offered=offered):
            if state is State.QUEUED and snapshot.team:
                if teams is not None and snapshot.team not in teams and not offered:
                    raise NotYourTeam(state, event)
                if event.max_chats is not None and event.active_chats >= event.max_chats:
                    raise CapacityReached(state, event)
                return _to(snapshot, State.ASSIGNED, Dequeue(snapshot.team), agent_id=agent_id)
        case AgentReleased(reason=reason):
            if state is State.ASSIGNED and snapshot.team:
                return _to(snapshot, State.QUEUED, Enqueue(snapshot.team, front=True), reason=reason, agent_id=None)
        case Transferred(team=team, agent_id=agent_id):
            if state is State.ASSIGNED:
                return _to(snapshot, State.QUEUED, Enqueue(team), reason="transfer", team=team, agent_id=None)
        case HandedBack():
            if state is State.ASSIGNED:
                return _to(snapshot, State.BOT, reason="handed_back", agent_id=None)
        case CallbackRequested():
            if state is State.QUEUED and snapshot.team:
                return _to(snapshot, State.CALLBACK_REQUESTED, Dequeue(snapshot.team), agent_id=None)
            if state is State.BOT:
                return _to(snapshot, State.CALLBACK_REQUESTED)
        case ResidentLeft():
            if state is State.QUEUED and snapshot.team:
                return _to(snapshot, State.ABANDONED, Dequeue(snapshot.team), agent_id=None)
        case Closed(outcome=outcome):
            if state not in FINAL_STATES:
                effects = (Dequeue(snapshot.team),) if state is State.QUEUED and snapshot.team else ()
                return _to(snapshot, State.CLOSED, *effects, reason=outcome, agent_id=None)
    raise IllegalTransition(state, event)


def decide_for_agent(snapshot: Snapshot, event: Event, agent_id: int) -> Decision:
    """What ``event`` does when agent ``agent_id`` causes it (or it happens to their chat).

    An agent's hand back, close or transfer, and the release of a lost agent's chat, first need
    the chat to be that agent's (:class:`AgentActed`), then the event's own rule.
    """
    decide(snapshot, AgentActed(agent_id))
    return decide(snapshot, event)


def already_in_effect(snapshot: Snapshot, event: Event) -> bool:
    """A repeated request whose effect already holds, to be acknowledged without a change:
    "talk to a person" pressed again while queued, or an accept (retransmitted) of a chat this
    agent already won. Anything else goes through :func:`decide`."""
    match event:
        case HandoverRequested():
            return snapshot.state is State.QUEUED
        case AgentClaimed(agent_id=agent_id):
            return snapshot.state is State.ASSIGNED and snapshot.agent_id == agent_id
    return False


def states_allowing(event: Event) -> frozenset[State]:
    """The states in which ``event`` can happen, whatever the team or agent.

    Adapters use this to let SQL check a rule atomically (an append guarded by state) while
    the rule itself stays here.
    """
    allowed = set()
    for state in State:
        try:
            agent_id = getattr(event, "agent_id", None)
            decide(Snapshot(state, team="*", agent_id=-1 if agent_id is None else agent_id), event)
        except IllegalTransition:
            continue
        allowed.add(state)
    return frozenset(allowed)
