"""All SQL on receipts."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.receipts.models import Receipt


def save_receipt(session: Session, *, job_id: int, user_id: int, data: dict[str, Any],
                 warnings: list[dict[str, str]], ocr_confidence: float | None) -> Receipt:
    """Insert the job's receipt, or replace it when a rerun of the job saves again."""
    receipt = session.scalars(select(Receipt).where(Receipt.job_id == job_id)).one_or_none()
    if receipt is None:
        receipt = Receipt(job_id=job_id, user_id=user_id)
        session.add(receipt)
    receipt.data = data
    receipt.warnings = {"items": warnings}
    receipt.ocr_confidence = ocr_confidence
    receipt.merchant = _field(data, "merchant")
    receipt.tax_id = _field(data, "tax_id")
    receipt.currency = _field(data, "currency")
    receipt.purchase_date = _as_date(_field(data, "date"))
    receipt.total = _as_decimal(_field(data, "total"))
    session.flush()
    return receipt


def receipt_of_job(session: Session, job_id: int) -> Receipt | None:
    return session.scalars(select(Receipt).where(Receipt.job_id == job_id)).one_or_none()


def _field(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    return value.get("value") if isinstance(value, dict) else value


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _as_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
