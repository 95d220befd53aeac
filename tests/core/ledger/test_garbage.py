"""A message checked against a stored ledger leaves no cyclic garbage behind.

A run raises the collector's thresholds (its messages are acyclic and freed by reference
counting), so cycles made per message wait long for a collection: the ledger's look-ups once
left about 1,700 objects (300 KB) of them per message, and a 2,000-message run peaked at
1.4 GB. How much memory runs take is measured in ``benchmarks/``; this checks the cause.
"""

from __future__ import annotations

import gc
from decimal import Decimal

from customs_engine.core.registry import SqlRegistry
from tests.core.helpers import authorisation, boe, engine, igm, with_licence


def test_checking_a_bill_against_the_stored_ledger_makes_no_cycles(sqlite_url: str) -> None:
    store = SqlRegistry.open(sqlite_url)
    store.replace_records([authorisation(quantity="100")], "test")
    run = engine(registry=store.snapshot(), store=store, commit=True)
    run.validate_message(igm())

    def bill(n: int):  # type: ignore[no-untyped-def]
        return boe(
            message_id=f"BE-{n}",
            items=[with_licence("AUTH-1", quantity=Decimal(1), value_inr=Decimal(10000))],
        )

    run.validate_message(bill(0))  # first use: caches, compiled statements
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for n in range(1, 4):
            run.validate_message(bill(n))
        gc.collect()
        left = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        store.close()
    assert left < 300, f"{left} objects in cycles after three bills"  # was about 4,600
