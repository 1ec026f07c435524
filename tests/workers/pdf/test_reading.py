"""What a chunk reports about its pages: read by OCR, empty, scans left unread."""


from services.workers.pdf.ocr_pages import ScannedPage
from services.workers.pdf.page_kinds import OcrMode, PageKind
from services.workers.pdf.reading import PageRead, PageReport


def _scanned(number: int, text: str = "Read by OCR.", confidence: float = 91.26,
             words: int = 3) -> PageRead:
    return PageRead(number=number, text=text, kind=PageKind.SCANNED,
                    ocr=ScannedPage(text=text, mean_confidence=confidence, word_count=words,
                                    turned_degrees=0))


def test_auto_reports_ocr_pages_with_their_confidence_and_empty_pages() -> None:
    report = PageReport()
    for page in [PageRead(number=1, text="A text layer.", kind=PageKind.TEXT), _scanned(2),
                 PageRead(number=3, text="", kind=PageKind.EMPTY)]:
        report.add(page, OcrMode.AUTO)
    assert report.text_found
    assert report.metrics() == {
        "ocr_pages": [{"page": 2, "mean_confidence": 91.3, "word_count": 3,
                       "turned_degrees": 0}],
        "empty_pages": [3], "unread_scanned_pages": []}


def test_never_lists_the_scans_it_left_unread() -> None:
    report = PageReport()
    report.add(PageRead(number=4, text="", kind=PageKind.SCANNED), OcrMode.NEVER)
    assert not report.text_found
    assert report.metrics()["unread_scanned_pages"] == [4]


def test_always_reports_an_empty_page_once() -> None:
    report = PageReport()
    report.add(PageRead(number=1, text="", kind=PageKind.EMPTY,
                        ocr=ScannedPage(text="", mean_confidence=0.0, word_count=0,
                                        turned_degrees=0)),
               OcrMode.ALWAYS)
    # Drawn outlines OCR could read would make it an OCR page instead.
    report.add(PageRead(number=2, text="Outlined words.", kind=PageKind.EMPTY,
                        ocr=ScannedPage(text="Outlined words.", mean_confidence=88.0,
                                        word_count=2, turned_degrees=0)), OcrMode.ALWAYS)
    assert report.metrics()["empty_pages"] == [1]
    assert [entry["page"] for entry in report.metrics()["ocr_pages"]] == [2]


def test_nothing_found_says_why_for_each_page() -> None:
    report = PageReport()
    for page in [PageRead(number=5, text="", kind=PageKind.EMPTY),
                 PageRead(number=6, text="", kind=PageKind.EMPTY),
                 _scanned(7, text="", confidence=0.0, words=0)]:
        report.add(page, OcrMode.AUTO)
    assert not report.text_found
    assert report.nothing_found(first_page=5, last_page=7) == (
        "No text found on pages 5-7: pages 5-6 have neither text nor images; "
        "OCR found no words on page 7.")
