"""Presence reuses its read of a team's online agents for a second, not past a status change
(a unit test of handover.services.presence with a counting session and a fake Redis)."""

from __future__ import annotations

from typing import Any

from handover.services import presence as presence_module
from handover.services.presence import Presence, status_changed
from handover.settings import Settings


class Result:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def scalars(self) -> list[int]:
        return self.ids


class CountingSessions:
    """``sessions()`` as the store hands it out; each execute returns the agents online now."""

    def __init__(self) -> None:
        self.online: list[int] = []
        self.reads = 0

    def __call__(self) -> CountingSessions:
        return self

    async def __aenter__(self) -> CountingSessions:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def execute(self, statement: Any) -> Result:
        self.reads += 1
        return Result(list(self.online))


class AllPresent:
    async def mget(self, keys: list[str]) -> list[bytes]:
        return [b"here" for _ in keys]


async def test_a_second_read_within_the_ttl_uses_the_first(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(presence_module.time, "monotonic", lambda: clock[0])
    sessions = CountingSessions()
    presence = Presence(sessions, AllPresent(), Settings())  # type: ignore[arg-type]
    sessions.online = [1, 2]
    assert await presence.online_agents("burgerzaken") == [1, 2]
    sessions.online = [1, 2, 3]  # changed on another instance: seen within the TTL
    assert await presence.online_agents("burgerzaken") == [1, 2]
    assert sessions.reads == 1
    clock[0] += presence_module.ONLINE_AGENTS_CACHE_SECONDS + 0.01
    assert await presence.online_agents("burgerzaken") == [1, 2, 3]
    assert sessions.reads == 2
    assert await presence.online_agents("klantcontact") == [1, 2, 3]  # per team
    assert sessions.reads == 3


async def test_a_status_change_in_this_process_is_seen_at_once(monkeypatch):
    monkeypatch.setattr(presence_module.time, "monotonic", lambda: 1000.0)
    sessions = CountingSessions()
    presence = Presence(sessions, AllPresent(), Settings())  # type: ignore[arg-type]
    assert await presence.online_agents("burgerzaken") == []
    sessions.online = [7]
    status_changed()  # what agents.set_status does after its update
    assert await presence.online_agents("burgerzaken") == [7]
    assert sessions.reads == 2
