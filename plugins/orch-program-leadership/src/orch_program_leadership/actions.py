"""The program's commands, validated before anything is recorded.

Each action takes the session's current state and its arguments and returns
an ``Outcome``: the text to show, the events to record, and how to find the
recorded object in the new state (for ``--json``). The palette (at the
prompt) and ``orch leadership`` (in a terminal, or from Bash inside Claude
Code) both call these, so the two can never disagree.

Events are checked by running their reducers on a copy of the state first:
a command whose event would be rejected is an error here, with the
reducer's own message, and nothing is recorded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from orch_program_leadership import events as ev
from orch_program_leadership import views

STOPWORDS = frozenset(
    "a about all an and any are as at be between both do does for from how i if in is it its may maybe me my "
    "need not now of on or our should so some that the then this to up we what when whether which who why will "
    "with would you your".split()
)


class CommandError(Exception):
    """A command that cannot be carried out; its text is shown as it is."""


@attrs.frozen
class Outcome:
    text: str
    events: tuple[tuple[str, dict[str, Any]], ...] = ()
    result: Callable[[Any], Any] | None = None  # new state -> the JSON object the command made


def check(session: Any, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Raise CommandError when a reducer would reject one of ``events``."""
    from orchcore.api import Event, InvalidValue, now_iso

    reducers = {t.name: t.reducer for t in ev.EVENT_TYPES}
    state = copy.deepcopy(session)
    for seq, (event_type, data) in enumerate(events, start=1):
        event = Event(seq=seq, session_id=session.session_id, ts=now_iso(), type=event_type, source="check", data=data)
        try:
            state = reducers[event_type](state, event)
        except InvalidValue as exc:
            raise CommandError(str(exc).split(": ", 1)[-1]) from None


def thread_ref(value: Any) -> str:
    """``3`` or ``#3`` -> ``"3"``."""
    text = str(value).strip().lstrip("#")
    if not ev.THREAD_ID.fullmatch(text):
        raise CommandError(f"{value!r} is not a thread id (use the number `threads` shows, e.g. 3 or #3)")
    return text


def find_thread(session: Any, ref: Any) -> dict[str, Any]:
    thread_id = thread_ref(ref)
    threads = ev.read_space(session)["threads"]
    if thread_id not in threads:
        known = ", ".join(f"#{t}" for t in threads) or "none yet"
        raise CommandError(f"no thread #{thread_id} (threads: {known})")
    return threads[thread_id]


def check_name(value: str, what: str) -> str:
    if not ev.NAME.fullmatch(value or ""):
        raise CommandError(f"{what} must be a name such as eng-director or qa (letters, digits, - _ . @), not {value!r}")
    return value


def split_rationale(words: Sequence[str]) -> tuple[str, str]:
    """``adopt postgres -- it has transactions`` (or ``… because …``) -> (decision, rationale)."""
    words = list(words)
    for i, word in enumerate(words):
        if i and (word in ("--", "—") or word.lower() in ("because", "because:")):
            return " ".join(words[:i]).strip(), " ".join(words[i + 1:]).strip()
    return " ".join(words).strip(), ""


# -- threads -------------------------------------------------------------------


def list_threads(session: Any, include_closed: bool = False) -> Outcome:
    return Outcome(views.threads_text(session, include_closed))


def show_thread(session: Any, ref: Any) -> Outcome:
    thread = find_thread(session, ref)
    return Outcome(views.thread_text(thread), result=lambda state: thread)


def open_thread(session: Any, title: str, by: str = "chair", team: str | None = None,
                participants: Sequence[str] = ()) -> Outcome:
    title = " ".join(title.split())
    if not title:
        raise CommandError("a thread needs a title: new-thread <title…>")
    thread_id = ev.next_thread_id(session)
    data: dict[str, Any] = {"id": thread_id, "title": title, "by": check_name(by, "the author")}
    if team:
        data["team"] = check_name(team, "the team")
    if participants:
        data["participants"] = [check_name(p, "a participant") for p in participants]
    events = [(ev.THREAD_OPENED, data)]
    check(session, events)
    return Outcome(
        f"opened thread #{thread_id}: {title}\n"
        f"post to it with: post {thread_id} <text…>  (a director: post {thread_id} eng-director: <text…>)",
        events, lambda state: ev.read_space(state)["threads"][thread_id],
    )


def post(session: Any, ref: Any, text: str, author: str = "chair") -> Outcome:
    thread = find_thread(session, ref)
    text = text.strip()
    if not text:
        raise CommandError("a post needs text: post <id> <text…>")
    events = [(ev.POSTED, {"thread": thread["id"], "author": check_name(author, "the author"), "text": text})]
    check(session, events)
    n = len(thread["posts"]) + 1
    return Outcome(
        f"#{thread['id']} {thread['title']}: post {n} by {author}: {views.snippet(text)}",
        events, lambda state: ev.read_space(state)["threads"][thread["id"]]["posts"][-1],
    )


def close_thread(session: Any, ref: Any, outcome: str | None = None, by: str = "chair") -> Outcome:
    thread = find_thread(session, ref)
    data: dict[str, Any] = {"thread": thread["id"], "by": check_name(by, "who closes it")}
    if outcome and outcome.strip():
        data["outcome"] = outcome.strip()
    events = [(ev.THREAD_CLOSED, data)]
    check(session, events)
    return Outcome(
        f"closed thread #{thread['id']}: {thread['title']}" + (f" — {data['outcome']}" if "outcome" in data else ""),
        events, lambda state: ev.read_space(state)["threads"][thread["id"]],
    )


# -- decisions -----------------------------------------------------------------


def list_decisions(session: Any, owner: str | None = None, limit: int = 10) -> Outcome:
    chosen = [d for d in ev.read_space(session)["decisions"] if owner is None or owner in (d["owner"], d.get("team"))]
    return Outcome(views.decisions_text(session, owner, limit), result=lambda state: chosen[-limit:] if limit else chosen)


def decide(session: Any, owner: str, decision: str, rationale: str = "", thread: Any = None,
           date: str | None = None, team: str | None = None, by: str = "chair") -> Outcome:
    if owner.lower() in STOPWORDS or not ev.NAME.fullmatch(owner):
        raise CommandError(
            f"{owner!r} does not look like an owner (an agent or team, e.g. eng-director).\n"
            "usage: decide <owner> <decision…> -- <rationale…>\n"
            "To ask the model instead, rephrase the prompt (e.g. \"help me decide …\")."
        )
    decision = " ".join(decision.split())
    if not decision:
        raise CommandError("what was decided? usage: decide <owner> <decision…> -- <rationale…>")
    decision_id = ev.next_decision_id(session)
    data: dict[str, Any] = {"id": decision_id, "decision": decision, "owner": owner, "by": check_name(by, "the author")}
    if rationale.strip():
        data["rationale"] = rationale.strip()
    if thread is not None:
        data["thread"] = find_thread(session, thread)["id"]
    if date:
        data["date"] = date
    if team:
        data["team"] = check_name(team, "the team")
    events = [(ev.DECISION_RECORDED, data)]
    check(session, events)
    note = "" if rationale.strip() else "\n(no rationale given: add one after `--` next time)"
    return Outcome(
        f"recorded {decision_id} [{owner}] {decision}" + (f" — because {data['rationale']}" if "rationale" in data else "")
        + note,
        events, lambda state: next(d for d in ev.read_space(state)["decisions"] if d["id"] == decision_id),
    )


# -- teams -----------------------------------------------------------------------


def known_teams(session: Any, team_specs: dict[str, Any] | None = None) -> list[str]:
    names = [t.name for t in views.team_loads(session, team_specs) if t.name != views.NO_TEAM]
    return sorted(set(names))


def allocate(session: Any, team: str, agents: Any, team_specs: dict[str, Any] | None = None,
             note: str | None = None, by: str = "chair") -> Outcome:
    teams = known_teams(session, team_specs)
    if team not in teams:
        raise CommandError(
            f"no team {team!r} (teams: {', '.join(teams) or 'none yet: activate teams first'})\n"
            "usage: allocate <team> <n>"
        )
    try:
        count = int(str(agents), 10)
    except ValueError:
        raise CommandError(f"{agents!r} is not a number of agents; usage: allocate <team> <n>") from None
    if not 0 <= count <= ev.MAX_AGENTS:
        raise CommandError(f"allocate between 0 and {ev.MAX_AGENTS} agents, not {count}")
    data: dict[str, Any] = {"team": team, "agents": count, "by": check_name(by, "the author")}
    if note and note.strip():
        data["note"] = note.strip()
    events = [(ev.ALLOCATION_SET, data)]
    check(session, events)
    previous = ev.read_space(session)["allocations"].get(team, {}).get("agents")
    load = next((t for t in views.team_loads(session, team_specs) if t.name == team), None)
    has = len(load.agents) if load else 0
    change = f"(was {previous})" if previous is not None else "(first allocation)"
    return Outcome(
        f"{team}: {count} agent(s) allocated {change}; {has} working for it now",
        events, lambda state: {"team": team, **ev.read_space(state)["allocations"][team]},
    )


def teams(session: Any, team_specs: dict[str, Any] | None = None, agent_specs: dict[str, Any] | None = None) -> Outcome:
    loads = views.team_loads(session, team_specs, agent_specs)
    text = views.teams_table(loads)
    notes = views.findings(loads)
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes)
    return Outcome(text, result=lambda state: [t.as_dict() for t in loads])


def performance(session: Any, team: str | None = None, team_specs: dict[str, Any] | None = None,
                agent_specs: dict[str, Any] | None = None) -> Outcome:
    loads = views.team_loads(session, team_specs, agent_specs)
    if team is not None and team not in {t.name for t in loads}:
        raise CommandError(f"no team {team!r} (teams: {', '.join(t.name for t in loads) or 'none yet'})")
    chosen = [t for t in loads if team is None or t.name == team]
    return Outcome(
        views.performance_text(loads, team),
        result=lambda state: {"teams": [t.as_dict() for t in chosen], "findings": views.findings(chosen if team else loads)},
    )


# -- parsing the palette's words ----------------------------------------------


AUTHOR = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.@-]{0,63}):")


def author_and_text(words: Sequence[str], default: str = "chair") -> tuple[str, str]:
    """``eng-director: we should …`` -> ("eng-director", "we should …")."""
    if words:
        found = AUTHOR.fullmatch(words[0])
        if found:
            return found.group(1), " ".join(words[1:])
    return default, " ".join(words)
