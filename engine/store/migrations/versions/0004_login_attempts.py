"""login attempts: rate limits shared by every web worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Failed logins and sign-ups per login name and client address, so that the
limits hold across processes and machines that share the database.
"""

from alembic import op
import sqlalchemy as sa

import engine.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_login", "login_attempts", ["kind", "login", "at"], unique=False)
    op.create_index("ix_login_attempts_address", "login_attempts", ["kind", "address", "at"], unique=False)
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_address", table_name="login_attempts")
    op.drop_index("ix_login_attempts_login", table_name="login_attempts")
    op.drop_table("login_attempts")
