"""worker heartbeat: one row per live worker, for readiness where the broker cannot
broadcast (the embedded default)

Revision ID: 4e1a7c9d2b60
Revises: 9b4d2f61c7a3
Create Date: 2026-12-04 10:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4e1a7c9d2b60'
down_revision: str | None = '9b4d2f61c7a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('worker_heartbeat',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('queues', sa.String(length=500), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
