"""OCR text of one receipt -> merchant, date, items, taxes, total and the rest, as JSON data.

Pure text work: no database, no network. Every field comes with a confidence in 0..1 and is
None when it was not found; values are only ever read from the text (or, for an item whose
printed amount is unreadable, computed from its printed quantity and unit price), never made up.

Each line is looked at in three forms: the text as recognised (for names), a "numeric" form
where letters that OCR confuses with digits are turned into digits inside number-like tokens
(O->0, l->1, S->5...; same length, so positions carry over), and an upper-case ASCII "key"
form where digits inside words turn back into letters (5UMA -> SUMA), for keyword matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import product
from typing import Any

CENT = Decimal("0.01")
MILLI = Decimal("0.001")

# Letters OCR reads in place of digits, and digits it reads in place of letters.
_TO_DIGIT = str.maketrans("OoQDIl|!SsBZz", "0000111155822")
_TO_LETTER = str.maketrans("01528", "OISZB")
# Digits a dotted or slashed zero (common on thermal printers) and its neighbours turn into.
_CONFUSABLE = {"8": "06", "6": "08", "0": "86", "9": "0", "3": "8"}
_FOLD = str.maketrans("łŁđĐøØß", "lLdDoOs")

_AMOUNT_TAIL = re.compile(
    r"(?P<neg>-)?\s?[£$€]?\s?(?<![\d.,:;])(?P<int>\d{1,6})\s?[.,:;]\s?(?P<dec>\d{2})"
    r"(?:[\s:;.,'°]{0,2}(?P<cls>[A-Z0-9]?[A-Z]|[A-Z0-9])\b)?[^\w%]{0,3}$"
)
_MULTIPLY = re.compile(
    r"(?P<qty>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:szt\.?|kg|SZT\.?|KG)?\s*[x\u00d7*X@©Q«»°+]\s*[£$€]?\s*"
    r"(?P<unit>\d{1,6}[.,]\d{2})(?:\s*/\s*kg)?"
)
# "Qty 2 @ £1.25" with the "@" misread as anything short ("6", "e", "©").
_QTY_LINE = re.compile(
    r"^\W*\w?TY\.?\s*(?P<qty>\d{1,4}(?:[.,]\d{1,3})?)\s+(?:\S{1,2}\s+)?[£$€]?\s*"
    r"(?P<unit>\d{1,6}[.,]\d{2})", re.IGNORECASE
)
_CURRENCY_WORD = re.compile(r"\s*(PLN|ZŁ|ZL|GBP|EUR|USD)\.?\s*$", re.IGNORECASE)
_TRIM = " |!_~\u2014\u2013-,'*•:;=<>«»`\"^"  # stray marks OCR puts at line ends

_TOTAL_STRONG = re.compile(r"\b(DO ZAPLATY|AMOUNT DUE|BALANCE DUE|TO PAY|NALEZNOSC)\b")
_TOTAL_WEAK = re.compile(r"\b(SUMA|RAZEM|TOTAL|GRAND TOTAL)\b")
_NOT_TOTAL = re.compile(
    r"SUMA PTU|SUB\W?TOTAL|TOTAL (VAT|TAX|SAVING|DISCOUNT|ITEM|QTY)|(VAT|TAX) TOTAL|"
    r"SUMA RABAT|TENDERED|PODSUMA"
)
_SUBTOTAL = re.compile(r"SUB\W?TOTAL|PODSUMA|SUMA CZESCIOWA")
_SUMMARY = re.compile(
    r"\b(SUMA|RAZEM|TOTAL|SUB\W?TOTAL|DO ZAPLATY|AMOUNT DUE|BALANCE DUE|SPRZEDAZ\w*|OPODATK\w*|"
    r"PTU|PODATEK|KWOTA|NALEZNOSC|PODSUMA|TAX)\b|\bVAT\s*@?\s*\d"
)
_CARD = re.compile(r"\b(KART[AYEĄ]?|CARD|VISA|MASTERCARD|MAESTRO|AMEX|CONTACTLESS|DEBIT|"
                   r"CREDIT|BEZGOTOWKOW\w*|ZBLIZENIOW\w*)\b")
_CASH = re.compile(r"\b(GOTOWKA|GOTOWKI|CASH)\b")
_CHANGE = re.compile(r"\b(RESZTA|CHANGE)\b")
_DISCOUNT = re.compile(r"\b(RABAT|OPUST|DISCOUNT|PROMOCJA|SAVING)\b")

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
_VAT_NUMBER_WORD = re.compile(r"\bVAT\s*(NO|NUMBER|REG|REG NO|ID|#)\b|\bVAT\s*:|\bVAT\s+(?=\S*\d)")
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class _Line:
    text: str  # as recognised, whitespace collapsed
    num: str  # same length as text; digit lookalikes inside number-like tokens made digits
    key: str  # upper-case ASCII, digits inside words made letters: for keyword matching


@dataclass(frozen=True)
class _Item:
    name: str
    amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    tax_class: str | None = None
    confidence: float = 0.8
    computed: Decimal | None = None  # quantity x unit price, when it disagrees with amount


def analyse_receipt(text: str) -> dict[str, Any]:
    """OCR text of one receipt -> structured, JSON-serialisable data."""
    lines = [_line(raw) for raw in text.splitlines()]
    lines = [line for line in lines if line.text]
    top = _header_end(lines)
    bottom = _summary_start(lines, top)
    items = _items(lines[top:bottom])
    total = _total(lines[bottom:], items)
    items = _reconcile(items, total[0])
    total = _repair_total(total, items)
    language = _language(lines)
    return {
        "merchant": _field(*_merchant(lines[:top] or lines[:4])),
        "address": _field(*_address(lines[: max(top, 1)])),
        "tax_id": _field(*_tax_id(lines)),
        "date": _field(*_date(lines)),
        "time": _field(*_time(lines)),
        "items": [_item_json(item) for item in items],
        "taxes": _taxes(lines[bottom:]),
        "subtotal": _field(*_money_field(_subtotal(lines[bottom:]))),
        "total": _field(*_money_field(total)),
        "currency": _field(*_currency(lines, language)),
        "payment_method": _field(*_payment(lines[bottom:])),
        "language": language,
    }


# --- line forms ---------------------------------------------------------------------------


def _line(raw: str) -> _Line:
    text = " ".join(raw.split())
    return _Line(text=text, num=_numeric(text), key=_keyform(text))


def _numeric(text: str) -> str:
    """Digit lookalikes become digits, but only in tokens that are mostly digits already."""
    return re.sub(r"\S+", lambda m: _numeric_token(m.group()), text)


def _numeric_token(token: str) -> str:
    alnum = [c for c in token if c.isalnum()]
    digits = sum(c.isdigit() for c in alnum)
    if not digits or digits * 2 < len(alnum):
        return token
    # "5,98B": a letter right after two decimals is a tax class, not an 8.
    tail = token[-1] if re.search(r"[.,:;]\d{2}[A-Z]$", token) else ""
    body = token[: len(token) - len(tail)]
    return body.translate(_TO_DIGIT) + tail


def _keyform(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return re.sub(r"\S+", lambda m: _letter_token(m.group()), ascii_text)


def _letter_token(token: str) -> str:
    letters = sum(c.isalpha() for c in token)
    digits = sum(c.isdigit() for c in token)
    return token.translate(_TO_LETTER) if letters > digits else token


def _field(value: Any, confidence: float) -> dict[str, Any]:
    return {"value": value, "confidence": round(confidence, 2) if value is not None else 0.0}


def _decimal(integer: str, fraction: str, negative: bool = False) -> Decimal:
    value = Decimal(f"{integer}.{fraction}")
    return -value if negative else value


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(CENT):.2f}"


def _money_field(found: tuple[Decimal | None, float]) -> tuple[str | None, float]:
    return _money(found[0]), found[1]


# --- amounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    start: int  # where the amount starts in the line (its name, if any, is before)
    tax_class: str | None


def _tail_amount(line: _Line) -> _Amount | None:
    """The money amount a line ends with ("3,49A", "£12.50", "45,67 PLN", "5.98 B")."""
    num = _CURRENCY_WORD.sub("", line.num)
    match = _AMOUNT_TAIL.search(num)
    if not match:
        return None
    cls = match.group("cls")
    value = _decimal(match.group("int"), match.group("dec"), bool(match.group("neg")))
    tax_class = cls[-1] if cls and cls[-1].isalpha() else None
    return _Amount(value, match.start(), tax_class)


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


# --- items --------------------------------------------------------------------------------


def _items(lines: list[_Line]) -> list[_Item]:
    """Lines ending in an amount are items; a name alone on a line waits for its figures."""
    items: list[_Item] = []
    pending = ""
    for line in lines:
        figures = _multiply(line)
        amount = _tail_amount(line)
        if figures and _is_quantity_line(line, figures, amount):
            # "Qty 2 @ 1.25" belongs to the item above, or to a name whose amount was lost.
            if pending:
                items += filter(None, [_item_from_figures_only(figures, pending)])
            elif items:
                items[-1] = _with_figures(items[-1], figures)
            pending = ""
            continue
        item = _item(line, figures, amount, pending)
        if item:
            items.append(item)
            pending = ""
        elif _letters(line.text) >= 3:
            pending = _clean_name(line.text)
    return items


def _multiply(line: _Line) -> re.Match[str] | None:
    """"2 x3,49", "1,214 * 4,29", "Qty 2 @ £1.25", "0.650 kg @ £1.30/kg"."""
    return _MULTIPLY.search(line.num) or _QTY_LINE.search(line.num)


def _is_quantity_line(line: _Line, figures: re.Match[str], amount: _Amount | None) -> bool:
    """A quantity line for the item above it: "Qty 2 @ 1.25", with no amount of its own."""
    before = _keyform(line.text[: figures.start()]).strip(_TRIM)
    no_amount = amount is None or amount.start < figures.end("unit")
    return no_amount and (before in {"", "QTY"} or len(before) <= 3)


def _item(line: _Line, figures: re.Match[str] | None, amount: _Amount | None,
          pending: str) -> _Item | None:
    if _DISCOUNT.search(line.key) and amount:
        return _Item(_clean_name(line.text[: amount.start]), amount.value, confidence=0.7)
    if figures and (amount is None or amount.start < figures.end("unit")):
        name = _clean_name(line.text[: figures.start()]) or pending
        return _item_from_figures_only(figures, name)
    if amount is None:
        return None
    cut = figures.start() if figures else amount.start
    name = _clean_name(line.text[:cut]) or pending
    if _letters(name) < 2:
        return None
    item = _Item(name, amount.value, tax_class=amount.tax_class)
    return _with_figures(item, figures) if figures else item


def _item_from_figures_only(figures: re.Match[str], name: str) -> _Item | None:
    """Quantity and unit price were read, the amount was not: compute it, with less trust."""
    quantity, unit = _figures(figures)
    if _letters(name) < 2 or quantity is None or unit is None:
        return None
    amount = (quantity * unit).quantize(CENT, rounding=ROUND_HALF_UP)
    return _Item(name, amount, quantity, unit, confidence=0.5)


def _figures(figures: re.Match[str]) -> tuple[Decimal | None, Decimal | None]:
    try:
        quantity = Decimal(figures.group("qty").replace(",", "."))
        unit = Decimal(figures.group("unit").replace(",", "."))
    except InvalidOperation:
        return None, None
    return (quantity, unit) if quantity > 0 else (None, None)


def _with_figures(item: _Item, figures: re.Match[str]) -> _Item:
    """Quantity x unit price agreeing with the amount confirms the whole line."""
    quantity, unit = _figures(figures)
    if quantity is None or unit is None:
        return item
    computed = (quantity * unit).quantize(CENT, rounding=ROUND_HALF_UP)
    if computed == item.amount:
        return replace(item, quantity=quantity, unit_price=unit, confidence=0.95)
    return replace(item, quantity=quantity, unit_price=unit, confidence=0.55, computed=computed)


def _clean_name(text: str) -> str:
    """Without stray marks, and without figures misread into the name ("Mleko 1L 2.2,09")."""
    name = re.split(r"[£$€]", text)[0].strip(_TRIM)  # no product name holds a "£"
    while re.search(r"\s[\d.,*x=:;]*[.,*=:;][\d.,*x=:;]*$", name):
        name = re.sub(r"\s[\d.,*x=:;]*[.,*=:;][\d.,*x=:;]*$", "", name).strip(_TRIM)
    return " ".join(name.split())


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _reconcile(items: list[_Item], total: Decimal | None) -> list[_Item]:
    """Items that do not add up to the printed total: try quantity x unit price where it
    disagrees with the amount read, and one commonly misread digit in one unverified amount.
    Only a fix that makes the items add up is taken; otherwise the amounts stay as read."""
    if total is None or not items or _sum(items) == total:
        return items
    for trial in _computed_choices(items):
        if _sum(trial) == total:
            return trial
    for trial in _computed_choices(items):
        if fixed := _fix_one_digit(trial, total):
            return fixed
    return items


def _sum(items: list[_Item]) -> Decimal:
    return sum((item.amount for item in items), Decimal("0"))


def _computed_choices(items: list[_Item]) -> list[list[_Item]]:
    """Every way of replacing disputed amounts by quantity x unit price (as read first)."""
    doubtful = [i for i, item in enumerate(items) if item.computed is not None][:6]
    trials = []
    for choice in product((False, True), repeat=len(doubtful)):
        trial = list(items)
        for index, use in zip(doubtful, choice, strict=True):
            if use:
                trial[index] = replace(items[index], amount=items[index].computed or Decimal(0),
                                       confidence=0.7)
        trials.append(trial)
    return trials


def _fix_one_digit(items: list[_Item], total: Decimal) -> list[_Item] | None:
    missing = total - _sum(items)
    fixes = [(index, amount) for index, item in enumerate(items) if item.confidence < 0.95
             for amount in _amount_variants(item.amount, 1) if amount - item.amount == missing]
    if len(fixes) != 1:
        return None
    index, amount = fixes[0]
    fixed = list(items)
    fixed[index] = replace(items[index], amount=amount, confidence=0.6)
    return fixed


def _variants(digits: str, limit: int) -> set[str]:
    """Strings differing from `digits` in up to `limit` commonly confused digits."""
    found = {digits}
    for _ in range(limit):
        found |= {v[:i] + c + v[i + 1:] for v in found for i, ch in enumerate(v)
                  for c in _CONFUSABLE.get(ch, "")}
    found.discard(digits)
    return found


def _amount_variants(amount: Decimal, limit: int) -> set[Decimal]:
    return {Decimal(v) for v in _variants(f"{amount:.2f}", limit)}


def _item_json(item: _Item) -> dict[str, Any]:
    return {
        "name": item.name,
        "quantity": None if item.quantity is None else f"{item.quantity.quantize(MILLI):.3f}",
        "unit_price": _money(item.unit_price),
        "amount": _money(item.amount),
        "tax_class": item.tax_class,
        "confidence": item.confidence,
    }


# --- totals and taxes ---------------------------------------------------------------------


def _total(lines: list[_Line], items: list[_Item]) -> tuple[Decimal | None, float]:
    """The total line, outvoted only when other printed copies of the total (subtotal, card
    payment) agree with each other, or with the items, on a different figure."""
    candidates = [(_total_line(lines), 1.5), (_subtotal(lines), 1.0), (_card_amount(lines), 1.0)]
    votes: dict[Decimal, float] = {}
    for (value, _), weight in candidates:
        if value is not None:
            votes[value] = votes.get(value, 0.0) + weight
    if not votes:
        return None, 0.0
    # The items vote too, as read and with quantity x unit price where the two disagree.
    for value in {_sum(items), _sum(_computed_choices(items)[-1])} if items else set():
        if value in votes:
            votes[value] += 1.0
    best = max(votes, key=votes.__getitem__)  # on a tie the total line, counted first, wins
    confidence = next(conf for (value, conf), _ in candidates if value == best)
    return best, max(confidence, 0.95) if votes[best] >= 2.5 else confidence


def _total_line(lines: list[_Line]) -> tuple[Decimal | None, float]:
    """The "DO ZAPŁATY"/"AMOUNT DUE" line, else "SUMA"/"TOTAL"/"RAZEM"."""
    for pattern in (_TOTAL_STRONG, _TOTAL_WEAK):
        for index, line in enumerate(lines):
            if pattern.search(line.key) and not _NOT_TOTAL.search(line.key):
                found = _amount_here_or_next(lines, index)
                if found is not None:
                    return found
    return None, 0.0


def _amount_here_or_next(lines: list[_Line], index: int) -> tuple[Decimal, float] | None:
    amount = _tail_amount(lines[index])
    if amount:
        return amount.value, 0.9
    following = lines[index + 1] if index + 1 < len(lines) else None
    amount = _tail_amount(following) if following and _letters(following.text) < 3 else None
    return (amount.value, 0.75) if amount else None


def _card_amount(lines: list[_Line]) -> tuple[Decimal | None, float]:
    """A card payment pays exactly the total (cash handed over usually exceeds it)."""
    for line in lines:
        amount = _tail_amount(line)
        if amount and _CARD.search(line.key) and not _CASH.search(line.key):
            return amount.value, 0.6
    return None, 0.0


def _repair_total(total: tuple[Decimal | None, float],
                  items: list[_Item]) -> tuple[Decimal | None, float]:
    """Items each confirmed by quantity x unit price outweigh a total one or two commonly
    confused digits away from their sum; items adding up to the total confirm it."""
    value, confidence = total
    if value is None or not items:
        return total
    if _sum(items) == value:
        return value, min(0.97, confidence + 0.2)  # confirmed, but an inferred total stays so
    verified = all(item.confidence >= 0.95 for item in items)
    if verified and _sum(items) in _amount_variants(value, 2):
        return _sum(items), 0.7
    return total


def _subtotal(lines: list[_Line]) -> tuple[Decimal | None, float]:
    for index, line in enumerate(lines):
        if _SUBTOTAL.search(line.key):
            found = _amount_here_or_next(lines, index)
            if found:
                return found
    return None, 0.0


def _taxes(lines: list[_Line]) -> list[dict[str, Any]]:
    """"PTU A 23,00% 3,24", "KWOTA A 23%", "VAT 20% 2.08" (not "SUMA PTU", not "VAT NO")."""
    taxes = []
    for line in lines:
        label = _tax_label(line.key)
        amount = _tail_amount(line)
        if label is None or amount is None:
            continue
        rate = re.search(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%", line.num[: amount.start])
        taxes.append({"label": label, "rate": _rate(rate.group(1)) if rate else None,
                      "amount": _money(amount.value), "confidence": 0.85 if rate else 0.6})
    return taxes


def _tax_label(key: str) -> str | None:
    if re.search(r"SUMA PTU|PTU SUMA|TOTAL (VAT|TAX)|SPRZEDAZ|OPODATK", key):
        return None
    polish = re.search(r"\b(PTU|KWOTA|PODATEK)\s+([A-G])\b", key)
    if polish:
        return polish.group(2)
    if _VAT_NUMBER_WORD.search(key) and not re.search(r"VAT\s*@?\s*\d{1,2}([.,]\d+)?\s?%", key):
        return None
    english = re.search(r"\b(VAT|TAX|PTU)\b", key)
    return english.group(1) if english else None


def _rate(text: str) -> str:
    value = Decimal(text.replace(",", ".")).normalize()
    return f"{value:f}"


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


# --- currency, payment, language ----------------------------------------------------------


def _currency(lines: list[_Line], language: str | None) -> tuple[str | None, float]:
    """Printed symbols and codes vote ("£" read as "€" now and then); else the language."""
    votes: Counter[str] = Counter()
    for line in lines:
        upper = line.text.upper()
        votes["PLN"] += len(re.findall(r"\bPLN\b|\bZŁ\b|\d\s?ZŁ", upper))
        votes["GBP"] += upper.count("£") + len(re.findall(r"\bGBP\b", upper))
        votes["EUR"] += upper.count("€") + len(re.findall(r"\bEUR\b", upper))
        votes["USD"] += upper.count("$") + len(re.findall(r"\bUSD\b", upper))
    best, count = (votes.most_common(1) or [("", 0)])[0]
    if count:
        return best, 0.95 if count > 1 else 0.8
    inferred = {"pl": "PLN"}.get(language or "")
    return (inferred, 0.6) if inferred else (None, 0.0)


def _payment(lines: list[_Line]) -> tuple[str | None, float]:
    for line in lines:
        if _CARD.search(line.key):
            return "card", 0.9
        if _CASH.search(line.key):
            return "cash", 0.9
    if any(_CHANGE.search(line.key) and _tail_amount(line) for line in lines):
        return "cash", 0.7  # change given back means notes or coins were handed over
    return None, 0.0


def _language(lines: list[_Line]) -> str | None:
    words = Counter(w for line in lines for w in re.findall(r"[A-Z]+", line.key))
    polish = sum(words[w] for w in _POLISH_WORDS)
    polish += sum(len(re.findall(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]", line.text)) for line in lines) // 3
    english = sum(words[w] for w in _ENGLISH_WORDS)
    if polish == english:
        return None
    return "pl" if polish > english else "en"
