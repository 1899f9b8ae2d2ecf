"""Housekeeping the resident runtime does while it is idle: expire sessions, back up the store.

Archiving idle sessions (``orchcore.expiry``) never runs on the hook path;
the resident runtime calls ``Housekeeping.due`` once a second from its loop,
and when no request came for a while and the last round is long enough ago
a round runs in a thread of its own, so the server never waits for it. A
round never raises: what fails is logged in ``hook.log`` and tried again next
round. Each round archives a bounded number of sessions, so it takes a moment
even in a project with thousands.
"""

from __future__ import annotations

import threading
import time
from typing import Any

IDLE_BEFORE_S = 60.0  # no request for this long: the runtime is idle
EVERY_S = 3600.0  # at most one round an hour
ARCHIVE_PER_ROUND = 50


def run_once(project: str, state_dir: str, env: dict[str, str]) -> dict[str, Any]:
    """One round: archive idle sessions, then a backup where ``orchcore.store.backup`` exists; what it did."""
    from pathlib import Path

    from orchcore import expiry, router
    from orchcore.runtime import Runtime

    done: dict[str, Any] = {"archived": [], "backup": None}
    runtime = Runtime(project=Path(project), state_dir=Path(state_dir), config=router._config(project, env))
    try:
        if not runtime.store.is_created():
            return done  # no session yet: nothing to expire, and looking must not create the database
        done["archived"] = expiry.archive_idle(runtime, limit=ARCHIVE_PER_ROUND)
        done["backup"] = _backup(runtime)
    finally:
        runtime.close()
    return done


def _backup(runtime: Any) -> Any:
    try:
        from orchcore.store import backup
    except ImportError:
        return None  # not in this version
    maybe_backup = getattr(backup, "maybe_backup", None)
    return maybe_backup(runtime) if maybe_backup is not None else None


class Housekeeping:
    """Decides when a round is due and runs it beside the server, one at a time."""

    def __init__(self, project: str, state_dir: str, env: dict[str, str]):
        self.project, self.state_dir, self.env = project, state_dir, env
        self.last_round: float | None = None
        self.running: threading.Thread | None = None

    def due(self, idle_for_s: float, now: float | None = None) -> bool:
        """Start a round when idle long enough and none ran within the hour; True when one started."""
        now = time.monotonic() if now is None else now
        if idle_for_s < IDLE_BEFORE_S or (self.running is not None and self.running.is_alive()):
            return False
        if self.last_round is not None and now - self.last_round < EVERY_S:
            return False
        self.last_round = now
        self.running = threading.Thread(target=self.round, name="orch-housekeeping", daemon=True)
        self.running.start()
        return True

    def round(self) -> dict[str, Any] | None:
        """``run_once``, with every failure logged instead of raised."""
        from orchcore import router

        try:
            done = run_once(self.project, self.state_dir, self.env)
        except BaseException as exc:  # noqa: BLE001 - housekeeping must never reach the server
            try:
                router.log(self.env, self.project, f"housekeeping failed: {type(exc).__name__}: {exc}")
            except BaseException:  # noqa: BLE001
                pass
            return None
        if done["archived"]:
            router.log(self.env, self.project, f"housekeeping: archived {len(done['archived'])} idle session(s): "
                       + ", ".join(done["archived"]))
        return done
