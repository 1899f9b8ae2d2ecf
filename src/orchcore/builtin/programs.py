"""Built-in plugin: what makes a program live while it is the session's mode.

Generic over every installed ``ProgramSpec`` (the core knows no program by
name): at SessionStart and at every prompt the active program's
``render_context`` gives the model the session's current state, and a prompt
that is one of the program's palette commands is answered at once, without a
model request (Claude Code shows the answer as the reason the prompt was
blocked, and gives the prompt back).
"""

from __future__ import annotations

from orchcore.domain.sprints import sprint_tasks
from orchcore.errors import PluginFault
from orchcore.domain.vocabulary import OPEN_TASK
from orchcore.plugins import hookimpl
from orchcore.protocol import HookResult
from orchcore.specs import HookHandler

CONTEXT_LIMIT = 6000
PROGRAM_BUDGET_MS = 1000  # program-context's and program-palette's budget: the program's code runs within it


def active_program(context):
    """The program whose mode the session is in, or None."""
    found = _active(context)
    return found.spec if found is not None else None


def _active(context):
    """The active program with the plugin that provides it (``Provided``), or None."""
    if context.plugins is None or context.session is None:
        return None
    for provided in context.plugins.collect("orch_programs").values():
        if provided.spec.session_mode == context.session.mode:
            return provided
    return None


def _on_behalf_of(context, provided, what: str, call):
    """Run a program's own code; its failure is its plugin's, not this built-in's.

    One that raises becomes a ``PluginFault``; while it runs, the context says
    whose code it is (``HookContext.acting_for``), so one that runs over the
    handler's budget is the program's plugin's failure too.
    """
    where = f"{what} of program {provided.spec.name!r}"
    try:
        with context.acting_for(provided.plugin, where):
            return call()
    except (Exception, SystemExit) as exc:  # exit() in a program must not end the hook
        raise PluginFault(provided.plugin, f"raised {type(exc).__name__}: {exc} (in {where})") from exc


def program_context(event, context):
    provided = _active(context)
    program = provided.spec if provided is not None else None
    if program is None or program.render_context is None or event.recovered:
        return None  # context for a prompt the model has answered already
    text = _on_behalf_of(context, provided, "render_context", lambda: program.render_context(context.session))
    if not text:
        return None
    if len(text) > CONTEXT_LIMIT:
        text = text[:CONTEXT_LIMIT].rstrip() + "\n[…]"
    return HookResult.context(f"Program {program.name} is active. Live state:\n{text}")


def parse_palette(prompt: str, program):
    """(command, args) when the prompt is one of the program's palette commands, else None."""
    words = prompt.strip().split()
    if not words or len(prompt) > 200 or "\n" in prompt.strip():
        return None
    name, args = words[0].lower(), words[1:]
    for command in program.palette:
        if command.name == name and command.min_args <= len(args) <= command.max_args:
            return command, args
    if name == "help" and not args and program.palette:
        return "help", []
    return None


def palette_help(program) -> str:
    lines = [f"{program.name} commands (typed at the prompt, answered without the model):"]
    for command in program.palette:
        usage = command.usage or command.name
        lines.append(f"  {usage:<28} {command.help}")
    return "\n".join(lines)


def program_palette(event, context):
    provided = _active(context)
    program = provided.spec if provided is not None else None
    if program is None or not program.palette or not event.prompt or event.recovered:
        return None  # a recovered prompt went to the model then: running its command now would surprise
    found = parse_palette(event.prompt, program)
    if found is None:
        return None
    command, args = found
    if command == "help":
        text = palette_help(program)
    else:
        text = _on_behalf_of(context, provided, f"palette command {command.name!r}", lambda: command.run(args, context))
    if text is None:
        return None  # the command declined: "set up the CI" is a prompt for the model, not `set`
    return HookResult.blocking(text or f"{event.prompt.strip()}: done")


MAX_STOP_BLOCKS = 3  # per session: the policy nudges, it never traps Claude in a loop
STOP_BLOCKS_METRIC = "stop_policy_blocks"


def stop_policy(event, context):
    """For programs that opt in: when the main agent stops with the sprint's tasks still open, block once more.

    Never loops: not when Claude Code says a Stop hook already made it
    continue (``stop_hook_active``), and at most MAX_STOP_BLOCKS times per session.
    """
    program = active_program(context)
    session = context.session
    if program is None or not program.stop_policy or event.stop_hook_active or not session.current_sprint:
        return None
    if event.recovered:
        return None  # that stop has happened: blocking it now would only count a block nobody saw
    if session.state.metrics.get(STOP_BLOCKS_METRIC, 0) >= MAX_STOP_BLOCKS:
        return None
    sprint = session.state.sprints.get(session.current_sprint)
    tasks = sprint_tasks(session, sprint) if sprint is not None else [
        t for t in session.state.tasks.values() if t.sprint == session.current_sprint]
    open_tasks = [t for t in tasks if t.status in OPEN_TASK]
    if not open_tasks:
        return None
    context.emit("metric.recorded", {"name": STOP_BLOCKS_METRIC, "value": 1, "op": "inc"})
    listing = "; ".join(f"{t.id} [{t.status}] {t.title}".strip() for t in open_tasks[:10])
    more = f" (and {len(open_tasks) - 10} more)" if len(open_tasks) > 10 else ""
    return HookResult.blocking(
        f"The sprint {session.current_sprint} still has {len(open_tasks)} open tasks: {listing}{more}. "
        "Continue with the next one, or say why it cannot be done now."
    )


@hookimpl
def orch_hook_handlers():
    return [
        HookHandler(name="program-stop-policy", events=["Stop"], handler=stop_policy),
        HookHandler(name="program-palette", events=["UserPromptSubmit"], handler=program_palette,
                    timeout_ms=PROGRAM_BUDGET_MS),
        HookHandler(name="program-context", events=["SessionStart", "UserPromptSubmit"], handler=program_context,
                    timeout_ms=PROGRAM_BUDGET_MS),
    ]
