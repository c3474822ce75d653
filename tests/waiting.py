"""Waiting in tests: on a condition, never for a fixed time.

``await eventually(check, what="...")`` polls ``check`` (a plain or async callable) every
``interval`` seconds until it returns something truthy and returns that value; after ``timeout``
seconds it fails with a message that names what was awaited and the last value seen.
``eventually_blocking`` is the same for code outside an event loop (fixtures that start threads
or processes).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]], *, what: str = "the condition", timeout: float = 10.0, interval: float = 0.05
) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {value!r})")
        await asyncio.sleep(interval)  # the poll interval, not a wait for something to happen


def eventually_blocking(
    check: Callable[[], T], *, what: str = "the condition", timeout: float = 10.0, interval: float = 0.05
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {value!r})")
        time.sleep(interval)  # the poll interval, not a wait for something to happen
