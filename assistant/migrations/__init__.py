"""Alembic migrations of our own tables (directory, handoffs, console). Production runs
`python -m assistant.migrations upgrade`; the embedded SQLite default creates the same schema
directly (tests/unit/test_migrations.py checks that both agree)."""
