"""``once_per_message``: work shared by a plugin's stateless hooks, done once per assessment."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from customs_engine import BillOfEntry, CheckContext, Fee, Finding, Rule, hookimpl, once_per_message
from customs_engine.testing import bill_of_entry, item, make_engine

RULE = Rule(
    id="SHARED-001",
    scheme="shared",
    title="A scope both hooks need",
    outcomes=("info",),
    reference="test",
)


def _plugin(counter: list[int]) -> Any:
    def scope(boe: BillOfEntry) -> list[int]:
        counter.append(1)
        return [line.number for line in boe.items]

    def shared(boe: BillOfEntry) -> list[int]:
        return once_per_message(RULE, "scope", boe, lambda: scope(boe))

    class Plugin:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [RULE]

        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
            return [RULE.finding("info", f"lines {shared(boe)}")]

        @hookimpl
        def customs_fees(self, boe: BillOfEntry, ctx: CheckContext) -> list[Fee]:
            shared(boe)
            return []

        @hookimpl
        def customs_check_in_sequence(
            self, message: BillOfEntry, ctx: CheckContext, run: Any
        ) -> list[Finding]:
            shared(message)
            return []

    return Plugin()


def test_every_hook_shares_one_computation_per_message() -> None:
    """The check, fee and in-sequence hooks of one message: worked out once."""
    counter: list[int] = []
    engine = make_engine(only=["core"], extra=[("shared", _plugin(counter))])
    boe = bill_of_entry(items=[item(number=1), item(number=2)])
    response = engine.validate_message(boe)
    assert [f.message for f in response.findings if f.rule == "SHARED-001"] == ["lines [1, 2]"]
    assert len(counter) == 1


def test_the_memo_is_forgotten_when_the_assessment_ends() -> None:
    """The same object changed between two validations is worked out afresh."""
    counter: list[int] = []
    engine = make_engine(only=["core"], extra=[("shared", _plugin(counter))])
    boe = bill_of_entry(message_id="BE-1", items=[item(number=1)])
    engine.validate_message(boe)
    boe.items.append(item(number=2))
    response = engine.validate_message(boe)
    assert [f.message for f in response.findings if f.rule == "SHARED-001"] == ["lines [1, 2]"]
    assert len(counter) == 2


def test_outside_an_assessment_it_computes_every_time() -> None:
    calls: list[int] = []
    message = SimpleNamespace()
    for _ in range(2):
        assert once_per_message(RULE, "x", message, lambda: calls.append(1) or len(calls)) == len(
            calls
        )
    assert len(calls) == 2
