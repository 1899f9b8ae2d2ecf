"""Building the packs' slash commands so that what they run and what they may run agree.

A pack declares each command's `` !`orch …` `` lines (run by Claude Code
before the prompt reaches the model) and the ``orch`` commands the model may
run afterwards; ``allowed-tools`` is derived from exactly those, one
``Bash(orch <group> <command>:*)`` per command, so it never allows more than
the body uses and never forgets one.

Seen with Claude Code 2.1.328: when a `` !`…` `` line exits non-zero, the
command stops there: no request reaches the model, and the user sees
``Shell command failed for pattern "!`…`": [stderr]`` followed by the
command's output. So bad input costs no model call and shows ``orch``'s own
one-line error; the instructions in a body only ever follow a success.
"""

from __future__ import annotations

from orchcore.api import CommandSpec

FOLDER = "orchestration"


def permission(line: str) -> str:
    """``orch sprint start $ARGUMENTS`` -> ``Bash(orch sprint start:*)`` (the first three words)."""
    words = line.split()
    if len(words) < 2 or words[0] != "orch":
        raise ValueError(f"not an orch command: {line!r}")
    prefix = [w for w in words[:3] if not w.startswith(("-", "$"))]
    return f"Bash({' '.join(prefix)}:*)"


def slash_command(
    name: str,
    description: str,
    *,
    runs: list[str],
    instructions: str,
    intro: str = "",
    model_may_run: list[str] = (),
    argument_hint: str = "",
) -> CommandSpec:
    """A ``/orchestration:<name>`` command: intro, the `` !`…` `` lines, then what the model should do."""
    injected = "\n\n".join(f"!`{line}`" for line in runs)
    body = "\n\n".join(part.strip("\n") for part in (intro, injected, instructions) if part)
    allowed = list(dict.fromkeys(permission(line) for line in [*runs, *model_may_run]))
    return CommandSpec(
        command=name, description=description, body=body, folder=FOLDER,
        allowed_tools=allowed, argument_hint=argument_hint,
    )

