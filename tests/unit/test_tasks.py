"""stop_task ends a task even when the task swallows a cancellation (as redis-py 8.1 sometimes does)."""

from __future__ import annotations

import asyncio
import logging

from handover.core.tasks import stop_task


async def test_a_task_that_swallows_the_first_cancel_is_cancelled_again_until_it_ends():
    cancels = 0
    work, waiting = asyncio.Event(), asyncio.Event()

    async def loop() -> None:
        nonlocal cancels
        while True:
            try:
                waiting.set()
                await work.wait()
            except asyncio.CancelledError:
                cancels += 1
                if cancels == 1:
                    continue  # swallowed, like a library that absorbs it mid-command
                raise

    task = asyncio.create_task(loop())
    await waiting.wait()
    await asyncio.wait_for(stop_task(task), 5)
    assert task.cancelled()
    assert cancels == 2


async def test_a_failure_while_stopping_is_logged_not_raised(caplog):
    waiting = asyncio.Event()

    async def failing() -> None:
        try:
            waiting.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    task = asyncio.create_task(failing())
    await waiting.wait()
    with caplog.at_level(logging.WARNING, logger="handover.core.tasks"):
        await stop_task(task)
    assert "failed while stopping" in caplog.text
    assert isinstance(task.exception(), RuntimeError)


async def test_nothing_to_stop_and_an_ended_task_return_at_once():
    await stop_task(None)

    async def quick() -> int:
        return 1

    task = asyncio.create_task(quick())
    await task
    await stop_task(task)
    assert task.result() == 1
