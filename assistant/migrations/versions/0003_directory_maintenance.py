"""directory maintenance: who verified an entry and when, closing with a reason, last edit

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = [
    ("verificato_il", sa.DateTime()),
    ("verificato_da", sa.String(length=80)),
    ("chiuso_il", sa.DateTime()),
    ("chiuso_da", sa.String(length=80)),
    ("chiuso_motivo", sa.Text()),
    ("aggiornato_il", sa.DateTime()),
    ("aggiornato_da", sa.String(length=80)),
]


def upgrade() -> None:
    # `python -m assistant.directory load` adds missing columns itself (embedded set-ups): skip those
    have = {col["name"] for col in sa.inspect(op.get_bind()).get_columns("services")}
    with op.batch_alter_table("services", schema=None) as batch_op:
        for name, kind in COLUMNS:
            if name not in have:
                batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
