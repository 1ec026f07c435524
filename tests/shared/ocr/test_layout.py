"""Lines psm 6 leaves out are found as uncovered ink and read into their place."""

from shared.image_decode import load_image
from shared.ocr.layout import with_unread_lines
from shared.ocr.reading import read_upright
from shared.ocr.tesseract import OcrResult, OcrWord, with_lines
from tests.support.sroie import load_cases


def _word(text: str, *, top: int, block: int = 1, line: int = 1) -> OcrWord:
    return OcrWord(text=text, confidence=90.0, left=10, top=top, width=40, height=20,
                   block=block, line=line)


def test_a_double_height_total_left_out_is_read_into_its_place() -> None:
    # SROIE 107 prints "TOTAL: 48.15" in double-height type under "Rounding Adj: -0.01".
    image = load_image(load_cases(["107"])[0].image_path, max_pixels=50_000_000)
    reading = read_upright(image, psm=6)
    assert "48.15" not in reading.ocr.text

    merged = with_unread_lines(reading.image, reading.ocr, languages="pol+eng")

    lines = [line for line in merged.text.splitlines() if line.strip()]
    total = next(i for i, line in enumerate(lines) if "48.15" in line)
    assert "TOTAL" in lines[total].upper() and "Rounding" in lines[total - 1]


def test_added_lines_go_before_the_first_line_below_them() -> None:
    reading = OcrResult(text="first\nthird", mean_confidence=90.0, languages="eng",
                        words=[_word("first", top=10), _word("third", top=100, line=2)],
                        line_confidences=[90.0, 90.0])

    merged = with_lines(reading, [[_word("second", top=50), _word("half", top=52)]])

    # A line of its own block: blank lines set it apart, as between Tesseract's blocks.
    assert [line for line in merged.text.splitlines() if line] == [
        "first", "second half", "third"]
    assert len(merged.line_confidences) == 3 and len(merged.words) == 4
