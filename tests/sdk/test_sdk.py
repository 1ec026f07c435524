"""The Python SDK (clients/python) against the real stack: every seed's flow through its
methods, waits that follow jobs to their end with their progress, the event stream and
its resume, and the async client."""

import asyncio
import io

import pytest
from PIL import Image

from conveyor_client import AsyncConveyor, Conveyor, JobFailed, ProgressSnapshot
from conveyor_client.models import Job
from tests.sdk.conftest import PASSWORD, new_email
from tests.support.fake_web import WEB_KEPT, FakeWeb
from tests.support.pdfs import make_document
from tests.support.receipts import make_receipt
from tests.support.scans import page_lines, scan
from tests.support.stack import Stack
from tests.support.surfaces import encoded, shaded_surface


def assert_rising_to_100(snapshots: list[ProgressSnapshot]) -> None:
    percents = [snapshot.percent for snapshot in snapshots]
    assert percents == sorted(percents), percents
    assert percents[-1] == 100, snapshots


def test_register_login_and_who_am_i(stack: Stack) -> None:
    email = new_email()
    with Conveyor(stack.gateway_url) as client:
        user = client.register(email, PASSWORD)
        assert (user.email, user.credits.available, user.credits.reserved) == (email, 100, 0)
        assert client.token is None
        token = client.login(email, PASSWORD)
        assert token.token_type == "bearer" and token.expires_in > 0
        assert client.token == token.access_token
        assert client.me().id == user.id
        assert (client.credits().balance, client.credits().ledger[0].entry_type) == (
            100, "signup")
    with Conveyor(stack.gateway_url, token=token.access_token) as same_user:
        assert same_user.me().email == email


def test_a_pdf_is_submitted_and_followed_to_its_end(conveyor: Conveyor) -> None:
    pdf, sentences = make_document(45)  # three chunks of up to 20 pages
    snapshots: list[ProgressSnapshot] = []

    job = conveyor.pdf.submit(pdf, filename="novel.pdf", on_progress=snapshots.append,
                              fix_hyphenation=True, ignore_dialogue=False, ocr="auto",
                              text_engine="pdfium", timeout=240)

    assert (job.status, job.kind, job.page_count, job.total_chunks) == (
        "completed", "pdf", 45, 3)
    assert_rising_to_100(snapshots)
    assert len({s.percent for s in snapshots}) >= 3, snapshots  # 0, a chunk or two, 100
    assert {s.job_id for s in snapshots} == {job.id}
    assert job.result is not None and job.result.sentence_count == len(sentences)
    assert job.result.text_engine == "pdfium"
    assert conveyor.pdf.result(job.id).sentences == sentences
    text = conveyor.pdf.result_text(job.id)
    assert all(sentence in text for sentence in sentences)
    finalized = conveyor.jobs.finalize(job.id)
    assert (finalized.charged_credits, finalized.finalized) == (45, True)


def test_a_repeated_submit_with_its_idempotency_key_is_one_job(conveyor: Conveyor) -> None:
    pdf, _ = make_document(2)
    first = conveyor.pdf.submit(pdf, idempotency_key="sdk-novel-1", timeout=120)
    # The confirm answers with the same job, which is no longer pending: the SDK does not
    # start it again, it follows it.
    again = conveyor.pdf.submit(pdf, idempotency_key="sdk-novel-1", timeout=120)
    assert again.id == first.id and again.status == "completed"
    assert conveyor.jobs.list(kind="pdf").total == 1
    assert [e.entry_type for e in conveyor.credits().ledger] == ["reserve", "signup"]


def test_a_receipt_is_processed_through_api_v3(conveyor: Conveyor) -> None:
    receipt = make_receipt(1)
    snapshots: list[ProgressSnapshot] = []
    status = conveyor.receipts.process(receipt.image, filename=f"paragon.{receipt.fmt}",
                                       on_progress=snapshots.append, timeout=120)
    assert status.status == "SUCCESS" and status.progress == 100
    assert status.result is not None and status.result["total"]["value"]
    assert_rising_to_100(snapshots)
    assert conveyor.receipts.status(status.job_id).status == "SUCCESS"


def test_pages_are_uploaded_to_a_project_and_read_in_a_batch(conveyor: Conveyor) -> None:
    project = conveyor.pages.create_project("Harbor report", description="scanned")
    page_ids = [conveyor.pages.upload(project.id, scan(page_lines(n)), page_number=n,
                                      filename=f"page{n}.png").pages[0].id for n in (1, 2)]

    task = conveyor.pages.process_batch(project.id, page_ids, timeout=120)

    assert (task.status, task.current, task.total, task.partial) == ("completed", 2, 2, False)
    assert task.result is not None and task.result["completed"] == 2
    assert "harbor report" in conveyor.pages.result_text(project.id, page_ids[0]).lower()
    assert conveyor.pages.result(project.id, page_ids[1]).page_number == 2
    assert {p.ocr_status for p in conveyor.pages.list_pages(project.id).pages} == {"completed"}


def test_a_colour_transfer_is_uploaded_waited_for_and_downloaded(conveyor: Conveyor) -> None:
    upload = conveyor.color.upload(encoded(shaded_surface()), filename="door.png")
    assert (upload.width, upload.height) == (640, 360) and upload.dominant_colors
    snapshots: list[ProgressSnapshot] = []

    task = conveyor.color.transfer(upload.job_id, "RAL 3000", on_progress=snapshots.append,
                                   timeout=120)

    assert task.state == "SUCCESS" and task.result is not None
    assert_rising_to_100(snapshots)
    result = Image.open(io.BytesIO(conveyor.color.download(task.result.downloads["result"])))
    assert (result.format, result.size) == ("PNG", (640, 360))
    preview = conveyor.color.download(f"{task.result.result_job_id}_preview.jpg")
    assert Image.open(io.BytesIO(preview)).format == "JPEG"


def test_colours_are_matched_to_the_ral_palette(conveyor: Conveyor) -> None:
    matched = conveyor.color.match(rgb=[255, 0, 0], top_n=3)
    assert [m.rank for m in matched.matches] == [1, 2, 3]
    assert matched.input.hex == "#FF0000" and matched.formula == "CIEDE2000"
    assert conveyor.color.match(ral="RAL 3000", top_n=1).matches[0].delta_e == 0


def test_a_crawl_is_created_started_and_its_images_validated(conveyor: Conveyor,
                                                             fake_web: FakeWeb) -> None:
    crawl = conveyor.crawl.create(
        ["cat"], engines=["web"], max_images=20,
        seed_urls=[f"{fake_web.url}/sitemap.xml", f"{fake_web.url}/index.html"])
    assert (crawl.status, crawl.reserved_credits, crawl.keywords) == ("pending", 20, ["cat"])

    started = conveyor.crawl.start(crawl.id, wait=True, timeout=120)

    assert (started.job_id, started.total_chunks) == (crawl.id, 1)
    assert conveyor.jobs.get(crawl.id).status == "completed"
    assert conveyor.crawl.images(crawl.id).total == len(WEB_KEPT)
    run = conveyor.validation.run(crawl.id, level="medium", timeout=120)
    assert run.images_count == len(WEB_KEPT)
    assert conveyor.jobs.get(run.validation_job_id).status == "completed"
    verdicts = conveyor.crawl.images(crawl.id).verdicts
    assert verdicts.unvalidated == 0 and verdicts.invalid >= 1


def test_jobs_are_listed_streamed_resumed_and_cancelled(conveyor: Conveyor) -> None:
    pdf, _ = make_document(3)
    job = conveyor.pdf.submit(pdf, wait=False)
    assert job.status in {"pending", "processing", "completed"}

    streamed = list(conveyor.jobs.stream(job.id))  # ends with the job

    statuses = [e.to_status for e in streamed if e.event_type == "status"]
    assert statuses[-1] == "completed", statuses
    logged = conveyor.jobs.events(job.id).events
    assert [e.id for e in streamed] == [e.id for e in logged]
    resumed = list(conveyor.jobs.stream(job.id, last_event_id=streamed[2].id))
    assert [e.id for e in resumed] == [e.id for e in streamed[3:]]
    assert conveyor.jobs.get(job.id).status == "completed"
    assert job.id in [j.id for j in conveyor.jobs.list(kind="pdf", status="completed").jobs]
    assert conveyor.jobs.progress(job.id).progress == 100

    pending = conveyor.pdf.confirm(pdf, filename="later.pdf")
    cancelled = conveyor.jobs.cancel(pending.job_id)
    assert (cancelled.status, cancelled.job_id) == ("cancelled", pending.job_id)
    with pytest.raises(JobFailed) as failed:
        conveyor.jobs.wait(pending.job_id)
    assert failed.value.error_type == "CANCELLED" and isinstance(failed.value.job, Job)
    refund = [(e.entry_type, e.amount) for e in conveyor.credits().ledger
              if e.job_id == pending.job_id]
    assert refund == [("release", 3), ("reserve", 3)], refund


def test_the_async_client_submits_and_follows_a_pdf(stack: Stack) -> None:
    pdf, sentences = make_document(2)

    async def flow() -> tuple[Job, Job, list[int], list[str]]:
        async with AsyncConveyor(stack.gateway_url) as client:
            email = new_email("async")
            await client.register(email, PASSWORD)
            await client.login(email, PASSWORD)
            percents: list[int] = []
            job = await client.pdf.submit(pdf, on_progress=lambda s: percents.append(s.percent),
                                          timeout=120)
            events = [event.event_type async for event in client.jobs.stream(job.id)]
            result = await client.pdf.result(job.id)
            return job, await client.jobs.get(job.id), percents, [*events, *result.sentences]

    job, fetched, percents, seen = asyncio.run(flow())
    assert job.status == fetched.status == "completed" and fetched.id == job.id
    assert percents[-1] == 100 and percents == sorted(percents)
    assert "status" in seen and seen[-len(sentences):] == sentences
