"""chunk results compressed with lz4: a PDF chunk's result is some 55 kB of sentences,
and compressing it with Postgres' default (pglz) took most of the settle's time in the
database; lz4 takes about half (bench/chunk_cost.py)

Only values written after the change are lz4; older ones stay readable as they are.
Postgres built without lz4 (or older than 14) keeps pglz. SQLite has no such setting.

Revision ID: c1d5e8a2f347
Revises: ae7885c9db0d
Create Date: 2026-12-04 19:30:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'c1d5e8a2f347'
down_revision: str | None = 'ae7885c9db0d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        DO $$ BEGIN
            ALTER TABLE job_chunk ALTER COLUMN result SET COMPRESSION {method};
        EXCEPTION WHEN feature_not_supported OR syntax_error THEN NULL;
        END $$""")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("pglz")
