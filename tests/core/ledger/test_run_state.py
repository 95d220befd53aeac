"""Ledger semantics (SPEC §8) on SQLite and PostgreSQL: cumulative runs, --commit, idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customs_engine.core.models import Function
from customs_engine.core.registry import SqlRegistry
from customs_engine.testing import rules_of
from tests.core.helpers import authorisation, boe, engine, igm, item, with_licence

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request):  # type: ignore[no-untyped-def]
    registry = SqlRegistry.open(request.getfixturevalue(request.param))
    registry.replace_records([authorisation(quantity="100", value="1000000.00")], "test")
    yield registry
    registry.close()


def bill(message_id: str, quantity: int, *, licence: str = "AUTH-1"):  # type: ignore[no-untyped-def]
    return boe(
        message_id=message_id,
        items=[
            with_licence(licence, quantity=Decimal(quantity), value_inr=Decimal(quantity * 10000))
        ],
    )


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
    # BE-3 is rejected, so it will not be filed: it is not a use of the authorisation
    assert store.uses("TESTAUTH", "AUTH-1") == ["BE-1", "BE-2"]


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
    changed = run_of(store, commit=True).validate_message(bill("BE-1", 40))  # new content
    assert rules_of(changed)["CORE-DOC-001"] == "reject"  # an original again: not an amendment
    assert debited(changed) == 0 and store.debited("TESTAUTH", "AUTH-1")[0] == 60
    amended = run_of(store, commit=True).validate_message(
        bill("BE-1", 40).model_copy(update={"function": Function.AMENDMENT})
    )
    # the amendment replaces the original: 60 credited back, 40 debited
    assert debited(amended) == 40 and store.debited("TESTAUTH", "AUTH-1")[0] == 40


def test_commit_time_recheck_refuses_what_another_process_took(store) -> None:  # type: ignore[no-untyped-def]
    slow = run_of(store, commit=True)  # its snapshot and balance reads happen before...
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


def test_a_commit_reports_the_balance_it_left_not_the_one_it_read(store) -> None:  # type: ignore[no-untyped-def]
    """Concurrent committers each reported the balance read before taking the lock: four
    Bills of Entry of 10 against 40 all said 30 left (the ledger itself was right)."""
    slow = run_of(store, commit=True)
    fast = run_of(store, commit=True)
    committing = slow.run.commit

    def fast_commits_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        fast_use = fast.validate_message(bill("BE-FAST", 30)).authorisations[0]
        assert fast_use.remaining_quantity == 70
        return committing(*args, **kwargs)

    slow.run.commit = fast_commits_first  # slow has read the balance (100), fast commits, then slow
    covered = slow.validate_message(bill("BE-SLOW", 40))
    (use,) = covered.authorisations
    assert use.debited_quantity == 40
    assert (use.remaining_quantity, use.remaining_value) == (30, Decimal("300000.00"))
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 70
    # a re-submission replays the answer as committed, not as first read
    again = run_of(store, commit=True).validate_message(bill("BE-SLOW", 40))
    assert again.authorisations[0].remaining_quantity == 30


def amending(message_id: str, quantity: int, function: Function = Function.AMENDMENT):  # type: ignore[no-untyped-def]
    return bill(message_id, quantity).model_copy(update={"function": function})


def test_a_messages_reads_of_the_ledger_are_of_one_moment(store) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL's READ COMMITTED gave each read of a message its own moment: a document's
    holdings read before another amendment of it committed and the balance read after it were
    added up (100 - 92 + 68 left, a balance the ledger never held)."""
    run_of(store, commit=True).validate_message(bill("BE-1", 60))
    with store.reading_together() as reader:
        held = reader.holdings("BE-1")
        assert debited(run_of(store, commit=True).validate_message(amending("BE-1", 90))) == 90
        assert reader.debited("TESTAUTH", "AUTH-1")[0] == 60  # as when the holdings were read
        assert reader.holdings("BE-1") == held
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 90


def committing_first(slow, *messages):  # type: ignore[no-untyped-def]
    """``slow`` commits after another run has committed ``messages`` (it checked its message
    before they were committed)."""
    other = run_of(slow.run.store, commit=True)
    committing = slow.run.commit

    def others_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        for message in messages:
            assert other.validate_message(message).status != "rejected"
        return committing(*args, **kwargs)

    slow.run.commit = others_first


@pytest.mark.parametrize(
    ("meanwhile", "rule", "left"),
    [
        # the document was cancelled, another debited 20: not 30 + 70 (as if it still held 60)
        ([amending("BE-1", 60, Function.CANCELLATION), bill("BE-2", 20)], "CORE-DOC-003", 80),
        # another debited 35: the 65 the amendment could have had is the finding's; the ledger
        # holds 5 (not 65, as if the version it would replace were released)
        ([bill("BE-2", 35)], "TESTAUTH-BAL-001", 5),
    ],
)
def test_an_amendment_refused_under_the_lock_reports_the_balance_the_ledger_holds(  # type: ignore[no-untyped-def]
    store, meanwhile, rule: str, left: int
) -> None:
    run_of(store, commit=True).validate_message(bill("BE-1", 60))
    slow = run_of(store, commit=True)
    committing_first(slow, *meanwhile)
    refused = slow.validate_message(amending("BE-1", 70))
    assert rules_of(refused)[rule] == "reject"
    (use,) = refused.authorisations
    assert (use.debited_quantity, use.remaining_quantity) == (0, left)
    assert use.remaining_value == Decimal(left * 10000)
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 100 - left  # nothing of it written
    if rule == "TESTAUTH-BAL-001":  # what the claim could have had, the replaced 60 released
        assert "65 NOS" in next(f.message for f in refused.findings if f.rule == rule)


def unfileable(message_id: str, quantity: int):  # type: ignore[no-untyped-def]
    """A bill whose claim the balance covers but which another rule rejects (importer IEC)."""
    changed = bill(message_id, quantity).model_dump()
    changed["importer"]["iec"] = "0000000000"
    return boe(**{k: v for k, v in changed.items() if k != "kind"})


def test_a_bill_rejected_for_another_reason_debits_nothing() -> None:
    run = engine([authorisation(quantity="100", value="1000000.00")])
    rejected = run.validate_message(unfileable("BE-1", 60))
    assert rejected.status == "rejected" and "TESTAUTH-BAL-001" not in rules_of(rejected)
    (use,) = rejected.authorisations
    assert (use.debited_quantity, use.remaining_quantity) == (0, 100)
    # the next bill sees the whole balance: 100 fits only because BE-1 took nothing
    accepted = run.validate_message(bill("BE-2", 100))
    assert "TESTAUTH-BAL-001" not in rules_of(accepted)
    assert accepted.authorisations[0].remaining_quantity == 0


def test_a_shortfall_on_one_line_debits_no_line_of_the_bill() -> None:
    run = engine([authorisation(quantity="100", value="1000000.00")])
    licences = [{"scheme": "TESTAUTH", "number": "AUTH-1"}]
    two_lines = boe(
        message_id="BE-1",
        items=[
            item(number=1, quantity=Decimal(60), value_inr=Decimal(600000), licences=licences),
            item(number=2, quantity=Decimal(50), value_inr=Decimal(500000), licences=licences),
        ],
    )
    response = run.validate_message(two_lines)
    assert rules_of(response)["TESTAUTH-BAL-001"] == "reject"
    shortfall = next(f for f in response.findings if f.rule == "TESTAUTH-BAL-001")
    assert shortfall.item == 2 and "40 NOS" in shortfall.message  # after line 1's 60
    # nothing debited; each use shows the balance as it stands
    assert [
        (u.item, u.debited_quantity, u.remaining_quantity) for u in response.authorisations
    ] == [(1, 0, 100), (2, 0, 100)]
    assert debited(run.validate_message(bill("BE-2", 100))) == 100


def test_a_rejected_bill_is_not_committed(store) -> None:  # type: ignore[no-untyped-def]
    run = run_of(store, commit=True)
    run.validate_message(unfileable("BE-1", 60))
    run.validate_message(bill("BE-2", 101))  # beyond the balance: rejected too
    assert store.debited("TESTAUTH", "AUTH-1") == (0, 0)
    assert store.uses("TESTAUTH", "AUTH-1") == []
    # fixed and filed again, it debits
    assert debited(run_of(store, commit=True).validate_message(bill("BE-1", 60))) == 60
    assert store.uses("TESTAUTH", "AUTH-1") == ["BE-1"]


def test_one_message_asks_the_store_each_question_once_and_the_next_asks_again(
    store: SqlRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The noting, arrival and rate-date checks each look for the IGM a Bill of Entry is noted
    against, and a replay is looked for twice: the store is asked once per message (every
    call is a transaction), and afresh for the next message, which must see what was committed
    in between."""
    run_of(store, commit=True).validate_message(igm())
    asked: list[tuple[str, str]] = []
    for name in ("find_manifests", "committed_uses"):
        real = getattr(SqlRegistry, name)  # a message's reads use the store on one connection

        def counting(self, *args, _name=name, _real=real):  # type: ignore[no-untyped-def]
            asked.append((_name, args[0]))
            return _real(self, *args)

        monkeypatch.setattr(SqlRegistry, name, counting)
    run = run_of(store, commit=True)
    first = run.validate_message(bill("BE-1", 10))
    assert rules_of(first, "CORE-BOE-NOTE") == {}  # noted against the stored IGM
    assert sorted(name for name, _ in asked) == ["committed_uses", "find_manifests"]
    assert ("find_manifests", "2234567") in asked
    asked.clear()
    run.validate_message(bill("BE-2", 10))
    assert [name for name, _ in sorted(asked)] == ["committed_uses", "find_manifests"]


@pytest.mark.parametrize("commit", [False, True])
def test_one_message_reads_the_store_on_one_connection(store: SqlRegistry, commit: bool) -> None:
    """A message's completion asks the ledger several questions (its IGM, its replay, its
    document, each licence's balance and uses): one connection checked out for all of them (a
    check-out, BEGIN and ROLLBACK each cost more than SQLite takes to answer), and one more for
    the commit."""
    from sqlalchemy import event

    run_of(store, commit=True).validate_message(igm())
    run = run_of(store, commit=commit)
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    event.listen(store.engine, "checkout", checked_out)
    try:
        response = run.validate_message(bill("BE-1", 10))
    finally:
        event.remove(store.engine, "checkout", checked_out)
    assert rules_of(response, "CORE-BOE-NOTE") == {}  # it did read the stored IGM
    assert debited(response) == 10  # and the licence's balance
    assert len(checkouts) == (2 if commit else 1)
