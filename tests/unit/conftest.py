"""Unit tests use their own directory database (a temporary SQLite file, or SV_TEST_DATABASE_URL)."""

import os
import tempfile

import pytest

_TMP = tempfile.mkdtemp(prefix="sv-unit-")
DB_URL = os.environ.get("SV_TEST_DATABASE_URL") or f"sqlite:///{_TMP}/directory.db"
os.environ["SV_DATABASE_URL"] = DB_URL  # read by assistant.settings when the modules ask for it


@pytest.fixture(scope="session")
def db_url():
    from assistant.directory import loader

    loader.load(DB_URL)
    return DB_URL
