"""Item lines (name, quantity x unit price, amount, tax class), and their reconciliation
with the printed total."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import product
from typing import Any

from services.workers.ocr.receipt_analysis.lines import (
    _TRIM,
    CENT,
    MILLI,
    _Amount,
    _amount_variants,
    _clean_name,
    _Item,
    _keyform,
    _letters,
    _Line,
    _money,
    _tail_amount,
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
_DISCOUNT = re.compile(r"\b(RABAT|OPUST|DISCOUNT|PROMOCJA|SAVING)\b")


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


def _item_json(item: _Item) -> dict[str, Any]:
    return {
        "name": item.name,
        "quantity": None if item.quantity is None else f"{item.quantity.quantize(MILLI):.3f}",
        "unit_price": _money(item.unit_price),
        "amount": _money(item.amount),
        "tax_class": item.tax_class,
        "confidence": item.confidence,
    }
