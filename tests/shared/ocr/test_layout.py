"""Lines psm 6 leaves out are found as uncovered ink and read into their place."""

from shared.image_decode import load_image
from shared.ocr.layout import reread_line, with_unread_lines
from shared.ocr.reading import read_upright
from shared.ocr.tesseract import OcrResult, OcrWord, lines_of, with_lines
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


def test_an_underlined_date_read_alone_keeps_its_digits() -> None:
    # SROIE 625 prints "27/03/2018" on a rule; read in the block, it came out "120032008".
    image = load_image(load_cases(["625"])[0].image_path, max_pixels=50_000_000)
    reading = read_upright(image, psm=6)
    lines = lines_of(reading.ocr)
    assert len(lines) == len([line for line in reading.ocr.text.splitlines() if line.strip()])
    dated = next(words for words in lines if "CS-20243" in " ".join(w.text for w in words))
    assert "27032018" not in "".join(c for w in dated for c in w.text if c.isdigit())

    first = next(reread_line(reading.image, dated, languages="pol+eng"))

    assert "27032018" in "".join(c for c in first if c.isdigit()), first
