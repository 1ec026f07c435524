"""page status ends with its job: settle pages left queued or processing by ended jobs

The job service now writes a page's status when its job ends (shared.pages.repository
.end_job); before, the status shown was worked out at read time. Pages whose job ended
before this revision get, once, what that read-time rule showed.

Revision ID: 9b4d2f61c7a3
Revises: 5c2e7a91d0b4
Create Date: 2026-12-04 10:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '9b4d2f61c7a3'
down_revision: str | None = '5c2e7a91d0b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        UPDATE page SET ocr_status = CASE
            WHEN (SELECT status FROM job WHERE job.id = page.last_job_id) = 'cancelled'
                THEN CASE WHEN ocr_text IS NOT NULL THEN 'completed' ELSE 'cancelled' END
            ELSE 'failed' END
        WHERE ocr_status IN ('queued', 'processing')
          AND (SELECT status FROM job WHERE job.id = page.last_job_id)
              IN ('cancelled', 'failed', 'completed')
    """)


def downgrade() -> None:
    pass  # the statuses written are the ones the old read-time rule showed
