"""crawl_image table

Revision ID: 8ff10e1254b1
Revises: 1bce117520a6
Create Date: 2026-11-22 19:27:38.718616
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '8ff10e1254b1'
down_revision: str | None = '1bce117520a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crawl_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('chunk_index', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=200), nullable=False),
    sa.Column('engine', sa.String(length=40), nullable=False),
    sa.Column('source_url', sa.String(length=2048), nullable=False),
    sa.Column('page_url', sa.String(length=2048), nullable=True),
    sa.Column('alt_text', sa.String(length=1000), nullable=True),
    sa.Column('relevance', sa.Double(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('declared_type', sa.String(length=100), nullable=True),
    sa.Column('detected_format', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('validation_level', sa.String(length=16), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('perceptual_hash', sa.String(length=16), nullable=True),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_crawl_image_job_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_crawl_image_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_image')),
    sa.UniqueConstraint('job_id', 'sha256', name=op.f('uq_crawl_image_job_id_sha256'))
    )
    with op.batch_alter_table('crawl_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_image_job_id'), ['job_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crawl_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_image_job_id'))

    op.drop_table('crawl_image')
