"""Every table, imported in one place so Alembic and tests see the whole schema."""

from shared.auth.models import User
from shared.color.models import ColorImage
from shared.crawl.models import CrawlImage
from shared.credits.models import CreditAccount, CreditLedgerEntry, LedgerEntryType
from shared.db import Base
from shared.jobs.models import Job, JobChunk, JobEvent, JobKind, JobStatus, OutboxMessage
from shared.pages.models import Page, Project
from shared.receipts.models import Receipt
from shared.webhooks.models import WebhookDelivery, WebhookEndpoint
from shared.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "Base", "ColorImage", "CrawlImage", "CreditAccount", "CreditLedgerEntry", "Job", "JobChunk",
    "JobEvent", "JobKind", "JobStatus", "LedgerEntryType", "OutboxMessage", "Page", "Project",
    "Receipt", "User", "WebhookDelivery", "WebhookEndpoint", "WorkerHeartbeat",
]
