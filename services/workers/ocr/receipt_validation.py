"""Plausibility checks on analysed receipt data: warnings for a person to look at.

Nothing here corrects the data: a mismatch may be an OCR misread or a real receipt quirk
(a discount line, a deposit), and only the reader of the photo can tell which.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

TOLERANCE = Decimal("0.01")
MAX_AGE = timedelta(days=3653)  # ~10 years: older receipts are rarely what users upload


def check_receipt(data: dict[str, Any], *, today: date) -> list[dict[str, str]]:
    """Warnings (code + message), never corrections: items vs total, tax lines, date
    plausibility, missing fields."""
    return [
        *_missing(data),
        *_items_against_total(data),
        *_taxes_against_total(data),
        *_date_plausibility(data, today),
    ]


def _warning(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _value(data: dict[str, Any], name: str) -> Any:
    field = data.get(name)
    return field.get("value") if isinstance(field, dict) else None


def _amount(text: Any) -> Decimal | None:
    """Amounts travel as strings ("12.50"); anything unreadable counts as absent."""
    if text is None:
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def _missing(data: dict[str, Any]) -> list[dict[str, str]]:
    warnings = []
    if _amount(_value(data, "total")) is None:
        warnings.append(_warning("TOTAL_MISSING", "No total amount was found on the receipt."))
    if _value(data, "date") is None:
        warnings.append(_warning("DATE_MISSING", "No purchase date was found on the receipt."))
    if _value(data, "merchant") is None:
        warnings.append(_warning("MERCHANT_MISSING", "No merchant name was found."))
    if not data.get("items"):
        warnings.append(_warning("NO_ITEMS", "No purchased items were found on the receipt."))
    return warnings


def _items_against_total(data: dict[str, Any]) -> list[dict[str, str]]:
    total = _amount(_value(data, "total"))
    amounts = [_amount(item.get("amount")) for item in data.get("items") or []]
    if total is None or not amounts or None in amounts:
        return []
    items_sum = sum((a for a in amounts if a is not None), Decimal("0"))
    if abs(items_sum - total) <= TOLERANCE:
        return []
    return [_warning("ITEMS_TOTAL_MISMATCH",
                     f"The items add up to {items_sum:.2f} but the total is {total:.2f} "
                     f"(a difference of {items_sum - total:+.2f}).")]


def _taxes_against_total(data: dict[str, Any]) -> list[dict[str, str]]:
    total = _amount(_value(data, "total"))
    taxes = [_amount(tax.get("amount")) for tax in data.get("taxes") or []]
    tax_sum = sum((t for t in taxes if t is not None), Decimal("0"))
    if total is None or not taxes or tax_sum <= total:
        return []
    return [_warning("TAX_EXCEEDS_TOTAL",
                     f"The tax lines add up to {tax_sum:.2f}, more than the total {total:.2f}.")]


def _date_plausibility(data: dict[str, Any], today: date) -> list[dict[str, str]]:
    text = _value(data, "date")
    if text is None:
        return []
    try:
        printed = date.fromisoformat(str(text))
    except ValueError:
        return [_warning("DATE_INVALID", f"The date {text!r} is not a valid date.")]
    if printed > today:
        return [_warning("DATE_IN_FUTURE", f"The date {printed} is after today ({today}).")]
    if today - printed > MAX_AGE:
        return [_warning("DATE_TOO_OLD", f"The date {printed} is more than 10 years ago.")]
    return []
