"""Issue 22: the text engine is chosen per job (`text_engine`: pypdf or pdfium), over HTTP
with real processes. The same PDF gives the same sentences through either, the result
says which read it, and scans are still read by OCR."""

from tests.support.api import (
    balance,
    confirm_pdf,
    register_and_login,
    start_pdf,
    wait_for_status,
)
from tests.support.pdfs import make_document, make_flowing_document, make_pdf
from tests.support.scanned_pdfs import SCANNED_SENTENCES, images_pdf, join_pdfs, scan, similar

ENGINES = ("pypdf", "pdfium")


def _sync(api, user, pdf: bytes, **form):
    return api.post("/api/v1/process-pdf", headers=user.headers, data=form,
                    files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})


def _confirmed(api, user, pdf: bytes) -> int:
    confirmed = confirm_pdf(api, user, pdf)
    assert confirmed.status_code == 201, confirmed.text
    return confirmed.json()["job_id"]


def _read_async(api, user, pdf: bytes, **options) -> tuple[dict, list[str]]:
    job_id = _confirmed(api, user, pdf)
    started = start_pdf(api, user, job_id, pdf, **options)
    assert started.status_code == 202, started.text
    done = wait_for_status(api, user, job_id, statuses={"completed", "failed", "cancelled"})
    assert done["status"] == "completed", done
    result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers)
    assert result.status_code == 200, result.text
    return done, result.json()["sentences"]


def test_both_engines_read_a_chunked_pdf_to_the_same_sentences(api, stack):
    user = register_and_login(api)
    pdf, sentences = make_flowing_document(2200)  # 34 pages: two chunks, sentences across
    read = {}
    for engine in ENGINES:
        done, read[engine] = _read_async(api, user, pdf, text_engine=engine)
        assert done["total_chunks"] == 2
        assert done["result"]["text_engine"] == engine
        assert done["result"]["sentence_count"] == len(sentences)
    assert read["pdfium"] == read["pypdf"] == sentences


def test_the_sync_route_takes_the_engine_and_defaults_to_pypdf(api, stack):
    user = register_and_login(api)
    pdf, sentences = make_document(3, per_page=4)
    bodies = {engine: _sync(api, user, pdf, text_engine=engine) for engine in ENGINES}
    bodies["default"] = _sync(api, user, pdf)  # PDF_TEXT_ENGINE is left at pypdf
    for engine, response in bodies.items():
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["sentences"] == sentences, engine
        assert body["result"]["text_engine"] == ("pypdf" if engine == "default" else engine)


def test_a_scan_is_read_by_ocr_when_pdfium_reads_the_text_layers(api, stack):
    user = register_and_login(api)
    first, last = (make_pdf([[f"Page {n} of a report has a plain text layer for once."]])
                   for n in (1, 3))
    pdf = join_pdfs([first, images_pdf([scan(SCANNED_SENTENCES[0])]), last])
    response = _sync(api, user, pdf, text_engine="pdfium")
    assert response.status_code == 200, response.text
    body = response.json()
    read = body["sentences"]
    assert read[0] == "Page 1 of a report has a plain text layer for once."
    assert read[-1] == "Page 3 of a report has a plain text layer for once."
    assert len(read) == 4 and all(map(similar, read[1:3], SCANNED_SENTENCES[0])), read
    assert [entry["page"] for entry in body["result"]["ocr_pages"]] == [2]
    assert body["result"]["text_engine"] == "pdfium"


def test_an_unknown_engine_is_a_422(api, stack):
    user = register_and_login(api)
    pdf, _ = make_document(1)
    job_id = _confirmed(api, user, pdf)
    response = start_pdf(api, user, job_id, pdf, text_engine="poppler")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_type"] == "INPUT_INVALID" and body["retryable"] is False
    [error] = body["detail"]
    assert error["loc"] == ["body", "text_engine"]
    assert api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()["status"] == "pending"

    response = _sync(api, user, pdf, text_engine="PDFium")
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "text_engine"]]
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (99, 1)  # the pending job's page
