"""Alembic migrations of our own tables (directory, handoffs, console): the one authority on their
schema. Production runs `python -m assistant.migrations upgrade`; the embedded SQLite default and the
tests get the same migrations through `ensure_schema` (tests/unit/test_migrations.py checks that the
migrations and the models agree)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Set

from sqlalchemy import inspect

from assistant import db

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported when a database is first checked, not when the processes' modules are imported

HERE = Path(__file__).resolve().parent
_MIGRATED: Set[str] = set()


def config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(config(url), "head")


def _columns(inspector, table: str) -> Set[str]:
    return {col["name"] for col in inspector.get_columns(table)} if inspector.has_table(table) else set()


def _our_tables() -> Set[str]:
    import assistant.directory.models  # noqa: F401  (registers the tables on Base.metadata; imported
    import assistant.handoff.models  # noqa: F401   here, as the models' modules import this package)

    return set(db.Base.metadata.tables)


def _adopt(engine, cfg: Config) -> None:
    """Stamp a database made by `create_all` before the migrations were the only schema authority
    (embedded SQLite set-ups of older versions have no `alembic_version`) with the revision its tables
    match, so that `upgrade` brings it to the head like any other."""
    from alembic import command

    inspector = inspect(engine)
    if inspector.has_table("operators") and "active" not in _columns(inspector, "operators"):
        command.stamp(cfg, "0001")  # made by create_all at revision 0001: it has all of 0001's tables
        return
    # Made by the directory loader (its tables only, maybe without the maintenance columns) or at
    # revision 0002/0003. One of the two documented uses of create_all (docs/operations.md, "Database
    # schema"): it adds only the tables that are missing, in their present shape, to a database that
    # predates the migrations; 0003 then adds the maintenance columns it lacks and 0004 renames data_fonte.
    pre_rename = "data_fonte" in _columns(inspector, "services")
    db.Base.metadata.create_all(engine)
    command.stamp(cfg, "0002" if pre_rename else "head")


def ensure_schema(url: Optional[str] = None) -> None:
    """Bring the database to the newest migration, once per process and database."""
    engine = db.engine(url)
    key = engine.url.render_as_string(hide_password=False)
    if key in _MIGRATED:
        return
    tables = set(inspect(engine).get_table_names())
    if tables & _our_tables() and "alembic_version" not in tables:
        _adopt(engine, config(key))
    upgrade(key)
    _MIGRATED.add(key)
