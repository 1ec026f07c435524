"""Credit balances and ledger rows read straight from the test database, and a way to
run calls at the same moment."""

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from shared.credits import ledger
from shared.credits.models import CreditLedgerEntry
from shared.db import session_scope


def balance(user_id: int) -> tuple[int, int]:
    with session_scope() as session:
        found = ledger.get_balance(session, user_id)
        return found.available, found.reserved


def entries(user_id: int) -> list[tuple[int | None, str, int]]:
    with session_scope() as session:
        rows = session.scalars(select(CreditLedgerEntry)
                               .where(CreditLedgerEntry.user_id == user_id)
                               .order_by(CreditLedgerEntry.id))
        return [(row.job_id, row.entry_type.value, row.amount) for row in rows]


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released at once by a barrier; results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a ledger call hung"
    return outcomes
