"""Concurrent committers never over-debit (PostgreSQL, 8 processes); a killed committer leaves a
consistent ledger (SQLite, real `customs validate --commit` subprocess)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.tables import EntryRow, LicenceUseRow, SubmissionRow
from tests.conftest import PROJECT
from tests.core.helpers import authorisation, boe, engine, with_licence

PROCESSES = 8
BILLS_PER_PROCESS = 5


def _commit_bills(url: str, worker: int) -> int:
    """One committer: its own engine and connection, five Bills of Entry of 10 units each."""
    store = SqlRegistry.open(url)
    run = engine(registry=store.snapshot(), store=store, commit=True)
    debited = 0
    for n in range(BILLS_PER_PROCESS):
        message = boe(
            message_id=f"BE-{worker}-{n}",
            items=[with_licence("AUTH-1", quantity=Decimal(10), value_inr=Decimal(100000))],
        )
        response = run.validate_message(message)
        debited += sum(int(use.debited_quantity) for use in response.authorisations)
    store.close()
    return debited


@pytest.mark.parametrize(
    "backend", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_eight_processes_never_over_debit(backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    # 40 bills of 10 units against 100 units: exactly 10 can be debited
    store.replace_records([authorisation(quantity="100", value="100000000.00")], "test")
    context = multiprocessing.get_context("fork")
    with context.Pool(PROCESSES) as pool:
        reported = pool.starmap(_commit_bills, [(url, w) for w in range(PROCESSES)])
    quantity, _value = store.debited("TESTAUTH", "AUTH-1")
    store.close()
    assert quantity == 100
    assert sum(reported) == 100  # what the responses said was debited is what was committed


def _bill_file(directory: Path, n: int) -> None:
    (directory / f"be-{n:04d}.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<BillOfEntry xmlns="urn:customs-engine:icegate:v1" messageId="BE-KILL-{n:04d}">
  <PortCode>INNSA1</PortCode><Type>HOME_CONSUMPTION</Type>
  <PresentedAt>2026-03-09T11:30:00+05:30</PresentedAt><Prior>true</Prior><Mode>SEA</Mode>
  <Importer><IEC>AAPFU0939F</IEC><Name>ACME</Name></Importer>
  <ConsignedFrom>SG</ConsignedFrom><PortOfLoading>SGSIN</PortOfLoading>
  <Items><Item number="1"><HSCode>84716040</HSCode><Description>KEYBOARDS</Description>
    <Quantity unit="NOS">1</Quantity>
    <Value currency="INR">1000.00</Value><CountryOfOrigin>CN</CountryOfOrigin>
    <Licence scheme="IMS" number="IMS-2026-00042"/>
    <Licence scheme="SIMS" number="STL2026020100417"/></Item></Items>
</BillOfEntry>""")


def test_killed_committer_leaves_a_consistent_ledger(tmp_path: Path) -> None:
    """SIGKILL `customs validate --commit` mid-run: every committed bill has its licence uses,
    nothing is half-written, and running the same input again commits each bill exactly once."""
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    store = SqlRegistry.open(url)
    store.close()
    inputs = tmp_path / "in"
    inputs.mkdir()
    total = 200
    for n in range(total):
        _bill_file(inputs, n)
    command = [
        sys.executable,
        "-m",
        "customs_engine.cli",
        "validate",
        "--commit",
        "--db",
        url,
        "--format",
        "jsonl",
        "-o",
        str(tmp_path / "out.jsonl"),
        str(inputs),
    ]
    process = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and process.poll() is None:
        committed = _count_uses(url)
        if committed >= 20:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    uses_after_kill = _count_uses(url)
    assert 20 <= uses_after_kill < 2 * total
    assert uses_after_kill % 2 == 0  # both licence uses of a bill, or neither
    # the rerun completes what was missing and does not duplicate what was committed
    subprocess.run(command, check=False, capture_output=True)
    store = SqlRegistry.open(url)
    assert sorted(store.uses("IMS", "IMS-2026-00042")) == [f"BE-KILL-{n:04d}" for n in range(total)]
    assert len(store.uses("SIMS", "STL2026020100417")) == total
    store.close()


def _count_uses(url: str) -> int:
    store = SqlRegistry.open(url)
    try:
        with Session(store.engine) as session:
            return session.scalar(select(func.count()).select_from(LicenceUseRow)) or 0
    finally:
        store.close()


COMMITTER = """
import sys
sys.path.insert(0, {here!r})
from decimal import Decimal
from tests.core.helpers import boe, engine, with_licence
from customs_engine.core.registry import SqlRegistry

store = SqlRegistry.open({url!r})
run = engine(registry=store.snapshot(), store=store, commit=True)
for n in range({total}):
    run.validate_message(boe(message_id=f"BE-{{n:04d}}", items=[with_licence(
        "AUTH-1", quantity=Decimal(1), value_inr=Decimal(1000))]))
"""


def _ledger_state(url: str) -> tuple[int, Decimal, list[tuple[int, int]]]:
    """(submissions, total debited quantity, per submission (debits, licence uses))."""
    store = SqlRegistry.open(url)
    try:
        with Session(store.engine) as session:
            ids = list(session.scalars(select(SubmissionRow.id)))
            per_submission = [
                (
                    session.scalar(
                        select(func.count())
                        .select_from(EntryRow)
                        .where(EntryRow.submission_id == sid)
                    )
                    or 0,
                    session.scalar(
                        select(func.count())
                        .select_from(LicenceUseRow)
                        .where(LicenceUseRow.submission_id == sid)
                    )
                    or 0,
                )
                for sid in ids
            ]
        return len(ids), store.debited("TESTAUTH", "AUTH-1")[0], per_submission
    finally:
        store.close()


@pytest.mark.parametrize(
    "backend", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_killed_committer_keeps_debits_whole(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SIGKILL an engine committing one-unit debits against a 150-unit authorisation: each
    committed bill has its debit and licence use, none has half; the rerun stops at the limit."""
    url = request.getfixturevalue(backend)
    store = SqlRegistry.open(url)
    store.replace_records([authorisation(quantity="150", value="100000000.00")], "test")
    store.close()
    total = 200
    script = tmp_path / "committer.py"
    script.write_text(COMMITTER.format(here=str(PROJECT), url=url, total=total))
    process = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if _ledger_state(url)[0] >= 20:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    submissions, debited, per_submission = _ledger_state(url)
    assert 20 <= submissions < total
    assert debited == submissions
    assert set(per_submission) == {(1, 1)}
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    submissions, debited, per_submission = _ledger_state(url)
    # every bill within the limit committed once (the re-run replayed the first ones); the 50
    # beyond it are rejected, so they are not filed and leave nothing in the ledger
    assert submissions == 150
    assert debited == 150  # never beyond the limit
    assert set(per_submission) == {(1, 1)}
