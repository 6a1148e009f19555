"""activations: which deployed version new applications start on

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Until now the newest deployed version of a process was the one new
applications used. Deploying and putting into service become two steps: the
newest activation of a process names its active version. Every process
already deployed gets one activation of its newest version, so nothing
changes for running systems.
"""

from alembic import op
import sqlalchemy as sa

import engine.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("activated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["definition_id"], ["definitions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activations_process", "activations", ["process_id", "id"], unique=False)
    definitions = sa.table(
        "definitions",
        sa.column("id"),
        sa.column("process_id"),
        sa.column("version"),
        sa.column("deployed_at", engine.store.types.UTCDateTime(timezone=True)),
        sa.column("deployed_by"),
    )
    connection = op.get_bind()
    newest = (
        sa.select(definitions.c.process_id, sa.func.max(definitions.c.version).label("version"))
        .group_by(definitions.c.process_id)
        .subquery()
    )
    rows = connection.execute(
        sa.select(definitions.c.id, definitions.c.process_id, definitions.c.deployed_at, definitions.c.deployed_by)
        .join(newest, (newest.c.process_id == definitions.c.process_id) & (newest.c.version == definitions.c.version))
        .order_by(definitions.c.id)
    ).all()
    activations = sa.table(
        "activations",
        sa.column("process_id"),
        sa.column("definition_id"),
        sa.column("activated_at", engine.store.types.UTCDateTime(timezone=True)),
        sa.column("activated_by"),
        sa.column("note"),
    )
    for row in rows:
        connection.execute(
            activations.insert().values(
                process_id=row.process_id,
                definition_id=row.id,
                activated_at=row.deployed_at,
                activated_by=row.deployed_by,
                note="newest version when activations were introduced (schema 0005)",
            )
        )


def downgrade() -> None:
    op.drop_index("ix_activations_process", table_name="activations")
    op.drop_table("activations")
