"""What plugins provide, rendered as the Markdown files Claude Code reads.

Output styles (``ProgramSpec``), slash commands (``CommandSpec``) and agents
(``AgentSpec``) become files under ``.claude/``: YAML frontmatter written
here, the body as the spec gives it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from orchcore.specs import AgentSpec, CommandSpec, ProgramSpec, is_file_name


def _yaml_scalar(value: str | bool) -> str:
    """A frontmatter value: plain when YAML reads it back unchanged, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    plain = (
        re.fullmatch(r"[A-Za-z_(/][^\n#]*", value)
        and ": " not in value
        and not value.endswith((":", " "))
        and value.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def _markdown(front: list[tuple[str, str | bool]], body: str) -> str:
    head = "\n".join(["---", *(f"{key}: {_yaml_scalar(value)}" for key, value in front), "---"]) + "\n"
    body = body.strip("\n")
    return f"{head}\n{body}\n" if body else head


def render_output_style(spec: ProgramSpec) -> str:
    front: list[tuple[str, str | bool]] = [("name", spec.name), ("description", spec.description)]
    if spec.keep_coding_instructions:
        front.append(("keep-coding-instructions", True))
    return _markdown(front, spec.output_style)


def render_command(spec: CommandSpec) -> str:
    front: list[tuple[str, str | bool]] = [("description", spec.description)]
    if spec.allowed_tools:
        front.append(("allowed-tools", ", ".join(spec.allowed_tools)))
    if spec.argument_hint:
        front.append(("argument-hint", spec.argument_hint))
    return _markdown(front, spec.body)


def render_agent(spec: AgentSpec) -> str:
    front: list[tuple[str, str | bool]] = [("name", spec.name), ("description", spec.description)]
    if spec.tools:
        front.append(("tools", ", ".join(spec.tools)))
    if spec.model:
        front.append(("model", spec.model))
    return _markdown(front, spec.prompt)


# registration hook -> the spec type it returns, the folder under .claude/, how to render one
RENDERED = (
    ("orch_programs", ProgramSpec, "output-styles", render_output_style),
    ("orch_commands", CommandSpec, "commands", render_command),
    ("orch_agents", AgentSpec, "agents", render_agent),
)


def _file_name_parts(spec: Any) -> list[str]:
    """The path of a spec's file below its folder: <name>, or <folder>/<command> for commands."""
    if isinstance(spec, CommandSpec):
        return [spec.folder, spec.command] if spec.folder else [spec.command]
    return [spec.name]


def provided_files(plugins: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Relative path -> text of every file the plugins provide, and the specs that cannot be written.

    A spec checks its names when it is built; the check here is for one
    changed afterwards (``object.__setattr__`` gets past a frozen class).
    """
    files: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for hook, spec_type, folder, render in RENDERED:
        for name, spec in plugins.specs(hook).items():
            if not isinstance(spec, spec_type):
                got = type(spec).__name__
                problems.append({"path": name, "reason": f"{hook} returned a {got}, not a {spec_type.__name__}"})
                continue
            parts = _file_name_parts(spec)
            if not all(is_file_name(part) for part in parts):
                problems.append({"path": name, "reason": f"{'/'.join(map(str, parts))!r} cannot be a file name"})
                continue
            files["/".join([folder, *parts]) + ".md"] = render(spec)
    return files, problems
