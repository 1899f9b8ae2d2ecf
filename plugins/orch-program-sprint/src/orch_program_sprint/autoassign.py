"""``auto-assign``: hand pending tasks to team members by capacity and skills, and say why.

The plan is ``orchcore.domain.assignment.plan`` with its ``skills``
strategy (its rules are written there; ``orch sprint delegate`` shows the
same plan without recording it). This module words the answer: what was
assigned and why, what stays pending and why, and the teams' load after it,
ending with a one-line summary of the rules, so a user can predict the next
run.
"""

from __future__ import annotations

from typing import Any

from orch_program_sprint import views as v
from orchcore.api import AssignmentPlan as Plan


def _scope(outcome: Plan) -> str:
    return f"sprint {outcome.sprint.id}" if outcome.sprint is not None else "all tasks, no sprint running"


SHOWN = 12  # lines per list in the answer; the rest is counted


def explain(session: Any, outcome: Plan) -> list[str]:
    """The answer to ``auto-assign``: a headline, what was assigned, what was left, the teams' load."""
    if outcome.problem:
        return [f"auto-assign ({_scope(outcome)}): {outcome.problem}; nothing assigned"]
    assigned, left = outcome.assigned, outcome.left
    total = len(assigned) + len(left)
    lines = [f"auto-assign ({_scope(outcome)}): {len(assigned)} of {v.count(total, 'pending task')} assigned"]
    for d in assigned[:SHOWN]:
        lines.append(f"  {v.task_line(session, d.task, width=36)} → {d.member.name} — {d.why}")
    if len(assigned) > SHOWN:
        lines.append(f"  … and {len(assigned) - SHOWN} more assigned")
    if left:
        lines.append("Left pending:")
        lines.extend(f"  {v.task_line(session, d.task, width=36)} — {d.why}" for d in left[:SHOWN])
        rest = left[SHOWN:]
        if rest:
            reasons: dict[str, int] = {}
            for d in rest:
                reasons[d.why] = reasons.get(d.why, 0) + 1
            common = max(reasons, key=reasons.__getitem__)
            lines.append(f"  … and {len(rest)} more ({reasons[common]} of them: {v.clip(common, 80)})")
    lines.append("Teams now: " + " · ".join(f"{t.name} {outcome.usage(t)}" for t in outcome.teams))
    lines.append("(load = tasks in progress; capacity: team max_parallel, agent capacity or 1; "
                 "skills from the task's skills and title)")
    return lines
