"""Real threads against real PostgreSQL: helpers for the concurrency tier.

Every worker runs on its own thread, so on its own database connection, and closes that
connection when it ends so that the test database can be dropped afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from core.errors import ApplicationError

# Generous: a stuck lock must fail the test, not hang the run.
START_TIMEOUT = 30.0
JOIN_TIMEOUT = 60.0


@dataclass
class Outcome:
    """What one worker returned or raised."""

    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return isinstance(self.error, ApplicationError)


def run_together(workers: Sequence[Callable[[], Any]]) -> list[Outcome]:
    """Run each callable on its own thread, all released at once by a barrier.

    Returns one outcome per worker, in order. Fails if a worker does not end in time.
    """
    barrier = threading.Barrier(len(workers))
    outcomes = [Outcome() for _ in workers]

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=START_TIMEOUT)
            started = time.monotonic()
            try:
                outcomes[index].value = work()
            finally:
                outcomes[index].seconds = time.monotonic() - started
        except BaseException as exc:
            outcomes[index].error = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, work), name=f"worker-{index}", daemon=True)
        for index, work in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"workers still running after {JOIN_TIMEOUT}s: {stuck}"
    return outcomes


class Tally:
    """Thread-safe counts of what workers saw, and the unexpected errors themselves.

    The first unexpected error sets ``stop``: workers should then end, so that a test that
    found a deadlock fails in a second instead of paying PostgreSQL's deadlock timeout
    over and over. ``on_stop`` callbacks (aborting a barrier, say) run at that moment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.unexpected: list[str] = []
        self.stop = threading.Event()
        self._on_stop: list[Callable[[], Any]] = []

    def on_stop(self, callback: Callable[[], Any]) -> None:
        self._on_stop.append(callback)

    @property
    def report(self) -> str:
        return "\n".join(self.unexpected)

    def count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + by

    def outcome(self, operation: str, call: Callable[[], Any]) -> Any:
        """Run ``call``; count a success or a business refusal, record anything else."""
        try:
            result = call()
        except ApplicationError as refusal:
            self.count(f"{operation} refused: {refusal.code}")
            return None
        except Exception as exc:
            with self._lock:
                self.unexpected.append(f"{operation}: {type(exc).__module__}.{exc!r}")
            if not self.stop.is_set():
                self.stop.set()
                for callback in self._on_stop:
                    callback()
            return None
        self.count(f"{operation} ok")
        return result
