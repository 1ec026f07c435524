"""The webhook retry schedule: exponential, capped, and over after about a day."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from services.jobs.maintenance.webhooks import next_attempt_at
from shared.settings import Settings

DEFAULTS = Settings(webhook_retry_base_seconds=30, webhook_retry_max_delay_seconds=6 * 3600,
                    webhook_retry_window_seconds=24 * 3600)


def schedule(settings: Settings) -> list[float]:
    """Seconds from the event to each attempt, until the delivery fails."""
    start = now = datetime(2026, 1, 1, tzinfo=UTC)
    until = start + timedelta(seconds=settings.webhook_retry_window_seconds)
    times, attempt = [0.0], 1
    while (at := next_attempt_at(attempt, now=now, retry_until=until,
                                 settings=settings)) is not None:
        times.append((at - start).total_seconds())
        now, attempt = at, attempt + 1
    return times


def test_retries_back_off_exponentially_for_about_a_day() -> None:
    times = schedule(DEFAULTS)
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps[:4] == [30, 60, 120, 240]
    assert max(gaps) == 6 * 3600  # capped
    assert 18 * 3600 < times[-1] <= 24 * 3600  # the last attempt, about a day on
    assert len(times) == 13
