"""Per-page normalisation of raw pypdf text.

Every function here looks at one page only, so a page is cleaned the same way
whichever chunk reads it; that is what lets chunked and whole-document
segmentation agree.
"""

from __future__ import annotations

import re
from enum import Enum

# With the line breaks below, every character str.isspace() knows; so after translation a
# page's only whitespace is " " and "\n", which `_tidy_lines` relies on. (str.split() takes
# \x1f for a space, so reading it as one changes nothing else.)
_SPACES = "\t\x1f\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
_LINE_BREAKS = "\r\f\v\x1c\x1d\x1e\x85\u2028\u2029"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\x00"
_REPLACEMENTS: dict[str, str | None] = {
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_LINE_BREAKS, "\n"),
    **dict.fromkeys(_INVISIBLE, None),
    # pypdf hands back ligature glyphs as-is; words must match their spelled-out form.
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    # Typographic hyphens behave like "-" for line-end hyphenation.
    "\u2010": "-",
    "\u2011": "-",
}
_TRANSLATION = str.maketrans(_REPLACEMENTS)
_TRANSLATED = re.compile(f"[{re.escape(''.join(_REPLACEMENTS))}]")
# A running page number on the first or last line: "12", "- 12 -", "Page 3 of 40", "3 / 40".
_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?[-\N{EN DASH}\N{EM DASH}]?\s*\d{1,4}\s*[-\N{EN DASH}\N{EM DASH}]?"
    r"(?:\s*(?:/|of|sur|de)\s*\d{1,4})?",
    re.IGNORECASE,
)
_URL_LIKE = re.compile(r"[/@.]")
_SPACE_RUN = re.compile("  +")
_BLANK_LINES = re.compile("\n\n+")


class Hyphen(Enum):
    """How a line ending in "-" joins the next line."""

    DROP = "drop"  # "exam-" + "ple" -> "example"
    KEEP = "keep"  # "Jean-" + "Paul" -> "Jean-Paul"


def clean_page(raw: str, *, fix_hyphenation: bool, strip_page_numbers: bool) -> tuple[str, ...]:
    """Return the page's paragraphs; lines inside a paragraph are joined with "\\n".

    Whitespace inside a line is collapsed to single spaces and lines are stripped,
    so blank lines (paragraph breaks) are the only empty lines. An empty tuple
    means the page carries no text.
    """
    if not raw or raw.isspace():
        return ()
    lines = _tidy_lines(_translated(raw.replace("\r\n", "\n")))
    if strip_page_numbers:
        _blank_page_numbers(lines)
    return _paragraphs(lines, fix_hyphenation=fix_hyphenation)


def hyphen_join(left: str, right: str) -> Hyphen | None:
    """Decide whether `left` ends with a word hyphenated onto the line `right`."""
    if len(left) < 2 or left[-1] != "-" or not right:
        return None
    if not (left[-2].isalnum() and right[0].isalnum()):
        return None  # "word -" is a dash, not a hyphenated word
    word = left[left.rfind(" ") + 1 : -1]
    # A real compound ("mother-in-"), a URL or a capital ("Jean-Paul") keeps its hyphen.
    if "-" in word or _URL_LIKE.search(word) or not right[0].islower() or not word[-1].isalpha():
        return Hyphen.KEEP
    return Hyphen.DROP


def join_hyphenated(left: str, right: str, how: Hyphen) -> str:
    return (left[:-1] if how is Hyphen.DROP else left) + right


def _translated(text: str) -> str:
    # translate() is quick on ASCII text only; most other pages have nothing to replace.
    if text.isascii() or _TRANSLATED.search(text):
        return text.translate(_TRANSLATION)
    return text


def _tidy_lines(text: str) -> list[str]:
    """The lines from the first filled one to the last, each as `" ".join(line.split())`.

    Cheaper than that: after the translation " " and "\n" are the only whitespace, so
    only runs of spaces and spaces at line ends need work.
    """
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return [line.strip(" ") for line in text.strip().split("\n")]


def _blank_page_numbers(lines: list[str]) -> None:
    # `_tidy_lines` left no blank line at either end: these are the first and last filled.
    for index in {0, len(lines) - 1}:
        if _PAGE_NUMBER.fullmatch(lines[index]):
            lines[index] = ""


def _paragraphs(lines: list[str], *, fix_hyphenation: bool) -> tuple[str, ...]:
    # Blank lines separate paragraphs; a run of them counts as one.
    text = "\n".join(lines).strip("\n")
    paragraphs = _BLANK_LINES.split(text) if text else []
    if not fix_hyphenation:
        return tuple(paragraphs)
    # Only a line ending in "-" can take the next one in.
    return tuple(_join_lines(p) if "-\n" in p else p for p in paragraphs)


def _join_lines(paragraph: str) -> str:
    """The paragraph with each word hyphenated at a line end joined up."""
    current: list[str] = []
    for line in paragraph.split("\n"):
        how = hyphen_join(current[-1], line) if current else None
        if how is None:
            current.append(line)
        else:
            current[-1] = join_hyphenated(current[-1], line, how)
    return "\n".join(current)
