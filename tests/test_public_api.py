"""``orchcore.api`` is the one module plugins import (besides ``orchcore.testing``).

These tests keep that promise: every public name resolves, importing the
module stays cheap enough for the hook path, and no first-party plugin or
example reaches past it into the core's internal modules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import orchcore.api as api

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"orchcore.api", "orchcore.testing"}


def test_every_public_name_resolves_to_a_real_object():
    for name in api.__all__:
        assert getattr(api, name) is not None, name


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
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
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
