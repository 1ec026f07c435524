"""`POST /api/v1/process-pdf`: the synchronous path for small PDFs."""

from tests.support.api import balance, register_and_login
from tests.support.pdfs import make_document, make_flowing_document


def _post(api, user, pdf: bytes, **form):
    return api.post("/api/v1/process-pdf", headers=user.headers, data=form,
                    files={"pdf_file": ("small.pdf", pdf, "application/pdf")})


def test_small_pdf_answers_with_its_sentences_and_settles(api, stack):
    user = register_and_login(api)
    pdf, sentences = make_flowing_document(500)  # about 8 pages
    response = _post(api, user, pdf, min_sentence_length="10")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["sentences"] == sentences and body["sentence_count"] == len(sentences)
    assert body["charged_credits"] == body["page_count"] and body["finalized"] is True
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100 - body["page_count"], 0)


def test_options_reach_the_pipeline(api, stack):
    user = register_and_login(api)
    pdf, sentences = make_document(2, per_page=3)
    body = _post(api, user, pdf, min_sentence_length="1000").json()
    assert body["status"] == "completed" and body["sentences"] == []
    limited = _post(api, user, pdf, sentence_length_limit="40").json()
    assert limited["sentences"] and all(len(s) <= 40 for s in limited["sentences"])
    assert " ".join(limited["sentences"]).split() == " ".join(sentences).split()


def test_more_than_30_pages_is_sent_to_the_async_route(api, stack):
    user = register_and_login(api)
    pdf, _ = make_document(31, per_page=1)
    response = _post(api, user, pdf)
    assert response.status_code == 400
    assert "process-pdf-async" in response.json()["detail"]
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)
