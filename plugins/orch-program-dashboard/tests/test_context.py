"""While the dashboard is the session's mode, the model gets a compact live snapshot at every prompt."""

from __future__ import annotations

from conftest import SID, prompt

from orch_program_dashboard.render import render_context


def test_the_snapshot_shows_sprint_teams_tasks_messages_and_metrics(dashboard):
    text = render_context(dashboard.store.get(SID))

    lines = text.splitlines()
    assert lines[0] == "▦ all-team_dashboard · session 8e82f7c6"
    assert lines[1] == ("Sprint S-1 “Checkout” · day 1/10 · 1/6 tasks done · 2/22 points"
                        " · goal: Customers can pay by card")
    assert "Epic E-1 “Payments” · open" in lines
    # teams with their people, and who is working on what (agent ids shown by name)
    assert "  engineering: 3 people, 2 working, 2 open tasks · lead eng-director · max 2 parallel" in lines
    assert "  working: eng-director · eng-backend on T-1 · qa-tester on T-6" in lines
    # tasks: counts by status, attention first, blockers inline, pending by priority
    assert "Tasks (6): 1 blocked · 1 in_progress · 1 review · 2 pending · 1 done" in lines
    assert "    T-2 Deploy pipeline (3 pts) → eng-frontend — waiting for cloud credentials" in lines
    assert text.index("T-4 !critical Fraud check") < text.index("T-5 !low Receipt e-mails")
    # queued messages by priority (M-2 was delivered), metrics
    assert "Messages queued (2): 1 critical · 1 high" in lines
    assert "  [critical] qa-director → eng-director (bug): Checkout crashes on submit" in lines
    assert "Staging is back up" not in text
    assert "Metrics: coverage 0.87 · tests_passed 124" in lines
    assert lines[-1].startswith("palette (type at the prompt): status · team <name>")


def test_an_empty_session_gets_a_short_snapshot(orch_bus):
    orch_bus.create_session(SID, orchestration_enabled=True)

    text = render_context(orch_bus.store.get(SID))

    assert "No sprint running." in text and "Tasks: none yet." in text and "Messages: none queued." in text
    assert len(text) < 600


def test_the_snapshot_stays_small_however_big_the_session_grows(dashboard):
    for n in range(500):
        dashboard.emit(SID, "task.created", {"id": f"B-{n}", "title": "Backlog item " * 20, "priority": "high"})
    for n in range(98):  # the session already has 2: a full queue holds 100
        dashboard.emit(SID, "message.sent", {"id": f"N-{n}", "from": "a", "to": "b", "priority": "high",
                                             "payload": "x" * 500})
    for n in range(30):
        dashboard.emit(SID, "agent.upserted", {"id": f"worker-{n}", "team": f"team-{n}", "status": "busy"})
    for n in range(40):
        dashboard.emit(SID, "metric.recorded", {"name": f"metric_{n:02}", "value": n})

    text = render_context(dashboard.store.get(SID))

    assert len(text) < 3000
    assert "  … and 499 more" in text  # pending tasks beyond the first three
    assert "Messages queued (100)" in text


def test_the_router_injects_the_snapshot_at_every_prompt_once_the_program_is_active(dashboard, orch_cli, orch_hook):
    assert orch_hook(prompt("how are we doing?")).answer is None  # no program active yet

    orch_cli("program", "activate", "all-team_dashboard", session=SID)
    first = orch_hook(prompt("how are we doing?")).answer["hookSpecificOutput"]["additionalContext"]
    dashboard.emit(SID, "task.completed", {"id": "T-1"})
    second = orch_hook(prompt("and now?")).answer["hookSpecificOutput"]["additionalContext"]

    assert "Program all-team_dashboard is active. Live state:\n▦ all-team_dashboard" in first
    assert "2/6 tasks done · 7/22 points" not in first
    assert "2/6 tasks done · 7/22 points" in second


def test_a_resumed_session_gets_the_snapshot_at_session_start(active, orch_hook):
    answer = orch_hook({"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "SessionStart",
                        "source": "resume"}).answer

    assert "Tasks (6): 1 blocked" in answer["hookSpecificOutput"]["additionalContext"]
