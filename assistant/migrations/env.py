from alembic import context
from sqlalchemy import engine_from_config, pool

import assistant.directory.models  # noqa: F401  (registers the directory tables on Base.metadata)
import assistant.handoff.models  # noqa: F401  (registers the handoff and console tables)
from assistant.db import Base

config = context.config
target_metadata = Base.metadata
UNMIGRATED = {"webhook_seen"}  # the webhook replay cache (assistant/channels/dedup.py), not ours to drop


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name in UNMIGRATED)


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool, future=True
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
