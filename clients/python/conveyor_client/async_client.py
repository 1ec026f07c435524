"""The asynchronous client: `AsyncConveyor(base_url, token=...)`, the same namespaces as
`Conveyor` with coroutine methods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

import httpx

from conveyor_client._async import AsyncRunner
from conveyor_client._flows import AsyncNamespace, async_flow
from conveyor_client.client import DEFAULT_BASE_URL
from conveyor_client.models import JobEvent, Token
from conveyor_client.operations import auth, color, crawl, jobs, pages, pdf, receipts
from conveyor_client.retry import RetryPolicy


class AsyncPdf(AsyncNamespace):
    """PDFs to sentences (seed 001)."""

    submit = async_flow(pdf.submit)
    confirm = async_flow(pdf.confirm)
    start = async_flow(pdf.start)
    result = async_flow(jobs.result)
    result_text = async_flow(jobs.result_text)


class AsyncReceipts(AsyncNamespace):
    """Receipt photos to fields, API v3 (seed 002)."""

    process = async_flow(receipts.process)
    submit = async_flow(receipts.submit)
    status = async_flow(receipts.status)
    wait = async_flow(receipts.wait_for)
    cancel = async_flow(receipts.cancel)


class AsyncPages(AsyncNamespace):
    """Projects of scanned pages and their OCR (seed 003)."""

    create_project = async_flow(pages.create_project)
    get_project = async_flow(pages.get_project)
    upload = async_flow(pages.upload)
    list_pages = async_flow(pages.pages)
    process_page = async_flow(pages.process_page)
    process_batch = async_flow(pages.process_batch)
    task = async_flow(pages.task)
    wait = async_flow(pages.wait_for_task)
    cancel = async_flow(pages.cancel_task)
    result = async_flow(pages.result)
    result_text = async_flow(pages.result_text)


class AsyncColor(AsyncNamespace):
    """RAL matching and colour transfer (seed 000)."""

    match = async_flow(color.match)
    upload = async_flow(color.upload)
    transfer = async_flow(color.transfer)
    task = async_flow(color.task)
    wait = async_flow(color.wait_for)
    download = async_flow(color.download)


class AsyncCrawl(AsyncNamespace):
    """Image crawls (seed 004)."""

    create = async_flow(crawl.create_crawl)
    start = async_flow(crawl.start)
    images = async_flow(crawl.images)


class AsyncValidation(AsyncNamespace):
    """Validating a crawl's images (seed 004)."""

    run = async_flow(crawl.validate)


class AsyncJobs(AsyncNamespace):
    """Jobs of any kind, by their integer id."""

    get = async_flow(jobs.get_job)
    progress = async_flow(jobs.progress)
    events = async_flow(jobs.events)
    wait = async_flow(jobs.wait)
    cancel = async_flow(jobs.cancel)
    finalize = async_flow(jobs.finalize)
    result = async_flow(jobs.result)
    result_text = async_flow(jobs.result_text)

    def stream(self, job_id: int, *, last_event_id: int | None = None
               ) -> AsyncIterator[JobEvent]:
        """The job's event log, live (Server-Sent Events), after `last_event_id`; it ends
        once the job has ended and its last events are out. A dropped connection is
        resumed after the last event received."""
        return self._runner.events(job_id, last_event_id=last_event_id)

    list = async_flow(jobs.list_jobs)  # last: `list` names this method in the class body


class AsyncConveyor(AsyncNamespace):
    """An asyncio client of the Conveyor API: `Conveyor`'s methods as coroutines.

    `token`: a bearer token (or call `login`). `timeout`: seconds for each HTTP request.
    429 and 503 answers are retried after `Retry-After`, at most `max_retries` times, and
    never after a wait longer than `max_retry_wait` seconds; every create carries an
    Idempotency-Key, the same for each retry of it. `http_client`: an `httpx.AsyncClient` of
    your own (proxies, certificates); it is not closed by `aclose()`.
    """

    register = async_flow(auth.register)
    me = async_flow(auth.me)
    credits = async_flow(auth.credits)

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, token: str | None = None,
                 timeout: float = 60.0, max_retries: int = 3, max_retry_wait: float = 60.0,
                 http_client: httpx.AsyncClient | None = None) -> None:
        self._owns_http = http_client is None
        http = http_client or httpx.AsyncClient(timeout=timeout)
        super().__init__(AsyncRunner(http, base_url=base_url, token=token, retry=RetryPolicy(
            max_retries=max_retries, max_wait_seconds=max_retry_wait)))
        self.pdf, self.receipts = AsyncPdf(self._runner), AsyncReceipts(self._runner)
        self.pages, self.color = AsyncPages(self._runner), AsyncColor(self._runner)
        self.crawl, self.validation = AsyncCrawl(self._runner), AsyncValidation(self._runner)
        self.jobs = AsyncJobs(self._runner)

    @property
    def token(self) -> str | None:
        return self._runner.token

    @token.setter
    def token(self, token: str | None) -> None:
        self._runner.token = token

    async def login(self, email: str, password: str) -> Token:
        """Log in; the token is used for every later request."""
        token = await self._runner.run(auth.login(email, password))
        self._runner.token = token.access_token
        return token

    async def aclose(self) -> None:
        if self._owns_http:
            await self._runner.http.aclose()

    async def __aenter__(self) -> AsyncConveyor:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        await self.aclose()
