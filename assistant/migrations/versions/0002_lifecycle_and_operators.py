"""operators: active flag and TOTP; console sessions: second factor; audit: conversation keyed hash

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    # Session ids are now stored hashed: sessions stored in clear cannot be used any more.
    op.execute("DELETE FROM console_sessions")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_console_sessions_operator_id"), ["operator_id"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_conversation"), ["conversation"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_conversation"))
        batch_op.drop_column("conversation")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_operator_id"))
        batch_op.drop_column("verified")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("active")
