"""Residents and agents that survive faults, remember what was acknowledged and what they saw.

A `Resident` keeps one conversation across connections (segments): it starts once, resumes by
token and last seq after a drop, and retransmits an unacknowledged message with the same id.
An `Agent` accepts every offer, writes to its chats, and reopens them by last seq after a drop.
`check()` compares everything with the database:

- every acknowledged client message is stored exactly once, with the acknowledged seq;
- every resident saw every event of the resident's view exactly once, in order, across its
  connections (the concatenation of its segments is exactly the stored seqs, minus notes);
- every agent saw every event of its chats (snapshots plus live events), no live event twice;
- every conversation is in a sane state (seq without gaps, assigned <=> agent, known states).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from sqlalchemy import select
from waiting import eventually
from wsclient import ChatClient

from handover.store.models import Conversation, Message

STATES = {"bot", "queued", "assigned", "closed", "callback_requested", "abandoned"}
_ids = itertools.count(1)


def _alive(client: ChatClient | None) -> bool:
    return client is not None and client._reader is not None and not client._reader.done()


async def abort(client: ChatClient | None) -> None:
    """Drop the TCP connection without a closing handshake (a network failure, not a goodbye)."""
    if client is None or client._socket is None:
        return
    client._socket.transport.abort()
    if client._reader is not None:
        await asyncio.gather(client._reader, return_exceptions=True)


async def _ask(client: ChatClient, frame: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    try:
        await client.send(frame)
        return await client.wait_for(lambda e: e.get("reply_to") == frame["id"], timeout)
    except (TimeoutError, websockets.ConnectionClosed):
        return None


@dataclass
class Resident:
    name: str
    pick_url: Callable[[], str]
    token: str | None = None
    conversation_id: str | None = None
    client: ChatClient | None = None
    segments: list[list[dict[str, Any]]] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)
    unacked: list[str] = field(default_factory=list)
    reconnects: int = 0
    retries: int = 0

    def last_seq(self) -> int:
        seqs = [e["seq"] for segment in self.segments for e in segment if e["type"] in ("message", "state")]
        return max(seqs, default=0)

    def seen(self) -> list[int]:
        return [e["seq"] for segment in self.segments for e in segment if e["type"] in ("message", "state")]

    async def connect(self, deadline: float = 30) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while True:
            try:
                client = await ChatClient(self.pick_url()).__aenter__()
                if self.token is None:
                    started = await client.request({"type": "start", "context": {"page": "https://example.nl/f"}})
                    assert started["type"] == "started", started
                    self.token, self.conversation_id = started["token"], started["conversation_id"]
                    last = 0
                else:
                    last = self.last_seq()
                    resumed = await client.request({"type": "resume", "token": self.token, "last_seq": last}, 10)
                    if resumed.get("type") != "resumed":
                        await client.close()
                        raise ConnectionError(f"resume refused: {resumed}")
                    assert resumed["recovered"] is not False, resumed
                    self.reconnects += 1
                # Each segment is the client's own event list; only events after the reply count.
                self.client = client
                self.segments.append(client.events)
                client.events[:] = [e for e in client.events if e["type"] in ("message", "state") and e["seq"] > last]
                return
            except (OSError, TimeoutError, ConnectionError, websockets.WebSocketException) as exc:
                if loop.time() > until:
                    raise AssertionError(f"{self.name} could not (re)connect: {exc!r}") from exc
                await asyncio.sleep(0.3 + random.random() * 0.3)  # not a wait: a real client's reconnect backoff

    async def say(self, text: str, deadline: float = 45) -> int | None:
        """Send until acknowledged (same id on every retry); None if never acknowledged in time."""
        frame = {"type": "message", "id": f"{self.name}-{next(_ids)}", "text": text}
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while loop.time() < until:
            if not _alive(self.client):
                await self.connect(max(1.0, until - loop.time()))
            assert self.client is not None
            reply = await _ask(self.client, dict(frame), 5)
            # Stored: answered by its own message event, or by an ack when it was a retransmission.
            if reply is not None and reply["type"] in ("message", "ack"):
                self.acked[frame["id"]] = reply["seq"]
                return int(reply["seq"])
            self.retries += 1
            await asyncio.sleep(0.2 + random.random() * 0.3)  # not a wait: a real client's retry backoff
        self.unacked.append(frame["id"])
        return None

    async def request_human(self) -> None:
        assert self.client is not None
        reply = await self.client.request({"type": "request_human"})
        assert reply["type"] == "ack", reply


@dataclass
class Agent:
    name: str
    socket_factory: Callable[[], ChatClient]
    client: ChatClient | None = None
    held: set[str] = field(default_factory=set)
    # Per connection: snapshots {conversation: [seqs]} and live [(conversation, seq)].
    segments: list[ChatClient] = field(default_factory=list)
    acked: dict[str, tuple[str, int]] = field(default_factory=dict)
    unacked: list[str] = field(default_factory=list)
    retries: int = 0
    _accepter: asyncio.Task[None] | None = None

    def seen(self, conversation_id: str) -> set[int]:
        seqs: set[int] = set()
        for client in self.segments:
            for event in client.events:
                if event.get("conversation_id") != conversation_id:
                    continue
                if event["type"] == "conversation":
                    seqs.update(e["seq"] for e in event["transcript"] if "seq" in e)
                elif event["type"] in ("message", "state"):
                    seqs.add(event["seq"])
        return seqs

    def last_seq(self, conversation_id: str) -> int:
        return max(self.seen(conversation_id), default=0)

    def live_duplicates(self) -> list[tuple[str, int]]:
        counts: Counter[tuple[str, int]] = Counter()
        for client in self.segments:
            counts.update(
                (e["conversation_id"], e["seq"])
                for e in client.events
                if e["type"] in ("message", "state") and "conversation_id" in e
            )
        return [key for key, n in counts.items() if n > 1]

    def snapshots_twice(self) -> dict[str, int]:
        """Conversations whose snapshot came more than once on one connection (one accept/open each)."""
        doubled: dict[str, int] = {}
        for client in self.segments:
            counts = Counter(e["conversation_id"] for e in client.events if e["type"] == "conversation")
            doubled.update({c: n for c, n in counts.items() if n > 1})
        return doubled

    async def connect(self, deadline: float = 30) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while True:
            try:
                client = await self.socket_factory().__aenter__()
                ack = await client.request({"type": "presence", "status": "online"})
                assert ack["type"] == "ack", ack
                assert client.hello is not None
                for conversation_id in client.hello.get("conversations", []):
                    self.held.add(conversation_id)
                    reply = await client.request(
                        {"type": "open", "conversation_id": conversation_id, "last_seq": self.last_seq(conversation_id)}
                    )
                    assert reply["type"] in ("ack", "conversation"), reply
                self.client = client
                self.segments.append(client)
                self._accepter = asyncio.create_task(self._accept_offers(client))
                return
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                if loop.time() > until:
                    raise AssertionError(f"{self.name} could not (re)connect: {exc!r}") from exc
                await asyncio.sleep(0.3 + random.random() * 0.3)  # not a wait: the console's reconnect backoff

    async def _accept_offers(self, client: ChatClient) -> None:
        handled: set[str] = set()
        while _alive(client):
            try:
                offer = await client.wait_for(lambda e: e["type"] == "offer" and e["conversation_id"] not in handled, 2)
            except TimeoutError:
                continue
            handled.add(offer["conversation_id"])
            reply = await _ask(
                client,
                {"type": "accept", "id": f"{self.name}-acc-{next(_ids)}", "conversation_id": offer["conversation_id"]},
                10,
            )
            if reply is not None and reply["type"] == "ack":
                self.held.add(offer["conversation_id"])

    async def say(self, conversation_id: str, text: str, deadline: float = 45) -> int | None:
        frame = {"type": "message", "id": f"{self.name}-{next(_ids)}", "conversation_id": conversation_id, "text": text}
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while loop.time() < until:
            if not _alive(self.client):
                await self.connect(max(1.0, until - loop.time()))
            assert self.client is not None
            reply = await _ask(self.client, dict(frame), 5)
            if reply is not None and reply["type"] == "ack":
                self.acked[frame["id"]] = (conversation_id, reply["seq"])
                return int(reply["seq"])
            if reply is not None and reply.get("code") in ("not_yours", "unknown_conversation", "conversation_closed"):
                break
            self.retries += 1
            await asyncio.sleep(0.2 + random.random() * 0.3)  # not a wait: the console's retry backoff
        self.unacked.append(frame["id"])
        return None

    async def drop(self) -> None:
        await abort(self.client)
        if self._accepter is not None:
            self._accepter.cancel()

    async def close(self) -> None:
        if self._accepter is not None:
            self._accepter.cancel()
        if self.client is not None:
            await self.client.close()


# --- the checks ------------------------------------------------------------------------------


@dataclass
class Report:
    acked: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong_seq: list[str] = field(default_factory=list)
    resident_problems: list[str] = field(default_factory=list)
    agent_problems: list[str] = field(default_factory=list)
    state_problems: list[str] = field(default_factory=list)
    events_missing: int = 0
    clients_missing: int = 0
    unacked: int = 0
    reconnects: int = 0
    retries: int = 0

    def summary(self) -> str:
        return json.dumps(
            {
                "acked": self.acked,
                "lost": len(self.lost),
                "duplicated": len(self.duplicated),
                "wrong_seq": len(self.wrong_seq),
                "clients_missing_events": self.clients_missing,
                "events_missing": self.events_missing,
                "never_acked": self.unacked,
                "reconnects": self.reconnects,
                "retries": self.retries,
                "agent_problems": len(self.agent_problems),
                "state_problems": len(self.state_problems),
            }
        )

    def failures(self) -> list[str]:
        return [
            *self.lost,
            *self.duplicated,
            *self.wrong_seq,
            *self.resident_problems,
            *self.agent_problems,
            *self.state_problems,
        ]


async def stored(db: Any) -> tuple[dict[str, Conversation], dict[str, list[Message]]]:
    """Conversations and their messages from ONE statement, so both come from one snapshot.

    Two SELECTs (READ COMMITTED on PostgreSQL, autocommit reads on SQLite) see different
    snapshots: a bot notice committed between them showed up as a message past the
    conversation's last_seq, a state problem the record never had.
    """
    async with db.sessions() as session:
        rows = await session.execute(
            select(Conversation, Message)
            .outerjoin(Message, Message.conversation_id == Conversation.id)
            .order_by(Conversation.id, Message.seq)
        )
        conversations: dict[str, Conversation] = {}
        messages: dict[str, list[Message]] = defaultdict(list)
        for conversation, message in rows:
            conversations[conversation.id] = conversation
            if message is not None:
                messages[conversation.id].append(message)
    return conversations, messages


async def quiesce(db: Any, residents: list[Resident], agents: list[Agent], timeout: float = 20) -> None:
    """Wait until every connected client has caught up with the record (or the time is up:
    then the check that follows reports who is behind)."""

    async def caught_up() -> bool:
        _, messages = await stored(db)
        behind = [
            r
            for r in residents
            if _alive(r.client)
            and r.conversation_id
            and r.last_seq() < max((m.seq for m in messages[r.conversation_id] if m.kind != "note"), default=0)
        ]
        behind_agents = [
            a
            for a in agents
            if _alive(a.client) and any(a.last_seq(c) < max((m.seq for m in messages[c]), default=0) for c in a.held)
        ]
        return not behind and not behind_agents

    with contextlib.suppress(AssertionError):
        await eventually(caught_up, what="every client caught up", timeout=timeout, interval=0.5)


async def check(db: Any, residents: list[Resident], agents: list[Agent], attempts: int = 3) -> Report:
    """Compare with the record; a bot notice committed between two reads is not a fault, so a
    delivery problem must still be there after a second settling period to count."""
    for attempt in range(attempts):
        report = await _check_once(db, residents, agents)
        delivery = report.resident_problems or report.agent_problems
        if not delivery or attempt == attempts - 1:
            return report
        # Not a wait: a delivery problem counts only if it outlasts this period (the next
        # check's quiesce then waits on the condition itself).
        await asyncio.sleep(2)
    raise AssertionError("unreachable")


async def _check_once(db: Any, residents: list[Resident], agents: list[Agent]) -> Report:
    await quiesce(db, residents, agents)
    conversations, messages = await stored(db)
    report = Report()
    by_client_id: dict[str, list[Message]] = defaultdict(list)
    for rows in messages.values():
        for row in rows:
            if row.client_id:
                by_client_id[f"{row.conversation_id}/{row.client_id}"].append(row)

    def acked(conversation_id: str, client_id: str, seq: int) -> None:
        report.acked += 1
        rows = by_client_id.get(f"{conversation_id}/{client_id}", [])
        if not rows:
            report.lost.append(f"lost: {client_id} (ack seq {seq}) in {conversation_id}")
        elif len(rows) > 1:
            report.duplicated.append(f"duplicated: {client_id} stored {len(rows)}x in {conversation_id}")
        elif rows[0].seq != seq:
            report.wrong_seq.append(f"{client_id}: acked as seq {seq}, stored as {rows[0].seq}")

    for resident in residents:
        report.unacked += len(resident.unacked)
        report.reconnects += resident.reconnects
        report.retries += resident.retries
        assert resident.conversation_id is not None
        for client_id, seq in resident.acked.items():
            acked(resident.conversation_id, client_id, seq)
        visible = [m.seq for m in messages[resident.conversation_id] if m.kind != "note"]
        seen = resident.seen()
        if _alive(resident.client):
            missing = sorted(set(visible) - set(seen))
            if missing:
                report.clients_missing += 1
                report.events_missing += len(missing)
                report.resident_problems.append(f"{resident.name} missed {len(missing)} events: {missing[:10]}")
        dupes = [s for s, n in Counter(seen).items() if n > 1]
        if dupes:
            report.resident_problems.append(f"{resident.name} received seqs twice: {dupes[:10]}")
        if seen != sorted(seen):
            report.resident_problems.append(f"{resident.name} received events out of order")
        extra = sorted(set(seen) - set(visible))
        if extra:
            report.resident_problems.append(f"{resident.name} received seqs not in the record: {extra[:10]}")

    for agent in agents:
        for client_id, (conversation_id, seq) in agent.acked.items():
            acked(conversation_id, client_id, seq)
        report.unacked += len(agent.unacked)
        report.retries += agent.retries
        dupes = agent.live_duplicates()
        if dupes:
            report.agent_problems.append(f"{agent.name} received live events twice: {dupes[:10]}")
        if _alive(agent.client):
            for conversation_id in agent.held:
                if conversations[conversation_id].agent_id is None:
                    continue  # released meanwhile (e.g. to the queue): no longer followed
                want = {m.seq for m in messages[conversation_id]}
                missing = sorted(want - agent.seen(conversation_id))
                if missing:
                    report.clients_missing += 1
                    report.events_missing += len(missing)
                    report.agent_problems.append(f"{agent.name} missed {conversation_id}: {missing[:10]}")

    for conversation_id, row in conversations.items():
        seqs = [m.seq for m in messages[conversation_id]]
        if seqs != list(range(1, len(seqs) + 1)) or row.last_seq != len(seqs):
            report.state_problems.append(f"{conversation_id}: seqs {seqs[:5]}... last_seq {row.last_seq}")
        if row.state not in STATES:
            report.state_problems.append(f"{conversation_id}: unknown state {row.state}")
        if (row.state == "assigned") != (row.agent_id is not None):
            report.state_problems.append(f"{conversation_id}: state {row.state} with agent {row.agent_id}")
    return report


async def traffic(residents: list[Resident], agents: list[Agent], rounds: int, pause: float = 0.15) -> None:
    """Every resident and agent writes `rounds` messages, interleaved, with small random pauses."""

    async def resident_loop(resident: Resident) -> None:
        for n in range(rounds):
            await resident.say(f"{resident.name} bericht {n}")
            await asyncio.sleep(pause * (0.5 + random.random()))  # not a wait: a person's typing pace

    async def agent_loop(agent: Agent) -> None:
        for n in range(rounds):
            for conversation_id in sorted(agent.held):
                await agent.say(conversation_id, f"{agent.name} antwoord {n}")
            await asyncio.sleep(pause * (0.5 + random.random()))  # not a wait: a person's typing pace

    await asyncio.gather(*(resident_loop(r) for r in residents), *(agent_loop(a) for a in agents))
