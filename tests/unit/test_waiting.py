"""The tests' one way to wait: on a condition, with a clear failure."""

from __future__ import annotations

import asyncio

import pytest
from waiting import eventually, eventually_blocking


async def test_returns_the_first_truthy_value_of_a_plain_or_async_check():
    answers = iter([None, [], ["klaar"]])
    assert await eventually(lambda: next(answers), interval=0) == ["klaar"]

    event = asyncio.Event()

    async def set_and_check() -> bool:
        event.set()
        return event.is_set()

    assert await eventually(set_and_check) is True


async def test_fails_with_what_was_awaited_and_the_last_value():
    with pytest.raises(AssertionError, match=r"timed out after 0\.1 s waiting for the queue \(last: 0\)"):
        await eventually(lambda: 0, what="the queue", timeout=0.1, interval=0.01)


def test_the_blocking_form_for_threads_and_processes():
    calls = []
    assert eventually_blocking(lambda: calls.append(1) or len(calls) >= 3, interval=0) is True
    with pytest.raises(AssertionError, match="waiting for the port"):
        eventually_blocking(lambda: False, what="the port", timeout=0.05, interval=0.01)
