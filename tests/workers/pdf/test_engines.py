"""The two text engines on the same PDFs: the same page texts where the PDFs are plain, the
same sentences through the one cleanup and segmentation, scans found by either."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from services.workers.pdf import processing, reading
from services.workers.pdf.engines import (
    PdfiumDocument,
    PypdfDocument,
    TextDocument,
    TextEngine,
    as_pypdf_text,
    open_document,
)
from services.workers.pdf.page_kinds import OcrMode, PageKind
from services.workers.pdf.text import TextOptions, chunk_sentences, document_sentences
from shared.errors import ConveyorError, ErrorCode
from tests.support.pdfs import make_document, make_flowing_document
from tests.support.scanned_pdfs import SCANNED_SENTENCES, images_pdf, scan, similar

ENGINES = list(TextEngine)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# Lines as a typesetter broke them: ligature glyphs (U+FB01 fi, U+FB02 fl, U+FB00 ff),
# a word hyphenated at a line end, one across the page break, a compound ("Jean-Paul")
# whose hyphen falls at the end of a page.
LIGATURE_PAGES = [
    ["A short opening sentence ends here.",
     "The \ufb01rst of\ufb01ce was \ufb01lled with \ufb02owers, and the exam-",
     "ple of Jean-"],
    ["Paul showed how a \ufb01ne sta\ufb00 keeps a tradi-", "tion alive."],
]


@pytest.fixture(autouse=True)
def _forget_documents() -> Iterator[None]:
    """The worker's caches keep documents open; each test's go with it (PDFium would
    otherwise close them at exit, and say so)."""
    yield
    processing._document.cache_clear()
    reading._cached_page.cache_clear()


def _file(tmp_path: Path, pdf: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def _texts(document: TextDocument) -> list[str]:
    return [document.page_text(index) for index in range(document.page_count)]


def _chunked(texts: list[str], options: TextOptions) -> list[str]:
    """The sentences as chunks of two pages return them, each reading a page of overlap on
    either side: every page edge is a chunk edge or read as overlap."""
    sentences: list[str] = []
    for first in range(1, len(texts) + 1, 2):
        last = min(first + 1, len(texts))
        read_first, read_last = max(1, first - 1), min(len(texts), last + 1)
        sentences += chunk_sentences(texts[read_first - 1:read_last], first_read_page=read_first,
                                     first_page=first, last_page=last, options=options)
    return sentences


def _ligature_pdf() -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    for lines in LIGATURE_PAGES:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_the_engine_of_a_job() -> None:
    assert TextEngine.of({}) is TextEngine.PYPDF  # jobs started before the option existed
    assert TextEngine.of({"text_engine": "pdfium"}) is TextEngine.PDFIUM
    with pytest.raises(ValueError):
        TextEngine.of({"text_engine": "poppler"})


def test_each_engine_opens_its_own_document(tmp_path: Path) -> None:
    path = _file(tmp_path, make_document(2)[0])
    assert isinstance(open_document(path, TextEngine.PYPDF), PypdfDocument)
    assert isinstance(open_document(path, TextEngine.PDFIUM), PdfiumDocument)


@pytest.mark.parametrize("make", [lambda: make_document(6), lambda: make_flowing_document(400)],
                         ids=["page-per-page", "flowing"])
def test_both_engines_give_the_same_text_and_sentences(make, tmp_path: Path) -> None:
    pdf, sentences = make()
    path = _file(tmp_path, pdf)
    pypdf_texts, pdfium_texts = (_texts(open_document(path, engine)) for engine in ENGINES)
    assert pdfium_texts == pypdf_texts
    assert "\r" not in "".join(pdfium_texts)
    for texts in (pypdf_texts, pdfium_texts):
        assert document_sentences(texts, TextOptions()) == sentences
        assert _chunked(texts, TextOptions()) == sentences


def test_pdfium_hyphen_marks_and_line_ends_read_as_pypdf_writes_them() -> None:
    raw = "One exam\ufffeple, a tradi\x02tion.\r\nA long sen\ufffe\r\ntence.\r\nEnd."
    assert as_pypdf_text(raw) == "One exam-\nple, a tradi-\ntion.\nA long sen-\ntence.\nEnd."


@pytest.mark.parametrize("raw", [
    "", "plain", "a\r\nb", "a\rb", "a\r\r\nb", "x\ufffe", "x\x02\r", "x\ufffe\r\r\ny",
    "x\ufffe\n\ny", "\r\ufffe\n", "x\x02\ufffe\r\ny", "x\ufffe\ufffe\nz", "\x02\r\n\x02\n",
])
def test_pdfium_text_conversion_agrees_with_its_definition(raw: str) -> None:
    """What `as_pypdf_text` does, said as one substitution: a marker with the line end
    after it, if any, becomes "-\\n"; then CR LF becomes LF."""
    definition = re.sub("[\ufffe\x02](?:\r?\n)?", "-\n", raw).replace("\r\n", "\n")
    assert as_pypdf_text(raw) == definition


@pytest.mark.parametrize("fix_hyphenation", [True, False])
def test_ligatures_and_hyphenated_words_give_the_same_sentences(fix_hyphenation: bool,
                                                                tmp_path: Path) -> None:
    path = _file(tmp_path, _ligature_pdf())
    options = TextOptions(fix_hyphenation=fix_hyphenation)
    pypdf_texts, pdfium_texts = (_texts(open_document(path, engine)) for engine in ENGINES)
    assert "\ufb01" in pypdf_texts[0] and "\ufb01" not in pdfium_texts[0]  # the glyphs differ
    pypdf_sentences = document_sentences(pypdf_texts, options)
    assert document_sentences(pdfium_texts, options) == pypdf_sentences
    assert _chunked(pdfium_texts, options) == pypdf_sentences
    if fix_hyphenation:
        assert pypdf_sentences[1] == ("The first office was filled with flowers, and the "
                                      "example of Jean-Paul showed how a fine staff keeps a "
                                      "tradition alive.")
    else:  # cleanup, not PDFium, decides: the hyphens stay
        assert "the exam- ple of Jean- Paul" in pypdf_sentences[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_scanned_page_needs_ocr_with_either_engine(engine: TextEngine,
                                                     tmp_path: Path) -> None:
    path = _file(tmp_path, images_pdf([scan(SCANNED_SENTENCES[0])]), name=f"{engine}.pdf")
    document = open_document(path, engine)
    assert document.page_text(0) == ""
    assert document.draws_images(0)
    unread = reading.read_page(document, path, 1, mode=OcrMode.NEVER, owned=True)
    assert (unread.kind, unread.text, unread.ocr) == (PageKind.SCANNED, "", None)


def test_a_scanned_page_is_read_by_ocr_under_pdfium(tmp_path: Path) -> None:
    path = _file(tmp_path, images_pdf([scan(SCANNED_SENTENCES[1])]))
    page = reading.read_page(open_document(path, TextEngine.PDFIUM), path, 1, mode=OcrMode.AUTO,
                     owned=True)
    assert page.kind is PageKind.SCANNED and page.ocr is not None
    assert similar(page.text, " ".join(SCANNED_SENTENCES[1]))


def test_pypdf_counts_content_it_cannot_parse_as_an_image(tmp_path: Path,
                                                          monkeypatch) -> None:
    # The renderer gets to look at it; the text layer, whatever it holds, is not lost.
    def damaged(page) -> bool:
        raise ValueError("damaged content stream")

    monkeypatch.setattr("services.workers.pdf.engines.draws_images", damaged)
    document = open_document(_file(tmp_path, make_document(1)[0]), TextEngine.PYPDF)
    assert document.draws_images(0)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_that_is_no_pdf_is_refused_by_either_engine(engine: TextEngine,
                                                           tmp_path: Path) -> None:
    with pytest.raises(ConveyorError) as refused:
        open_document(_file(tmp_path, b"%PDF-1.4 no more"), engine)
    assert refused.value.code is ErrorCode.INPUT_INVALID


def test_the_worker_keeps_one_open_document_per_file_and_engine(tmp_path: Path) -> None:
    path = _file(tmp_path, make_document(2)[0])
    pdfium_document = processing._open(path, TextEngine.PDFIUM)
    assert processing._open(path, TextEngine.PDFIUM) is pdfium_document
    assert isinstance(processing._open(path, TextEngine.PYPDF), PypdfDocument)
    assert processing._open(path, TextEngine.PDFIUM) is pdfium_document
