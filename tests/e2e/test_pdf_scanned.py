"""Scanned PDFs (seed 001 with issue 18): pages without a text layer are read by OCR in the
PDF worker, over HTTP with real processes."""

import io
import random
import time

from fpdf import FPDF

from tests.support import db
from tests.support.api import (
    balance,
    confirm_pdf,
    register_and_login,
    start_pdf,
    wait_for_status,
)
from tests.support.pdfs import make_pdf, sentence
from tests.support.scanned_pdfs import SCANNED_SENTENCES, images_pdf, join_pdfs, scan, similar
from tests.support.stack import Stack

SCANNED = [s for page in SCANNED_SENTENCES for s in page]


def _start(api, user, pdf: bytes, **options) -> int:
    confirmed = confirm_pdf(api, user, pdf)
    assert confirmed.status_code == 201, confirmed.text
    job_id = confirmed.json()["job_id"]
    started = start_pdf(api, user, job_id, pdf, **options)
    assert started.status_code == 202, started.text
    return job_id


def _run(api, user, pdf: bytes, **options) -> dict:
    job_id = _start(api, user, pdf, **options)
    return wait_for_status(api, user, job_id, statuses={"completed", "failed", "cancelled"})


def _sentences(api, user, job_id: int) -> list[str]:
    result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers)
    assert result.status_code == 200, result.text
    return result.json()["sentences"]


def _sync(api, user, pdf: bytes, **form):
    return api.post("/api/v1/process-pdf", headers=user.headers, data=form,
                    files={"pdf_file": ("scan.pdf", pdf, "application/pdf")})


def _blank_pages(count: int) -> bytes:
    pdf = FPDF(format="A4")
    for _ in range(count):
        pdf.add_page()
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def _text_page(seed: int) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    sentences = [sentence(rng, seed * 10 + i) for i in range(3)]
    return make_pdf([sentences]), sentences


def _all_similar(read: list[str], expected: list[str]) -> bool:
    return len(read) == len(expected) and all(map(similar, read, expected))


def test_image_only_pdf_of_a_scan_a_fax_and_a_skewed_page_gives_its_sentences(api, stack):
    user = register_and_login(api)
    pdf = images_pdf([scan(SCANNED_SENTENCES[0]), scan(SCANNED_SENTENCES[1], mode="1"),
                      scan(SCANNED_SENTENCES[2], angle=3.0)])
    done = _run(api, user, pdf)
    assert done["status"] == "completed", done
    assert _all_similar(_sentences(api, user, done["id"]), SCANNED), \
        _sentences(api, user, done["id"])

    result = done["result"]
    assert result["ocr"] == "auto" and result["sentence_count"] == 6
    assert [entry["page"] for entry in result["ocr_pages"]] == [1, 2, 3]
    assert all(entry["mean_confidence"] >= 80 and entry["word_count"] >= 20
               for entry in result["ocr_pages"]), result["ocr_pages"]
    assert (result["empty_pages"], result["unread_scanned_pages"]) == ([], [])
    assert result["warnings"] == []

    finalized = api.post(f"/api/v1/jobs/{done['id']}/finalize", headers=user.headers).json()
    assert finalized["charged_credits"] == 3  # an OCR'd page costs what any page costs


def test_scans_fed_upside_down_or_sideways_are_read_upright(api, stack):
    user = register_and_login(api)
    pdf = images_pdf([scan(SCANNED_SENTENCES[0]).rotate(180),
                      scan(SCANNED_SENTENCES[1]).rotate(90, expand=True)])
    done = _run(api, user, pdf)
    assert done["status"] == "completed", done
    assert _all_similar(_sentences(api, user, done["id"]),
                        SCANNED_SENTENCES[0] + SCANNED_SENTENCES[1])
    # PIL turns anticlockwise: the reader turns back 180 and 90 degrees clockwise.
    assert [(e["page"], e["turned_degrees"]) for e in done["result"]["ocr_pages"]] == [
        (1, 180), (2, 90)]


def test_mixed_pdf_keeps_its_text_pages_exact_and_reads_the_scan(api, stack):
    user = register_and_login(api)
    first, first_sentences = _text_page(1)
    last, last_sentences = _text_page(2)
    pdf = join_pdfs([first, images_pdf([scan(SCANNED_SENTENCES[0])]), last])

    response = _sync(api, user, pdf)
    assert response.status_code == 200, response.text
    body = response.json()
    read = body["sentences"]
    assert read[:3] == first_sentences and read[-3:] == last_sentences
    assert _all_similar(read[3:-3], SCANNED_SENTENCES[0]), read
    [ocr_page] = body["result"]["ocr_pages"]
    assert ocr_page["page"] == 2 and ocr_page["mean_confidence"] >= 80, ocr_page
    assert body["charged_credits"] == 3


def test_ocr_never_leaves_scans_unread_and_says_so(api, stack):
    user = register_and_login(api)
    pdf = images_pdf([scan(page) for page in SCANNED_SENTENCES[:2]])
    done = _run(api, user, pdf, ocr="never")
    assert done["status"] == "completed", done  # what every PDF did before OCR
    assert _sentences(api, user, done["id"]) == []
    result = done["result"]
    assert result["ocr"] == "never" and result["sentence_count"] == 0
    assert (result["ocr_pages"], result["unread_scanned_pages"]) == ([], [1, 2])
    assert result["warnings"] == ["pages 1-2 have scanned images without a text layer and "
                                  "were not read (ocr=never); send ocr=auto to read them."]


def test_ocr_always_reads_a_page_that_has_a_text_layer(api, stack):
    user = register_and_login(api)
    pdf, sentences = _text_page(3)
    response = _sync(api, user, pdf, ocr="always")
    assert response.status_code == 200, response.text
    body = response.json()
    assert _all_similar(body["sentences"], sentences), body["sentences"]
    assert [entry["page"] for entry in body["result"]["ocr_pages"]] == [1]
    assert body["result"]["ocr"] == "always"


def test_a_blank_page_is_reported(api, stack):
    user = register_and_login(api)
    text, sentences = _text_page(4)
    pdf = join_pdfs([text, _blank_pages(1), images_pdf([scan(SCANNED_SENTENCES[1])])])
    done = _run(api, user, pdf)
    assert done["status"] == "completed", done
    read = _sentences(api, user, done["id"])
    assert read[:3] == sentences and _all_similar(read[3:], SCANNED_SENTENCES[1]), read
    result = done["result"]
    assert result["empty_pages"] == [2]
    assert [entry["page"] for entry in result["ocr_pages"]] == [3]
    assert result["warnings"] == ["page 2 has neither text nor images."]


def test_a_pdf_with_nothing_on_its_pages_fails_and_is_refunded(api, stack):
    user = register_and_login(api)
    done = _run(api, user, _blank_pages(2))
    assert done["status"] == "failed", done
    assert done["error_type"] == "PROCESSING_FAILED"
    assert done["error"] == ("No text found on pages 1-2: pages 1-2 have neither text nor "
                             "images.")
    assert db.ledger_for_job(done["id"]) == [("reserve", 2), ("release", 2)]

    response = _sync(api, user, images_pdf([scan([])]))  # a scan of an empty sheet
    assert response.status_code == 422, response.text
    assert response.json()["error_type"] == "PROCESSING_FAILED"
    assert response.json()["detail"] == "No text found on page 1: OCR found no words on page 1."
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)


def test_ocr_must_be_auto_always_or_never(api, stack):
    user = register_and_login(api)
    pdf, _ = _text_page(5)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    response = start_pdf(api, user, job_id, pdf, ocr="bogus")
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "ocr"]
    assert api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()["status"] == "pending"

    response = _sync(api, user, pdf, ocr="ALWAYS")
    assert response.status_code == 422, response.text
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (99, 1)  # the pending job's page


def _chunk_outcome(stack: Stack, task_id: str) -> str | None:
    """What the PDF worker's task for a chunk returned, from its log (None: not yet)."""
    for process in stack.processes:
        if process.name != "worker-pdf" or not process.log_path.exists():
            continue
        for line in process.log_path.read_text(errors="replace").splitlines():
            if f"[{task_id}] succeeded" in line:
                return line.rsplit(": ", 1)[-1].strip("'")
    return None


def _wait(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_ocr_pages_report_progress_and_a_cancel_stops_between_pages(api, stack):
    user = register_and_login(api)
    pages = [scan(SCANNED_SENTENCES[i % 3]) for i in range(10)]
    job_id = _start(api, user, images_pdf(pages))

    def part_done() -> dict | None:
        job = api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()
        return job if job["status"] == "processing" and 0 < job["progress_percent"] < 100 \
            else None

    # Progress moves page by page while the chunk is still running.
    assert _wait(part_done)["total_chunks"] == 1

    cancelled = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    [chunk] = db.chunks(job_id)
    # "stopped": the worker saw the cancel between two pages; a worker that had read every
    # page would have found its chunk cancelled only when it settled ("stale").
    assert _wait(lambda: _chunk_outcome(stack, chunk.task_id)) == "stopped"
    assert chunk.units_done < 10
    assert db.ledger_for_job(job_id) == [("reserve", 10), ("release", 10)]
