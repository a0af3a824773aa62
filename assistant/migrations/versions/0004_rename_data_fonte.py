"""services.data_fonte -> services.fonte_data_recente: the newest date found in fonte_data, named so that
it is not mistaken for fonte_data (the sources' dates as written)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:30:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.alter_column("data_fonte", new_column_name="fonte_data_recente")


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.alter_column("fonte_data_recente", new_column_name="data_fonte")
