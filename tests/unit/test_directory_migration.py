"""The directory maintenance migration (0003) upgrades a database at 0001, also when the loader ran first
(it brings the database to the head itself); 0004 keeps the newest source date through its rename."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import assistant.handoff.models  # noqa: F401  (all tables on Base.metadata)
from assistant.db import Base
from assistant.directory import loader  # (registers the directory tables)
from assistant.migrations.__main__ import config, upgrade

NEW_COLUMNS = {
    "verificato_il",
    "verificato_da",
    "chiuso_il",
    "chiuso_da",
    "chiuso_motivo",
    "aggiornato_il",
    "aggiornato_da",
}


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
    loader.load(url)  # migrates to the head itself
    upgrade(url)
    names, diff = _columns(url)
    assert NEW_COLUMNS <= names and diff == []


def test_0004_keeps_the_newest_source_date(tmp_path):
    url = f"sqlite:///{tmp_path}/at0003.db"
    command.upgrade(config(url), "0003")
    engine = sa.create_engine(url, future=True)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO services (id, tipo, attivo, nome, fonte_url, fonte_data, data_fonte) VALUES "
            "('X1', 'sportello', 1, 'Sportello', 'https://example.org', '2024-05 | n.d.', '2024-05')"
        )
    upgrade(url)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT fonte_data, fonte_data_recente FROM services").one()
    assert tuple(row) == ("2024-05 | n.d.", "2024-05")
    engine.dispose()
    assert _columns(url)[1] == []
