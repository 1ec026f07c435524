"""worker heartbeat slots: each worker's pool size, so a job whose worker follows on gets
no more task messages than there are pool processes to take them

Revision ID: 5f2b8d1e9a47
Revises: c1d5e8a2f347
Create Date: 2026-12-05 13:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5f2b8d1e9a47'
down_revision: str | None = 'c1d5e8a2f347'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('worker_heartbeat') as batch_op:
        batch_op.add_column(sa.Column('slots', sa.Integer(), server_default='1',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('worker_heartbeat') as batch_op:
        batch_op.drop_column('slots')
