"""Amendments and re-submissions under concurrent committers and kill -9 (RULES §1.4, SPEC §8).

* 8 processes committing the same Bill of Entry at once: one commits, every other answers a replay
  (never the balance shortfall that a duplicate check taken before the row lock used to give);
* 8 processes amending and cancelling the same documents: the ledger always equals a serial replay
  of the messages it accepted, in the order it committed them;
* 6 processes amending one Bill of Entry at once, each to a quantity that fits once the version
  it replaces is released: every one is accepted and reports the limit less its own quantity;
* kill -9 of a committer amending one document over and over: the document holds exactly what its
  latest committed version debited, and the balance is the sum of its entries.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from customs_engine.core.models import BillOfEntry
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.tables import SubmissionRow
from tests.conftest import PROJECT
from tests.core.helpers import authorisation, boe, engine, with_licence

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
PROCESSES = 8
DOCUMENTS = 4
ROUNDS = 6


def bill(message_id: str, quantity: int, function: str = "original") -> BillOfEntry:
    return boe(
        message_id=message_id,
        function=function,
        items=[
            with_licence("AUTH-1", quantity=Decimal(quantity), value_inr=Decimal(quantity * 1000))
        ],
    )


def _same_bill(url: str, barrier: Any, answers: Any) -> None:
    store = SqlRegistry.open(url)
    run = engine(registry=store.snapshot(), store=store, commit=True)
    barrier.wait()
    response = run.validate_message(bill("BE-SAME", 30))
    answers.put(
        (
            response.status,
            [f.rule for f in response.findings],
            sum(use.debited_quantity for use in response.authorisations),
        )
    )
    store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_resubmission_is_answered_as_a_replay(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Issue 18 item 9."""
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    store.replace_records([authorisation(quantity="40", value="100000000.00")], "test")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    answers = context.Queue()
    workers = [
        context.Process(target=_same_bill, args=(url, barrier, answers)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = [answers.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    rejected = [result for result in results if result[0] == "rejected"]
    assert rejected == []
    assert all(not any(rule.endswith("BAL-001") for rule in rules) for _, rules, _ in results)
    assert all(debited == 30 for _, _, debited in results)  # each answer matches the ledger
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 30
    assert len(store.history("BE-SAME")) == 1
    store.close()


def _plan(worker: int) -> list[tuple[str, int, str]]:
    """A worker's messages: amendments of the shared documents, now and then a cancellation."""
    plan = []
    for step in range(ROUNDS):
        document = f"BE-D{(worker + step) % DOCUMENTS}"
        quantity = (worker * 7 + step * 11) % 37 + 1
        function = "cancellation" if (worker + step) % 9 == 8 else "amendment"
        plan.append((document, quantity, function))
    return plan


def _amend(url: str, worker: int) -> None:
    store = SqlRegistry.open(url)
    run = engine(registry=store.snapshot(), store=store, commit=True)
    for document, quantity, function in _plan(worker):
        run.validate_message(bill(document, quantity, function))
    store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_amendments_equal_a_serial_replay(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    store.replace_records([authorisation(quantity="100", value="100000000.00")], "test")
    setup = engine(registry=store.snapshot(), store=store, commit=True)
    for n in range(DOCUMENTS):
        setup.validate_message(bill(f"BE-D{n}", 10))
    context = multiprocessing.get_context("fork")
    with context.Pool(PROCESSES) as pool:
        pool.starmap(_amend, [(url, w) for w in range(PROCESSES)])
    with Session(store.engine) as session:
        accepted = [
            BillOfEntry.model_validate_json(body)
            for body in session.scalars(select(SubmissionRow.body).order_by(SubmissionRow.id))
        ]
    committed = store.debited("TESTAUTH", "AUTH-1")
    assert len(accepted) > DOCUMENTS  # some amendments got through
    # the serial replay, in commit order, accepts every one of them and ends at the same balance
    replay = engine([authorisation(quantity="100", value="100000000.00")])
    for message in accepted:
        response = replay.validate_message(message)
        assert response.status != "rejected", (message.message_id, response.findings)
    assert replay.run.debited("TESTAUTH", "AUTH-1") == committed
    assert Decimal(0) <= committed[0] <= 100
    # and each document holds what its latest version debited
    for n in range(DOCUMENTS):
        latest = store.document(f"BE-D{n}")
        assert latest is not None
        held = sum((q for q, _ in store.holdings(f"BE-D{n}").values()), Decimal(0))
        body = latest.model()
        assert isinstance(body, BillOfEntry)
        expected = Decimal(0) if latest.cancelled else body.items[0].quantity
        assert held == expected
    store.close()


AMENDER = """
import sys
sys.path.insert(0, {here!r})
from decimal import Decimal
from tests.core.helpers import boe, engine, with_licence
from customs_engine.core.registry import SqlRegistry

store = SqlRegistry.open({url!r})
run = engine(registry=store.snapshot(), store=store, commit=True)
for n in range({total}):
    run.validate_message(boe(message_id="BE-K", function="original" if n == 0 else "amendment",
                             items=[with_licence("AUTH-1", quantity=Decimal(n % 17 + 1),
                                                 value_inr=Decimal(1000 + n))]))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_amender_leaves_the_document_whole(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    store.replace_records([authorisation(quantity="100", value="100000000.00")], "test")
    store.close()
    script = tmp_path / "amender.py"
    script.write_text(AMENDER.format(here=str(PROJECT), url=url, total=400))
    process = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len(_versions(url)) >= 20:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    store = SqlRegistry.open(url)
    versions = store.history("BE-K")
    assert len(versions) >= 20
    latest = store.document("BE-K")
    assert latest is not None
    body = latest.model()
    assert isinstance(body, BillOfEntry)
    holdings = store.holdings("BE-K")
    assert [q for q, _ in holdings.values()] == [body.items[0].quantity]
    assert store.debited("TESTAUTH", "AUTH-1")[0] == body.items[0].quantity
    # each amendment wrote exactly one reversal and one debit; the original one debit
    assert [len(entries) for _, entries in versions] == [1] + [2] * (len(versions) - 1)
    store.close()


def _versions(url: str) -> list[int]:
    store = SqlRegistry.open(url)
    try:
        with Session(store.engine) as session:
            return list(session.scalars(select(SubmissionRow.id)))
    finally:
        store.close()


AMENDERS = 6
AMENDMENTS = 4


def _amend_one(url: str, worker: int, barrier: Any, answers: Any) -> None:
    """Amend BE-ONE again and again, each time to a quantity (61…95) that fits the limit of 100
    once the version it replaces is released."""
    holdings = SqlRegistry.holdings

    def slow_holdings(self: SqlRegistry, message_id: str) -> Any:
        # a pause after reading what the document holds, before its balance is read: time for
        # another amender to commit in between (each read saw its own moment on PostgreSQL)
        held = holdings(self, message_id)
        time.sleep(0.02)
        return held

    SqlRegistry.holdings = slow_holdings  # type: ignore[method-assign]  # this process only
    store = SqlRegistry.open(url)
    run = engine(registry=store.snapshot(), store=store, commit=True)
    barrier.wait()
    for step in range(AMENDMENTS):
        # in turn low (61…66) and high (90…95): replacing a low one by a high one, the balance
        # read after that commit and the holdings read before it leave too little for a high one
        quantity = (61, 90)[(worker + step) % 2] + worker % 6
        amendment = boe(
            message_id="BE-ONE",
            function="amendment",
            items=[  # each its own value: no amendment repeats another
                with_licence(
                    "AUTH-1",
                    quantity=Decimal(quantity),
                    value_inr=Decimal(quantity * 1000 + worker * AMENDMENTS + step),
                )
            ],
        )
        response = run.validate_message(amendment)
        answers.put(
            (
                quantity,
                response.status,
                [(f.rule, f.message) for f in response.findings],
                [(u.debited_quantity, u.remaining_quantity) for u in response.authorisations],
            )
        )
    store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_amendments_of_one_bill_each_release_the_version_they_replace(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Every amendment is checked against one balance with the version it replaces released
    (on PostgreSQL the balance and the document's holdings were read at two moments, so an
    amendment that fits was refused a balance the ledger never held), and each reports what
    the ledger held after its own commit: the limit less its own quantity."""
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    store.replace_records([authorisation(quantity="100", value="100000000.00")], "test")
    setup = engine(registry=store.snapshot(), store=store, commit=True)
    assert setup.validate_message(bill("BE-ONE", 60)).status != "rejected"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(AMENDERS)
    answers = context.Queue()
    workers = [
        context.Process(target=_amend_one, args=(url, w, barrier, answers)) for w in range(AMENDERS)
    ]
    for worker in workers:
        worker.start()
    results = [answers.get(timeout=120) for _ in range(AMENDERS * AMENDMENTS)]
    for worker in workers:
        worker.join(timeout=60)
    assert [r for r in results if r[1] == "rejected"] == []
    for quantity, _, _, uses in results:
        assert uses == [(quantity, 100 - quantity)]
    latest = store.document("BE-ONE")
    assert latest is not None
    body = latest.model()
    assert isinstance(body, BillOfEntry)
    assert store.debited("TESTAUTH", "AUTH-1")[0] == body.items[0].quantity
    assert len(store.history("BE-ONE")) == 1 + AMENDERS * AMENDMENTS
    store.close()
