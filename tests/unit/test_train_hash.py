"""The train-if-changed hash covers the code of the custom NLU components and every project module they
import, found from their import statements (not a hand-kept list that misses a new import)."""

from scripts.train_if_changed import ROOT, component_modules, input_files, project_modules


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_every_project_module_a_component_imports_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/comp/__init__.py": "",
            "pkg/comp/component.py": "import yaml\nfrom . import sibling\nfrom lib import helper\n"
            "def create():\n    from lib.deep import late\n",
            "pkg/comp/sibling.py": "",
            "lib/__init__.py": "import json\n",
            "lib/helper.py": "from .shared import x\n",
            "lib/shared.py": "x = 1\n",
            "lib/deep/__init__.py": "",
            "lib/deep/late.py": "",
            "lib/unused.py": "",
        },
    )
    found = {p.relative_to(tmp_path).as_posix() for p in project_modules(["pkg.comp.component"], tmp_path)}
    assert found == {
        "pkg/__init__.py",
        "pkg/comp/__init__.py",
        "pkg/comp/component.py",
        "pkg/comp/sibling.py",
        "lib/__init__.py",
        "lib/helper.py",
        "lib/shared.py",
        "lib/deep/__init__.py",
        "lib/deep/late.py",
    }


def test_the_hash_covers_the_nlu_component_and_what_it_imports():
    assert "rasa_addons.components.overrides" in component_modules()
    files = {p.relative_to(ROOT).as_posix() for p in input_files()}
    assert {
        "rasa_addons/components/overrides.py",
        "assistant/safety.py",
        "assistant/danger_model.py",
        "assistant/answers.py",
        "assistant/language.py",
        "config.yml",
        "requirements.lock",
    } <= files
    assert not any(f.startswith(("actions/", "assistant/console/")) for f in files)  # the action server's code is not
