"""Turns the database's state into Prometheus metrics at each scrape.

The totals are counters (they only grow: jobs and ledger rows are never deleted), the
loads gauges. Every queue and every kind appears even at zero, so a panel shows 0 rather
than no data and an alert on the oldest queued chunk has a series to watch.
"""

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from services.jobs.metrics import repository as repo
from shared.celery_app import TASK_QUEUES, Queue, TaskName
from shared.credits.models import LedgerEntryType
from shared.db import session_scope, utcnow
from shared.jobs.models import JobKind, JobStatus

# Seconds from a job's start to its end: a receipt in seconds, a long crawl in hours.
DURATION_BOUNDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 21600.0)
ENDED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
CHUNK_QUEUES = sorted({q.value for q in TASK_QUEUES.values()} - {Queue.MAINTENANCE.value})
# The ledger's words and the ones an operator reads: a release returns credits to the user.
CREDIT_MOVEMENTS = {LedgerEntryType.RESERVE: "reserved", LedgerEntryType.CHARGE: "charged",
                    LedgerEntryType.RELEASE: "refunded"}


class DatabaseCollector(Collector):
    """Reads the job, chunk, ledger and outbox tables in one read-only transaction."""

    def collect(self) -> Iterator[Metric]:
        with session_scope() as session:
            yield from _jobs(session)
            yield from _queues(session, now=utcnow())
            yield _durations(session)
            yield _credits(session)
            yield from _outbox(session, now=utcnow())


def _jobs(session: Session) -> Iterator[Metric]:
    created = CounterMetricFamily("conveyor_jobs_created", "Jobs created, by kind",
                                  labels=["kind"])
    ended = CounterMetricFamily("conveyor_jobs_finished",
                                "Jobs that ended, by kind and final status (completed, "
                                "failed, cancelled)", labels=["kind", "status"])
    counts = {(row.kind, row.status): row.count for row in repo.job_counts(session)}
    for kind in JobKind:
        created.add_metric([kind.value], sum(n for (k, _), n in counts.items() if k == kind))
        for status in ENDED:
            ended.add_metric([kind.value, status.value], counts.get((kind.value, status.value), 0))
    yield from (created, ended)


def _queues(session: Session, *, now: datetime) -> Iterator[Metric]:
    depth = GaugeMetricFamily("conveyor_queue_depth", "Chunks queued and not yet claimed",
                              labels=["queue"])
    oldest = GaugeMetricFamily("conveyor_queue_oldest_age_seconds",
                               "Age of the oldest queued chunk (0: none); the autoscaling "
                               "signal", labels=["queue"])
    running = GaugeMetricFamily("conveyor_chunks_running", "Chunks a worker is running",
                                labels=["queue"])
    queued = dict.fromkeys(CHUNK_QUEUES, 0)
    busy = dict.fromkeys(CHUNK_QUEUES, 0)
    ages = dict.fromkeys(CHUNK_QUEUES, 0.0)
    for load in repo.live_chunk_loads(session):
        if load.chunk_task is None:
            continue  # a chunk is queued only once its job has a chunk task
        # A chunk's own task (crawl engines, validation levels) shares its job's queue.
        queue = TASK_QUEUES[TaskName(load.chunk_task)].value
        if load.status == JobStatus.RUNNING:
            busy[queue] += load.count
            continue
        queued[queue] += load.count
        if load.oldest_queued_at is not None:
            ages[queue] = max(ages[queue], (now - load.oldest_queued_at).total_seconds())
    for queue in CHUNK_QUEUES:
        depth.add_metric([queue], queued[queue])
        oldest.add_metric([queue], ages[queue])
        running.add_metric([queue], busy[queue])
    yield from (depth, oldest, running)


def _durations(session: Session) -> Metric:
    histogram = HistogramMetricFamily("conveyor_job_duration_seconds",
                                      "Seconds from a job's start to its end, by kind",
                                      labels=["kind"])
    found = {row.kind: row for row in repo.job_durations(session, bounds=DURATION_BOUNDS)}
    for kind in JobKind:
        row = found.get(kind.value)
        at_most = row.at_most if row else [0] * len(DURATION_BOUNDS)
        count = row.count if row else 0
        buckets = [(str(b), n) for b, n in zip(DURATION_BOUNDS, at_most, strict=True)]
        histogram.add_metric([kind.value], [*buckets, ("+Inf", count)],
                             sum_value=row.total_seconds if row else 0.0)
    return histogram


def _credits(session: Session) -> Metric:
    credits = CounterMetricFamily("conveyor_credits", "Credits moved by jobs, from the ledger",
                                  labels=["movement"])
    for entry_type, total in repo.ledger_totals(session).items():
        credits.add_metric([CREDIT_MOVEMENTS[entry_type]], total)
    return credits


def _outbox(session: Session, *, now: datetime) -> Iterator[Metric]:
    backlog = repo.outbox_backlog(session)
    age = (now - backlog.oldest_created_at).total_seconds() if backlog.oldest_created_at else 0
    yield GaugeMetricFamily("conveyor_outbox_backlog",
                            "Task messages written but not yet published to the broker",
                            value=backlog.unsent)
    yield GaugeMetricFamily("conveyor_outbox_oldest_age_seconds",
                            "Age of the oldest unpublished task message (0: none)", value=age)
