"""Every create of a job is resent after an answer that got lost, with its
Idempotency-Key, and the gateway answers the resend with the job made the first time: no
job and no reservation twice. Creates that make no job are not resent."""

from collections.abc import Iterator

import httpx
import pytest

from conveyor_client import Conveyor, ConveyorConnectionError
from tests.sdk.conftest import PASSWORD, new_email
from tests.support.stack import Stack
from tests.support.surfaces import encoded, shaded_surface


class LosingFirstAnswers(httpx.BaseTransport):
    """Sends each request to the server; the first answer to a POST on a path in `lose`
    is dropped, as a connection that broke after the server acted."""

    def __init__(self, lose: set[str]) -> None:
        self._real = httpx.HTTPTransport()
        self._lose = set(lose)
        self.sent: list[tuple[str, str | None, int | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._real.handle_request(request)
        path, key = request.url.path, request.headers.get("Idempotency-Key")
        if request.method == "POST" and path in self._lose:
            self._lose.discard(path)
            response.read()
            response.close()
            self.sent.append((path, key, None))
            raise httpx.ReadError("the answer was lost", request=request)
        self.sent.append((path, key, response.status_code))
        return response

    def close(self) -> None:
        self._real.close()


@pytest.fixture
def lossy(stack: Stack) -> Iterator[tuple[Conveyor, LosingFirstAnswers]]:
    """A new user's client whose first answer to each job create (and to a project
    create) is lost."""
    transport = LosingFirstAnswers({"/api/v1/jobs", "/api/v1/process/async",
                                    "/api/v1/projects"})
    with httpx.Client(transport=transport, timeout=60) as http, \
            Conveyor(stack.gateway_url, http_client=http) as client:
        client.register(email := new_email("lossy"), PASSWORD)
        client.login(email, PASSWORD)
        yield client, transport


def test_a_crawl_create_whose_answer_was_lost_is_one_job(
        lossy: tuple[Conveyor, LosingFirstAnswers]) -> None:
    client, transport = lossy
    crawl = client.crawl.create(["cat"], engines=["bing"], max_images=5)
    posts = [entry for entry in transport.sent if entry[0] == "/api/v1/jobs"]
    assert [status for _, _, status in posts] == [None, 201], posts
    assert posts[0][1] == posts[1][1] is not None  # the resend carries the same key
    assert [job.id for job in client.jobs.list(kind="crawl").jobs] == [crawl.id]
    credits = client.credits()
    assert [e.entry_type for e in credits.ledger] == ["reserve", "signup"]
    assert credits.balance == 95


def test_a_colour_transfer_whose_answer_was_lost_is_one_task(
        lossy: tuple[Conveyor, LosingFirstAnswers]) -> None:
    client, transport = lossy
    upload = client.color.upload(encoded(shaded_surface(60, 80)), filename="wall.png")
    task = client.color.transfer(upload.job_id, "RAL 3000", wait=False)
    posts = [entry for entry in transport.sent if entry[0] == "/api/v1/process/async"]
    assert [status for _, _, status in posts] == [None, 202], posts
    transfers = client.jobs.list(kind="color_transfer").jobs
    assert [job.uuid for job in transfers] == [task.task_id]
    # The transfer may have ended (charged, its rest released): reserved once all the same.
    assert [e.entry_type for e in client.credits().ledger].count("reserve") == 1


def test_a_create_that_makes_no_job_is_not_resent(
        lossy: tuple[Conveyor, LosingFirstAnswers]) -> None:
    client, transport = lossy
    with pytest.raises(ConveyorConnectionError):
        client.pages.create_project("Harbor report")
    assert [e for e in transport.sent if e[0] == "/api/v1/projects"] == [
        ("/api/v1/projects", transport.sent[-1][1], None)]


def test_a_repeated_call_with_its_key_is_one_job(conveyor: Conveyor) -> None:
    first = conveyor.crawl.create(["cat"], engines=["bing"], max_images=5,
                                  idempotency_key="sdk-crawl-1")
    again = conveyor.crawl.create(["cat"], engines=["bing"], max_images=5,
                                  idempotency_key="sdk-crawl-1")
    assert again.id == first.id
    assert conveyor.jobs.list(kind="crawl").total == 1
    assert conveyor.credits().balance == 95
