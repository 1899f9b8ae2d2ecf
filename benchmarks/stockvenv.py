"""A stock, non-editable install of orchcore and its first-party plugins, for the benchmarks.

What users get is not the dev ``.venv`` (editable, pip upgraded): it is
``python3 -m venv`` with the pip that comes with it, then ``pip install``,
which copies the code into site-packages, compiles it, and writes console
scripts with that pip's launcher (pip 23.2.1's imports ``re``, which the
dev venv's newer pip does not). The benchmarks measure that. Every
``plugins/*/`` distribution is installed, so also ``orch-store-redis`` (and
``redis`` from the package index), which ``hotpath.py --backends …,redis``
and ``realclient.py --backend redis`` need.

    .venv/bin/python benchmarks/stockvenv.py [--python python3] [--path DIR] [--pip-upgrade] [--print]

The venv lives outside the repository, by default in
``~/.cache/orchcore-bench/stock-venv-<hash>``, and is reused while the hash
is the same: the hash covers the interpreter, this recipe, every
``pyproject.toml`` and every file on disk under ``src/`` and
``plugins/*/src`` (tracked or not, ``__pycache__`` excluded). The sources are
first copied into a temporary folder and installed from there, so the
install is exactly the hashed bytes (the tree may change while pip runs) and
pip never writes into the repository. ``--pip-upgrade`` also builds the same
install with pip upgraded first, for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPE = 1  # bump when the way the venv is built changes: old venvs are then rebuilt
STAMP = ".orchcore-bench.json"
KEEP_OLD = 2  # how many outdated venvs of each variant stay in the default cache folder
# Variables that would make the venv's pip or python see something else than a user's would.
UNSET_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONNOUSERSITE", "PYTHONDONTWRITEBYTECODE",
             "PIP_REQUIRE_VIRTUALENV", "PIP_USER", "PIP_TARGET", "PIP_PREFIX")


class StockVenvError(RuntimeError):
    """The venv could not be built; the message says which step failed and how."""


def log(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"stockvenv: {message}", file=sys.stderr, flush=True)


# -- the interpreter -----------------------------------------------------------


def _is_shim(path: str) -> bool:
    """A pyenv/asdf shim (or any script launcher) instead of a real interpreter binary."""
    if "/shims/" in path.replace(os.sep, "/"):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def resolve_python(python: str = "python3") -> str:
    """The real interpreter behind ``python`` (a name on PATH or a path), as an absolute path.

    ``python3`` on PATH may be a pyenv shim (~150 ms per start) or a venv's
    python; ``-m venv`` must run the base interpreter itself, so ask it.
    """
    exe = shutil.which(python) or python
    probe = ("import sys; print(sys.executable); print(getattr(sys, '_base_executable', '') or sys.executable); "
             "print(int(sys.prefix != sys.base_prefix)); print(sys.version_info >= (3, 11))")
    try:
        done = subprocess.run([exe, "-c", probe], capture_output=True, text=True, timeout=60,
                              env=_clean_env())
    except OSError as exc:
        raise StockVenvError(f"cannot run {python!r}: {exc}") from None
    if done.returncode != 0:
        raise StockVenvError(f"{python!r} failed: {done.stderr.strip()[-300:]}")
    executable, base, in_venv, new_enough = done.stdout.split("\n")[:4]
    chosen = executable
    if in_venv == "1" or _is_shim(chosen):
        chosen = base
    if not chosen or _is_shim(chosen):
        raise StockVenvError(f"{python!r} resolves to {chosen!r}, a shim; pass --python /path/to/python3.X")
    if new_enough != "True":
        raise StockVenvError(f"{chosen} is older than Python 3.11, which orchcore needs")
    return os.path.realpath(chosen)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"  # a check, not an upgrade; keeps the logs quiet
    return env


# -- the sources -----------------------------------------------------------------


def project_dirs(root: Path = ROOT) -> list[Path]:
    """orchcore itself, then every first-party plugin distribution (a folder with a pyproject.toml)."""
    plugins = sorted(p.parent for p in (root / "plugins").glob("*/pyproject.toml"))
    return [root, *plugins]


def read_sources(root: Path = ROOT) -> dict[str, bytes]:
    """Every file a build uses, by path relative to ``root``: pyproject, readme, scripts/orch, src tree.

    Read once, so the hash and the installed copy are the same bytes.
    """
    files: dict[str, bytes] = {}
    for project in project_dirs(root):
        for name in ("pyproject.toml", "README.md", "scripts/orch"):
            path = project / name
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
        for folder, dirs, names in os.walk(project / "src"):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.endswith(".egg-info"))
            for name in sorted(names):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = Path(folder, name)
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def source_hash(files: dict[str, bytes], python: str, pip_upgrade: bool) -> str:
    """What the venv is built from. README files are left out: they do not change what runs."""
    digest = hashlib.sha256()
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True,
                             text=True, env=_clean_env()).stdout.strip()
    for part in (f"recipe {RECIPE}", python, version, f"pip-upgrade {pip_upgrade}"):
        digest.update(part.encode() + b"\0")
    for name in sorted(files):
        if name.endswith("README.md"):
            continue
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:16]


# -- the venv ------------------------------------------------------------------------


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orchcore-bench"


def _variant(pip_upgrade: bool) -> str:
    return "pip-upgraded-venv" if pip_upgrade else "stock-venv"


def read_stamp(path: Path) -> dict | None:
    try:
        return json.loads((path / STAMP).read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(path: Path):
    """One build at a time per venv folder (two benchmarks started together share it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(step: str, args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=_clean_env(), cwd=cwd,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise StockVenvError(f"{step} failed (exit {done.returncode}): {' '.join(args)}\n"
                             f"{(done.stdout + done.stderr).strip()[-3000:]}")
    return done.stdout


def _remove_ours(path: Path) -> None:
    """Delete an old or half-built venv, but never a folder we did not create."""
    if not path.exists():
        return
    if read_stamp(path) is None and any(path.iterdir()):
        raise StockVenvError(f"{path} exists and was not built by stockvenv.py; choose another --path")
    shutil.rmtree(path)


def _prune(current: Path, quiet: bool) -> None:
    """Outdated venvs of the same variant in the default cache folder: keep the newest few."""
    prefix = current.name.rsplit("-", 1)[0] + "-"
    others = [p for p in current.parent.glob(prefix + "*")
              if p.is_dir() and p != current and read_stamp(p) is not None]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_OLD:]:
        log(f"removing outdated {old}", quiet)
        shutil.rmtree(old, ignore_errors=True)
        old.with_name(old.name + ".lock").unlink(missing_ok=True)


def build(path: Path, python: str, files: dict[str, bytes], digest: str, pip_upgrade: bool,
          quiet: bool = False) -> None:
    _remove_ours(path)
    path.mkdir(parents=True)
    stamp = {"hash": digest, "complete": False, "python": python, "pip_upgrade": pip_upgrade,
             "source": str(ROOT), "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (path / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")  # ours from now on, even half-built
    log(f"creating {path} with {python} -m venv", quiet)
    _run("python -m venv", [python, "-m", "venv", str(path)])
    vpy = str(path / "bin" / "python")
    if pip_upgrade:
        log("upgrading pip (the comparison variant)", quiet)
        _run("pip upgrade", [vpy, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    pip_version = _run("pip --version", [vpy, "-m", "pip", "--version"]).split()[1]
    with tempfile.TemporaryDirectory(prefix="orchcore-bench-src-") as tmp:
        snapshot = Path(tmp)
        for name, data in files.items():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod((ROOT / name).stat().st_mode & 0o777)  # scripts/orch is executable, as git keeps it
        projects = [str(snapshot / p.relative_to(ROOT)) for p in project_dirs(ROOT)]
        log(f"pip {pip_version}: installing {len(projects)} distributions (non-editable)", quiet)
        _run("pip install", [vpy, "-m", "pip", "install", "--no-input", *projects], cwd=snapshot)
    where = _run("import check", [vpy, "-c", "import orchcore; print(orchcore.__file__)"]).strip()
    if not where.startswith(str(path)):
        raise StockVenvError(f"orchcore in {path} imports from {where}, not from its site-packages")
    orch = path / "bin" / "orch"
    _run("orch --version", [str(orch), "--version"])
    launcher = orch.read_text()
    stamp.update(complete=True, pip=pip_version, orchcore_file=where,
                 launcher_imports_re="import re" in launcher)
    (path / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
    log(f"ready: {path} (pip {pip_version}, launcher imports re: {stamp['launcher_imports_re']})", quiet)


def ensure_stock_venv(python: str | None = None, path: Path | str | None = None, pip_upgrade: bool = False,
                      rebuild: bool = False, quiet: bool = False) -> Path:
    """The venv for the current sources: reused when its hash matches, else (re)built. Returns its folder.

    ``python``: the interpreter for ``-m venv`` (default ``python3``, resolved
    to the real binary); ``path``: the folder (default: the cache, named by the
    hash); ``pip_upgrade``: upgrade pip before installing (the comparison
    variant; its default folder has another name).
    """
    python = resolve_python(python or "python3")
    files = read_sources()
    digest = source_hash(files, python, pip_upgrade)
    default = path is None
    venv = cache_root() / f"{_variant(pip_upgrade)}-{digest}" if default else Path(path).expanduser().absolute()
    with _locked(venv):
        stamp = read_stamp(venv)
        ready = (stamp is not None and stamp.get("complete") and stamp.get("hash") == digest
                 and (venv / "bin" / "orch").exists())
        if ready and not rebuild:
            log(f"reusing {venv}", quiet)
        else:
            build(venv, python, files, digest, pip_upgrade, quiet)
    if default:
        _prune(venv, quiet)
    return venv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="interpreter for -m venv (default: python3, resolved)")
    parser.add_argument("--path", help="the venv folder (default: ~/.cache/orchcore-bench/stock-venv-<hash>)")
    parser.add_argument("--pip-upgrade", action="store_true",
                        help="also build the variant with pip upgraded first (folder: <path>-pip-upgraded)")
    parser.add_argument("--rebuild", action="store_true", help="build again even when the hash matches")
    parser.add_argument("--print", dest="print_path", action="store_true",
                        help="print the venv path (then the upgraded variant's) on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args()
    try:
        venvs = [ensure_stock_venv(args.python, args.path, False, args.rebuild, args.quiet)]
        if args.pip_upgrade:
            other = f"{args.path.rstrip('/')}-pip-upgraded" if args.path else None
            venvs.append(ensure_stock_venv(args.python, other, True, args.rebuild, args.quiet))
    except StockVenvError as exc:
        print(f"stockvenv: error: {exc}", file=sys.stderr)
        return 1
    if args.print_path:
        for venv in venvs:
            print(venv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
