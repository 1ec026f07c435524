"""When a failed request is sent again, and after how long."""

from dataclasses import dataclass

from conveyor_client.errors import ConveyorConnectionError, ConveyorError


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """`max_retries` resends at most per request; a `Retry-After` longer than
    `max_wait_seconds` is not waited for (the error is raised, its `retry_after` set);
    without one, waits start at `backoff_seconds` and double."""

    max_retries: int = 3
    max_wait_seconds: float = 60.0
    backoff_seconds: float = 0.5

    def delay(self, *, retry: int, error: ConveyorError, may_resend: bool) -> float | None:
        """Seconds to wait before resend number `retry` (from 1), or None: raise `error`.

        A 429 was refused before anything was done, so any request is sent again. A 503
        or a broken connection may come after the server acted, so only a request that
        `may_resend` is: a read, a guarded transition, or any create of a job (every
        job-creating route answers a repeated Idempotency-Key with the job it made the
        first time, and the resend carries the same key). Creates of other things
        (accounts, projects, uploads) are not; one that never connected always is.
        """
        if retry > self.max_retries or not self._worth_resending(error, may_resend):
            return None
        wait = error.retry_after
        if wait is None:
            wait = self.backoff_seconds * 2 ** (retry - 1)
        return wait if wait <= self.max_wait_seconds else None

    @staticmethod
    def _worth_resending(error: ConveyorError, may_resend: bool) -> bool:
        if isinstance(error, ConveyorConnectionError):
            return may_resend or not error.request_sent
        if error.status == 429:
            return True
        return error.status == 503 and may_resend
