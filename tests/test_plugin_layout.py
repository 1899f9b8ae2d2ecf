"""The first-party plugins follow one naming scheme, so each is found the same way.

A folder under ``plugins/`` is named after its distribution, holds one package
named like the distribution with underscores, and its entry points point into
that package. Program names (what users type) are the programs' own business.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FOLDERS = sorted(path.parent for path in (ROOT / "plugins").glob("*/pyproject.toml"))


def test_there_are_first_party_plugins_to_check():
    assert len(PLUGIN_FOLDERS) >= 6


@pytest.mark.parametrize("folder", PLUGIN_FOLDERS, ids=lambda folder: folder.name)
def test_folder_distribution_package_and_entry_points_share_one_name(folder):
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    package = folder.name.replace("-", "_")

    assert project["name"] == folder.name
    assert [path.name for path in (folder / "src").iterdir() if path.is_dir() and path.name != "__pycache__"] == [
        package
    ]
    for name, value in project["entry-points"]["orchcore"].items():
        assert value.split(":")[0].split(".")[0] == package, f"entry point {name} = {value}"
