"""A NUL (U+0000) in a text the ledger is asked about or told to store.

PostgreSQL's text cannot hold a NUL and refuses such a parameter with an error, even in a
look-up: a message holding one (an EDIFACT reference, refused by its reader; a plugin's reader)
once stopped the run with "registry database failed" there, and was stored as it was on SQLite.
A look-up by such a text finds nothing, without asking the database; a message that would store
one is refused, on both backends alike.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from customs_engine.core.registry import SqlRegistry
from tests.core.helpers import authorisation, boe, engine, igm, with_licence

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> SqlRegistry:
    registry = SqlRegistry.open(request.getfixturevalue(request.param))
    registry.replace_records([authorisation(quantity="100")], "test")
    request.addfinalizer(registry.close)
    return registry


def test_a_look_up_by_a_text_holding_nul_finds_nothing(store: SqlRegistry) -> None:
    engine(registry=store.snapshot(), store=store, commit=True).validate_message(igm())
    held = "IGM-\x001"
    assert store.document(held) is None and store.first_document(held) is None
    assert store.committed_uses(f"{held}#0", f"{held}#1") is None
    assert store.replaced_by(f"{held}#0") is None and store.numbered(held) == []
    assert store.holdings(held) == {}
    assert store.debited("TESTAUTH", "AUTH\x00") == (Decimal(0), Decimal(0))
    assert store.uses("TESTAUTH", "AUTH\x00") == []
    assert store.find_manifests("22\x00") == [] and store.find_unnumbered_manifests("\x00") == []
    assert store.noted_against("22\x00") == [] and store.noted_by_bl(held) == []
    assert store.igm_numbers(held) == [] and store.history(held) == []
    assert store.records(number="AUTH-1\x00") == [] and store.entries_of("TESTAUTH", "\x00") == []
    assert store.entries_numbered("\x00") == [] and store.bond_accounts(held) == []
    # with the reads of one message on one connection, as a run makes them
    with store.reading_together() as together:
        assert together.document(held) is None
    # the stored IGM is still found by its own id, of course
    assert store.document("IGM-1") is not None


def test_a_message_that_would_store_a_nul_is_refused_and_nothing_stored(
    store: SqlRegistry,
) -> None:
    run = engine(registry=store.snapshot(), store=store, commit=True)
    assert run.validate_message(igm()).status != "rejected"
    bill = boe(message_id="BE-\x00-1", items=[with_licence("AUTH-1")])
    response = run.validate_message(bill)
    assert response.status == "rejected"
    refused = [f for f in response.findings if f.rule == "CORE-SYNTAX-005"]
    assert refused and "NUL" in refused[0].message and "nothing is stored" in refused[0].message
    assert store.history("BE-\x00-1") == [] and store.debits_of("TESTAUTH", "AUTH-1") == []
    # the same bill under a storable id is committed (the refusal was the NUL's alone)
    assert run.validate_message(bill.model_copy(update={"message_id": "BE-1"})).status in (
        "accepted",
        "query",
    )
    assert len(store.debits_of("TESTAUTH", "AUTH-1")) == 1
