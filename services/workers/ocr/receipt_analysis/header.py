"""The header and where it ends: merchant, address, tax id (NIP or VAT number), date and
time; and the language of the whole receipt."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from services.workers.ocr.receipt_analysis.lines import (
    _CARD,
    _CASH,
    _CHANGE,
    _VAT_NUMBER_WORD,
    _clean_name,
    _letters,
    _Line,
    _tail_amount,
    _variants,
)

_SUMMARY = re.compile(
    r"\b(SUMA|RAZEM|TOTAL|SUB\W?TOTAL|DO ZAPLATY|AMOUNT DUE|BALANCE DUE|SPRZEDAZ\w*|OPODATK\w*|"
    r"PTU|PODATEK|KWOTA|NALEZNOSC|PODSUMA|TAX)\b|\bVAT\s*@?\s*\d"
)

_POLISH_WORDS = {"PARAGON", "FISKALNY", "SUMA", "PTU", "NIP", "SPRZEDAZ", "OPODATKOWANA",
                 "GOTOWKA", "KARTA", "RESZTA", "RAZEM", "ZAPLATY", "KASA", "KASJER", "PLN",
                 "PLATNICZA", "WYDR", "RABAT"}
_ENGLISH_WORDS = {"TOTAL", "SUBTOTAL", "VAT", "CARD", "CASH", "CHANGE", "THANK", "RECEIPT",
                  "ITEMS", "QTY", "VISA", "MASTERCARD", "BALANCE", "DUE", "SHOPPING", "STORE"}

_MONTHS = {"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
           "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12, "STY": 1, "LUT": 2, "KWI": 4, "MAJ": 5,
           "CZE": 6, "LIP": 7, "SIE": 8, "WRZ": 9, "PAZ": 10, "LIS": 11, "GRU": 12}
_MONTH_WORD = r"(?P<mon>[A-Z]{3})[A-Z]*\.?"
_DATE_PATTERNS = [
    re.compile(r"(?<!\d)(?P<y>\d{4})\s?[-./]\s?(?P<m>\d{1,2})\s?[-./]\s?(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\s?[-./]\s?(?P<m>\d{1,2})\s?[-./]\s?(?P<y>\d{4}|\d{2})(?!\d)"),
    re.compile(rf"\b{_MONTH_WORD}\s+(?P<d>\d{{1,2}})(ST|ND|RD|TH)?,?\s+(?P<y>\d{{4}})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(ST|ND|RD|TH)?\s+{_MONTH_WORD},?\s+(?P<y>\d{{4}})\b"),
]
_TIME = re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s?:\s?(?P<m>\d{2})(?::\d{2})?(?![\d:])")
_DATE_WORD = re.compile(r"\b(DATA|DATE|DNIA|GODZ|TIME)\b")

_PL_POSTCODE = re.compile(r"(?<![\d-])\d{2}\s?-\s?\d{3}(?![\d-])")
# "SW1A 1AA"; OCR may turn one of the digits into I or O, not both ("KIOSK" is no postcode).
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z0-9]?\s?[0-9IO][A-Z]{2}\b|"
                          r"\b[A-Z]{1,2}[0-9IO][A-Z0-9]?\s?\d[A-Z]{2}\b")
_STREET = re.compile(
    r"^(UL|AL|PL|OS|ULICA|ALEJA|PLAC|OSIEDLE)\b\.?|"
    r"\b(STREET|ST|ROAD|RD|LANE|LN|AVENUE|AVE|SQUARE|SQ|WAY|DRIVE|DR|PLACE|CLOSE|COURT|HILL|"
    r"ROW|TERRACE|CRESCENT|PARADE|WALK|GARDENS?|BROADWAY|HIGH)\b"
)
_PHONE = re.compile(r"\b(TEL|TELEFON|PHONE|FAX)\b|^\+?[\d ()-]{9,}$")
_WEB = re.compile(r"WWW\.|HTTP|@|\.(PL|COM|CO\.UK)\b")
_PARAGON = re.compile(r"PARAGON|FISKALN")
_NIP_WORD = re.compile(r"\bN[IL1|]P\b")
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


# --- layout -------------------------------------------------------------------------------


def _header_end(lines: list[_Line]) -> int:
    """Index after the header (merchant, address, tax id, date, PARAGON FISKALNY)."""
    limit = next((i for i, line in enumerate(lines) if _is_summary(line)), len(lines))
    marks = [i for i, line in enumerate(lines[:limit]) if _is_header_mark(line)]
    return marks[-1] + 1 if marks else 0


def _is_header_mark(line: _Line) -> bool:
    if _find_date(line):
        return True  # "Jun 22 2023 07:09": the time is no amount
    if _tail_amount(line):
        return False
    return bool(_PARAGON.search(line.key) or _NIP_WORD.search(line.key)
                or _VAT_NUMBER_WORD.search(line.key))


def _summary_start(lines: list[_Line], top: int) -> int:
    """The first line of the totals/tax/payment block: items stop there."""
    return next((i for i in range(top, len(lines)) if _is_summary(lines[i])
                 or _is_payment(lines[i])), len(lines))


def _is_payment(line: _Line) -> bool:
    return bool(_CARD.search(line.key) or _CASH.search(line.key) or _CHANGE.search(line.key))


def _is_summary(line: _Line) -> bool:
    return bool(_SUMMARY.search(line.key)) and not _VAT_NUMBER_WORD.search(line.key)


# --- header fields ------------------------------------------------------------------------


def _merchant(lines: list[_Line]) -> tuple[str | None, float]:
    """The first line at the top that reads like a name rather than an address, id or date."""
    for skipped, line in enumerate(lines[:6]):
        if _is_merchant_candidate(line):
            return _clean_name(line.text), 0.85 if skipped == 0 else 0.65
    return None, 0.0


def _is_merchant_candidate(line: _Line) -> bool:
    key = line.key
    visible = [c for c in line.text if not c.isspace()]
    if _letters(line.text) < 3 or _letters(line.text) < 0.6 * len(visible):
        return False  # noise such as "—— i" or "ph"
    unwanted = (_PARAGON, _NIP_WORD, _VAT_NUMBER_WORD, _PHONE, _WEB, _STREET,
                _PL_POSTCODE, _UK_POSTCODE)
    return not any(p.search(key) for p in unwanted) and not _find_date(line)


def _address(lines: list[_Line]) -> tuple[str | None, float]:
    """Street line plus postcode/city line, as printed."""
    street = next((ln for ln in lines[:10] if _STREET.search(ln.key) and not _is_id(ln)), None)
    city = next((ln for ln in lines[:10] if _is_postcode_line(ln)), None)
    parts = [_clean_name(ln.text) for ln in (street, city) if ln is not None]
    if not parts:
        return None, 0.0
    return ", ".join(dict.fromkeys(parts)), 0.85 if len(parts) == 2 else 0.6


def _is_postcode_line(line: _Line) -> bool:
    if _is_id(line) or _find_date(line) or _PHONE.search(line.key):
        return False
    return bool(_PL_POSTCODE.search(line.num) or _UK_POSTCODE.search(line.key))


def _is_id(line: _Line) -> bool:
    return bool(_NIP_WORD.search(line.key) or _VAT_NUMBER_WORD.search(line.key))


def _tax_id(lines: list[_Line]) -> tuple[str | None, float]:
    for line in lines:
        if word := _NIP_WORD.search(line.key):
            found = _nip(line.num[word.end():])  # key and num align: both keep the text's length
            if found[0]:
                return found
    for line in lines:
        if _VAT_NUMBER_WORD.search(line.key) and not re.search(r"\d\s?%", line.text):
            found = _vat_number(line.text)
            if found[0]:
                return found
    return None, 0.0


def _nip(rest: str) -> tuple[str | None, float]:
    """NIP "123-456-78-90" / "PL 1234567890" -> 10 digits; the check digit sets confidence."""
    digits = re.sub(r"\D", "", rest)
    if len(digits) < 10:
        return None, 0.0
    nip = digits[:10]
    if _nip_valid(nip):
        return nip, 0.95
    # One commonly confused digit away from the only valid NIP: take that, less sure.
    valid = [variant for variant in _variants(nip, 1) if _nip_valid(variant)]
    return (valid[0], 0.7) if len(valid) == 1 else (nip, 0.5)


def _nip_valid(nip: str) -> bool:
    weighted = sum(int(d) * w for d, w in zip(nip, _NIP_WEIGHTS, strict=False)) % 11
    return weighted == int(nip[9])


def _vat_number(text: str) -> tuple[str | None, float]:
    """"VAT NO GB123456789", "VAT Reg No: 123 4567 89": GB kept only when printed."""
    match = re.search(r"(?P<cc>[GC6][B8])?\s?(?P<num>\d[\d ]{7,16}\d)", text.upper())
    if not match:
        return None, 0.0
    digits = match.group("num").replace(" ", "")
    prefix = "GB" if match.group("cc") else ""
    return prefix + digits, 0.9 if len(digits) in (9, 12) else 0.5


def _find_date(line: _Line) -> date | None:
    found = _dated(line)
    return found[0] if found else None


def _dated(line: _Line) -> tuple[date, float] | None:
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
    return None


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


def _date(lines: list[_Line]) -> tuple[str | None, float]:
    """Prefer a date printed with a time or after DATA/DATE; otherwise the first one."""
    dated = [(line, hit) for line in lines if (hit := _dated(line)) is not None]
    for line, (day, certainty) in dated:
        if _TIME.search(line.num) or _DATE_WORD.search(line.key):
            return day.isoformat(), 0.9 * certainty
    if not dated:
        return None, 0.0
    day, certainty = dated[0][1]
    return day.isoformat(), 0.75 * certainty


def _time(lines: list[_Line]) -> tuple[str | None, float]:
    """A time on the date line is trusted; elsewhere "1:21" may be a misread amount."""
    for line in lines:
        if _find_date(line) or _DATE_WORD.search(line.key):
            found = _clock(line)
            if found[0]:
                return found
    for line in lines:
        if not _tail_amount(line) and not _is_summary(line) and _clock(line)[0]:
            return _clock(line)[0], 0.5
    return None, 0.0


def _clock(line: _Line) -> tuple[str | None, float]:
    """"14:35" (or "14:35:07"); "07:69" only as the single valid time one digit away."""
    match = _TIME.search(line.num)
    if not match:
        return None, 0.0
    hhmm = f"{int(match.group('h')):02d}{match.group('m')}"
    if int(hhmm[:2]) < 24 and int(hhmm[2:]) < 60:
        return f"{hhmm[:2]}:{hhmm[2:]}", 0.9
    valid = {v for v in _variants(hhmm, 1) if int(v[:2]) < 24 and int(v[2:]) < 60}
    return (f"{min(valid)[:2]}:{min(valid)[2:]}", 0.55) if len(valid) == 1 else (None, 0.0)


# --- language -----------------------------------------------------------------------------


def _language(lines: list[_Line]) -> str | None:
    words = Counter(w for line in lines for w in re.findall(r"[A-Z]+", line.key))
    polish = sum(words[w] for w in _POLISH_WORDS)
    polish += sum(len(re.findall(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]", line.text)) for line in lines) // 3
    english = sum(words[w] for w in _ENGLISH_WORDS)
    if polish == english:
        return None
    return "pl" if polish > english else "en"
