"""``orchcore.api`` is the one module plugins import (besides ``orchcore.testing``).

These tests keep that promise: every public name resolves, importing the
module stays cheap enough for the hook path, and no first-party plugin or
example reaches past it into the core's internal modules. Nor does the
documentation: every ```python block of the Markdown files (CONTRIBUTING,
README, docs/, the plugins' and examples' READMEs) and every literal block of
the hookspecs' docstrings is read as code, so an example cannot teach an
import a plugin must not make.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import orchcore.api as api

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"orchcore.api", "orchcore.testing"}


def test_every_public_name_is_the_object_its_internal_module_defines():
    import importlib

    for name in api.__all__:
        module, _, attribute = api._EXPORTS[name].partition(":")
        assert getattr(api, name) is getattr(importlib.import_module(module), attribute or name), name


def test_a_name_that_is_not_public_is_an_attribute_error_that_says_where_to_look():
    with pytest.raises(AttributeError, match=r"orchcore.api has no 'call_each'; the public names are listed"):
        api.call_each  # noqa: B018


def test_importing_the_api_and_the_hook_marker_loads_neither_typer_nor_rich():
    code = (
        "import sys\n"
        "from orchcore.api import hookimpl, HookHandler, HookResult, StatusSegment\n"
        "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def orchcore_imports(path: Path) -> list[tuple[int, str]]:
    """Every ``orchcore`` module a file imports, with its line (lazy imports in functions included)."""
    return imported_orchcore_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def imported_orchcore_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "orchcore":  # from orchcore import api
                found += [(node.lineno, f"orchcore.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name == "orchcore" or name.startswith("orchcore.")]


def plugin_and_example_files() -> list[Path]:
    folders = [*(ROOT / "plugins").glob("*/"), *(ROOT / "examples").glob("*/")]
    files = [path for folder in folders for path in folder.rglob("*.py") if "__pycache__" not in path.parts]
    assert len(files) > 50, "the scan found too few files to mean anything"
    return sorted(files)


def test_plugins_and_examples_import_only_the_public_api_and_the_test_fixtures():
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in plugin_and_example_files()
        for line, name in orchcore_imports(path)
        if name not in ALLOWED
    ]
    assert offences == [], "use orchcore.api (or orchcore.testing in tests):\n" + "\n".join(offences)


def test_the_scan_sees_lazy_imports_and_from_package_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from orchcore.api import hookimpl\n"
        "from orchcore import views, api\n"
        "def later():\n"
        "    import orchcore.gate\n"
    )
    assert orchcore_imports(sample) == [
        (1, "orchcore.api"), (2, "orchcore.views"), (2, "orchcore.api"), (4, "orchcore.gate"),
    ]


# -- the documentation's examples ---------------------------------------------------------------
#
# A Markdown example is a ```python block; a docstring example is a reST
# literal block (a paragraph ending in ``::``), which is Python as Sphinx
# reads it: a block in another language says so (``.. code-block:: toml``)
# and is not scanned.

DOCSTRING_MODULES = [ROOT / "src" / "orchcore" / "hookspecs.py"]


def documents() -> list[Path]:
    """The Markdown a plugin author reads: the top-level files, docs/, and the plugins' and examples' folders."""
    found = [*ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md")]
    for folder in ("plugins", "examples"):
        for path in (ROOT / folder).rglob("*.md"):
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts):  # .venv, caches
                found.append(path)
    return sorted(found)


def markdown_python_blocks(text: str) -> list[tuple[int, str]]:
    """Each ```python block of a Markdown text, dedented, with the line its code starts on."""
    blocks, lines = [], text.splitlines()
    number = 0
    while number < len(lines):
        fence = re.match(r"(\s*)```\s*(\w*)", lines[number])
        if not fence:
            number += 1
            continue
        end = next((n for n in range(number + 1, len(lines)) if lines[n].strip().startswith("```")), len(lines))
        if fence.group(2) in ("python", "py"):
            blocks.append((number + 2, textwrap.dedent("\n".join(lines[number + 1:end]))))
        number = end + 1
    return blocks


def literal_blocks(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    """Each Python literal block in some lines of reST, dedented, with its line (``first_line`` is the first's)."""
    blocks = []
    for number, line in enumerate(lines):
        directive = re.match(r"\s*\.\. ([\w-]+)::\s*(\S*)", line)
        if directive:  # ``.. code-block:: python`` is, ``.. code-block:: toml`` or ``.. note::`` is not
            kind, language = directive.groups()
            python = kind in ("code-block", "code", "sourcecode") and language in ("", "python", "py")
        else:
            python = line.rstrip().endswith("::")
        if not python:
            continue
        indent = len(line) - len(line.lstrip())
        block: list[str] = []
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following)
        starts = next((n for n, text in enumerate(block) if text.strip()), None)
        if starts is not None:
            blocks.append((first_line + number + 1 + starts, textwrap.dedent("\n".join(block[starts:])).rstrip()))
    return blocks


def docstring_python_blocks(source: str) -> list[tuple[int, str]]:
    """Each literal block of a module's docstrings (the module's, its classes' and functions'), with its line."""
    lines = source.splitlines()
    blocks = []
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            blocks += literal_blocks(lines[first.lineno - 1:first.end_lineno], first.lineno)
    return blocks


def block_offences(where: str, blocks: list[tuple[int, str]]) -> list[str]:
    """What is wrong with the imports of some examples: ``file:line: ...``, one per problem."""
    offences = []
    for line, code in blocks:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            offences.append(f"{where}:{line + (exc.lineno or 1) - 1}: a python block that does not parse ({exc.msg})")
            continue
        offences += [
            f"{where}:{line + offset - 1}: imports {name}"
            for offset, name in imported_orchcore_modules(tree)
            if name not in ALLOWED
        ]
    return offences


def documented_examples() -> dict[str, list[tuple[int, str]]]:
    """``CONTRIBUTING.md`` -> its python blocks, for every document and docstring module scanned."""
    found = {}
    for path in documents():
        found[str(path.relative_to(ROOT))] = markdown_python_blocks(path.read_text(encoding="utf-8"))
    for path in DOCSTRING_MODULES:
        found[str(path.relative_to(ROOT))] = docstring_python_blocks(path.read_text(encoding="utf-8"))
    return found


def test_the_documentation_is_scanned_where_its_examples_are():
    examples = documented_examples()

    assert {"CONTRIBUTING.md", "README.md", "docs/plugin-hooks.md", "src/orchcore/hookspecs.py"} <= set(examples)
    for where in ("CONTRIBUTING.md", "docs/plugin-hooks.md", "src/orchcore/hookspecs.py"):
        assert len(examples[where]) >= 5, f"the scan found too few examples in {where} to mean anything"


def test_documented_examples_import_only_the_public_api_and_the_test_fixtures():
    offences = [offence for where, blocks in documented_examples().items() for offence in block_offences(where, blocks)]

    assert offences == [], "examples import from orchcore.api (or orchcore.testing in tests):\n" + "\n".join(offences)


def test_the_scan_reads_markdown_blocks_and_reports_a_bad_import_and_a_block_that_does_not_parse():
    text = (
        "# A guide\n"                                   # 1
        "\n"
        "```python\n"                                   # 3
        "from orchcore.api import hookimpl\n"           # 4
        "```\n"
        "\n"
        "```toml\n"                                     # 7: not python, not read
        "[project.entry-points.orchcore]\n"
        "```\n"
        "\n"
        "- in a list:\n"
        "\n"
        "  ```python\n"                                 # 13
        "  def later():\n"                              # 14
        "      from orchcore.plugins import hookimpl\n" # 15
        "  ```\n"
        "\n"
        "```python\n"                                   # 18
        "def broken(:\n"                                # 19
        "```\n"
    )

    blocks = markdown_python_blocks(text)

    assert [line for line, _ in blocks] == [4, 14, 19]
    assert block_offences("guide.md", blocks) == [
        "guide.md:15: imports orchcore.plugins",
        "guide.md:19: a python block that does not parse (invalid syntax)",
    ]


def test_the_scan_reads_docstring_literal_blocks_but_not_those_in_another_language():
    source = (
        '"""A module.\n'                                # 1
        "\n"
        "Implement hooks with::\n"                      # 3
        "\n"
        "    from orchcore.plugins import hookimpl\n"   # 5
        "\n"
        ".. code-block:: toml\n"                        # 7
        "\n"
        "    [project.entry-points.orchcore]\n"
        "    my-plugin = 'my_package.plugin'\n"
        "\n"
        ".. note::\n"
        "\n"
        "    Not code: a note.\n"
        '"""\n'
        "\n"
        "\n"
        "def orch_widgets():\n"                         # 18
        '    """Widgets.\n'
        "\n"
        "    Example::\n"                               # 21
        "\n"
        "        from orchcore.api import hookimpl\n"   # 23
        "        from orchcore.specs import TeamSpec\n" # 24
        "\n"
        "    The end.\n"
        '    """\n'
    )

    blocks = docstring_python_blocks(source)

    assert [line for line, _ in blocks] == [5, 23]
    assert block_offences("widgets.py", blocks) == [
        "widgets.py:5: imports orchcore.plugins",
        "widgets.py:24: imports orchcore.specs",
    ]
