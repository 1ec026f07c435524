"""page ocr_turned_degrees: the turn that brought a page upright before it was read

Revision ID: 5c2e7a91d0b4
Revises: 3ad47979d82c
Create Date: 2026-12-04 04:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c2e7a91d0b4'
down_revision: str | None = '3ad47979d82c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocr_turned_degrees', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_column('ocr_turned_degrees')
