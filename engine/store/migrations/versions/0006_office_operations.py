"""office operations: working-time calendar, service catalogue, Seksi routing, tracking, notifications, SKM

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

The calendar's non-working days and special office hours are kept with the
moment they became known, so the calendar as known at any past moment can
be rebuilt (audit re-execution). The service catalogue is versioned like the
diagrams. Users and Kasi-lane tasks carry a Seksi; applications carry their
service code, Seksi and the hash of the receipt's tracking code.
"""

from alembic import op
import sqlalchemy as sa

import engine.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_DT = engine.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    # plain ADD/DROP COLUMN (no table copy): copying users on SQLite would cascade-delete their lanes
    op.add_column("users", sa.Column("seksi", sa.String(length=100), nullable=True))
    op.add_column("users", sa.Column("email", sa.String(length=320), nullable=True))
    op.add_column("instances", sa.Column("service_code", sa.String(length=40), nullable=True))
    op.add_column("instances", sa.Column("seksi", sa.String(length=100), nullable=True))
    op.add_column("instances", sa.Column("tracking_hash", sa.String(length=64), nullable=True))
    op.add_column("tasks", sa.Column("seksi", sa.String(length=100), nullable=True))
    op.create_index("ix_tasks_status_lane_seksi_due", "tasks", ["status", "lane", "seksi", "due_at"], unique=False)

    op.create_table(
        "non_working_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_non_working_days_day", "non_working_days", ["day"], unique=False)
    op.create_table(
        "special_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=400), nullable=True),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("read_at", UTC_DT, nullable=True),
        sa.Column("email_to", sa.String(length=320), nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=False),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at", "id"], unique=False)
    op.create_index("ix_notifications_email", "notifications", ["email_status", "id"], unique=False)
    op.create_table(
        "skm_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=True),
        sa.Column("submitted_at", UTC_DT, nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id"),
    )


def downgrade() -> None:
    op.drop_table("skm_responses")
    op.drop_index("ix_notifications_email", table_name="notifications")
    op.drop_index("ix_notifications_user", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("catalogue_versions")
    op.drop_table("special_hours")
    op.drop_index("ix_non_working_days_day", table_name="non_working_days")
    op.drop_table("non_working_days")
    op.drop_index("ix_tasks_status_lane_seksi_due", table_name="tasks")
    op.drop_column("tasks", "seksi")
    op.drop_column("instances", "tracking_hash")
    op.drop_column("instances", "seksi")
    op.drop_column("instances", "service_code")
    op.drop_column("users", "email")
    op.drop_column("users", "seksi")
