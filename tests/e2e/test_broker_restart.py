"""A Redis that restarts empty loses the messages it held: the relay sees the broker's
new run_id and sends the queued chunks again within seconds, not QUEUED_TIMEOUT_SECONDS
(300 s). Runs its own redis-server (tests.support.own_redis), restarted for
real; the machine's Redis is never touched."""

import time

import httpx
import pytest
from sqlalchemy import select

from shared.jobs.models import JobEvent, OutboxMessage
from tests.support.api import confirm_pdf, register_and_login, start_pdf, wait_for_status
from tests.support.own_redis import stack_on_own_redis
from tests.support.pdfs import make_document


@pytest.fixture
def restart_stack(database, tmp_path):
    # QUEUED_TIMEOUT_SECONDS on its default 300 s: the reaper cannot be what resends.
    with stack_on_own_redis(tmp_path, name="restart", worker=False,
                            unset=("QUEUED_TIMEOUT_SECONDS",)) as stack:
        yield stack


def _sent(sessions, prefix: str) -> bool:
    with sessions() as session:
        rows = list(session.scalars(select(OutboxMessage.sent_at).where(
            OutboxMessage.task_id.startswith(prefix))))
    return bool(rows) and all(rows)


def _events(sessions, job_id: int) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(JobEvent.event_type)
                                    .where(JobEvent.job_id == job_id)))


def test_messages_lost_in_a_broker_restart_are_sent_again_within_a_minute(restart_stack):
    stack, own, sessions = restart_stack
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as api:
        user = register_and_login(api)
        pdf, sentences = make_document(4)
        job_id = confirm_pdf(api, user, pdf).json()["job_id"]
        # No PDF worker yet: the message waits in Redis, as at any busy moment.
        assert start_pdf(api, user, job_id, pdf).status_code == 202
        deadline = time.monotonic() + 30
        while not _sent(sessions, f"job_{job_id}_") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _sent(sessions, f"job_{job_id}_"), "the chunk was never published"
        time.sleep(3)  # a relay run records the first broker's run_id

        own.stop()  # without saving: the message is gone
        own.start()
        restarted = time.monotonic()
        stack.start_worker(concurrency=1)
        done = wait_for_status(api, user, job_id, statuses={"completed", "failed"},
                               timeout=60)
        assert done["status"] == "completed", done
        assert time.monotonic() - restarted < 60
        result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
        assert result["sentences"] == sentences
        assert "republished" in _events(sessions, job_id)
