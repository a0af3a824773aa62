"""Train the Rasa model only when its inputs changed (content hash of data, domain, config, code).

The code in the hash is every project module that the custom components named in config.yml import,
directly or not, found by reading their import statements (`component_modules`): a new import of the
NLU component is covered without a hand-kept list.

Prints the training time, which the README and the closing note quote.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "sportello.tar.gz"
STAMP = ROOT / "models" / ".train_hash"
TRAINING_DATA = ["data/nlu", "data/rules", "data/stories"]
INPUTS = ["config.yml", "domain.yml", "requirements.lock", "build/spacy_it/sportello.stamp", *TRAINING_DATA]


def _module_file(module: str, root: Path = ROOT) -> Path | None:
    """The project file of a dotted module name (a package's __init__.py), or None outside the project."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> Iterator[str]:
    """Every module an import statement of `path` may load (also imports inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`


def project_modules(start: List[str], root: Path = ROOT) -> List[Path]:
    """The project files that importing the modules `start` loads: each module, its packages'
    __init__.py and, recursively, what they import from the project (third-party modules are left out)."""
    seen: Set[Path] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py
            name = ".".join(parts[:depth])
            path = _module_file(name, root)
            if path is not None and path not in seen:
                seen.add(path)
                todo.extend(_imports(path, name))
    return sorted(seen)


def component_modules(config: Path = ROOT / "config.yml") -> List[str]:
    """The modules of the pipeline's and policies' custom components (names with a dot)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    names = [item["name"] for key in ("pipeline", "policies") for item in data.get(key) or []]
    return [name.rpartition(".")[0] for name in names if "." in name]


def input_files() -> List[Path]:
    files = []
    for item in INPUTS:
        path = ROOT / item
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files += project_modules(component_modules())
    return [f for f in files if "__pycache__" not in f.parts]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for file in input_files():
        digest.update(str(file.relative_to(ROOT)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def train_command(out: str, name: str) -> List[str]:
    """`rasa train` as `make train` runs it (the benchmark times the same command with an empty cache)."""
    rasa = str(Path(sys.executable).parent / "rasa")  # the environment's own script, beside its python
    return [rasa, "train", "--data", *TRAINING_DATA, "--domain", "domain.yml", "--config", "config.yml",
            "--out", out, "--fixed-model-name", name]  # fmt: skip


def main() -> int:
    wanted = inputs_hash()
    if MODEL.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        print("==> model up to date (training data and config unchanged)")
        return 0
    print("==> training the model (about 4 minutes on 2 cores)", flush=True)
    started = time.monotonic()
    result = subprocess.run(train_command("models", "sportello"), cwd=ROOT)
    if result.returncode != 0:
        print("error: training failed", file=sys.stderr)
        return result.returncode
    STAMP.write_text(wanted)
    seconds = time.monotonic() - started
    (ROOT / "models" / ".train_seconds").write_text(f"{seconds:.1f}")
    print(f"==> trained in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
