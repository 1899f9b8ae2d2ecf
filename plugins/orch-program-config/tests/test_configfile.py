"""The file is never left broken: refused when unusable, replaced atomically, changed under a lock."""

from __future__ import annotations

import json
import os
import threading

import pytest

from orch_program_config import configfile
from orch_program_config.keys import SettingError


def test_a_change_keeps_other_keys_their_order_and_the_files_layout(tmp_path):
    path = tmp_path / "orchcore.json"
    path.write_text('{\r\n\t"custom": {"keep": [1, 2]},\r\n\t"store": {"backend": "sqlite"}\r\n}', encoding="utf-8")

    configfile.change(path, lambda data: configfile.set_key(data, "orchestration.enabled", True))

    text = path.read_bytes().decode("utf-8")
    assert json.loads(text) == {"custom": {"keep": [1, 2]}, "store": {"backend": "sqlite"},
                                "orchestration": {"enabled": True}}
    assert text.startswith('{\r\n\t"custom": {\r\n\t\t"keep": [')  # tabs and CRLF kept
    assert not text.endswith("\n")  # as before: no final newline


def test_a_new_file_gets_two_spaces_and_a_newline(tmp_path):
    path = tmp_path / ".claude" / "orchcore.json"

    configfile.change(path, lambda data: configfile.set_key(data, "plugins.deny", ["x"]))

    assert path.read_text(encoding="utf-8") == '{\n  "plugins": {\n    "deny": [\n      "x"\n    ]\n  }\n}\n'


def test_an_unchanged_value_does_not_touch_the_file(tmp_path):
    path = tmp_path / "orchcore.json"
    path.write_text('{"orchestration":{"enabled":true}}', encoding="utf-8")
    before = os.stat(path).st_mtime_ns

    configfile.change(path, lambda data: configfile.set_key(data, "orchestration.enabled", True))

    assert path.read_text(encoding="utf-8") == '{"orchestration":{"enabled":true}}'
    assert os.stat(path).st_mtime_ns == before


@pytest.mark.parametrize("text, message", [
    ('{"orchestration": {"enabled": true,}}', "is not valid JSON (line 1, column 36"),
    ("[1, 2]", "must hold a JSON object, not list"),
    ('{"deep": ' + "[" * 1000 + "]" * 1000 + "}", "nests deeper than orchcore's limit of 100 levels of JSON"),
])
def test_an_unusable_file_is_refused_and_left_as_it_is(tmp_path, text, message):
    path = tmp_path / "orchcore.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SettingError, match="nothing was changed") as caught:
        configfile.change(path, lambda data: configfile.set_key(data, "orchestration.enabled", True))

    assert message in str(caught.value)
    assert path.read_text(encoding="utf-8") == text


def test_a_value_in_the_way_is_never_replaced(tmp_path):
    path = tmp_path / "orchcore.json"
    path.write_text('{"plugins": "all"}', encoding="utf-8")

    with pytest.raises(SettingError, match='plugins in the file is "all", not an object, so plugins.deny cannot be set'):
        configfile.change(path, lambda data: configfile.set_key(data, "plugins.deny", ["x"]))

    assert path.read_text(encoding="utf-8") == '{"plugins": "all"}'


def test_unset_removes_the_objects_it_emptied_and_only_those(tmp_path):
    data = {"store": {"backend": "memory"}, "plugins": {"deny": ["x"], "allow": []}}

    assert configfile.unset_key(data, "store.backend") is True
    assert configfile.unset_key(data, "plugins.deny") is True
    assert configfile.unset_key(data, "plugins.deny") is False
    assert configfile.unset_key(data, "nothing.here") is False
    assert data == {"plugins": {"allow": []}}


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "orchcore.json"
    path.write_text('{"store": {"backend": "sqlite"}}', encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(configfile.os, "replace", broken_replace)
    with pytest.raises(SettingError, match="cannot write .*No space left on device; nothing was changed"):
        configfile.change(path, lambda data: configfile.set_key(data, "store.backend", "memory"))

    assert path.read_text(encoding="utf-8") == '{"store": {"backend": "sqlite"}}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orchcore.json"]


def test_the_files_mode_is_kept(tmp_path):
    path = tmp_path / "orchcore.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o640)

    configfile.change(path, lambda data: configfile.set_key(data, "orchestration.enabled", False))

    assert path.stat().st_mode & 0o777 == 0o640


def test_changes_at_the_same_time_all_land(tmp_path):
    path = tmp_path / "orchcore.json"
    names = [f"plugin-{i}" for i in range(20)]

    def add(name):
        def edit(data):
            deny = data.setdefault("plugins", {}).setdefault("deny", [])
            deny.append(name)
        configfile.change(path, edit)

    threads = [threading.Thread(target=add, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(json.loads(path.read_text(encoding="utf-8"))["plugins"]["deny"]) == sorted(names)


def test_a_lock_held_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / "orchcore.json"
    with configfile.locked(path):
        with pytest.raises(SettingError, match="is being changed by another process; try again"):
            with configfile.locked(path, wait_s=0.05):
                pass
