"""``orch plugins new``: a complete third-party distribution, written from templates, that passes its own tests.

The templates are package data under ``templates/``: ``common/`` holds what
every kind gets (``pyproject.toml``, the README, the package's
``__init__.py``, the entry-point test), ``<kind>/`` the plugin module and its
tests. A template's path mirrors where it is written, with ``PACKAGE``
standing for the package folder and ``.tmpl`` dropped; ``_readme.md`` is the
kind's part of the README, not a file of its own. Placeholders are
``{{key}}`` (``Names.placeholders`` and ``readme_part``), so the templates
stay plain Python and Markdown, braces and ``$`` included.

One name gives all the others: the distribution ``orch-program-standup``,
the package ``orch_program_standup``, the plugin (its entry point)
``program-standup``, and the thing it adds ``standup`` (the program, the
segment, the handler, the command folder and CLI group).
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

import attrs

from orchcore.errors import OrchError

TEMPLATES = Path(__file__).parent / "templates"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
RESERVED_PACKAGES = frozenset({"orchcore", "orch", "tests", "pytest", "typer", "pluggy", "attrs", "cattrs"})


@attrs.frozen
class Kind:
    """One kind of plugin the scaffold writes: what it adds and which registration hooks it implements."""

    name: str
    adds: str  # "a program", for messages
    summary: str  # what it adds, after "An orchcore plugin that adds"; with {{stem}}
    hooks: tuple[str, ...]  # the hooks the plugin implements; the first one names the thing it adds


KINDS = {
    kind.name: kind
    for kind in (
        Kind("program", "a program", "the program `{{stem}}`, an output style with live context and a palette command.",
             ("orch_programs",)),
        Kind("segment", "a status segment", "the status-line segment `{{stem}}`, the session's done and open tasks.",
             ("orch_status_segments",)),
        Kind("handler", "a hook handler", "the hook handler `{{stem}}`, a PreToolUse guard that denies risky "
             "Bash commands.", ("orch_hook_handlers", "orch_event_types")),
        Kind("commands", "a CLI group", "the slash commands `/{{stem}}:*` and the CLI group `orch {{stem}}`.",
             ("orch_cli_commands", "orch_commands")),
    )
}


@attrs.frozen
class Names:
    """Every name the templates use, derived from the distribution's name and the kind."""

    name: str  # the distribution: orch-program-standup
    package: str  # orch_program_standup
    plugin: str  # the entry point's name: program-standup
    stem: str  # what the plugin adds: standup
    kind: str
    title: str  # Standup

    def placeholders(self) -> dict[str, str]:
        hooks = KINDS[self.kind].hooks
        values = {field.name: getattr(self, field.name) for field in attrs.fields(Names)}
        values["hooks"] = ", ".join(sorted(hooks))
        values["summary"] = KINDS[self.kind].summary.replace("{{stem}}", self.stem)
        return values


def names_for(name: str, kind: str) -> Names:
    """The names of a new distribution, or a one-line error saying what is wrong with ``name`` or ``kind``."""
    if kind not in KINDS:
        raise OrchError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if not NAME_PATTERN.fullmatch(name):
        raise OrchError(f"bad plugin name {name!r}: use lower-case words (letters and digits, the first "
                        f"starting with a letter) joined by hyphens, e.g. orch-{kind}-standup")
    package = name.replace("-", "_")
    if keyword.iskeyword(package) or package in sys.stdlib_module_names or package in RESERVED_PACKAGES:
        raise OrchError(f"bad plugin name {name!r}: its package {package!r} would shadow Python's or orchcore's "
                        f"own; e.g. orch-{kind}-{name}")
    plugin = name.removeprefix("orch-") or name
    stem = plugin.removeprefix(f"{kind}-") or plugin
    return Names(name=name, package=package, plugin=plugin, stem=stem, kind=kind,
                 title=stem.replace("-", " ").capitalize())


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.search(r"\{\{\w+\}\}", text)
    if left:
        raise ValueError(f"template placeholder {left.group(0)} has no value")  # a bug in a template
    return text


def files_for(names: Names) -> dict[str, str]:
    """Each file of the distribution, by path relative to its folder, with its text."""
    values = names.placeholders()
    kind_folder = TEMPLATES / names.kind
    values["readme_part"] = render((kind_folder / "_readme.md").read_text(encoding="utf-8"), values).rstrip("\n")
    files = {}
    for folder in (TEMPLATES / "common", kind_folder):
        for template in sorted(folder.rglob("*.tmpl")):
            relative = template.relative_to(folder).as_posix().removesuffix(".tmpl")
            parts = [names.package if part == "PACKAGE" else part for part in relative.split("/")]
            files["/".join(parts)] = render(template.read_text(encoding="utf-8"), values)
    return dict(sorted(files.items()))


def check_folder(folder: Path, files: dict[str, str], force: bool) -> None:
    """A folder that holds anything is refused unless ``force``; ``force`` never writes over a folder or link."""
    if folder.exists() and not folder.is_dir():
        raise OrchError(f"{folder} exists and is not a folder; choose another --dir")
    if not force and folder.is_dir() and any(folder.iterdir()):
        raise OrchError(f"{folder} exists already and is not empty; choose another --dir, or --force to "
                        f"overwrite the {len(files)} files the scaffold writes (other files are kept)")
    for relative in files:
        target = folder / relative
        if target.is_symlink() or target.is_dir():
            raise OrchError(f"{target} is a {'link' if target.is_symlink() else 'folder'}; "
                            "the scaffold writes only plain files: move it aside")


def write(folder: Path, files: dict[str, str], force: bool = False) -> list[Path]:
    """Write the files under ``folder``; what is written, in order. A write that fails is a one-line error."""
    check_folder(folder, files, force)
    written = []
    for relative, text in files.items():
        target = folder / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OrchError(f"cannot write {target}: {exc.strerror or exc}") from None
        written.append(target)
    return written
