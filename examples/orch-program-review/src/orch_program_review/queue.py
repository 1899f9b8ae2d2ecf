"""The review queue, read from the session: what waits for a reviewer, what went back to its author.

Read-only views over a ``Session``, shared by what the model is told
(``render_context``), the palette's answers and the status segment, so the
three never disagree. The one-line formatting (``task_line``, ``ago``,
``clip``) is orchcore's, so ``T-6`` reads here as in every other program.
"""

from __future__ import annotations

from typing import Any

from orchcore.api import Session, Task, TaskStatus, ago, clip, listing, task_line

from orch_program_review.verdicts import APPROVED, CHANGES, verdicts

SHOWN = 10  # items per list: the context is read at every prompt, so it stays short
WITH_THE_AUTHOR = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)
PALETTE_LINE = ("Palette (typed at the prompt, answered without you): "
                "queue · approve <task> · changes <task> <note> · task <id> · help")


def latest_verdicts(session: Session) -> dict[str, dict[str, Any]]:
    """Each task's last verdict, by task id."""
    return {verdict["task"]: verdict for verdict in verdicts(session)}


def waiting(session: Session) -> list[Task]:
    """The tasks in review, the longest waiting first."""
    tasks = [t for t in session.state.tasks.values() if t.status == TaskStatus.REVIEW]
    return sorted(tasks, key=lambda t: (t.updated_at or "", t.id))


def sent_back(session: Session) -> list[tuple[Task, dict[str, Any]]]:
    """Tasks whose last verdict asked for changes and that their author has not sent back yet."""
    found = [(session.state.tasks[task_id], verdict) for task_id, verdict in latest_verdicts(session).items()
             if verdict["verdict"] == CHANGES and session.state.tasks[task_id].status in WITH_THE_AUTHOR]
    return sorted(found, key=lambda pair: pair[1]["at"])


def approved(session: Session) -> list[str]:
    """Ids of the tasks whose last verdict approved them, in the order they were approved."""
    latest = latest_verdicts(session)
    return [v["task"] for v in verdicts(session) if v["verdict"] == APPROVED and latest[v["task"]] is v]


def waiting_line(session: Session, task: Task) -> str:
    """``T-6 Checkout tests (3 pts) → qa-tester · sent for review 2h ago · round 2, last asked: “…”``."""
    line = task_line(session, task)
    if task.updated_at:
        line += f" · sent for review {ago(task.updated_at)}"
    asked = [v for v in verdicts(session, task.id) if v["verdict"] == CHANGES]
    if asked:
        line += f" · round {len(asked) + 1}, last asked: “{clip(asked[-1]['note'], 60)}”"
    return line


def _at_most(lines: list[str]) -> list[str]:
    return lines[:SHOWN] + ([f"  … and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])


def queue_text(session: Session) -> str:
    """The queue, as the ``queue`` command answers it and the model's context starts."""
    tasks = waiting(session)
    if not tasks:
        return "The review queue is empty: no task is in review."
    lines = [f"Review queue ({len(tasks)}, longest waiting first):"]
    return "\n".join(lines + _at_most([f"  {waiting_line(session, t)}" for t in tasks]))


def render_context(session: Session) -> str:
    """What the model is told at SessionStart and at every prompt while the review program runs."""
    lines = [queue_text(session)]
    back = sent_back(session)
    if back:
        lines.append(f"Sent back to their authors ({len(back)}):")
        lines += _at_most([f"  {task_line(session, task)}: “{clip(verdict['note'], 80)}” ({ago(verdict['at'])})"
                           for task, verdict in back])
    done = approved(session)
    if done:
        lines.append(f"Approved in this session: {listing(done)}.")
    lines.append(PALETTE_LINE)
    return "\n".join(lines)
