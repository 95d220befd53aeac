"""A claim that would credit an authorisation, or claims nothing, is refused: the engine reports
it as the plugin's failure (``CORE-PLUGIN-001``, not its shortfall rule: no balance fell short),
and the ledger itself refuses one too (defence in depth: an API caller may still hand the ledger
a negative or empty claim)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import ValidationError

from customs_engine.core.ledger.run_state import Debit, LedgerError, RunState, Submission
from customs_engine.core.models import Item
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.response import AuthorisationClaim
from tests.core.helpers import ClaimsPlugin, authorisation, boe, engine, with_licence


class Crediting(ClaimsPlugin):
    """A faulty scheme plugin: its claims are negative or empty whatever the item says."""

    def __init__(self, quantity: Decimal, value: Decimal):
        self.quantity, self.value = quantity, value

    def claimed(self, it: Item) -> tuple[Decimal, Decimal]:
        return self.quantity, self.value


NOT_DEBITS = pytest.mark.parametrize(
    ("quantity", "value", "why"),
    [("-1000", "0", "negative"), ("10", "-5", "negative"), ("0", "0", "nothing")],
)


@pytest.fixture
def store() -> Iterator[SqlRegistry]:
    """An in-memory registry holding one authorisation of 100."""
    registry = SqlRegistry.open("sqlite://")
    registry.replace_records([authorisation(quantity="100")], "test")
    yield registry
    registry.close()


@NOT_DEBITS
def test_a_plugin_claim_that_is_not_a_debit_is_the_plugins_failure(
    quantity: str, value: str, why: str, store: SqlRegistry
) -> None:
    faulty = Crediting(Decimal(quantity), Decimal(value))
    run = engine(registry=store.snapshot(), store=store, commit=True, claims=faulty)
    response = run.validate_message(boe(items=[with_licence(quantity=Decimal(10))]))
    (finding,) = [f for f in response.findings if f.rule == "CORE-PLUGIN-001"]
    assert finding.outcome == "reject" and why in finding.message
    assert "its claim on TESTAUTH licence AUTH-1 is not a debit" in finding.message
    assert "TESTAUTH-BAL-001" not in {f.rule for f in response.findings}
    assert response.authorisations == []
    assert store.debited("TESTAUTH", "AUTH-1") == (0, 0)
    assert store.debits_of("TESTAUTH", "AUTH-1") == []


@NOT_DEBITS
def test_the_ledger_refuses_a_claim_that_is_not_a_debit(
    quantity: str, value: str, why: str, store: SqlRegistry
) -> None:
    claim = AuthorisationClaim(
        scheme="TESTAUTH",
        number="AUTH-1",
        item=1,
        quantity=Decimal(quantity),
        value_inr=Decimal(value),
        shortfall_rule="TESTAUTH-BAL-001",
    )
    result = RunState(store, commit=True).apply_claims("BE-1#1", [claim], store.snapshot())
    (shortfall,) = result.shortfalls
    assert why in (shortfall.reason or "")
    assert result.debits == []


def test_the_store_never_writes_a_negative_debit() -> None:
    store = SqlRegistry.open("sqlite://")
    store.replace_records([authorisation(quantity="100")], "test")
    claim = AuthorisationClaim(
        scheme="TESTAUTH",
        number="AUTH-1",
        item=1,
        quantity=Decimal(-1000),
        shortfall_rule="TESTAUTH-BAL-001",
    )
    submission = Submission(
        key="BE-X#1",
        message_id="BE-X",
        kind="bill_of_entry",
        manifest=None,
        debits=(Debit("TESTAUTH", "AUTH-1", 1, Decimal(-1000), Decimal(0), claim),),
        licences=(),
        uses=(),
    )
    outcome = store.commit(submission)
    assert not outcome.committed and "negative" in (outcome.shortfalls[0].reason or "")
    bare = Submission(
        key="BE-Y#1",
        message_id="BE-Y",
        kind="bill_of_entry",
        manifest=None,
        debits=(Debit("TESTAUTH", "AUTH-1", 1, Decimal(-1), Decimal(0)),),
        licences=(),
        uses=(),
    )
    with pytest.raises(LedgerError, match="negative"):
        store.commit(bare)
    assert store.debits_of("TESTAUTH", "AUTH-1") == []
    store.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", Decimal(-1)),
        ("quantity", Decimal(0)),
        ("value_inr", Decimal("-0.01")),
        ("number", -1),
        ("number", 2**31),
        ("quantity", Decimal("1E+18")),
    ],
)
def test_the_model_refuses_what_the_ledger_cannot_hold(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Item.model_validate(
            {"number": 1, "hs_code": "84713010", "quantity": 1, "unit": "NOS", field: value}
        )


def test_past_six_places_trailing_zeros_are_dropped_so_the_ledger_column_holds_them() -> None:
    quantity = Item(
        number=1, hs_code="84713010", unit="NOS", quantity=Decimal("1." + "0" * 60)
    ).quantity
    assert quantity == 1 and len(format(quantity, "f")) <= 8
