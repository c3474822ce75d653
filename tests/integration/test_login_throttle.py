"""Login throttling per account and address, and argon2 off the event loop (issue 10, finding 4)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from redis.asyncio import Redis

from handover.auth import passwords
from handover.auth.throttle import LoginThrottle, ThrottlePolicy
from handover.services import agents

PASSWORD = "juist-wachtwoord-123"


async def test_fifty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(
    start_service, database_url, db
):
    service = start_service(database_url)
    await agents.create_agent(db.sessions, "anna", "Anna", PASSWORD, ["klantcontact"])
    async with httpx.AsyncClient(base_url=service.http) as http:
        codes = [
            (await http.post("/api/auth/login", json={"username": "anna", "password": f"fout-{i}"})).status_code
            for i in range(50)
        ]
        assert codes[:5] == [401] * 5, "a few typing errors cost nothing"
        assert codes.count(429) >= 40, codes
        right = await http.post("/api/auth/login", json={"username": "anna", "password": PASSWORD})
        assert right.status_code == 429, "locked: the right password does not help either"
        assert int(right.headers["Retry-After"]) >= 1
        body = right.json()
        assert body["detail"].startswith("Te veel mislukte inlogpogingen. Probeer het over")
        assert body["detail_en"].startswith("Too many failed login attempts")
        assert "session" not in http.cookies
        assert (await http.get("/healthz")).status_code == 200


async def test_many_accounts_from_one_address_are_throttled_too(redis_url):
    throttle = LoginThrottle(
        Redis.from_url(redis_url), "throttle-test-address", ThrottlePolicy(free_per_account=5, free_per_address=10)
    )
    try:
        for i in range(10):
            assert await throttle.failed(f"user{i}", "203.0.113.9") == 0
        assert await throttle.failed("user-x", "203.0.113.9") > 0
        assert await throttle.retry_after("someone-else", "203.0.113.9") > 0
        assert await throttle.retry_after("someone-else", "198.51.100.1") == 0, "other addresses are not hit"
    finally:
        await throttle.redis.delete(*[k async for k in throttle.redis.scan_iter("throttle-test-address:*")])
        await throttle.redis.aclose()


async def test_backoff_doubles_and_success_clears_the_account():
    policy = ThrottlePolicy(free_per_account=2, free_per_address=100, base_seconds=1, max_seconds=8)
    assert [policy.delay(n, 2) for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 8]
    throttle = LoginThrottle(None, "mem", policy)
    for _ in range(3):
        await throttle.failed("anna", "10.0.0.1")
    assert await throttle.retry_after("anna", "10.0.0.1") > 0
    await throttle.succeeded("anna", "10.0.0.1")
    assert await throttle.retry_after("anna", "10.0.0.1") == 0


async def test_without_redis_the_instance_still_throttles():
    dead = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    throttle = LoginThrottle(dead, "handover", ThrottlePolicy(free_per_account=3))
    try:
        for _ in range(4):
            await throttle.failed("anna", "10.0.0.2")
        assert await throttle.retry_after("anna", "10.0.0.2") > 0
    finally:
        await dead.aclose()


async def test_argon2_runs_in_a_worker_thread_not_on_the_event_loop(db, monkeypatch: pytest.MonkeyPatch):
    await agents.ensure_default_teams(db.sessions)
    await agents.create_agent(db.sessions, "bert", "Bert", PASSWORD, ["klantcontact"])
    loop_thread = threading.get_ident()
    threads: list[int] = []
    original = passwords.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        threads.append(threading.get_ident())
        return original(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    results = await asyncio.gather(
        *(agents.authenticate(db.sessions, "bert", PASSWORD) for _ in range(3)),
        agents.authenticate(db.sessions, "nobody", PASSWORD),
    )
    assert results[:3] == [results[0]] * 3 and results[0] is not None and results[3] is None
    assert len(threads) == 4 and loop_thread not in threads
