"""event hash chain, append-only events, user roles, filing-time index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Events get the SHA-256 chain (computed here for events already stored, in
each application's order) and the database itself refuses to update or
delete an event.
"""

from alembic import op
import sqlalchemy as sa

from engine.audit.chain import GENESIS, event_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REFUSE = "events are append-only: an event cannot be changed or deleted"


def _backfill(connection) -> None:  # noqa: ANN001
    from engine.store.types import UTCDateTime

    events = sa.table(
        "events",
        sa.column("id"), sa.column("instance_id"), sa.column("seq"), sa.column("type"),
        sa.column("at", UTCDateTime()), sa.column("actor"), sa.column("task_id"), sa.column("task_name"),
        sa.column("lane"), sa.column("data", sa.JSON()), sa.column("prev_hash"), sa.column("hash"),
    )
    instances = sa.table("instances", sa.column("id"), sa.column("last_hash"))
    rows = connection.execute(sa.select(events).order_by(events.c.instance_id, events.c.seq)).mappings().all()
    current, prev = None, GENESIS
    for row in rows:
        if row["instance_id"] != current:
            current, prev = row["instance_id"], GENESIS
        digest = event_hash(row, prev)
        connection.execute(events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        connection.execute(instances.update().where(instances.c.id == row["instance_id"]).values(last_hash=digest))
        prev = digest


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role"),
    )
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_instances_started", "instances", ["started_at", "id"], unique=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION ptsp_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSE}' USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION ptsp_events_append_only()"
        )
    elif op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS ptsp_events_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    # a plain DROP COLUMN (SQLite 3.35+): a batch copy of ``instances`` would
    # have to drop a table that other tables' foreign keys point at
    op.drop_index("ix_instances_started", table_name="instances")
    op.execute("ALTER TABLE instances DROP COLUMN last_hash")
    op.drop_table("user_roles")
