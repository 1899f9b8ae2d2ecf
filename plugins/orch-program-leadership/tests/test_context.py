"""What the model sees while leadership_chat is active: the live meeting, rendered from the session."""

from __future__ import annotations


from conftest import SID, prompt

from orch_program_leadership.views import render_context, team_loads


def hold_meeting(bus):
    bus.emit(SID, "leadership.thread_opened", {"title": "Q3 database choice"})
    bus.emit(SID, "leadership.posted", {"thread": "1", "author": "eng-director", "text": "Postgres, for transactions."})
    bus.emit(SID, "leadership.thread_opened", {"title": "Release date"})
    bus.emit(SID, "leadership.thread_opened", {"title": "Old topic"})
    bus.emit(SID, "leadership.thread_closed", {"thread": "3"})
    bus.emit(SID, "leadership.decision_recorded", {"decision": "Adopt Postgres", "owner": "eng-director",
                                                   "rationale": "transactions", "thread": "1"})
    bus.emit(SID, "leadership.allocation_set", {"team": "qa", "agents": 3})


def test_team_load_and_completion_come_from_the_sessions_tasks_and_agents(company):
    loads = {t.name: t for t in team_loads(company.store.get(SID))}

    eng, qa, product, none = loads["engineering"], loads["qa"], loads["product"], loads["(no team)"]
    assert (len(eng.agents), eng.busy, eng.tasks, eng.done, eng.open, eng.in_progress) == (3, 3, 4, 1, 3, 2)
    assert eng.blocked_tasks == ["T-4"] and eng.directors == ["eng-director"]
    assert (eng.points_done, eng.points_total, round(eng.completion, 2)) == (5, 18, 0.25)
    assert len(eng.cycle_hours) == 1
    assert (len(qa.agents), qa.idle, qa.done, qa.pending) == (2, 2, 1, 1)  # qa-tester joined through the definition
    assert (len(product.agents), product.open) == (0, 1)
    assert none.open == 1
    assert list(loads)[:3] == ["engineering", "qa", "product"]  # the session's order


def test_the_context_shows_threads_decisions_teams_and_what_needs_attention(company):
    hold_meeting(company)

    text = render_context(company.store.get(SID))

    assert text.startswith("You chair the leadership meeting of the director agents.\n")
    assert "Directors: eng-director (engineering), qa-director (qa), product-director (product)" in text
    assert "Open threads (2 open, 1 closed):" in text
    assert "#1 Q3 database choice (open, 1 post; eng-director)\n      last: eng-director: Postgres, for transactions." in text
    assert "#2 Release date (open, 0 posts)" in text and "Old topic" not in text
    assert "The floor: #2" in text  # opened after the last post in #1
    assert "D-1 " in text and "[eng-director] Adopt Postgres — because transactions (thread #1)" in text
    table = text.split("Teams (load and completion):\n")[1]
    assert table.splitlines()[0].split() == ["team", "agents", "busy", "tasks", "done", "open", "blocked", "done%",
                                             "load", "alloc"]
    assert table.splitlines()[1].split() == ["engineering", "3", "3", "4", "1", "3", "1", "25%", "1.0", "-"]
    assert table.splitlines()[2].split() == ["qa", "2", "0", "2", "1", "1", "0", "50%", "0.5", "3"]
    assert "engineering: 1 blocked task(s) (T-4)" in text
    assert "engineering: 2 tasks in progress, above its limit of 1" in text
    assert "qa: 2 idle agent(s) while 1 task(s) wait: assign them" in text
    assert "product: 1 open task(s) and no agents working for it" in text
    assert "qa: allocated 3 agent(s), has 2 (needs 1)" in text
    assert "Palette" in text


def test_cycle_times_read_in_minutes_hours_or_days():
    from orch_program_leadership.views import duration

    assert [duration(h) for h in (0.2, 5.55, 60)] == ["12 min", "5.5 h", "2.5 d"]


def test_an_empty_session_renders_without_data(session):
    text = render_context(session.store.get(SID))

    assert "Directors: none in this session yet" in text
    assert "Open threads: none (0 closed)" in text and "Decisions: none logged yet" in text
    assert "no teams yet" in text


def test_the_model_gets_the_live_meeting_at_every_prompt_once_the_program_is_active(company, orch_hook, orch_cli):
    assert orch_hook(prompt("what should we discuss?")).answer is None  # no program yet

    orch_cli("program", "activate", "leadership_chat", session=SID)
    first = orch_hook(prompt("what should we discuss?")).answer["hookSpecificOutput"]["additionalContext"]
    company.emit(SID, "leadership.decision_recorded", {"decision": "Ship on Friday", "owner": "product"})
    second = orch_hook(prompt("and now?")).answer["hookSpecificOutput"]["additionalContext"]

    assert first.startswith("[program-context]\nProgram leadership_chat is active. Live state:\nYou chair")
    assert "Ship on Friday" not in first and "[product] Ship on Friday" in second


def test_a_resumed_session_gets_the_context_too(active, orch_hook):
    answer = orch_hook({"session_id": SID, "transcript_path": "", "cwd": "/", "hook_event_name": "SessionStart",
                        "source": "resume"}).answer

    assert "You chair the leadership meeting" in answer["hookSpecificOutput"]["additionalContext"]


def test_the_status_line_shows_the_icon_and_the_meetings_counts(active, orch_statusline):
    hold_meeting(active)

    line = orch_statusline(SID, {"model": {"display_name": "Opus"}})

    assert line.startswith("◆ leadership_chat │ ")
    assert "◆ 2 threads · 1 decision" in line


def test_the_segment_hides_without_leadership_data(company):
    from orchcore.api import SegmentContext

    from orch_program_leadership.plugin import leadership_segment

    assert leadership_segment(SegmentContext(session=company.store.get(SID), status_input={}, color=False)) is None
    assert leadership_segment(SegmentContext(session=None, status_input={}, color=False)) is None
