"""Real scanned receipts (ICDAR 2019 SROIE, in the team folder ../shared/data/receipts-sroie)
and the scoring their README suggests: total exact after stripping currency and thousands
separators, date equal as a calendar date (either reading of a numeric date), merchant by a
fuzzy ratio of at least 0.8 in upper case.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from tests.support.stack import REPO_ROOT

FIELDS = ("total", "date", "merchant")
MERCHANT_RATIO = 0.8
_MONTHS = {name: number for number, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


@dataclass(frozen=True)
class Case:
    receipt_id: str
    image_path: Path
    truth: dict[str, str]  # company, date, address, total: as printed


def data_dir() -> Path:
    """The team folder beside the checkout (CI lays a copy of it there too)."""
    override = os.environ.get("CONVEYOR_SROIE_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared/data/receipts-sroie"


def load_cases(ids: list[str] | None = None) -> list[Case]:
    folder = data_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"the real receipts are not at {folder}; set CONVEYOR_SROIE_DIR")
    wanted = ids or sorted(path.stem for path in folder.glob("*.json"))
    return [Case(receipt_id=rid, image_path=folder / f"{rid}.jpg",
                 truth=json.loads((folder / f"{rid}.json").read_text()))
            for rid in wanted]


def score(result: dict[str, Any], truth: dict[str, str]) -> dict[str, bool]:
    """Per field: right or not. A field whose truth is empty is right when nothing was read."""
    return {"total": _total_right(_value(result, "total"), truth["total"]),
            "date": _date_right(_value(result, "date"), truth["date"]),
            "merchant": _merchant_right(_value(result, "merchant"), truth["company"])}


def confidences(result: dict[str, Any]) -> dict[str, float]:
    return {field: float((result.get(field) or {}).get("confidence") or 0.0)
            for field in FIELDS}


def _value(result: dict[str, Any], field: str) -> str | None:
    value = (result.get(field) or {}).get("value")
    return None if value is None else str(value)


def normal_total(text: str) -> str:
    return re.sub(r"RM|MYR|\$|\s|,", "", text.upper())


def _total_right(read: str | None, truth: str) -> bool:
    if not truth.strip():
        return read is None
    return read is not None and normal_total(read) == normal_total(truth)


def _merchant_right(read: str | None, truth: str) -> bool:
    if read is None:
        return False
    a, b = (" ".join(text.upper().split()) for text in (read, truth))
    return SequenceMatcher(None, a, b).ratio() >= MERCHANT_RATIO


def _date_right(read: str | None, truth: str) -> bool:
    if read is None:
        return False
    try:
        found = date.fromisoformat(read)
    except ValueError:
        return False
    return found in truth_dates(truth)


def truth_dates(text: str) -> set[date]:
    """Every calendar date a printed date can mean (day-first and month-first)."""
    upper = text.upper().strip()
    named = re.search(r"(\d{1,2})\W*([A-Z]{3})[A-Z]*\W*(\d{2,4})|([A-Z]{3})[A-Z]*\W*(\d{1,2})"
                      r"\W+(\d{2,4})", upper)
    if named:
        day, month, year = ((named[1], named[2], named[3]) if named[1]
                            else (named[5], named[4], named[6]))
        return _dates([(int(day), _MONTHS.get(month, 0), _year(year))])
    numbers = re.findall(r"\d+", upper)
    if len(numbers) != 3:
        return set()
    first, second, third = numbers
    if len(first) == 4:
        return _dates([(int(third), int(second), int(first))])
    year = _year(third)
    return _dates([(int(first), int(second), year), (int(second), int(first), year)])


def _year(text: str) -> int:
    return int(text) + (2000 if len(text) == 2 else 0)


def _dates(triples: list[tuple[int, int, int]]) -> set[date]:
    found = set()
    for day, month, year in triples:
        try:
            found.add(date(year, month, day))
        except ValueError:
            continue
    return found
