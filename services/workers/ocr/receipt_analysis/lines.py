"""Each receipt line in its three forms (text, numeric, key), the money amount a line ends
with, and the small helpers, patterns and value classes the field modules share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
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

_CURRENCY_WORD = re.compile(r"\s*(PLN|ZŁ|ZL|GBP|EUR|USD|MYR|RM)\.?\s*$", re.IGNORECASE)
# Every amount on a line: "RM 33.92", "-RM 0.02", "0.02-", "1,007.50", "9. 65", "$8.20";
# not a percentage, a date ("12.01.19") or a time with seconds.
_MONEY = re.compile(
    r"(?P<neg>-)?\s?(?:RM|MYR|[£$€])?\s?(?<![\d.,])"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+(?=[.,]\s?\d{2}\b)|\d{1,6})"
    r"\s?[.,]\s?(?P<dec>\d{2})(?![\d%]|\s?%|[.,:]\d)(?P<trail>-)?"
)
# A currency glued to its figures ("RM33.90", "RMO.00"): the figures are read on their own.
_GLUED_CURRENCY = re.compile(r"^(-?)(RM|MYR|PLN|[£$€])(?=\S)", re.IGNORECASE)
_TRIM = " |!_~\u2014\u2013-,'*•:;=<>«»`\"^"  # stray marks OCR puts at line ends

_CARD = re.compile(r"\b(KART[AYEĄ]?|CARD|VISA|MASTERCARD|MAESTRO|AMEX|CONTACTLESS|DEBIT|"
                   r"CREDIT|BEZGOTOWKOW\w*|ZBLIZENIOW\w*)\b")
_CASH = re.compile(r"\b(GOTOWKA|GOTOWKI|CASH)\b")
_CHANGE = re.compile(r"\b(RESZTA|CHANGE)\b")

_VAT_NUMBER_WORD = re.compile(r"\bVAT\s*(NO|NUMBER|REG|REG NO|ID|#)\b|\bVAT\s*:|\bVAT\s+(?=\S*\d)")


@dataclass(frozen=True)
class _Line:
    text: str  # as recognised, whitespace collapsed
    num: str  # same length as text; digit lookalikes inside number-like tokens made digits
    key: str  # upper-case ASCII, digits inside words made letters: for keyword matching
    confidence: float = 100.0  # Tesseract's mean word confidence on the line, 0..100


@dataclass(frozen=True)
class _Item:
    name: str
    amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    tax_class: str | None = None
    confidence: float = 0.8
    computed: Decimal | None = None  # quantity x unit price, when it disagrees with amount


# --- line forms ---------------------------------------------------------------------------


def _line(raw: str, confidence: float = 100.0) -> _Line:
    text = " ".join(raw.split())
    return _Line(text=text, num=_numeric(text), key=_keyform(text), confidence=confidence)


def _numeric(text: str) -> str:
    """Digit lookalikes become digits, but only in tokens that are mostly digits already."""
    return re.sub(r"\S+", lambda m: _numeric_token(m.group()), text)


def _numeric_token(token: str) -> str:
    glued = _GLUED_CURRENCY.match(token)
    if glued and len(token) > glued.end():
        return token[: glued.end()] + _numeric_token(token[glued.end():])
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


def _amounts(line: _Line) -> list[Decimal]:
    """Every money amount on the line, left to right; "0.02-" and "-RM 0.02" are negative."""
    found = []
    for match in _MONEY.finditer(line.num):
        integer = re.sub(r"[,.]", "", match.group("int"))
        negative = bool(match.group("neg") or match.group("trail"))
        found.append(_decimal(integer, match.group("dec"), negative))
    return found


# --- names and commonly confused digits ---------------------------------------------------


def _clean_name(text: str) -> str:
    """Without stray marks, and without figures misread into the name ("Mleko 1L 2.2,09")."""
    name = re.split(r"[£$€]", text)[0].strip(_TRIM)  # no product name holds a "£"
    while re.search(r"\s[\d.,*x=:;]*[.,*=:;][\d.,*x=:;]*$", name):
        name = re.sub(r"\s[\d.,*x=:;]*[.,*=:;][\d.,*x=:;]*$", "", name).strip(_TRIM)
    return " ".join(name.split())


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


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
