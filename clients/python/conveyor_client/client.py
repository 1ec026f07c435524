"""The synchronous client: `Conveyor(base_url, token=...)`, a namespace per domain."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import httpx

from conveyor_client._flows import SyncNamespace, sync_flow
from conveyor_client._sync import SyncRunner
from conveyor_client.models import JobEvent, Token
from conveyor_client.operations import auth, color, crawl, jobs, pages, pdf, receipts
from conveyor_client.retry import RetryPolicy

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Pdf(SyncNamespace):
    """PDFs to sentences (seed 001)."""

    submit = sync_flow(pdf.submit)
    confirm = sync_flow(pdf.confirm)
    start = sync_flow(pdf.start)
    result = sync_flow(jobs.result)
    result_text = sync_flow(jobs.result_text)


class Receipts(SyncNamespace):
    """Receipt photos to fields, API v3 (seed 002)."""

    process = sync_flow(receipts.process)
    submit = sync_flow(receipts.submit)
    status = sync_flow(receipts.status)
    wait = sync_flow(receipts.wait_for)
    cancel = sync_flow(receipts.cancel)


class Pages(SyncNamespace):
    """Projects of scanned pages and their OCR (seed 003)."""

    create_project = sync_flow(pages.create_project)
    get_project = sync_flow(pages.get_project)
    upload = sync_flow(pages.upload)
    list_pages = sync_flow(pages.pages)
    process_page = sync_flow(pages.process_page)
    process_batch = sync_flow(pages.process_batch)
    task = sync_flow(pages.task)
    wait = sync_flow(pages.wait_for_task)
    cancel = sync_flow(pages.cancel_task)
    result = sync_flow(pages.result)
    result_text = sync_flow(pages.result_text)


class Color(SyncNamespace):
    """RAL matching and colour transfer (seed 000)."""

    match = sync_flow(color.match)
    upload = sync_flow(color.upload)
    transfer = sync_flow(color.transfer)
    task = sync_flow(color.task)
    wait = sync_flow(color.wait_for)
    download = sync_flow(color.download)


class Crawl(SyncNamespace):
    """Image crawls (seed 004)."""

    create = sync_flow(crawl.create_crawl)
    start = sync_flow(crawl.start)
    images = sync_flow(crawl.images)


class Validation(SyncNamespace):
    """Validating a crawl's images (seed 004)."""

    run = sync_flow(crawl.validate)


class Jobs(SyncNamespace):
    """Jobs of any kind, by their integer id."""

    get = sync_flow(jobs.get_job)
    progress = sync_flow(jobs.progress)
    events = sync_flow(jobs.events)
    wait = sync_flow(jobs.wait)
    cancel = sync_flow(jobs.cancel)
    finalize = sync_flow(jobs.finalize)
    result = sync_flow(jobs.result)
    result_text = sync_flow(jobs.result_text)

    def stream(self, job_id: int, *, last_event_id: int | None = None) -> Iterator[JobEvent]:
        """The job's event log, live (Server-Sent Events), after `last_event_id`; it ends
        once the job has ended and its last events are out. A dropped connection is
        resumed after the last event received."""
        return self._runner.events(job_id, last_event_id=last_event_id)

    list = sync_flow(jobs.list_jobs)  # last: `list` names this method in the class body


class Conveyor(SyncNamespace):
    """A client of the Conveyor API.

    `token`: a bearer token (or call `login`). `timeout`: seconds for each HTTP request.
    429 and 503 answers are retried after `Retry-After`, at most `max_retries` times, and
    never after a wait longer than `max_retry_wait` seconds; every create carries an
    Idempotency-Key, the same for each retry of it. `http_client`: an `httpx.Client` of
    your own (proxies, certificates); it is not closed by `close()`.
    """

    register = sync_flow(auth.register)
    me = sync_flow(auth.me)
    credits = sync_flow(auth.credits)

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, token: str | None = None,
                 timeout: float = 60.0, max_retries: int = 3, max_retry_wait: float = 60.0,
                 http_client: httpx.Client | None = None) -> None:
        self._owns_http = http_client is None
        http = http_client or httpx.Client(timeout=timeout)
        super().__init__(SyncRunner(http, base_url=base_url, token=token, retry=RetryPolicy(
            max_retries=max_retries, max_wait_seconds=max_retry_wait)))
        self.pdf, self.receipts = Pdf(self._runner), Receipts(self._runner)
        self.pages, self.color = Pages(self._runner), Color(self._runner)
        self.crawl, self.validation = Crawl(self._runner), Validation(self._runner)
        self.jobs = Jobs(self._runner)

    @property
    def token(self) -> str | None:
        return self._runner.token

    @token.setter
    def token(self, token: str | None) -> None:
        self._runner.token = token

    def login(self, email: str, password: str) -> Token:
        """Log in; the token is used for every later request."""
        token = self._runner.run(auth.login(email, password))
        self._runner.token = token.access_token
        return token

    def close(self) -> None:
        if self._owns_http:
            self._runner.http.close()

    def __enter__(self) -> Conveyor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
