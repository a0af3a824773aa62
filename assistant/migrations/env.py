from alembic import context
from sqlalchemy import engine_from_config, pool

from assistant.db import Base
import assistant.directory.models  # noqa: F401  (registers the directory tables on Base.metadata)
import assistant.handoff.models  # noqa: F401  (registers the handoff and console tables)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool, future=True)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
