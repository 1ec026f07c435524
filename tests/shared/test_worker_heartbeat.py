"""Worker heartbeat rows, the readiness count where the broker cannot broadcast."""

import uuid
from datetime import timedelta

from sqlalchemy import delete, update

from shared.db import session_scope, utcnow
from shared.worker_heartbeat import WorkerHeartbeat, beat, live_slots, live_workers_per_queue


def test_a_worker_counts_on_its_queues_until_it_goes_quiet(database: str) -> None:
    # Queue names of this test only: the session's real workers beat in this table too.
    ours, other = f"q-{uuid.uuid4().hex[:8]}", f"q-{uuid.uuid4().hex[:8]}"
    name = f"test-{uuid.uuid4().hex[:8]}@host"
    try:
        with session_scope() as session:
            beat(session, name=name, queues=[ours])
            beat(session, name=name, queues=[ours])  # a refresh, not a second worker
        with session_scope() as session:
            assert live_workers_per_queue(session, queues=[ours, other]) == {ours: 1,
                                                                             other: 0}
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == name)
                            .values(seen_at=utcnow() - timedelta(minutes=5)))
        with session_scope() as session:
            assert live_workers_per_queue(session, queues=[ours]) == {ours: 0}
    finally:
        with session_scope() as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))


def test_live_slots_add_up_the_pool_processes_of_a_queues_live_workers(database: str) -> None:
    ours, other = f"q-{uuid.uuid4().hex[:8]}", f"q-{uuid.uuid4().hex[:8]}"
    names = [f"test-{uuid.uuid4().hex[:8]}@host" for _ in range(3)]
    try:
        with session_scope() as session:
            beat(session, name=names[0], queues=[ours], slots=2)
            beat(session, name=names[1], queues=[other, ours], slots=4)
            beat(session, name=names[2], queues=[other], slots=8)
        with session_scope() as session:
            assert live_slots(session, queue=ours) == 6
            assert live_slots(session, queue=other) == 12
            beat(session, name=names[0], queues=[ours], slots=3)  # restarted, bigger pool
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == names[1])
                            .values(seen_at=utcnow() - timedelta(minutes=5)))
        with session_scope() as session:
            assert live_slots(session, queue=ours) == 3
    finally:
        with session_scope() as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name.in_(names)))
