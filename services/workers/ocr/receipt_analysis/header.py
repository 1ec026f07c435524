"""The header and where it ends: merchant, address, tax id (NIP or VAT number), date and
time; and the language of the whole receipt."""

from __future__ import annotations

import re
from collections import Counter

from services.workers.ocr.receipt_analysis.dates import _DATE_WORD, _TIME, _find_date
from services.workers.ocr.receipt_analysis.lines import (
    _CARD,
    _CASH,
    _CHANGE,
    _VAT_NUMBER_WORD,
    _clean_name,
    _letters,
    _Line,
    _line,
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

_PL_POSTCODE = re.compile(r"(?<![\d-])\d{2}\s?-\s?\d{3}(?![\d-])")
# "SW1A 1AA"; OCR may turn one of the digits into I or O, not both ("KIOSK" is no postcode).
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z0-9]?\s?[0-9IO][A-Z]{2}\b|"
                          r"\b[A-Z]{1,2}[0-9IO][A-Z0-9]?\s?\d[A-Z]{2}\b")
_STREET = re.compile(
    r"^(UL|AL|PL|OS|ULICA|ALEJA|PLAC|OSIEDLE)\b\.?|"
    r"\b(STREET|ST|ROAD|RD|LANE|LN|AVENUE|AVE|SQUARE|SQ|WAY|DRIVE|DR|PLACE|CLOSE|COURT|HILL|"
    r"ROW|TERRACE|CRESCENT|PARADE|WALK|GARDENS?|BROADWAY|HIGH)\b|"
    r"\b(JALAN|JLN|LORONG|LOT|TAMAN|KAWASAN|PERSIARAN|LEBUH|SEKSYEN|LEVEL|FLOOR|BLOK)\b|"
    r"^\W*NO\W*\d|\b\d{5}\s+[A-Z]"
)
_PHONE = re.compile(r"\b(TEL|TELEFON|PHONE|FAX)\b|^\+?[\d ()-]{9,}$")
_WEB = re.compile(r"WWW\.|HTTP|@|\.(PL|COM|CO\.UK)\b")
_PARAGON = re.compile(r"PARAGON|FISKALN")
# Legal forms of a business name (OCR reads "SDN BHD" as "SON BHD", "SDS BHD", "SIN BHD").
_COMPANY_FORM = re.compile(
    r"\bS[DOI0][NMHY]\.?\s?B[HN][DOU0]\b|\bS\W?B\b|\bBHD\b|\bBERHAD\b|ENTERPRISE|TRADING|"
    r"\b(LTD|LIMITED|LLC|LLP|INC|PLC|GMBH|CORP|COMPANY)\b|\bSP\.?\s?Z\s?O\.?\s?O\b|"
    r"\bS\.?A\.?$|\bS\.C\.|\bP\.?H\.?U\b|\bCO\.?\s?\(M\)"
)
# A registration number line under the name: "(81109-A)", "CO.REG :933109-X", "002043319-W".
_REGISTRATION = re.compile(r"^\W*\(?\s*\d{4,12}\s?(-\s?[A-Z0-9]|[A-Z]\s?\))\W*$|CO\W*RE[GY]|"
                           r"COMPANY\s*(NO|REG)|\bCO\.?\s*NO\b")
_TAX_NUMBER_WORD = re.compile(r"\b(GST|SST|TAX)\s*(ID|REG|NO|NUMBER)")
_REG_NUMBER = re.compile(r"\(?\s*\d{5,12}\s?-\s?[A-Z]\s?\)|\(\d{5,12}\s?[A-Z]\)")
_REG_SUFFIX = re.compile(r"\s*[(\[]?\s*(CO\W*(NO|REG)\W*)?[\w.:]*\d{4,}\s?-?\s?[A-Za-z0-9]?"
                         r"\s?[)\]]?[\s*|.]*$", re.IGNORECASE)
_SHOP_WORD = re.compile(r"\b(RESTORAN|RESTAURANT|KEDAI|STORE|MART|MARKET|SHOP|HARDWARE|"
                        r"STATIONERY|BAKER\w*|CAFE|COFFEE|PHARMACY|PETROL|SKLEP|PIEKARNIA|"
                        r"DELIKATESY|APTEKA|GROCER\w*|DELI|BOOK)\b")
_OWNER = re.compile(r"OWNED BY|OPERATED BY|LICENSEE|FRANCHISE|A MEMBER OF|\bBY\W*$")
_MERCHANT_LINES = 10  # the name is printed near the top
_FORM_SCORE, _ANCHOR_SCORE = 3.0, 2.0
_CLEAR_PRINT = 55.0  # mean word confidence below this: not clearly printed
_FAINT_PRINT = 40.0
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
    """The business's name: a line with a company form ("SDN BHD", "SP. Z O.O.", "LTD") or
    right above the registration number scores highest, then an early, clearly printed,
    name-like line. A name broken over two lines is joined."""
    scored = [(_merchant_score(lines, i), i) for i in range(min(len(lines), _MERCHANT_LINES))
              if _is_merchant_candidate(lines[i])]
    if not scored:
        return None, 0.0
    score, index = max(scored, key=lambda pair: (pair[0], -pair[1]))
    name = _clean_merchant(_joined_name(lines, index))
    if not name:
        return None, 0.0
    if score >= _FORM_SCORE + _ANCHOR_SCORE - 1:
        return name, 0.9
    return name, 0.8 if score >= _ANCHOR_SCORE - 1 else 0.5


def _merchant_score(lines: list[_Line], index: int) -> float:
    line = lines[index]
    score = -0.2 * index
    if _COMPANY_FORM.search(line.key):
        score += _FORM_SCORE
    following = lines[index + 1] if index + 1 < len(lines) else None
    if (following is not None and _REGISTRATION.search(following.key)) or _REG_NUMBER.search(
            line.key):
        score += _ANCHOR_SCORE
    if _SHOP_WORD.search(line.key):
        score += 1.0
    if line.confidence < _CLEAR_PRINT:
        score -= 3.0  # handwriting, a stamp, a logo read as letters
    if index > 0 and (_OWNER.search(lines[index - 1].key) or _OWNER.search(line.key)):
        score -= 5.0  # "Owned by: SANYU SUPPLY SDN BHD" under the shop's own name
    return score


def _joined_name(lines: list[_Line], index: int) -> str:
    """The line, with the lines above while the name began there ("AIK HUAT HARDWARE" /
    "ENTERPRISE (SETIA" / "ALAM) SDN BHD"), and the line below when it goes on ("HOME
    MASTER HARDWARE &" / "ELECTRICAL")."""
    parts = [lines[index].text]
    for above in reversed(lines[max(0, index - 2): index]):
        first = _line(parts[0])
        # A name cut mid-parenthesis is joined even when its first part read less clearly.
        cut = _open_ended(above.text) and _begins_inside(first)
        if not (_joinable(above, clarity=_FAINT_PRINT if cut else _CLEAR_PRINT)
                and (_open_ended(above.text) or not _complete(first))):
            break
        parts.insert(0, above.text)
    below = lines[index + 1] if index + 1 < len(lines) else None
    if below is not None and _open_ended(parts[-1]) and _is_merchant_candidate(below):
        parts.append(below.text)
    return " ".join(parts)


def _joinable(line: _Line, *, clarity: float) -> bool:
    """Printed clearly enough, name-like, and not a note in small letters."""
    if not _is_merchant_candidate(line) or line.confidence < clarity:
        return False
    return sum(c.islower() for c in line.text) <= 0.7 * max(1, _letters(line.text))


def _complete(line: _Line) -> bool:
    """A whole name by itself: it has a company form and does not begin mid-name."""
    return (bool(_COMPANY_FORM.search(line.key)) and not _begins_inside(line)
            and not _open_ended(line.text))


def _begins_inside(line: _Line) -> bool:
    """"ALAM) SDN BHD", "ENTERPRISE (SETIA": the rest of a name begun on the line above."""
    return bool(re.match(r"^\W*\w*\)", line.text)
                or _COMPANY_FORM.match(line.key.lstrip(" |'\"-")))


def _open_ended(text: str) -> bool:
    stripped = text.rstrip(" |")
    return stripped.endswith(("&", "-", ",")) or stripped.count("(") > stripped.count(")")


def _clean_merchant(text: str) -> str | None:
    """Without the registration number printed beside it and stray marks around it."""
    text = _REG_SUFFIX.sub("", re.sub(r"(\s+(\S|[\W_]+))+$", "", text))
    text = re.sub(r"^[^\w(#]+|^#\d+\s+", "", text)
    name = _clean_name(re.sub(r"\s[|]\s", " ", text))
    return name or None


def _is_merchant_candidate(line: _Line) -> bool:
    key = line.key
    name = _clean_merchant(line.text) or ""
    visible = [c for c in name if not c.isspace()]
    if _letters(name) < 3 or _letters(name) < 0.6 * len(visible):
        return False  # noise such as "—— i" or "ph"
    unwanted = (_PARAGON, _NIP_WORD, _VAT_NUMBER_WORD, _PHONE, _WEB, _STREET,
                _PL_POSTCODE, _UK_POSTCODE, _REGISTRATION, _TAX_NUMBER_WORD)
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
