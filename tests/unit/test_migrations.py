"""Alembic migrations produce exactly the schema of the models, on SQLite and on PostgreSQL."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import assistant.handoff.models  # noqa: F401  (all tables on Base.metadata)
from assistant.db import Base
from assistant.directory import loader  # (registers the directory tables)
from assistant.migrations import config, ensure_schema
from assistant.migrations.__main__ import upgrade
from scripts.services import pg_url_with_db


def _diff(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return diff


def test_migrations_match_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/migrated.db"
    upgrade(url)
    assert _diff(url) == []
    assert loader.load(url)["comuni"] == 1180  # the loader works on a migrated database


def test_migrations_match_the_models_on_postgresql(postgres_url):
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS sportello_migrations_test"))
        conn.execute(sa.text("CREATE DATABASE sportello_migrations_test"))
    admin.dispose()
    url = pg_url_with_db(postgres_url, "sportello_migrations_test")
    upgrade(url)
    assert _diff(url) == []
    assert loader.load(url)["services"] > 100


def test_a_database_made_without_migrations_is_stamped_and_upgraded(tmp_path):
    """An older embedded database (tables made by create_all at revision 0001, no alembic_version) is
    brought to the head by ensure_schema, keeping its rows."""
    url = f"sqlite:///{tmp_path}/old.db"
    command.upgrade(config(url), "0001")
    engine = sa.create_engine(url, future=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
        conn.exec_driver_sql(
            "INSERT INTO operators (username, password_hash, role, created) "
            "VALUES ('anna', 'x', 'operator', '2026-01-01')"
        )
    engine.dispose()
    ensure_schema(url)
    assert _diff(url) == []
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT username, active FROM operators").all() == [("anna", 1)]
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0004"
    engine.dispose()
