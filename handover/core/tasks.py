"""Stopping background tasks for sure.

``task.cancel()`` followed by ``await task`` waits forever when the task swallows the
cancellation and goes on. redis-py 8.1 on Python 3.11 does that: a cancel that arrives while a
command is being sent (or its connection made) is sometimes absorbed, and the command returns
normally (in a loop of publishes cancelled at random points, about one cancel in four was lost).
A loop around such a call then waits for its next piece of work with the cancel spent, and its
owner's ``stop()`` never returns: a fan-out test hung for 15 minutes in CI this way, and a
service's shutdown would hang the same way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between cancels of a task that has not ended yet.
RECANCEL_SECONDS = 0.1


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling again while it runs on.

    What it ended with is not raised: a failure other than the cancel is logged.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
    if not task.cancelled() and task.exception() is not None:
        log.warning("task %s failed while stopping", task.get_name(), exc_info=task.exception())
