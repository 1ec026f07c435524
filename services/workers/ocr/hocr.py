"""hOCR 1.2 (XHTML with boxes) built from the words of an OcrResult.

Asking Tesseract for hOCR costs a whole second run (~1 s on the benchmark receipt).
Every job already has the words of its single `recognise` run, with boxes,
confidences and block/line numbers, so the hOCR is built from them in well under a
millisecond per hundred words.

What the words carry, the document carries: `ocr_page`, one `ocr_carea` holding one
`ocr_par` per Tesseract block (OcrWord has no paragraph number), an `ocr_line` per
(block, line) with the union box of its words, `ocrx_word` with `bbox` and `x_wconf`.
Not carried: baselines, x-heights, per-paragraph languages and font properties.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from shared.ocr.tesseract import OcrResult, OcrWord

Box = tuple[int, int, int, int]  # left, top, right, bottom (right/bottom exclusive)

_CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"
_SYSTEM = "conveyor (tesseract words)"
# Characters XML 1.0 forbids even when escaped; html.escape leaves them, a parser refuses them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>{title}</title>
  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
  <meta name="ocr-system" content="{system}"/>
  <meta name="ocr-capabilities" content="{capabilities}"/>
 </head>
 <body>
"""
_TAIL = """ </body>
</html>
"""


def to_hocr(result: OcrResult, *, width: int, height: int, title: str = "page") -> str:
    """The result as an hOCR 1.2 XHTML document for a `width` x `height` pixel page.

    The boxes are those of the image that was OCRed; pass that image's size.
    """
    head = _HEAD.format(title=_escape(title), system=_SYSTEM, capabilities=_CAPABILITIES)
    page = _element("div", "ocr_page", "page_1", f"bbox 0 0 {width} {height}; ppageno 0",
                    [_block(number, words) for number, words in _group_blocks(result.words)],
                    indent=2)
    return head + page + _TAIL


def _group_blocks(words: Iterable[OcrWord]) -> list[tuple[int, list[OcrWord]]]:
    """(block number, its words) in reading order: the order blocks first appear in."""
    blocks: dict[int, list[OcrWord]] = {}
    for word in words:
        blocks.setdefault(word.block, []).append(word)
    return list(blocks.items())


def _group_lines(words: Iterable[OcrWord]) -> list[tuple[int, list[OcrWord]]]:
    """(line number, its words) within one block, in the order lines first appear."""
    lines: dict[int, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return list(lines.items())


def _block(number: int, words: list[OcrWord]) -> str:
    """An ocr_carea with a single ocr_par: OcrWord does not keep Tesseract's paragraphs."""
    box = _bbox_title(_union(words))
    lines = [_line(number, line, line_words) for line, line_words in _group_lines(words)]
    paragraph = _element("p", "ocr_par", f"par_1_{number}", box, lines, indent=4)
    return _element("div", "ocr_carea", f"block_1_{number}", box, [paragraph], indent=3)


def _line(block: int, line: int, words: list[OcrWord]) -> str:
    spans = [_word(block, line, position, word) for position, word in enumerate(words, 1)]
    return _element("span", "ocr_line", f"line_1_{block}_{line}", _bbox_title(_union(words)),
                    spans, indent=5)


def _word(block: int, line: int, position: int, word: OcrWord) -> str:
    title = f"{_bbox_title(_box(word))}; x_wconf {round(word.confidence)}"
    return (f'{" " * 6}<span class="ocrx_word" id="word_1_{block}_{line}_{position}" '
            f'title="{title}">{_escape(word.text)}</span>\n')


def _element(tag: str, css_class: str, element_id: str, title: str, children: list[str],
             *, indent: int) -> str:
    pad = " " * indent
    return (f'{pad}<{tag} class="{css_class}" id="{element_id}" title="{title}">\n'
            f"{''.join(children)}{pad}</{tag}>\n")


def _box(word: OcrWord) -> Box:
    return word.left, word.top, word.left + word.width, word.top + word.height


def _union(words: list[OcrWord]) -> Box:
    boxes = [_box(word) for word in words]
    return (min(box[0] for box in boxes), min(box[1] for box in boxes),
            max(box[2] for box in boxes), max(box[3] for box in boxes))


def _bbox_title(box: Box) -> str:
    return "bbox {} {} {} {}".format(*box)


def _escape(text: str) -> str:
    return html.escape(_XML_INVALID.sub("", text), quote=True)
