"""The directory on a real PostgreSQL server (the `postgres_url` fixture: SV_TEST_PG_URL, the local server or a
throwaway one), in databases of its own."""

import os

import pytest
import sqlalchemy as sa

from assistant import db
from assistant.directory import FOUND, loader
from assistant.directory import models as m
from assistant.directory.nearest import directory
from assistant.directory.resolve import resolve
from scripts.services import pg_url_with_db


def _fresh_database(server_url, name):
    """A database of our own on the shared server (other test runs use theirs), dropped afterwards."""
    admin = sa.create_engine(pg_url_with_db(server_url, "postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return pg_url_with_db(server_url, name)


def _drop_database(server_url, name, url):
    db.engine(url).dispose()
    admin = sa.create_engine(pg_url_with_db(server_url, "postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
    admin.dispose()


@pytest.fixture(scope="module")
def pg_url(postgres_url):
    name = f"sportello_directory_test_{os.getpid()}"
    url = _fresh_database(postgres_url, name)
    loader.load(url)
    yield url
    _drop_database(postgres_url, name, url)


def test_load_validate_and_query_on_postgresql(pg_url):
    counts = loader.counts(pg_url)
    assert counts["comuni"] == 1180 and counts["comuni_italia"] == 7896
    assert resolve("Mondovi", pg_url).status == FOUND
    found = directory(pg_url).nearest("006039", m.CENTRO_ANTIVIOLENZA)
    assert found[0]["comune"] == "Casale Monferrato"
    assert loader.load(pg_url, if_changed=True) == {}  # unchanged seed: nothing reloaded


def test_edit_import_and_version_check_on_postgresql(postgres_url, monkeypatch):
    """The maintenance path on its own PostgreSQL database: an edit with its source, an import applied as
    previewed, and another reader of the directory sees both through the version row."""
    import datetime as dt

    from assistant.directory import edit
    from assistant.handoff import service

    name = f"sportello_directory_edit_test_{os.getpid()}"
    url = _fresh_database(postgres_url, name)
    monkeypatch.setenv("SV_DIRECTORY_CHECK_SECONDS", "0")
    loader.load(url)
    service.ensure_schema(url)
    today = dt.date.today().isoformat()
    assert directory(url).nearest("006039", m.CENTRO_ANTIVIOLENZA)[0]["telefoni"] == []
    edit.update("CAV034", {"telefoni": "0142 000008"}, "telefonata del 25/11", today, "sup", url)
    text = (
        edit.export_csv("centri_antiviolenza_piemonte.csv", url)
        .replace("0142 000008", "0142 000009")
        .replace("telefonata del 25/11 |", "telefonata del 26/11 |")
    )
    preview = edit.preview_import("centri.csv", text, url)
    assert not preview.errors and [c["id"] for c in preview.changes] == ["CAV034"]
    edit.apply_import("centri.csv", text, preview.digest, "sup", url)
    assert directory(url).nearest("006039", m.CENTRO_ANTIVIOLENZA)[0]["telefoni"] == ["0142 000009"]
    assert loader.load(url, if_changed=True) == {}  # what `make run` does: the edited entry stays
    assert directory(url).nearest("006039", m.CENTRO_ANTIVIOLENZA)[0]["telefoni"] == ["0142 000009"]
    _drop_database(postgres_url, name, url)
