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

from collections.abc import Sequence
from typing import Any

from services.workers.ocr.receipt_analysis.dates import Reread, _date
from services.workers.ocr.receipt_analysis.header import (
    _address,
    _header_end,
    _language,
    _merchant,
    _summary_start,
    _tax_id,
    _time,
)
from services.workers.ocr.receipt_analysis.items import _item_json, _items, _reconcile
from services.workers.ocr.receipt_analysis.lines import _field, _line, _money_field
from services.workers.ocr.receipt_analysis.totals import (
    _currency,
    _payment,
    _repair_total,
    _subtotal,
    _taxes,
    _total,
)


def analyse_receipt(text: str, *, line_confidences: Sequence[float] = (),
                    reread: Reread | None = None) -> dict[str, Any]:
    """OCR text of one receipt -> structured, JSON-serialisable data. `line_confidences`:
    Tesseract's mean confidence of each non-blank line, when known (a handwritten note
    above the printed name reads with little confidence). `reread`: the non-blank line at
    an index read again on its own, when the image is at hand (see `dates`)."""
    raw_lines = [raw for raw in text.splitlines() if raw.strip()]
    if len(line_confidences) != len(raw_lines):
        line_confidences = [100.0] * len(raw_lines)
    lines = [_line(raw, conf) for raw, conf in zip(raw_lines, line_confidences, strict=True)]
    top = _header_end(lines)
    bottom = _summary_start(lines, top)
    items = _items(lines[top:bottom])
    total = _total(lines[top:], items)
    items = _reconcile(items, total[0])
    total = _repair_total(total, items)
    language = _language(lines)
    return {
        "merchant": _field(*_merchant(lines)),
        "address": _field(*_address(lines[: max(top, 1)])),
        "tax_id": _field(*_tax_id(lines)),
        "date": _field(*_date(lines, reread)),
        "time": _field(*_time(lines)),
        "items": [_item_json(item) for item in items],
        "taxes": _taxes(lines[bottom:]),
        "subtotal": _field(*_money_field(_subtotal(lines[bottom:]))),
        "total": _field(*_money_field(total)),
        "currency": _field(*_currency(lines, language)),
        "payment_method": _field(*_payment(lines[bottom:])),
        "language": language,
    }
