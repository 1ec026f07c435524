"""color_image pixels_path: an upload's decoded pixels, kept for transfer jobs

Revision ID: 3ad47979d82c
Revises: 8ff10e1254b1
Create Date: 2026-11-23 00:36:31.112561
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3ad47979d82c'
down_revision: str | None = '8ff10e1254b1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('color_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pixels_path', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('color_image', schema=None) as batch_op:
        batch_op.drop_column('pixels_path')
