"""The totals block: total, subtotal, card amount and taxes; and the currency and payment
method."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

from services.workers.ocr.receipt_analysis.items import _computed_choices, _sum
from services.workers.ocr.receipt_analysis.lines import (
    _CARD,
    _CASH,
    _CHANGE,
    _VAT_NUMBER_WORD,
    _amount_variants,
    _Item,
    _letters,
    _Line,
    _money,
    _tail_amount,
)

_TOTAL_STRONG = re.compile(r"\b(DO ZAPLATY|AMOUNT DUE|BALANCE DUE|TO PAY|NALEZNOSC)\b")
_TOTAL_WEAK = re.compile(r"\b(SUMA|RAZEM|TOTAL|GRAND TOTAL)\b")
_NOT_TOTAL = re.compile(
    r"SUMA PTU|SUB\W?TOTAL|TOTAL (VAT|TAX|SAVING|DISCOUNT|ITEM|QTY)|(VAT|TAX) TOTAL|"
    r"SUMA RABAT|TENDERED|PODSUMA"
)
_SUBTOTAL = re.compile(r"SUB\W?TOTAL|PODSUMA|SUMA CZESCIOWA")


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
