"""``HookContext``: what a handler gets beside the event.

``emit`` collects events that the router commits only when the handler
succeeds; ``commit`` records one at once, and exists only inside the router.
"""

from __future__ import annotations

import pytest

from orchcore.hookcontext import HookContext


def test_emit_collects_copies_of_events_until_the_router_commits_them():
    context = HookContext(session=None, plugin="p", handler="h")
    data = {"name": "tool_calls"}

    context.emit("metric.recorded", data)
    context.emit("metric.recorded")
    data["name"] = "changed later"

    assert context.emitted == [("metric.recorded", {"name": "tool_calls"}), ("metric.recorded", {})]


def test_commit_is_available_only_inside_the_hook_router():
    context = HookContext(session=None, plugin="p", handler="h")

    with pytest.raises(RuntimeError, match="only inside the hook router"):
        context.commit("metric.recorded", {"name": "x"})


def test_inside_the_router_commit_records_at_once_and_returns_the_new_state():
    committed = []
    context = HookContext(session=None, plugin="p", handler="h",
                          committer=lambda type, data: committed.append((type, data)) or "new state")

    assert context.commit("metric.recorded", {"name": "x"}) == "new state"
    assert committed == [("metric.recorded", {"name": "x"})] and context.emitted == []
