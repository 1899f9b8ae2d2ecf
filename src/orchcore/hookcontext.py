"""What the hook router gives each handler beside the event: ``HookContext``.

``orchcore.protocol`` is Claude Code's side (events, payloads, answers); this
is orchcore's side of a handler call: the session's state, the plugin
manager, and a way to record events that the router commits only when the
handler succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs


@attrs.frozen
class OnBehalfOf:
    """Whose code a handler is running: ``plugin``, and ``what`` (``"palette command 'x' of program 'y'"``)."""

    plugin: str
    what: str


@attrs.define
class HookContext:
    """What a handler gets beside the event: the session's state and a way to record events.

    ``session`` is the state when the event arrived (a copy: changing it
    changes nothing). ``emit(type, data)`` records an event; it is committed
    only if the handler returns within its budget without raising, so a
    failing handler leaves no half-done changes behind.
    """

    session: Any
    plugin: str
    handler: str
    config: Any = None
    plugins: Any = None  # the plugin manager: ``context.plugins.specs("orch_programs")``
    emitted: list[tuple[str, dict[str, Any]]] = attrs.field(factory=list)
    committer: Any = None  # set by the router: commits one event at once, returns the new state
    on_behalf_of: OnBehalfOf | None = None  # set by ``acting_for`` while another plugin's code runs

    @contextmanager
    def acting_for(self, plugin: str, what: str) -> Iterator[None]:
        """While the block runs, the handler is running ``plugin``'s code (``what`` says which).

        A built-in handler that calls a program's ``render_context`` or a
        palette command wraps the call in this. When the handler runs over its
        budget, the router reads ``on_behalf_of`` at that moment: if the
        program's code was running, the failure is the program's plugin's,
        not the handler's. Each handler call has a context of its own, written
        only by the thread that runs the handler and read by the router once
        the budget is over, so no lock is needed. Calls may nest; the outer
        one is restored when the inner ends.
        """
        outer = self.on_behalf_of
        self.on_behalf_of = OnBehalfOf(plugin, what)
        try:
            yield
        finally:
            self.on_behalf_of = outer

    def emit(self, type: str, data: dict[str, Any] | None = None) -> None:
        self.emitted.append((type, dict(data or {})))

    def commit(self, type: str, data: dict[str, Any] | None = None) -> Any:
        """Record one event now, in its own transaction, and return the session's new state.

        For decisions that must be atomic across parallel hook processes (a
        capacity check whose reducer reserves the slot): the reducer decides,
        the handler reads the outcome. Unlike ``emit``, it stays committed
        even if the handler fails afterwards.
        """
        if self.committer is None:
            raise RuntimeError("commit() is available only inside the hook router")
        return self.committer(type, dict(data or {}))
