"""Property: whatever the order and sizes of bills, the committed ledger equals what the responses
said was debited, never exceeds the limit, and a replay of the whole run debits nothing new."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.core.registry import SqlRegistry
from tests.core.helpers import authorisation, boe, engine, with_licence

LIMIT = 50


def _bills(sizes: list[int]) -> list:  # type: ignore[type-arg]
    return [
        boe(
            message_id=f"BE-{n}",
            items=[with_licence("AUTH-1", quantity=Decimal(size), value_inr=Decimal(size * 1000))],
        )
        for n, size in enumerate(sizes)
    ]


def _run(store: SqlRegistry, sizes: list[int]) -> Decimal:
    run = engine(registry=store.snapshot(), store=store, commit=True)
    total = Decimal(0)
    for bill in _bills(sizes):
        response = run.validate_message(bill)
        total += sum((use.debited_quantity for use in response.authorisations), Decimal(0))
    return total


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=8))
def test_committed_ledger_matches_responses(sizes: list[int]) -> None:
    store = SqlRegistry.open("sqlite://")
    store.replace_records([authorisation(quantity=str(LIMIT), value="100000000.00")], "test")
    reported = _run(store, sizes)
    committed = store.debited("TESTAUTH", "AUTH-1")[0]
    assert committed == reported <= LIMIT
    # greedy in input order: a bill is debited exactly when it still fits
    expected = 0
    for size in sizes:
        if expected + size <= LIMIT:
            expected += size
    assert committed == expected
    assert _run(store, sizes) == reported  # replay reports the recorded debits...
    assert store.debited("TESTAUTH", "AUTH-1")[0] == committed  # ...and debits nothing new
    store.close()
