"""`GET /api/v1/jobs/{job_id}/stream`: the job's event log as Server-Sent Events.

Each event goes out with its id; a client that reconnects sends the last one it saw as
`Last-Event-ID` and gets what came after, so nothing is missed. Each request for more
waits in the job service until there is more (woken by the transaction that logged it),
so an open stream does not poll. The stream ends once the job has ended and its events
are all out.
"""

from collections.abc import AsyncIterator

from sse_starlette import ServerSentEvent

from services.gateway.jobs_client import JobsClient
from shared.db import MAX_ROW_ID
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.contract import EventView, JobView
from shared.jobs.states import TERMINAL

_BATCH = 200
_ENDED = {status.value for status in TERMINAL}


def last_event_id(header: str | None) -> int:
    """The id a reconnecting client saw last; a stream starts from the first event."""
    if not header:
        return 0
    if not header.isdigit() or int(header) > MAX_ROW_ID:
        raise ConveyorError(ErrorCode.INPUT_INVALID,
                            f"Last-Event-ID must be an event id we sent, not {header!r}")
    return int(header)


async def job_event_stream(jobs: JobsClient, *, user_id: int, job: JobView, after_id: int,
                           wait_seconds: float) -> AsyncIterator[ServerSentEvent]:
    """The events of `job` (the caller's, read before the stream starts, so that an unknown
    job is a plain 404) after `after_id`, until it has ended and they are all out."""
    ended = job.status in TERMINAL
    while True:
        events = await jobs.events(user_id, job.id, limit=_BATCH, after_id=after_id,
                                   wait_seconds=0 if ended else wait_seconds)
        for event in events:
            yield _sent(event)
            after_id = event.id
            # Its last events are logged in the transaction that ended it: the reads after
            # this one hold them all.
            ended = ended or (event.event_type == "status" and event.to_status in _ENDED)
        if ended and len(events) < _BATCH:
            return
        if not events:  # a quiet while, or a resume point past the job's end: has it ended?
            ended = (await jobs.get(user_id, job.id)).status in TERMINAL


def _sent(event: EventView) -> ServerSentEvent:
    return ServerSentEvent(data=event.model_dump_json(), event=event.event_type, id=str(event.id))
