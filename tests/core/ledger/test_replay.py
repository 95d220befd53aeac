"""The ledger's replay table stays small: packed entries, spilled to a temporary database."""

from __future__ import annotations

from decimal import Decimal

from customs_engine.core.ledger.replay import ReplayTable
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.registry.records import MemoryRegistry, RegistryRecord
from customs_engine.core.response import AuthorisationClaim, AuthorisationUse


def use(item: int, remaining: Decimal | None) -> AuthorisationUse:
    return AuthorisationUse(
        scheme="ims",
        number="IMS-1",
        item=item,
        debited_quantity=Decimal("2.5"),
        debited_value=Decimal("10.10"),
        remaining_quantity=remaining,
        remaining_value=None,
    )


def test_entries_round_trip_in_memory_and_after_spilling() -> None:
    table = ReplayTable(in_memory=3)
    for n in range(10):
        table[f"k{n}"] = [use(n, Decimal(n)), use(n + 100, None)]
    assert table._db is not None and len(table._recent) == 3 and len(table) == 10
    for n in (0, 2, 3, 9):
        assert table.get(f"k{n}") == [use(n, Decimal(n)), use(n + 100, None)]
    assert table.get("missing") is None
    table["k9"] = [use(1, None)]
    assert table.get("k9") == [use(1, None)]
    table.pop("k9", None)
    table.pop("k1", None)
    assert table.get("k9") is None and table.get("k1") is None and len(table) == 8
    table.close()


def test_a_resubmission_is_not_debited_twice_after_the_table_spilled() -> None:
    registry = MemoryRegistry(
        [RegistryRecord(kind="authorisation", scheme="IMS", number="IMS-1", quantity=Decimal(100))]
    )
    claim = AuthorisationClaim(
        scheme="IMS", number="IMS-1", item=1, quantity=Decimal(1), shortfall_rule="IMS-BAL-001"
    )
    state = RunState()
    state._applied = ReplayTable(in_memory=2)
    first = [state.apply_claims(f"BE-{n}#d", [claim], registry) for n in range(5)]
    again = state.apply_claims("BE-0#d", [claim], registry)  # kept in memory
    later = state.apply_claims("BE-4#d", [claim], registry)  # kept in the temporary database
    assert state.debited("IMS", "IMS-1") == (Decimal(5), Decimal(0))
    assert again.replayed and again.uses == first[0].uses
    assert later.replayed and later.uses == first[4].uses
    assert later.uses[0].remaining_quantity == Decimal(95)
