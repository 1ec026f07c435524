"""The totals block: total, subtotal, card amount and taxes; and the currency and payment
method."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.workers.ocr.receipt_analysis.items import _computed_choices, _sum
from services.workers.ocr.receipt_analysis.lines import (
    _CARD,
    _CASH,
    _CHANGE,
    _VAT_NUMBER_WORD,
    _amount_variants,
    _amounts,
    _Item,
    _letters,
    _Line,
    _money,
    _tail_amount,
)

# Labels of the amount a customer pays, strongest first. Which line a receipt calls its
# total varies: "TOTAL ROUNDED" below "TOTAL", "Total Amt Payable", "Nett Total", "DO ZAPŁATY".
_PAYABLE = re.compile(
    r"ROUNDED|FINAL\s?TOTAL|PAYABLE|TO BE PAID|AMOUNT DUE|BALANCE DUE|\bDUE\b|TO PAY|"
    r"GRAND TOTAL|NETT? TOTAL|ACCEPTED TOTAL|DO ZAPLATY|NALEZNOSC"
)
_INCLUSIVE = re.compile(r"\bINC|WITH (GST|VAT|TAX)|TOTAL AMOUNT")  # INCL., INCLUSIVE, INCLUDES
_TOTAL_WORD = re.compile(r"TOTAL|\b(SUMA|RAZEM)\b")
# Totals of something else: before tax, the tax itself, counts, savings, the tax table.
_NOT_TOTAL = re.compile(
    r"SUB\W?TOTAL|PODSUMA|EXCL|BEFORE|NETT? OF|\bQTY\b|QUANTITY|ITEM|SAVING|DISCOUNT|"
    r"\bDISC\b|POINTS|SUPPLIES|SUMA PTU|PTU|(GST|VAT|TAX)\s*(TOTAL|PAYABLE|AMOUNT|SUMMARY)|"
    r"TOTAL\s*(GST|VAT|TAX)\b|SERVICE|RABAT|OPUST|INCLUDED IN"
)
# Never the amount paid, whatever else the line says: "GST Payable", "Change Due",
# "TOTAL INCLUDES 6% GST 3.98".
_NOT_PAID = re.compile(r"\b(GST|VAT|TAX|PTU)\b\W*(PAYABLE|DUE)|CHANGE|CASH|TENDER|"
                       r"INCLUDES?\s*\d+\s?%\s*(GST|VAT|TAX)")
_SUBTOTAL_LABEL = re.compile(r"SUB\W?TOTAL|PODSUMA|SUMA CZESCIOWA")
_ROUNDING = re.compile(r"ROUND|ZAOKR")
_ADJUSTMENT = re.compile(r"ADJ|ROUNDING\s*:?\s*-?\s*(RM)?\s*0[.,]0")
_TENDERED = re.compile(r"\b(CASH|TENDERED|TENDER|PAID AMOUNT|PAYMENT|RECEIVED|GOTOWKA|"
                       r"WPLATA|TUNAI)\b")

# How much a label says "this is the total", and what each independent check adds.
_RANK_PAYABLE, _RANK_INCLUSIVE, _RANK_TOTAL, _RANK_SUBTOTAL = 5.0, 4.0, 3.0, 1.0
_CASH_MINUS_CHANGE, _CARD_PAID, _ROUNDED_FROM, _ITEMS_ADD_UP = 3.0, 2.5, 2.0, 1.5
_CASH_EXACT, _PRINTED_AGAIN = 1.0, 1.0
_MAX_ROUNDING = Decimal("0.05")  # Malaysian and Swiss rounding steps; Polish none


@dataclass(frozen=True)
class _Labelled:
    value: Decimal
    rank: float
    index: int  # the line's position: on a tie the later total (after rounding) wins


def _total(lines: list[_Line], items: list[_Item]) -> tuple[Decimal | None, float]:
    """The amount paid: labelled candidates, each scored by its label and by the checks
    that agree with it (cash minus change, a card payment, a rounding adjustment applied
    to another total, the items' sum, the same figure printed on another total line).
    The confidence says how many independent readings agree."""
    labelled = _labelled_totals(lines)
    checks = _checks(lines, labelled, items)
    values = {c.value for c in labelled} | set(checks)
    if not values:
        return None, 0.0
    rank = {v: max((c.rank for c in labelled if c.value == v), default=0.0) for v in values}
    last = {v: max((c.index for c in labelled if c.value == v), default=-1) for v in values}
    best = max(values, key=lambda v: (rank[v] + sum(checks.get(v, [])), rank[v], last[v]))
    return best, _confidence(rank[best], checks.get(best, []))


def _confidence(rank: float, checks: list[float]) -> float:
    if rank >= _RANK_TOTAL and checks:
        return 0.95 if len(checks) > 1 or rank >= _RANK_INCLUSIVE else 0.9
    if rank >= _RANK_TOTAL:
        return 0.75 if rank >= _RANK_INCLUSIVE else 0.65
    if checks:
        return 0.7 if len(checks) > 1 or max(checks) >= _CARD_PAID else 0.5
    return 0.4  # a subtotal alone


def _labelled_totals(lines: list[_Line]) -> list[_Labelled]:
    found = []
    for index, line in enumerate(lines):
        rank = _label_rank(line)
        amount = _single_amount(lines, index) if rank else None
        if amount is not None and amount > 0:
            found.append(_Labelled(amount, rank, index))
    return found


def _label_rank(line: _Line) -> float:
    key = line.key
    if _ROUNDING.search(key) and not re.search(r"ROUNDED", key):
        # "Rounding RM 72.75": the rounded total, its label cut short; an adjustment
        # line's own figure is a few cents and is read by _checks.
        amounts = _amounts(line)
        big = bool(amounts) and abs(amounts[-1]) > _MAX_ROUNDING * 2
        return _RANK_PAYABLE if big and not _ADJUSTMENT.search(key) else 0.0
    if _SUBTOTAL_LABEL.search(key):
        return _RANK_SUBTOTAL
    if _NOT_PAID.search(key):
        return 0.0
    if _PAYABLE.search(key):
        return _RANK_PAYABLE
    if not _TOTAL_WORD.search(key) or _NOT_TOTAL.search(key):
        return 0.0
    return _RANK_INCLUSIVE if _INCLUSIVE.search(key) else _RANK_TOTAL


def _single_amount(lines: list[_Line], index: int) -> Decimal | None:
    """The line's one amount (a tax-table row holds several: no total), else the next
    line's, when that line is only a figure."""
    amounts = _amounts(lines[index])
    if len(amounts) == 1:
        return abs(amounts[0])
    following = lines[index + 1] if index + 1 < len(lines) else None
    if not amounts and following is not None and _letters(following.text) < 3:
        after = _amounts(following)
        return abs(after[0]) if len(after) == 1 else None
    return None


def _checks(lines: list[_Line], labelled: list[_Labelled], items: list[_Item]
            ) -> dict[Decimal, list[float]]:
    """Figures that independent parts of the receipt confirm, with each check's weight."""
    checks: dict[Decimal, list[float]] = {}

    def add(value: Decimal | None, weight: float) -> None:
        if value is not None and value > 0:
            checks.setdefault(value, []).append(weight)

    tendered, change = _payment_amounts(lines)
    if tendered is not None and change is not None and tendered > change:
        add(tendered - change, _CASH_MINUS_CHANGE if change else _CASH_EXACT)
    elif tendered is not None and change is None:
        add(tendered, _CASH_EXACT)
    add(_card_amount(lines)[0], _CARD_PAID)
    for value in _rounded_totals(lines, labelled):
        add(value, _ROUNDED_FROM)
    if items:
        for value in {_sum(items), _sum(_computed_choices(items)[-1])}:
            add(value, _ITEMS_ADD_UP)
    values = [c.value for c in labelled if c.rank >= _RANK_TOTAL]
    for value in {v for v in values if values.count(v) > 1}:
        add(value, _PRINTED_AGAIN)
    return checks


def _payment_amounts(lines: list[_Line]) -> tuple[Decimal | None, Decimal | None]:
    """Cash handed over and change given back, as printed."""
    tendered = change = None
    for line in lines:
        amounts = _amounts(line)
        if len(amounts) != 1:
            continue
        if _CHANGE.search(line.key) and change is None:
            change = abs(amounts[0])
        elif (_TENDERED.search(line.key) and tendered is None
              and not _TOTAL_WORD.search(line.key)):
            tendered = abs(amounts[0])
    return tendered, change


def _rounded_totals(lines: list[_Line], labelled: list[_Labelled]) -> set[Decimal]:
    """A total plus (or minus: the sign is often lost) a printed rounding adjustment."""
    adjustments = {abs(a) for line in lines if _ROUNDING.search(line.key)
                   for a in _amounts(line) if 0 < abs(a) <= _MAX_ROUNDING}
    return {c.value + sign * step for c in labelled for step in adjustments
            for sign in (1, -1) if c.rank >= _RANK_TOTAL}


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
    value = total[0]
    if value is None or not items:
        return total
    if _sum(items) == value:
        return total  # the items' sum is one of the checks `_total` counted already
    verified = all(item.confidence >= 0.95 for item in items)
    if verified and _sum(items) in _amount_variants(value, 2):
        return _sum(items), 0.7
    return total


def _subtotal(lines: list[_Line]) -> tuple[Decimal | None, float]:
    for index, line in enumerate(lines):
        if _SUBTOTAL_LABEL.search(line.key):
            found = _single_amount(lines, index)
            if found is not None:
                return found, 0.9 if _amounts(line) else 0.75
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


# --- currency, payment --------------------------------------------------------------------


def _currency(lines: list[_Line], language: str | None) -> tuple[str | None, float]:
    """Printed symbols and codes vote ("£" read as "€" now and then); else the language."""
    votes: Counter[str] = Counter()
    for line in lines:
        upper = line.text.upper()
        votes["PLN"] += len(re.findall(r"\bPLN\b|\bZŁ\b|\d\s?ZŁ", upper))
        votes["GBP"] += upper.count("£") + len(re.findall(r"\bGBP\b", upper))
        votes["EUR"] += upper.count("€") + len(re.findall(r"\bEUR\b", upper))
        votes["USD"] += upper.count("$") + len(re.findall(r"\bUSD\b", upper))
        votes["MYR"] += len(re.findall(r"\bMYR\b|\bRM\s?-?\d|(?<![A-Z])RM\b", upper))
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
