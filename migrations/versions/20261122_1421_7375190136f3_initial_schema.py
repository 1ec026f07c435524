"""initial schema

Revision ID: 7375190136f3
Revises: 
Create Date: 2026-11-22 14:21:58.559773
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7375190136f3'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_name', sa.String(length=100), nullable=False),
    sa.Column('queue', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('kwargs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('countdown_seconds', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('publish_attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('task_id', name=op.f('uq_outbox_message_task_id'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_unsent', ['created_at'], unique=False, postgresql_where=sa.text('sent_at IS NULL'), sqlite_where=sa.text('sent_at IS NULL'))

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('credit_account',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('available >= 0', name=op.f('ck_credit_account_available_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_credit_account_reserved_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_credit_account_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_credit_account'))
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('pdf', 'receipt', 'page_ocr', 'page_batch', 'color_transfer', 'crawl', 'validation', name='jobkind', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'queued', 'running', 'retrying', 'completed', 'failed', 'cancelled', name='jobstatus', native_enum=False, length=16), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=True),
    sa.Column('input_path', sa.String(length=500), nullable=True),
    sa.Column('input_sha256', sa.String(length=64), nullable=True),
    sa.Column('input_size', sa.Integer(), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('progress_percent', sa.Integer(), nullable=False),
    sa.Column('current_step', sa.String(length=255), nullable=True),
    sa.Column('total_chunks', sa.Integer(), nullable=False),
    sa.Column('parallelism', sa.Integer(), nullable=False),
    sa.Column('chunk_task', sa.String(length=100), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('error_type', sa.String(length=40), nullable=True),
    sa.Column('retryable', sa.Boolean(), nullable=True),
    sa.Column('celery_task_id', sa.String(length=100), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('estimated_credits', sa.Integer(), nullable=False),
    sa.Column('reserved_credits', sa.Integer(), nullable=False),
    sa.Column('charged_credits', sa.Integer(), nullable=True),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_job_user_id_idempotency_key')),
    sa.UniqueConstraint('uuid', name=op.f('uq_job_uuid'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_job_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('credit_ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('entry_type', sa.Enum('signup', 'grant', 'reserve', 'release', 'charge', name='ledgerentrytype', native_enum=False, length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('available_after', sa.Integer(), nullable=False),
    sa.Column('reserved_after', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_credit_ledger_entry_job_id_job')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_credit_ledger_entry_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_ledger_entry'))
    )
    with op.batch_alter_table('credit_ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_ledger_entry_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_credit_ledger_entry_job_type', ['job_id', 'entry_type'], unique=True, postgresql_where=sa.text('job_id IS NOT NULL'), sqlite_where=sa.text('job_id IS NOT NULL'))

    op.create_table('job_chunk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'queued', 'running', 'retrying', 'completed', 'failed', 'cancelled', name='jobstatus', native_enum=False, length=16), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=True),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('units_done', sa.Integer(), nullable=False),
    sa.Column('units_total', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('error_type', sa.String(length=40), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_chunk_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_chunk')),
    sa.UniqueConstraint('job_id', 'index', name=op.f('uq_job_chunk_job_id_index'))
    )
    with op.batch_alter_table('job_chunk', schema=None) as batch_op:
        batch_op.create_index('ix_job_chunk_status_heartbeat', ['status', 'heartbeat_at'], unique=False)

    op.create_table('job_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('chunk_index', sa.Integer(), nullable=True),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_event_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_event'))
    )
    with op.batch_alter_table('job_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_event_job_id'), ['job_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('job_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_event_job_id'))

    op.drop_table('job_event')
    with op.batch_alter_table('job_chunk', schema=None) as batch_op:
        batch_op.drop_index('ix_job_chunk_status_heartbeat')

    op.drop_table('job_chunk')
    with op.batch_alter_table('credit_ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_credit_ledger_entry_job_type', postgresql_where=sa.text('job_id IS NOT NULL'), sqlite_where=sa.text('job_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_credit_ledger_entry_user_id'))

    op.drop_table('credit_ledger_entry')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_user_id_created_at')
        batch_op.drop_index('ix_job_status_created_at')

    op.drop_table('job')
    op.drop_table('credit_account')
    op.drop_table('user_account')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_unsent', postgresql_where=sa.text('sent_at IS NULL'), sqlite_where=sa.text('sent_at IS NULL'))

    op.drop_table('outbox_message')
