"""color_image table

Revision ID: 1bce117520a6
Revises: 8d8eadfcb2c9
Create Date: 2026-11-22 18:35:03.383224
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '1bce117520a6'
down_revision: str | None = '8d8eadfcb2c9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('color_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('preview_path', sa.String(length=500), nullable=True),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('dominant_colors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_color_image_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['color_image.id'], name=op.f('fk_color_image_source_id_color_image')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_color_image_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_color_image')),
    sa.UniqueConstraint('public_id', name=op.f('uq_color_image_public_id'))
    )
    with op.batch_alter_table('color_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_color_image_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_color_image_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('color_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_color_image_user_id'))
        batch_op.drop_index(batch_op.f('ix_color_image_expires_at'))

    op.drop_table('color_image')
