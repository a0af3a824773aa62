"""The project as a package (pyproject.toml): its packages import from any directory without path
changes, and the dependencies are split so that the image gets the runtime only."""

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "actions", "rasa_addons", "scripts")
INSTALLER_OWN = {"pip", "setuptools", "wheel"}  # never pinned by pip freeze
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the locked packaging's pyparsing calls


def _pins(name: str) -> dict:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier).lstrip("=")
    return pins


def _top_level(name: str):
    return [
        Requirement(line.split("#", 1)[0].strip())
        for line in (ROOT / name).read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]


def _needed(roots) -> set:
    """Every installed distribution the requirements `roots` need, by the installed packages' metadata."""
    dists = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}
    seen, stack = set(), [(canonicalize_name(r.name), frozenset(r.extras)) for r in roots]
    while stack:
        name, extras = stack.pop()
        if (name, extras) in seen or name not in dists:
            continue
        seen.add((name, extras))
        for text in dists[name].requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                stack.append((canonicalize_name(req.name), frozenset(req.extras)))
    return {name for name, _ in seen}


def test_the_runtime_lock_is_complete_and_the_dev_lock_holds_only_development_packages():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert not set(runtime) & set(dev)
    needed = _needed(_top_level("requirements.in"))
    assert needed - INSTALLER_OWN <= set(runtime), "the image would miss these"
    assert not set(dev) & needed, "needed at run time, so they belong in requirements.lock"
    assert {"pytest", "hypothesis", "playwright"} <= set(dev)
    # both locks together are exactly what the venv holds, at those versions
    installed = {name: metadata.version(name) for name in {**runtime, **dev}}
    assert installed == {**runtime, **dev}


def test_the_packages_import_from_anywhere_without_path_changes(tmp_path):
    """The editable install (scripts/setup.sh) is what makes them importable: no PYTHONPATH, another cwd."""
    code = "import importlib.util, sys; print(*[importlib.util.find_spec(p).origin for p in sys.argv[1:]])"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code, *PACKAGES, "rasa_addons.components.overrides"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(ROOT / p / "__init__.py") for p in PACKAGES] + [
        str(ROOT / "rasa_addons" / "components" / "overrides.py"),
    ], "the venv's install points elsewhere"


def test_no_path_manipulation_is_left():
    path_change = re.compile(r"sys\.path\.(insert|append)|PYTHONPATH")
    offenders = [
        f"{f.relative_to(ROOT)}:{n}"
        for folder in (*PACKAGES, "tests")
        for f in sorted((ROOT / folder).rglob("*"))
        if f.suffix in (".py", ".sh") and f != Path(__file__)
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1)
        if path_change.search(line)
    ]
    offenders += [
        f"Makefile:{n}"
        for n, line in enumerate((ROOT / "Makefile").read_text().splitlines(), 1)
        if path_change.search(line)
    ]
    assert offenders == []


def test_the_image_installs_the_runtime_and_the_project_without_a_path_setting():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock\n" in dockerfile and "requirements-dev" not in dockerfile
    assert "--no-deps --no-build-isolation -e ." in dockerfile
    assert [f.name for f in (ROOT / "deploy").rglob("*") if f.is_file() and "PYTHONPATH" in f.read_text()] == []
