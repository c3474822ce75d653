"""The one background loop of the service's periodic work (the router, the outbox, the queue views).

A `Worker` runs its ``work`` every ``interval`` seconds, or at once when woken (`wake`, e.g. a
new outbox item or a handover). A failed run is logged with its traceback and never ends the
loop; while runs keep failing (a database restart), the timer waits longer after each failure,
doubling up to ``max_backoff``, and is back to ``interval`` after the first run that succeeds.
A wake-up always runs at once, also while backing off. With a ``pause``, the loop rests that
long after each run, so the wake-ups that arrive meanwhile are served by one run (coalescing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ..core.tasks import stop_task

log = logging.getLogger(__name__)


class Worker:
    """A named periodic task with start/stop, a wake-up event, error logging and backoff."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval: float,
        *,
        max_backoff: float = 30.0,
        pause: float = 0.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self.work = work
        self.interval = interval
        self.pause = pause
        self.max_backoff = max(interval, max_backoff)
        self.failures = 0  # consecutive failed runs
        self._log = logger or log
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    def wake(self) -> None:
        """Run as soon as the current run (if any) is done."""
        self._wake.set()

    def delay(self) -> float:
        """How long the timer waits before the next run: ``interval``, doubled per failure in a row."""
        if self.failures == 0:
            return self.interval
        return float(min(self.max_backoff, self.interval * 2 ** min(self.failures, 32)))

    async def run_once(self) -> bool:
        """One run of the work; False (and logged) when it failed."""
        try:
            await self.work()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failures += 1
            self._log.exception(
                "%s run failed (%d in a row); next run in %.1fs", self.name, self.failures, self.delay()
            )
            return False
        self.failures = 0
        return True

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.delay())
            self._wake.clear()
            await self.run_once()
            if self.pause:
                await asyncio.sleep(self.pause)  # wake-ups meanwhile wait for one next run
