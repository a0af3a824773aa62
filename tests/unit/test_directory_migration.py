"""Migration 0002 (directory maintenance) upgrades a database at 0001, also when the loader added the
new columns first (embedded set-ups add them on load)."""
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import assistant.handoff.models  # noqa: F401
from assistant.directory import loader
from assistant.directory.models import Base
from assistant.migrations.__main__ import config, upgrade

NEW_COLUMNS = {"verificato_il", "verificato_da", "chiuso_il", "chiuso_da", "chiuso_motivo", "aggiornato_il",
               "aggiornato_da"}


def _columns(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        names = {c["name"] for c in sa.inspect(conn).get_columns("services")}
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return names, diff


def test_0002_adds_the_maintenance_columns(tmp_path):
    url = f"sqlite:///{tmp_path}/at0001.db"
    command.upgrade(config(url), "0001")
    assert not NEW_COLUMNS & _columns(url)[0]
    upgrade(url)
    names, diff = _columns(url)
    assert NEW_COLUMNS <= names and diff == []


def test_0002_after_a_load_that_added_the_columns(tmp_path):
    url = f"sqlite:///{tmp_path}/loaded.db"
    command.upgrade(config(url), "0001")
    loader.load(url)  # adds the maintenance columns itself
    upgrade(url)
    names, diff = _columns(url)
    assert NEW_COLUMNS <= names and diff == []
