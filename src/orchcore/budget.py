"""Running plugin code within a time budget, on daemon threads that are reused.

A hook handler or a status segment must never hold Claude Code up: each runs
on a thread of its own, and whoever called it waits at most its budget. A
thread whose call overran stays busy (it cannot be stopped) and is not
reused until it finishes; the next call gets another one. Threads are
reused because the resident runtime runs several calls per event, and
starting a thread costs more than most calls.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_idle: list[_Worker] = []
_idle_lock = threading.Lock()
_late: list[threading.Event] = []  # the calls that overran their budget (rare)


class _Worker:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="orch-budgeted", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job, done = self.jobs.get()
            try:
                job()
            except BaseException:  # noqa: BLE001 - the job records its own failure; the thread stays usable
                pass
            finally:
                done.set()
                with _idle_lock:
                    _idle.append(self)


class Call:
    """One call under a budget: ``finished`` tells whether it returned in time; ``value``/``error`` what it did."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.finished = False


def call_within(function: Callable[[], Any], budget_s: float) -> Call:
    """Run ``function()`` on a budgeted thread; wait at most ``budget_s`` seconds for it."""
    outcome = Call()

    def job() -> None:
        try:
            outcome.value = function()
        except BaseException as exc:  # noqa: BLE001 - exit() included: reported, never raised here
            outcome.error = exc

    with _idle_lock:
        worker = _idle.pop() if _idle else None
    worker = worker or _Worker()
    done = threading.Event()
    worker.jobs.put((job, done))
    outcome.finished = done.wait(max(budget_s, 0.0))
    if not outcome.finished:
        with _idle_lock:
            _late[:] = [e for e in _late if not e.is_set()] + [done]
    return outcome


def overrunning() -> bool:
    """Whether a call still runs past its budget (a one-shot process must then exit without waiting)."""
    with _idle_lock:
        return any(not done.is_set() for done in _late)
