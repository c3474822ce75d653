"""The Worker that runs the router's tick and the outbox: runs, wakes, survives failures, stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from handover.services.worker import Worker

LONG = 3600.0  # a timer that never fires during a test: every run here is a wake-up


async def wait_for(condition: asyncio.Condition, predicate: Callable[[], bool]) -> None:
    async with condition:
        await asyncio.wait_for(condition.wait_for(predicate), 10)


async def test_a_wake_up_runs_the_work_at_once_and_stop_ends_the_loop() -> None:
    runs = 0
    changed = asyncio.Condition()

    async def work() -> None:
        nonlocal runs
        async with changed:
            runs += 1
            changed.notify_all()

    worker = Worker("test", work, LONG)
    worker.start()
    assert worker.running
    worker.wake()
    await wait_for(changed, lambda: runs == 1)
    worker.wake()
    await wait_for(changed, lambda: runs == 2)
    await worker.stop()
    assert not worker.running


async def test_the_timer_runs_the_work_without_a_wake_up() -> None:
    runs = 0
    changed = asyncio.Condition()

    async def work() -> None:
        nonlocal runs
        async with changed:
            runs += 1
            changed.notify_all()

    worker = Worker("test", work, 0.01)
    worker.start()
    await wait_for(changed, lambda: runs >= 3)
    await worker.stop()


async def test_a_failing_run_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    outcomes = [RuntimeError("database restarting"), RuntimeError("still restarting"), None]
    done: list[bool] = []
    changed = asyncio.Condition()

    async def work() -> None:
        outcome = outcomes.pop(0)
        async with changed:
            done.append(outcome is None)
            changed.notify_all()
        if outcome is not None:
            raise outcome

    logger = logging.getLogger("test.worker")
    worker = Worker("flaky", work, LONG, logger=logger)
    worker.start()
    with caplog.at_level(logging.ERROR, logger="test.worker"):
        for expected in (1, 2, 3):
            worker.wake()
            await wait_for(changed, lambda: len(done) == expected)  # noqa: B023 (used at once)
    # The loop records each outcome before it waits again, so the third run's success is in.
    await worker.stop()
    assert done == [False, False, True]
    failures = [r for r in caplog.records if r.name == "test.worker"]
    assert [r.getMessage() for r in failures] == [
        f"flaky run failed (1 in a row); next run in {LONG:.1f}s",  # capped: max_backoff is at least the interval
        f"flaky run failed (2 in a row); next run in {LONG:.1f}s",
    ]
    assert all(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in failures)
    assert worker.failures == 0, "a run that succeeds ends the backoff"


async def test_the_backoff_doubles_per_failure_up_to_its_cap_and_resets_on_success() -> None:
    fail = True

    async def work() -> None:
        if fail:
            raise RuntimeError("down")

    worker = Worker("test", work, 1.0, max_backoff=30.0, logger=logging.getLogger("test.worker.backoff"))
    assert worker.delay() == 1.0
    delays = []
    for _ in range(7):
        assert await worker.run_once() is False
        delays.append(worker.delay())
    assert delays == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    fail = False
    assert await worker.run_once() is True
    assert worker.delay() == 1.0


async def test_a_pause_after_each_run_serves_a_burst_of_wake_ups_with_one_run() -> None:
    runs = 0
    changed = asyncio.Condition()

    async def work() -> None:
        nonlocal runs
        async with changed:
            runs += 1
            changed.notify_all()

    worker = Worker("test", work, LONG, pause=LONG)
    worker.start()
    worker.wake()
    await wait_for(changed, lambda: runs == 1)
    for _ in range(50):  # a storm of changes while the worker rests
        worker.wake()
    for _ in range(20):  # not a wait for an event: loop turns in which a run must NOT happen
        await asyncio.sleep(0)
    assert runs == 1, "wake-ups during the pause must wait for the next run"
    assert worker._wake.is_set(), "they are kept for one next run"
    await worker.stop()
