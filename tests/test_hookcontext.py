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


def test_acting_for_says_whose_code_runs_and_restores_the_outer_one_even_when_it_raises():
    context = HookContext(session=None, plugin="programs", handler="program-palette")
    seen = []

    with context.acting_for("sprint", "palette command 'status' of program 'sprint'"):
        seen.append(context.on_behalf_of.plugin)
        with pytest.raises(KeyError), context.acting_for("helper", "a helper"):
            seen.append(context.on_behalf_of.plugin)
            raise KeyError("board")
        seen.append(context.on_behalf_of.plugin)

    assert seen == ["sprint", "helper", "sprint"]
    assert context.on_behalf_of is None  # the handler's own code again
