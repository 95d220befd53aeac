"""Ledger semantics (SPEC §8) on SQLite and PostgreSQL: cumulative runs, --commit, idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_helpers import authorisation, boe, engine, igm, rules_of, with_licence

from customs_engine.core.registry import SqlRegistry

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request):  # type: ignore[no-untyped-def]
    registry = SqlRegistry.open(request.getfixturevalue(request.param))
    registry.replace_records([authorisation(quantity="100", value="1000000.00")], "test")
    yield registry
    registry.close()


def bill(message_id: str, quantity: int, *, licence: str = "AUTH-1"):  # type: ignore[no-untyped-def]
    return boe(message_id=message_id, items=[with_licence(
        licence, quantity=Decimal(quantity), value_inr=Decimal(quantity * 10000))])


def debited(response) -> Decimal:  # type: ignore[no-untyped-def]
    return sum((use.debited_quantity for use in response.authorisations), Decimal(0))


def run_of(store: SqlRegistry, commit: bool):  # type: ignore[no-untyped-def]
    return engine(registry=store.snapshot(), store=store, commit=commit)


def test_cumulative_within_a_run_and_nothing_written_without_commit(store) -> None:  # type: ignore[no-untyped-def]
    run = run_of(store, commit=False)
    first = run.validate_message(bill("BE-1", 60))
    second = run.validate_message(bill("BE-2", 50))
    assert first.authorisations[0].remaining_quantity == 40
    assert rules_of(second)["TESTAUTH-BAL-001"] == "reject"
    assert second.authorisations[0].debited_quantity == 0
    run.validate_message(igm())
    assert store.debited("TESTAUTH", "AUTH-1") == (0, 0)
    assert store.find_manifests("2234567") == []
    # a second run starts from the committed state: everything is available again
    assert debited(run_of(store, commit=False).validate_message(bill("BE-2", 50))) == 50


def test_commit_persists_debits_and_igm(store) -> None:  # type: ignore[no-untyped-def]
    run = run_of(store, commit=True)
    run.validate_message(igm())
    first = run.validate_message(bill("BE-1", 60))
    assert first.authorisations[0].remaining_quantity == 40
    # within the run the committed debit is counted once, not twice
    assert debited(run.validate_message(bill("BE-2", 40))) == 40
    assert store.debited("TESTAUTH", "AUTH-1") == (100, Decimal("1000000.00"))
    later = run_of(store, commit=True)
    noted = later.validate_message(bill("BE-3", 1))
    assert rules_of(noted, "CORE-BOE-NOTE") == {}  # the stored IGM is found
    assert rules_of(noted)["TESTAUTH-BAL-001"] == "reject"
    assert store.uses("TESTAUTH", "AUTH-1") == ["BE-1", "BE-2", "BE-3"]


def test_resubmission_never_debits_twice(store) -> None:  # type: ignore[no-untyped-def]
    run_of(store, commit=True).validate_message(bill("BE-1", 60))
    again = run_of(store, commit=True).validate_message(bill("BE-1", 60))
    assert "TESTAUTH-BAL-001" not in rules_of(again)
    assert debited(again) == 60  # the recorded use is replayed
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 60
    same_run = run_of(store, commit=True)
    same_run.validate_message(bill("BE-1", 60))
    same_run.validate_message(bill("BE-1", 60))
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 60
    amended = run_of(store, commit=True).validate_message(bill("BE-1", 40))  # new content
    assert debited(amended) == 40 and store.debited("TESTAUTH", "AUTH-1")[0] == 100


def test_commit_time_recheck_refuses_what_another_process_took(store) -> None:  # type: ignore[no-untyped-def]
    slow = run_of(store, commit=True)   # its snapshot and balance reads happen before...
    fast = run_of(store, commit=True)
    assert debited(fast.validate_message(bill("BE-FAST", 70))) == 70
    # ... a debit it cannot see in its in-run tally; the store re-check must catch it
    original = store.debited
    store.debited = lambda scheme, number: (Decimal(0), Decimal(0))  # type: ignore[method-assign]
    try:
        refused = slow.validate_message(bill("BE-SLOW", 40))
    finally:
        store.debited = original  # type: ignore[method-assign]
    assert rules_of(refused)["TESTAUTH-BAL-001"] == "reject"
    assert refused.authorisations[0].debited_quantity == 0
    assert refused.authorisations[0].remaining_quantity == 30
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 70
    assert store.uses("TESTAUTH", "AUTH-1") == ["BE-FAST"]
