"""Valuation, CORE-FX-001/002, licence registry checks (CORE-LIC-*), routing, rate date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import customs_engine.testing as kit
from customs_engine import AuthorisationClaim, BillOfEntry, CheckContext, hookimpl
from customs_engine.core.registry.records import MemoryRegistry, RegistryRecord
from customs_engine.core.valuation import value_bill_of_entry
from customs_engine.testing import rules_of
from tests.core.helpers import (
    IEC,
    ClaimsPlugin,
    at,
    authorisation,
    boe,
    engine,
    igm,
    item,
    with_licence,
)

USD = RegistryRecord(
    kind="exchange_rate",
    number="CBIC-12/2026-CUS(NT)",
    currency="USD",
    rate=Decimal("83.25"),
    issued_on=date(2026, 3, 6),
)


def foreign(amount: str, rate: str | None = None, value: str | None = None) -> dict[str, object]:
    return item(
        value_inr=Decimal(value) if value else None,
        foreign_value={
            "amount": Decimal(amount),
            "currency": "USD",
            "rate": Decimal(rate) if rate else None,
        },
    )


def test_declared_rate_consistent_within_one_rupee() -> None:
    run = engine()
    ok = boe(items=[foreign("36036.04", "83.25", "3000000.00")])  # 2,999,999.83
    assert "CORE-FX-001" not in rules_of(run.validate_message(ok))
    off = boe(items=[foreign("36036.04", "83.25", "3000001.50")])
    assert rules_of(run.validate_message(off))["CORE-FX-001"] == "query"


def test_value_from_registry_rate_in_force() -> None:
    message = boe(items=[foreign("57000")])
    valued = value_bill_of_entry(message, MemoryRegistry([USD]), date(2026, 3, 9))
    assert valued.items[0].value_inr == Decimal("4745250.00")  # T08
    assert message.items[0].value_inr is None  # the parsed message is left alone
    response = engine([USD]).validate_message(message)
    assert "CORE-FX-002" not in rules_of(response)


def test_no_rate_anywhere_is_a_query() -> None:
    before_notification = boe(items=[foreign("57000")], presented_at=at("2026-03-05"))
    assert rules_of(engine([USD]).validate_message(before_notification))["CORE-FX-002"] == "query"
    assert rules_of(engine().validate_message(boe(items=[foreign("57000")])))["CORE-FX-002"]


def test_an_amount_in_rupees_is_its_own_inr_value() -> None:
    rupees = item(value_inr=None, foreign_value={"amount": Decimal("1500.50"), "currency": "INR"})
    message = boe(items=[rupees])
    valued = value_bill_of_entry(message, MemoryRegistry([]), date(2026, 3, 9))
    assert valued.items[0].value_inr == Decimal("1500.50")
    assert "CORE-FX-002" not in rules_of(engine().validate_message(message))


def test_valued_message_reaches_the_value_rules() -> None:
    # a Nepal border IEC is capped at INR 25,000: USD 301 at 83.25 = 25,058.25 exceeds it
    message = boe(importer={"iec": "IIEGN0161E", "category": "NEPAL"}, items=[foreign("301")])
    assert rules_of(engine([USD]).validate_message(message))["CORE-IEC-002"] == "reject"
    # with no rate the ceiling cannot be checked: said, never passed in silence
    unknown = engine().validate_message(message)
    assert rules_of(unknown)["CORE-IEC-002"] == "info"
    said = next(f for f in unknown.findings if f.rule == "CORE-IEC-002")
    assert "not verified, the INR value of item 1 is unknown" in said.message


def test_the_border_ceiling_counts_the_known_part_of_a_partly_valued_message() -> None:
    nepal = {"iec": "IIEGN0161E", "category": "NEPAL"}
    known = item(number=1, value_inr=Decimal("25000.01"))
    unvalued = item(number=2, value_inr=None, foreign_value={"amount": 5, "currency": "USD"})
    response = engine().validate_message(boe(importer=nepal, items=[known, unvalued]))
    assert rules_of(response)["CORE-IEC-002"] == "reject"
    said = next(f for f in response.findings if f.rule == "CORE-IEC-002")
    assert "this one is at least INR 25000.01" in said.message
    within = boe(importer=nepal, items=[item(number=1, value_inr=Decimal("25000.00"))])
    assert "CORE-IEC-002" not in rules_of(engine().validate_message(within))


def test_a_declared_value_without_a_rate_is_checked_at_the_notified_rate() -> None:
    """USD 100 declared as INR 9,000 with no rate on the message: the CBIC rate (83.25) gives
    8,325; the declared value was never compared."""
    off = boe(items=[foreign("100", value="9000.00")])
    response = engine([USD]).validate_message(off)
    assert rules_of(response)["CORE-FX-001"] == "query"
    said = next(f for f in response.findings if f.rule == "CORE-FX-001")
    assert said.message == (
        "USD 100 × 83.25 (the CBIC-notified rate in force on 2026-03-09, CBIC-12/2026-CUS(NT)) "
        "= INR 8325.00, the declared value is INR 9000.00"
    )
    within = boe(items=[foreign("100", value="8326.00")])  # ₹1 off: within the tolerance
    assert "CORE-FX-001" not in rules_of(engine([USD]).validate_message(within))
    assert "CORE-FX-001" not in rules_of(engine().validate_message(off))  # no rate known


def test_licence_of_unhandled_scheme() -> None:
    message = boe(items=[item(licences=[{"scheme": "PIMS", "number": "P-1"}])])
    assert rules_of(engine().validate_message(message))["CORE-LIC-001"] == "query"
    handled = boe(items=[with_licence()])
    assert "CORE-LIC-001" not in rules_of(engine([authorisation()]).validate_message(handled))


def test_licence_not_in_registry_and_other_holder() -> None:
    message = boe(items=[with_licence("AUTH-9")])
    assert rules_of(engine([authorisation()]).validate_message(message))["CORE-LIC-002"] == "query"
    other = engine([authorisation("AUTH-9", iec="AABCB1234C")]).validate_message(message)
    assert rules_of(other)["CORE-LIC-003"] == "reject"
    own = engine([authorisation("AUTH-9", iec=IEC)]).validate_message(message)
    assert rules_of(own, "CORE-LIC") == {}


class LookedUpClaims(ClaimsPlugin):
    """Claims against the importer's authorisation it looks up itself (quoted nowhere)."""

    number = "AUTH-1"

    @hookimpl
    def customs_authorisations(self, boe: BillOfEntry, ctx: CheckContext) -> list[Any]:
        return [
            AuthorisationClaim(
                scheme="TESTAUTH",
                number=self.number,
                item=it.number,
                quantity=it.quantity,
                unit=it.unit,
                value_inr=it.value_inr or Decimal(0),
                shortfall_rule="TESTAUTH-BAL-001",
            )
            for it in boe.items
        ]


def test_lic_002_queries_a_claim_against_an_unrecorded_licence_the_item_does_not_quote() -> None:
    """It was debited with "no limit on record" and the message accepted (and committed)."""
    typo = LookedUpClaims()
    typo.number = "AUTH-TYPO"
    response = engine([authorisation()], claims=typo).validate_message(boe())
    assert rules_of(response)["CORE-LIC-002"] == "query"
    said = next(f for f in response.findings if f.rule == "CORE-LIC-002")
    assert "AUTH-TYPO, claimed for item 1 though the item does not quote it" in said.message
    recorded = engine([authorisation()], claims=LookedUpClaims()).validate_message(boe())
    assert "CORE-LIC-002" not in rules_of(recorded)


def test_lic_002_quiet_for_a_registered_number_and_for_an_unhandled_scheme() -> None:
    """In the registry, whichever case the scheme is written in: verified. Of a scheme no
    plugin handles: CORE-LIC-001 says it was not evaluated, not that it is unregistered."""
    lower = boe(items=[item(licences=[{"scheme": "testauth", "number": "AUTH-1"}])])
    response = engine([authorisation()]).validate_message(lower)
    assert "CORE-LIC-002" not in rules_of(response)
    assert rules_of(response, "CORE-LIC") == {}
    unhandled = boe(items=[item(licences=[{"scheme": "PIMS", "number": "P-1"}])])
    response = engine([authorisation()]).validate_message(unhandled)
    assert "CORE-LIC-002" not in rules_of(response)
    assert rules_of(response, "CORE-LIC") == {"CORE-LIC-001": "query"}


@pytest.mark.parametrize(
    "holder, importer_iec",
    [(" aapfu0939f ", IEC), (IEC, IEC.lower())],
    ids=["holder-in-another-case", "importer-in-another-case"],
)
def test_lic_003_quiet_when_the_holder_is_the_importer(holder: str, importer_iec: str) -> None:
    importer = {"iec": importer_iec, "gstin": None, "category": "COMMERCIAL"}
    message = boe(importer=importer, items=[with_licence("AUTH-9")])
    response = engine([authorisation("AUTH-9", iec=holder)]).validate_message(message)
    assert "CORE-LIC-003" not in rules_of(response)
    assert rules_of(response, "CORE-LIC") == {}


@pytest.mark.parametrize(
    "hs_code, group",
    [
        ("84713010", ("NAC Mechanical Machineries", "5E")),  # T42
        ("85176290", ("NAC Electric Machineries", "5C")),
        ("28011000", ("NAC Chemicals", "2")),
        ("98010011", ("NAC Automobile, Instruments & Miscellaneous Products", "6")),
        ("72083610", None),
    ],
)
def test_routing(hs_code, group) -> None:  # type: ignore[no-untyped-def]
    response = engine().validate_message(boe(items=[item(hs_code=hs_code)]))
    routing = (response.routing.nac, response.routing.group) if response.routing else None
    assert routing == group
    assert ("CORE-NAC-001" in rules_of(response)) is (group is None)


@pytest.mark.parametrize("presented", ["2016-03-01", "2023-05-30", "2023-05-31"])
def test_routing_is_the_same_on_any_date(presented: str) -> None:
    """The map carried (Circular 13/2023-Customs) routes Bills of Entry of any date."""
    response = engine().validate_message(boe(presented_at=at(presented)))
    assert response.routing is not None and response.routing.group == "5E"
    assert "CORE-NAC-001" not in rules_of(response)


def test_routing_follows_the_first_item() -> None:
    message = boe(items=[item(hs_code="72083610"), item(number=2, hs_code="84713010")])
    assert engine().validate_message(message).routing is None


def test_rate_date_is_the_later_of_presentation_and_entry_inwards() -> None:
    # T36: presented 2026-03-01, entry inwards 2026-03-04 → rate date 2026-03-04
    run = engine()
    run.validate_message(
        igm(
            igm_date=date(2026, 2, 27),
            filed_at=at("2026-02-27"),
            expected_arrival=at("2026-03-03"),
            arrived_at=at("2026-03-03"),
            entry_inwards_at=at("2026-03-04"),
        )
    )
    message = boe(
        prior=True, presented_at=at("2026-03-01"), manifest={"igm_number": "2234567", "line": 10}
    )
    assert run.validate_message(message).rate_date == date(2026, 3, 4)
    assert engine().validate_message(boe()).rate_date == date(2026, 3, 9)


def test_rate_002_an_ex_bond_bill_is_assessed_on_its_own_presentation_date() -> None:
    ex_bond = kit.bill_of_entry(
        kit.item(), type="EX_BOND", ex_bond_of="7000001", presented_at=at("2026-04-01")
    )
    response = kit.check(ex_bond, only=["core"])
    found = kit.assert_finding(
        response, "CORE-RATE-002", outcome="info", item=None, field="presented_at"
    )
    assert "2026-04-01" in found.message and "7000001" in found.message
    assert "Customs Act 1962 s.15(1)(b)" in found.reference
    assert response.rate_date == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("kind", "presented"),
    [
        ("HOME_CONSUMPTION", "2026-04-01"),
        ("WAREHOUSING", "2026-04-01"),
        ("EX_BOND", "2003-05-13"),  # before s.15(1)(b) took its present form
    ],
)
def test_rate_002_quiet_for_other_bills_and_before_14_may_2003(kind: str, presented: str) -> None:
    extra = {"ex_bond_of": "7000001", "manifest": None} if kind == "EX_BOND" else {}
    message = kit.bill_of_entry(kit.item(), type=kind, presented_at=at(presented), **extra)
    kit.assert_no_finding(kit.check(message, only=["core"]), "CORE-RATE-002")
