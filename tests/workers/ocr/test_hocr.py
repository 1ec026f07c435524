"""hOCR built from a real Tesseract run: well-formed XHTML, every word with its box."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from services.workers.ocr.hocr import to_hocr
from shared.ocr.imaging import prepare
from shared.ocr.tesseract import OcrResult, OcrWord, recognise
from tests.shared.ocr.test_imaging import render_text

# A lone "&" in DejaVu Sans Mono is read as "6"; inside "R&D" Tesseract reads it right.
LINES = ("Invoice number 4521", 'R&D <tags> "quotes"', "Total amount 129.99 PLN")
NS = {"x": "http://www.w3.org/1999/xhtml"}
BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return prepare(np.asarray(render_text(LINES))).image


@pytest.fixture(scope="module")
def result(page: np.ndarray) -> OcrResult:
    return recognise(page)


@pytest.fixture(scope="module")
def document(page: np.ndarray, result: OcrResult) -> str:
    height, width = page.shape
    return to_hocr(result, width=width, height=height, title='a <b> & "c"')


@pytest.fixture(scope="module")
def root(document: str) -> ET.Element:
    return ET.fromstring(document)  # raises ParseError unless well-formed


def by_class(root: ET.Element, css_class: str) -> list[ET.Element]:
    return root.findall(f".//*[@class='{css_class}']")


def bbox(element: ET.Element) -> tuple[int, ...]:
    match = BBOX.search(element.get("title", ""))
    assert match, element.get("title")
    return tuple(int(value) for value in match.groups())


def word_box(word: OcrWord) -> tuple[int, ...]:
    return word.left, word.top, word.left + word.width, word.top + word.height


def test_special_characters_are_read_and_escaped(result: OcrResult, document: str) -> None:
    # The point of the fixture: Tesseract really returns text that needs escaping.
    texts = [word.text for word in result.words]
    assert {"R&D", "<tags>", '"quotes"'} <= set(texts)
    assert ">R&amp;D<" in document and ">&lt;tags&gt;<" in document
    assert ">&quot;quotes&quot;<" in document


def test_document_is_well_formed_xhtml_with_hocr_meta(root: ET.Element) -> None:
    assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    assert root.findtext("x:head/x:title", namespaces=NS) == 'a <b> & "c"'
    meta = {m.get("name"): m.get("content") for m in root.findall("x:head/x:meta", NS)}
    assert meta["ocr-system"]
    assert set(meta["ocr-capabilities"].split()) >= {"ocr_page", "ocr_carea", "ocr_par",
                                                     "ocr_line", "ocrx_word", "ocrp_wconf"}


def test_page_bbox_is_the_image(page: np.ndarray, root: ET.Element) -> None:
    pages = by_class(root, "ocr_page")
    assert len(pages) == 1
    assert bbox(pages[0]) == (0, 0, page.shape[1], page.shape[0])


def test_every_word_appears_with_its_box_and_confidence(result: OcrResult,
                                                        root: ET.Element) -> None:
    spans = by_class(root, "ocrx_word")
    assert [span.text for span in spans] == [word.text for word in result.words]
    for span, word in zip(spans, result.words, strict=True):
        assert bbox(span) == word_box(word)
        assert f"x_wconf {round(word.confidence)}" in span.get("title", "")
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))


def test_lines_hold_their_words_inside_their_box(result: OcrResult, root: ET.Element) -> None:
    lines = by_class(root, "ocr_line")
    expected = {}
    for word in result.words:
        expected.setdefault((word.block, word.line), []).append(word)
    assert len(lines) == len(expected) == len(LINES)
    for line, words in zip(lines, expected.values(), strict=True):
        assert [span.text for span in line] == [word.text for word in words]
        left, top, right, bottom = bbox(line)
        assert left == min(word.left for word in words)
        assert right == max(word.left + word.width for word in words)
        assert top == min(word.top for word in words)
        assert bottom == max(word.top + word.height for word in words)
    assert " ".join(span.text or "" for span in lines[1]) == " ".join(LINES[1].split())


def test_blocks_nest_paragraphs_lines_words(root: ET.Element) -> None:
    for area in by_class(root, "ocr_carea"):
        paragraphs = list(area)
        assert [p.get("class") for p in paragraphs] == ["ocr_par"]
        assert all(child.get("class") == "ocr_line" for child in paragraphs[0])


def test_empty_result_and_control_characters() -> None:
    empty = OcrResult(text="", mean_confidence=0.0, words=[], languages="eng")
    root = ET.fromstring(to_hocr(empty, width=10, height=20))
    assert bbox(by_class(root, "ocr_page")[0]) == (0, 0, 10, 20)
    assert not by_class(root, "ocrx_word")

    odd = OcrWord(text="a\x0cb\x00", confidence=12.6, left=1, top=2, width=3, height=4,
                  block=1, line=1)
    words = OcrResult(text="ab", mean_confidence=12.6, words=[odd], languages="eng")
    span = by_class(ET.fromstring(to_hocr(words, width=10, height=20)), "ocrx_word")[0]
    assert span.text == "ab"
    assert span.get("title") == "bbox 1 2 4 6; x_wconf 13"
