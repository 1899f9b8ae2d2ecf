"""Reading a slash command's ``$ARGUMENTS`` (and a terminal's words) into named values.

Claude Code substitutes ``$ARGUMENTS`` into a command's `` !`orch …` `` line as
the raw text the user typed, and the shell splits it. People write arguments
in several styles, so every command accepts all of them, mixed:

* ``key=value`` (``teams=engineering,qa``, ``name="Auth sprint"``);
* flags: ``--key value``, ``--key=value``, ``--flag``, ``--no-flag``;
* bare words, which fill the command's positional parameters in order
  (``/orchestration:start-sprint Auth sprint`` names the sprint "Auth sprint");
* the whole string as one quoted word (``orch sprint start "teams=qa days=5"``).

Keys are case-insensitive, ``_`` and ``-`` are the same, and each parameter
may have aliases (``duration`` for ``days``, ``team`` for ``teams``). Lists
take commas or repeated keys; ``--teams engineering, qa`` (a value ending in a
comma) goes on with the next word, and so does a name or title
(``name=Auth sprint`` arrives as ``name=Auth`` and ``sprint``). Anything
unknown is a one-line error that lists what the command takes: a typo never
silently becomes a name.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import attrs

from orchcore.api import OrchError

KINDS = ("text", "int", "list", "flag", "days", "choice")
TRUE_WORDS = ("1", "true", "yes", "on", "y")
FALSE_WORDS = ("0", "false", "no", "off", "n")
_KEY = re.compile(r"^([A-Za-z][\w-]*)(=|:)(.*)$", re.S)
_NUMBER = re.compile(r"^-\d+(\.\d+)?$")
_DURATION = re.compile(r"^(\d+)\s*(d|day|days|w|wk|wks|week|weeks)?$", re.I)


class ArgumentError(OrchError):
    """Arguments that do not fit the command."""


@attrs.frozen
class Param:
    """One named value a command takes."""

    name: str
    help: str
    kind: str = "text"
    aliases: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    positional: bool = False  # bare words fill it, one each (a list takes all the rest)
    greedy: bool = False  # a positional text that takes all the remaining words (a name, a title)
    choices: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    metavar: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")

    @property
    def shown(self) -> str:
        if self.metavar:
            return self.metavar
        if self.kind == "choice":
            return "|".join(self.choices)
        return {"int": "N", "list": "A,B", "days": "N|Nw", "flag": "true|false"}.get(self.kind, "TEXT")


# Every command also takes these (typer sees them too, but a group stops
# parsing its own options at the first bare word, so they can arrive here).
COMMON = (
    Param("json", "print JSON", kind="flag"),
    Param("session", "the session id (default: $CLAUDE_CODE_SESSION_ID)", metavar="ID"),
)


def _norm(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _lookup(params: tuple[Param, ...] | list[Param]) -> dict[str, Param]:
    table: dict[str, Param] = {}
    for param in [*params, *COMMON]:
        for key in (param.name, *param.aliases):
            table.setdefault(_norm(key), param)
    return table


def describe(params: tuple[Param, ...] | list[Param]) -> str:
    """What a command takes, for its --help and error messages."""
    lines = []
    for p in params:
        also = f" (also {', '.join(p.aliases)})" if p.aliases else ""
        bare = "; bare words fill it" if p.positional else ""
        spelled = f"--{p.name}" if p.kind == "flag" else f"{p.name}={p.shown}"
        lines.append(f"{spelled}  {p.help}{also}{bare}")
    return "\n".join(lines)


def epilog(params: tuple[Param, ...] | list[Param]) -> str:
    """The --help footer: each parameter, in both spellings."""
    if not params:
        return "Takes no arguments besides --session and --json."
    lines = ["Arguments, as key=value or --key value (mixed freely):"]
    lines += [f"  {line}" for line in describe(params).splitlines()]
    return "\n\n".join([lines[0], "\n".join(lines[1:])])  # typer folds single newlines


def _known_key(token: str, table: dict[str, Param]) -> bool:
    if token.startswith("--"):
        key = _norm(token[2:].partition("=")[0])
        return key in table or (key.startswith("no-") and key[3:] in table)
    match = _KEY.match(token)
    return bool(match and match.group(2) == "=" and _norm(match.group(1)) in table)


def _expand(tokens: list[str], table: dict[str, Param]) -> list[str]:
    """Split a word that holds several arguments (the raw string passed as one word)."""
    out: list[str] = []
    for token in tokens:
        if any(ch.isspace() for ch in token):
            try:
                parts = shlex.split(token)
            except ValueError:
                parts = [token]
            if len(parts) > 1 and any(_known_key(part, table) for part in parts[1:]):
                out.extend(parts)
                continue
        out.append(token)
    return out


def _convert(param: Param, raw: str, given_as: str) -> Any:
    value = raw.strip()
    if param.kind == "flag":
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ArgumentError(f"{given_as} takes true or false, not {raw!r}")
    if param.kind == "list":
        return [item for item in re.split(r"[,\s]+", value) if item]
    if not value:
        raise ArgumentError(f"{given_as} needs a value")
    if param.kind == "int":
        try:
            return int(value)
        except ValueError:
            raise ArgumentError(f"{given_as} must be a whole number, not {raw!r}") from None
    if param.kind == "days":
        match = _DURATION.match(value)
        if not match:
            raise ArgumentError(f"{given_as} must be a number of days (10, 10d, 2w), not {raw!r}")
        unit = (match.group(2) or "d").lower()
        return int(match.group(1)) * (7 if unit.startswith("w") else 1)
    if param.kind == "choice":
        word = value.lower()
        if word not in param.choices:
            raise ArgumentError(f"{given_as} must be one of {', '.join(param.choices)}, not {raw!r}")
        return word
    return value


class _Values:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def put(self, param: Param, value: Any, given_as: str) -> None:
        if param.kind == "list":
            current = self.values.setdefault(param.name, [])
            current.extend(v for v in value if v not in current)
            return
        if param.name in self.values and self.values[param.name] != value:
            raise ArgumentError(
                f"{param.name} is given twice ({self.values[param.name]!r} and {value!r}); give it once"
            )
        self.values[param.name] = value


def parse(
    tokens: list[str] | tuple[str, ...] | None, params: tuple[Param, ...] | list[Param], command: str
) -> dict[str, Any]:
    """The values given, by parameter name (absent ones are left out); one-line errors otherwise."""
    table = _lookup(params)
    takes = ", ".join(p.name for p in params) or "no arguments"
    words = _expand([t for t in (tokens or ()) if t is not None], table)
    found = _Values()
    bare: list[str] = []
    open_list: Param | None = None  # a list value that ended with a comma goes on
    open_text: Param | None = None  # name=Auth sprint: the shell split a greedy text value; it goes on
    i = 0
    while i < len(words):
        token = words[i]
        i += 1
        if token == "--":
            bare.extend(words[i:])
            break
        is_flag = token.startswith("-") and len(token) > 1 and not _NUMBER.match(token)
        key_match = None if is_flag else _KEY.match(token)
        if key_match and key_match.group(2) == ":" and _norm(key_match.group(1)) not in table:
            key_match = None  # "note:" style only for known keys; else it is a word
        if open_list is not None and not is_flag and key_match is None:
            found.put(open_list, _convert(open_list, token, open_list.name), open_list.name)
            open_list = token.rstrip().endswith(",") and open_list or None
            continue
        if open_text is not None and not is_flag and key_match is None:
            found.values[open_text.name] = f"{found.values[open_text.name]} {token}"
            continue
        open_list = open_text = None
        if is_flag:
            key, has_value, value = token.lstrip("-").partition("=")
            norm = _norm(key)
            param = table.get(norm)
            negated = False
            if param is None and norm.startswith("no-") and table.get(norm[3:], Param("", "")).kind == "flag":
                param, negated = table[norm[3:]], True
            if param is None:
                raise ArgumentError(f"{command}: unknown option {token.partition('=')[0]} (it takes: {takes})")
            given_as = f"--{key}"
            if param.kind == "flag":
                value = "false" if negated else (value if has_value else "true")
            elif not has_value:
                if i >= len(words):
                    raise ArgumentError(f"{command}: {given_as} needs a value")
                value = words[i]
                i += 1
            found.put(param, _convert(param, value, given_as), given_as)
            open_list, open_text = _still_open(param, value)
            continue
        if key_match:
            key, _, value = key_match.groups()
            param = table.get(_norm(key))
            if param is None:
                raise ArgumentError(f"{command}: unknown argument {key!r} in {token!r} (it takes: {takes})")
            if not value.strip() and key_match.group(2) == ":" and i < len(words):
                value = words[i]  # "teams: qa"
                i += 1
            found.put(param, _convert(param, value, key), key)
            open_list, open_text = _still_open(param, value)
            continue
        bare.append(token)
    values = found.values
    _fill_positionals(values, bare, params, command)
    return values


def _still_open(param: Param, value: str) -> tuple[Param | None, Param | None]:
    """Whether the next bare words belong to this value: a list ending in a comma, a greedy text."""
    if param.kind == "list" and value.rstrip().endswith(","):
        return param, None
    if param.kind == "text" and param.greedy:
        return None, param
    return None, None


def _fill_positionals(values: dict[str, Any], bare: list[str], params, command: str) -> None:
    slots = [p for p in params if p.positional and p.name not in values]
    while bare and slots:
        param = slots.pop(0)
        if param.kind == "list":
            taken, bare = bare, []
            values[param.name] = _convert(param, ",".join(taken), param.name)
        elif param.kind == "text" and param.greedy:
            values[param.name] = _convert(param, " ".join(bare), param.name)
            bare = []
        else:
            values[param.name] = _convert(param, bare.pop(0), param.name)
    if bare:
        shown = " ".join(bare)
        takes = ", ".join(p.name for p in params) or "no arguments"
        raise ArgumentError(f"{command}: unexpected {shown!r}; use key=value (it takes: {takes})")
