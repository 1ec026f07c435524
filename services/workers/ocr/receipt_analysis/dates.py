"""The receipt's date: found in the text, else in its dated-looking lines read again.

Dates are the field OCR misreads most on real receipts: a slash read as a digit, or an
underline through the digits that leaves "3009/2018" of "30/03/2018". The page is read as
one block; a line read again on its own (see `shared.ocr.layout.reread_line`) often reads
what the block did not. It is only asked for when the text holds no date at all: on the
SROIE receipts a second reading of a date that was found disagreed with the first as often
when the first was right ("21-03-2018" read again as 2016) as when it was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

from services.workers.ocr.receipt_analysis.lines import _Line, _line, _variants

# The line at this index (among the text's non-blank lines) read again, lazily: each reading
# costs a Tesseract run, so only as many are taken as the decision needs.
Reread = Callable[[int], Iterator[str]]

_MONTHS = {"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
           "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12, "STY": 1, "LUT": 2, "KWI": 4, "MAJ": 5,
           "CZE": 6, "LIP": 7, "SIE": 8, "WRZ": 9, "PAZ": 10, "LIS": 11, "GRU": 12}
_MONTH_WORD = r"(?P<mon>[A-Z]{3})[A-Z]*\.?"
_DATE_PATTERNS = [
    # Both separators the same: "REG #2- 25/12/2016" holds no date 2- 25/12.
    re.compile(r"(?<![\d-])(?P<y>\d{4})\s?(?P<s>[-./])\s?(?P<m>\d{1,2})\s?(?P=s)\s?"
               r"(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d-])(?P<d>\d{1,2})\s?(?P<s>[-./])\s?(?P<m>\d{1,2})\s?(?P=s)\s?"
               r"(?P<y>\d{4}|\d{2})(?!\d)"),
    # "Oct 3, 2016"; "10 MAR 2018", "02/JAN/2017", "15-May-18"
    re.compile(rf"\b{_MONTH_WORD}\s+(?P<d>\d{{1,2}})(ST|ND|RD|TH)?,?\s+(?P<y>(19|20)\d\d)\d?\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(ST|ND|RD|TH)?\s?[-/. ]\s?{_MONTH_WORD}\s?[-/., ]\s?"
               r"(?P<y>\d{4}|\d{2})\b"),
]
# "27032018": a day-first date whose faint slashes were not read at all. Eight digits could
# be anything, so this is looked for only where no date with separators was found.
_PACKED_DATE = re.compile(r"(?<![\d-])(?P<d>\d{2})(?P<m>\d{2})(?P<y>(19|20)\d{2})(?![\d-])")
_TIME = re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s?:\s?(?P<m>\d{2})(?::\d{2})?(?![\d:])")
_DATE_WORD = re.compile(r"\b(DATA|DATE|DNIA|GODZ|TIME)\b")
# What makes a line look dated when no date could be read on it: "JAN" but not "MARKET";
# "3009/2018" but not "CS-20322" or a GST number.
_MONTH_NAME = re.compile(r"\b(" + "|".join(_MONTHS) + r")(UARY|RUARY|CH|IL|E|Y|UST|TEMBER|OBER|"
                         r"EMBER)?\b")
_YEAR_IN_DIGITS = re.compile(r"(?<![\w/.-])\d[\d/.-]{3,7}(199\d|20[0-4]\d)(?![\w/.-])")

# How sure a date is that was read without its separators, or only on a second reading.
_PACKED = 0.6
_FOUND_ONLY_ON_REREAD = 0.6
_REREAD_TWICE = 0.75
_MAX_LINES_TO_REREAD = 2


def _find_date(line: _Line) -> date | None:
    found = _dated(line)
    return found[0] if found else None


def _dated(line: _Line, *, packed: bool = False) -> tuple[date, float] | None:
    """The first date on the line and how sure we are: a date that is only valid after
    undoing commonly confused digits ("2024-08-87" -> 2024-08-07) is less certain."""
    text = line.num.upper()
    matches = [(p, m) for p in _DATE_PATTERNS for m in p.finditer(text)]
    for _, match in matches:
        if found := _valid_date(match):
            return found, 1.0
    for pattern, match in matches:
        if found := _repaired_date(pattern, match.group()):
            return found, 0.65
    for pattern, match in matches:
        if found := _repaired_century(pattern, match):
            return found, 0.6
    if packed:
        for match in _PACKED_DATE.finditer(text):
            if found := _valid_date(match):
                return found, _PACKED
    return None


def _repaired_century(pattern: re.Pattern[str], match: re.Match[str]) -> date | None:
    """"24/06/0018": the two digits of the century misread, the year's own two kept."""
    year = match.group("y")
    if len(year) != 4 or year.startswith(("19", "20")):
        return None
    start, end = match.span("y")
    text = match.string[match.start():start] + "20" + year[2:] + match.string[end:match.end()]
    fixed = pattern.fullmatch(text)
    return _valid_date(fixed) if fixed else None


def _repaired_date(pattern: re.Pattern[str], text: str) -> date | None:
    """The single valid date one (else two) confused digits away, if there is exactly one."""
    for limit in (1, 2):
        dates = {found for variant in _variants(text, limit)
                 if (match := pattern.fullmatch(variant)) and (found := _valid_date(match))}
        if dates:
            return dates.pop() if len(dates) == 1 else None
    return None


def _valid_date(match: re.Match[str]) -> date | None:
    parts = match.groupdict()
    year = int(parts["y"]) + (2000 if len(parts["y"]) == 2 else 0)
    month = _MONTHS.get(parts["mon"] or "", 0) if "mon" in parts else int(parts["m"])
    day = int(parts["d"])
    if month > 12 and day <= 12:  # a month-first (US) date
        day, month = month, day
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if 1990 <= year <= 2099 else None


def _date(lines: list[_Line], reread: Reread | None = None) -> tuple[str | None, float]:
    """The transaction's date: printed with a time (the till stamps both), else after
    DATA/DATE, else the first date. An expiry or delivery date stands alone. When the text
    holds no date and `reread` is given, the lines that look as if they held one are read
    again on their own."""
    if found := _printed_date(lines):
        return found[0].isoformat(), found[1]
    return _reread_date(lines, reread) if reread else (None, 0.0)


def _printed_date(lines: list[_Line]) -> tuple[date, float] | None:
    """The date the text holds, and how sure we are of it."""
    for packed in (False, True):
        dated = [(index, hit) for index, line in enumerate(lines)
                 if (hit := _dated(line, packed=packed)) is not None]
        if dated:
            index, (day, certainty) = max(dated, key=lambda pair: _weight(lines[pair[0]]))
            return day, (0.9 if _weight(lines[index]) else 0.75) * certainty
    return None


def _weight(line: _Line) -> int:
    return 2 * bool(_TIME.search(line.num)) + bool(_DATE_WORD.search(line.key))


def _reread_date(lines: list[_Line], reread: Reread) -> tuple[str | None, float]:
    """A date from the lines that look dated, read again: a date word, a time, a month's
    name or a year among digits. Two readings agreeing are surer than one."""
    for index in _dated_looking(lines)[:_MAX_LINES_TO_REREAD]:
        found = [day for text in reread(index) if (day := _date_in(text))]
        if found:
            agreed = len(found) > 1 and found[0] == found[1]
            return found[0].isoformat(), _REREAD_TWICE if agreed else _FOUND_ONLY_ON_REREAD
    return None, 0.0


def _dated_looking(lines: list[_Line]) -> list[int]:
    """Indices of lines that look as if they held a date, the likeliest first."""
    scored = []
    for index, line in enumerate(lines):
        score = (_weight(line) + bool(_MONTH_NAME.search(line.key))
                 + bool(_YEAR_IN_DIGITS.search(line.num)))
        if score:
            scored.append((-score, index))
    return [index for _, index in sorted(scored)]


def _date_in(text: str) -> date | None:
    found = _dated(_line(" ".join(text.split())), packed=True)
    return found[0] if found else None
