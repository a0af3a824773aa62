"""The layers of the code: `assistant/` (the domain logic) imports no Rasa at all — neither rasa,
rasa_sdk nor the Rasa-side package rasa_addons — so it can be used and tested without a server.
Read from the source with `ast` (every import statement, also those inside functions)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_SIDE = {"rasa", "rasa_sdk", "rasa_addons"}


def imported_modules(source: str):
    """Every module an import statement of `source` names (absolute imports; relative ones stay inside)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def rasa_imports(folder: Path):
    return sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in folder.rglob("*.py")
        for name in imported_modules(path.read_text(encoding="utf-8"))
        if name.split(".")[0] in RASA_SIDE
    )


def test_assistant_imports_no_rasa():
    assert rasa_imports(ROOT / "assistant") == []


def test_the_check_sees_every_form_of_import():
    source = (
        "import os\nimport rasa.core\nfrom rasa_sdk import Tracker\nfrom . import x\n"
        "def f():\n    from rasa_addons.channels import guard\n"
    )
    assert [n for n in imported_modules(source) if n.split(".")[0] in RASA_SIDE] == [
        "rasa.core",
        "rasa_sdk",
        "rasa_addons.channels",
    ]
