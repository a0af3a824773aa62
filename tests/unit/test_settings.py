"""assistant/settings.py is the one configuration surface (issue 18): its reading rules, and a check
that no other code of the assistant reads the environment."""

import re
from pathlib import Path

import pytest

from assistant import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "actions", "rasa_addons", "scripts")
READS = re.compile(r"\bos\.environ\b|\bgetenv\b|\bfrom os import environ\b")
# Files that may touch os.environ, and why (none of them reads a setting of the assistant).
ALLOWED = {
    "assistant/settings.py": "the reader",
    "assistant/serve.py": "hands its own environment on to the processes it starts",
    "scripts/nlu_report.py": "sets LOG_LEVEL/TF_CPP_MIN_LOG_LEVEL defaults for Rasa's and TensorFlow's own logging",
    "scripts/score_understanding.py": "points SV_DATABASE_URL at a throwaway directory for the code it imports",
}


def test_only_settings_reads_the_environment():
    found = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if READS.search(path.read_text(encoding="utf-8"))
    )
    assert [path for path in found if path not in ALLOWED] == []
    assert set(ALLOWED) <= set(found), "an allowed file no longer touches the environment: drop it from ALLOWED"


def test_an_explicit_mapping_is_the_only_source(monkeypatch):
    monkeypatch.setenv("SV_RASA_PORT", "7001")
    monkeypatch.setenv("SV_REST_TOKEN", "from-the-process")
    assert settings.load().rasa_port == 7001
    assert settings.load({}).rasa_port == 5005
    assert settings.protection({}).rest_token == ""
    assert settings.load({"SV_RASA_PORT": ""}).rasa_port == 5005  # empty = unset (compose's ${X:-})


def test_derived_values_follow_the_settings():
    s = settings.load({"SV_HOST": "0.0.0.0", "SV_ACTIONS_HOST": "actions", "SV_TRACKER_URL": "postgresql://u@db/rasa"})
    env = settings.rasa_environment(s, {})
    assert env["SV_ACTION_ENDPOINT"] == "http://actions:5055/webhook" and env["SV_TRACKER_DIALECT"] == "postgresql"
    assert s.rasa_url == "http://0.0.0.0:5005"
    assert settings.load({"SV_RASA_URL": "http://rasa:5005"}).rasa_url == "http://rasa:5005"
    assert settings.protection({"SV_WEB_PORT": "9000"}).cors_origins == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    "name,value",
    [
        ("SV_RASA_PORT", "50o5"),
        ("SV_CONSOLE_TRUSTED_PROXIES", "1.5"),
        ("SV_RATE_PER_ADDRESS", "many"),
        ("SV_BENCH_SECONDS", "x"),
    ],
)
def test_an_invalid_value_stops_with_its_variable(name, value):
    with pytest.raises(SystemExit, match=name):
        (settings.bench if name.startswith("SV_BENCH") else settings.protection)({name: value})


def test_values_read_while_serving_fall_back_instead_of_stopping():
    s = settings.load({"SV_STALE_MONTHS": "due anni", "SV_DIRECTORY_CHECK_SECONDS": "x"})
    assert (s.stale_months, s.directory_check_seconds) == (settings.DEFAULT_STALE_MONTHS, 2.0)


def test_reading_has_no_side_effects(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("reading the settings created a folder")

    monkeypatch.setattr(Path, "mkdir", refuse)
    monkeypatch.setattr("os.makedirs", refuse)
    settings.load(), settings.protection(), settings.load_widget(), settings.channels(), settings.bench()
