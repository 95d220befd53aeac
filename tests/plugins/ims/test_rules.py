"""IMS (RULES.md §2): every rule fires and stays quiet, with the boundaries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from customs_engine import BillOfEntry, Importer, Item
from customs_engine.core.dates import IST
from customs_engine.testing import (
    DEFAULT_GSTIN,
    DEFAULT_IEC,
    assert_finding,
    assert_no_finding,
    bill_of_entry,
    certificate,
    check,
    findings_of,
    item,
    licence,
    make_engine,
    manifest_reference,
    rules_of,
)
from customs_engine.testing import authorisation as authorisation_record

AUTH = "IMS-2026-00042"


def bill(
    *items: Item,
    bl_date: date | None = date(2026, 2, 20),
    unit_type: str | None = None,
    **fields: Any,
) -> BillOfEntry:
    """A Bill of Entry noted against the kit's manifest line, its goods shipped (the B/L date)
    on ``bl_date``: an IMS licence's validity is judged on the day the goods were shipped."""
    importer = Importer(iec=DEFAULT_IEC, gstin=DEFAULT_GSTIN, unit_type=unit_type)
    manifest = manifest_reference(bl_date=bl_date)
    return bill_of_entry(*items, prior=False, manifest=manifest, importer=importer, **fields)


def laptop(
    quantity: int = 1,
    *,
    value: int = 50000,
    number: int = 1,
    with_licence: bool = False,
    category: str | None = "LAPTOP",
    hs: str = "84713010",
    **fields: object,
):
    lics = (
        [licence("IMS", AUTH, issued_on=date(2026, 1, 5), expires_on=date(2026, 12, 31))]
        if with_licence
        else []
    )
    return item(
        hs,
        quantity=quantity,
        unit="NOS",
        value_inr=value,
        number=number,
        product_category=category,
        licences=lics,
        **fields,
    )


def authorisation(**fields: object):
    values = {
        "issued_on": date(2026, 1, 5),
        "valid_until": date(2026, 12, 31),
        "hs_codes": "84713010 84713090",
        "quantity": 100,
        "unit": "NOS",
        "value_inr": 5000000,
        "port_code": "INNSA1",
    }
    values.update(fields)
    return authorisation_record("IMS", AUTH, **values)


# -- coverage


def test_cov_001_fires_on_84713020_and_is_quiet_on_84713010():
    assert findings_of(check(bill(laptop(hs="84713020"))), "IMS-COV-001", outcome="query")
    assert_no_finding(check(bill(laptop(hs="84713010"))), "IMS-COV-001")


def test_cov_002_fires_on_covered_code_without_category():
    response = check(bill(laptop(category=None)))
    assert findings_of(response, "IMS-COV-002", outcome="query")
    assert_no_finding(response, "IMS-AUTH-001")


def test_cov_002_quiet_with_category_or_outside_the_list():
    assert_no_finding(check(bill(laptop())), "IMS-COV-002")
    keyboards = item("84716040", quantity=50, unit="NOS")  # 8471 60: I/O units, not IMS
    assert not rules_of(check(bill(keyboards)), "IMS-")


def test_auth_001_fires_for_restricted_line_without_licence():
    finding = assert_finding(check(bill(laptop(5))), "IMS-AUTH-001", outcome="reject")
    assert finding.item == 1 and "LAPTOP" in finding.message and finding.reference


@pytest.mark.parametrize("category", ["DESKTOP", "OTHER"])
def test_auth_001_quiet_for_free_categories(category):
    assert not rules_of(check(bill(laptop(30, category=category, hs="84714900"))), "IMS-")


def test_auth_001_quiet_before_2023_11_01_and_fires_from_it():
    before = bill(laptop(5), presented_at=datetime(2023, 10, 31, 12, 0, tzinfo=IST))
    first_day = bill(laptop(5), presented_at=datetime(2023, 11, 1, 12, 0, tzinfo=IST))
    assert not rules_of(check(before), "IMS-")
    assert findings_of(check(first_day), "IMS-AUTH-001")


def test_auth_001_quiet_with_licence():
    assert_no_finding(check(bill(laptop(with_licence=True))), "IMS-AUTH-001")


# -- validity


def test_val_001_fires_when_shipped_after_expiry():
    late = bill(
        laptop(with_licence=True),
        bl_date=date(2027, 1, 2),
        presented_at=datetime(2027, 1, 15, 10, 0, tzinfo=IST),
    )
    response = check(late, records=[authorisation()])
    finding = assert_finding(response, "IMS-VAL-001", outcome="reject")
    assert "2026-12-31" in finding.message and "2027-01-02" in finding.message
    assert "date of import (shipment, the B/L date) 2027-01-02" in finding.message
    assert response.authorisations == []  # an expired licence is never debited


def test_val_001_quiet_when_shipped_on_last_day_even_if_presented_later():
    on_time = bill(
        laptop(with_licence=True),
        bl_date=date(2026, 12, 31),
        presented_at=datetime(2027, 1, 10, 10, 0, tzinfo=IST),
    )
    response = check(on_time, records=[authorisation()])
    assert_no_finding(response, "IMS-VAL-001")
    assert response.authorisations[0].debited_quantity == 1


def test_val_001_expiry_defaults_to_end_of_issue_year():
    undeclared = item(
        "84713010",
        quantity=1,
        product_category="LAPTOP",
        licences=[licence("IMS", "IMS-X", issued_on=date(2026, 1, 5))],
        unit="NOS",
    )
    assert findings_of(
        check(bill(undeclared, bl_date=date(2027, 1, 1))), "IMS-VAL-001", outcome="reject"
    )
    assert_no_finding(check(bill(undeclared, bl_date=date(2026, 12, 31))), "IMS-VAL-001")


def test_val_001_authorisations_issued_before_2025_expire_2024_12_31():
    old = item(
        "84713010",
        quantity=1,
        product_category="LAPTOP",
        licences=[licence("IMS", "IMS-X", issued_on=date(2023, 11, 20))],
        unit="NOS",
    )
    assert findings_of(check(bill(old, bl_date=date(2025, 1, 1))), "IMS-VAL-001", outcome="reject")
    assert_no_finding(check(bill(old, bl_date=date(2024, 12, 31))), "IMS-VAL-001")


def test_val_001_issue_year_from_the_registry_when_it_holds_the_authorisation():
    """No expiry declared anywhere: the year comes from the registry's issue date, not from a
    later one the Bill of Entry declares."""
    declared_later = item(
        "84713010",
        quantity=1,
        product_category="LAPTOP",
        licences=[licence("IMS", AUTH, issued_on=date(2026, 1, 5))],
        unit="NOS",
    )
    registered = authorisation(issued_on=date(2025, 12, 30), valid_until=None)
    shipped = bill(declared_later, bl_date=date(2026, 1, 10))
    assert findings_of(check(shipped, records=[registered]), "IMS-VAL-001", outcome="reject")
    same_year = authorisation(issued_on=date(2026, 1, 2), valid_until=None)
    assert_no_finding(check(shipped, records=[same_year]), "IMS-VAL-001")


def test_val_001_queries_when_no_date_is_known():
    bare = item(
        "84713010",
        quantity=1,
        product_category="LAPTOP",
        licences=[licence("IMS", "IMS-X")],
        unit="NOS",
    )
    assert findings_of(check(bill(bare)), "IMS-VAL-001", outcome="query")


def test_val_002_warns_without_bl_date_and_uses_the_boe_date():
    response = check(bill(laptop(with_licence=True), bl_date=None))
    assert findings_of(response, "IMS-VAL-002", outcome="warn")
    assert_no_finding(check(bill(laptop(with_licence=True))), "IMS-VAL-002")
    # judged on the Bill of Entry date, the reject says so: it is no shipment date
    late = check(bill(laptop(with_licence=True), bl_date=None, presented_at=date(2027, 1, 4)))
    expired = assert_finding(late, "IMS-VAL-001", outcome="reject")
    assert expired.message.endswith(
        "expired on 2026-12-31; reckoned from the Bill of Entry date (no B/L date) 2027-01-04"
    )


# -- balance through the core ledger


def test_bal_001_balance_exhausted_to_zero_then_exceeded_in_the_same_run():
    run = make_engine(records=[authorisation()])
    first = run.validate_message(
        bill(laptop(100, value=5000000, with_licence=True), message_id="BE-1")
    )
    assert_no_finding(first, "IMS-BAL-001")
    (use,) = first.authorisations
    assert (use.remaining_quantity, use.remaining_value) == (Decimal(0), Decimal(0))
    second = run.validate_message(bill(laptop(1, value=1, with_licence=True), message_id="BE-2"))
    finding = assert_finding(second, "IMS-BAL-001", outcome="reject")
    assert finding.field == "items[0].licences[0]"
    assert second.status == "rejected"
    assert second.authorisations[0].debited_quantity == 0


def test_bal_001_names_the_shortfall_and_never_debits_partially():
    run = make_engine(records=[authorisation()])
    first = run.validate_message(
        bill(laptop(60, value=3000000, with_licence=True), message_id="BE-1")
    )
    assert first.authorisations[0].remaining_quantity == 40
    assert first.authorisations[0].remaining_value == Decimal(2000000)
    second = run.validate_message(
        bill(laptop(50, value=2500000, with_licence=True), message_id="BE-2")
    )
    finding = assert_finding(second, "IMS-BAL-001")
    assert "40" in finding.message and "50" in finding.message
    third = run.validate_message(
        bill(laptop(40, value=2000000, with_licence=True), message_id="BE-3")
    )
    assert_no_finding(third, "IMS-BAL-001")  # the rejected BoE-2 debited nothing
    assert third.authorisations[0].remaining_quantity == 0


def test_bal_001_value_alone_can_fall_short():
    response = check(bill(laptop(10, value=5000001, with_licence=True)), records=[authorisation()])
    assert findings_of(response, "IMS-BAL-001", outcome="reject")


# -- port


def test_port_001_fires_at_another_port_and_is_quiet_at_the_registered_one():
    boe = bill(laptop(with_licence=True))
    assert findings_of(
        check(boe, records=[authorisation(port_code="INMAA1")]), "IMS-PORT-001", outcome="query"
    )
    assert_no_finding(check(boe, records=[authorisation(port_code="INNSA1")]), "IMS-PORT-001")


# -- exemptions


def assert_exempt(response, rule: str, outcome: str) -> None:
    assert findings_of(response, rule, outcome=outcome)
    assert_no_finding(response, "IMS-AUTH-001")
    assert response.authorisations == []


def test_exm_001_baggage():
    assert_exempt(check(bill(laptop(purpose="BAGGAGE"))), "IMS-EXM-001", "info")
    assert_no_finding(check(bill(laptop())), "IMS-EXM-001")


def test_exm_002_one_laptop_by_courier_is_exempt():
    assert_exempt(check(bill(laptop(1, purpose="POST_COURIER"))), "IMS-EXM-002", "info")


@pytest.mark.parametrize(
    ("quantity", "category", "hs"), [(2, "LAPTOP", "84713010"), (1, "SERVER", "84715000")]
)
def test_exm_002_more_than_one_unit_or_a_server_is_not_exempt(quantity, category, hs):
    response = check(bill(laptop(quantity, category=category, hs=hs, purpose="POST_COURIER")))
    assert findings_of(response, "IMS-EXM-002", outcome="reject")
    assert not findings_of(response, "IMS-EXM-002", outcome="info")


def test_exm_002_quiet_when_a_licence_covers_the_line():
    response = check(bill(laptop(2, purpose="POST_COURIER", with_licence=True)))
    assert_no_finding(response, "IMS-EXM-002")
    assert response.authorisations[0].debited_quantity == 2


def test_exm_003_twenty_units_exempt_with_end_use_warning():
    response = check(bill(laptop(20, purpose="RND")))
    assert_exempt(response, "IMS-EXM-003", "warn")
    assert "destroy" in findings_of(response, "IMS-EXM-003")[0].message


def test_exm_003_twenty_one_units_not_exempt():
    response = check(bill(laptop(21, purpose="TESTING")))
    assert findings_of(response, "IMS-EXM-003", outcome="reject")
    assert not findings_of(response, "IMS-EXM-003", outcome="warn")


@pytest.mark.parametrize(
    ("quantity", "category", "hs", "purpose"),
    [
        (
            21,
            "SERVER",
            "84715000",
            "RND",
        ),  # the acceptance case: a courier server, 21 units for R&D
        (21, "LAPTOP", "84713010", "TESTING"),
        (2, "LAPTOP", "84713010", "POST_COURIER"),
        (1, "SERVER", "84715000", "POST_COURIER"),
    ],
)
def test_a_failed_exemption_without_licence_also_gives_auth_001(quantity, category, hs, purpose):
    response = check(bill(laptop(quantity, category=category, hs=hs, purpose=purpose)))
    assert [f.outcome for f in response.findings if f.rule.startswith("IMS-EXM")] == ["reject"]
    auth = assert_finding(response, "IMS-AUTH-001", outcome="reject")
    assert "exemption does not apply" in auth.message


def test_a_failed_exemption_with_a_licence_gives_no_auth_001():
    response = check(bill(laptop(21, purpose="RND", with_licence=True)))
    assert_no_finding(response, "IMS-AUTH-001")


def test_a_curable_exemption_on_hold_gives_no_auth_001():
    response = check(bill(laptop(3, purpose="REPAIR_RETURN")))
    assert findings_of(response, "IMS-EXM-004", outcome="hold")
    assert_no_finding(response, "IMS-AUTH-001")


def test_exm_003_counts_units_over_all_restricted_lines():
    boe = bill(
        laptop(10, purpose="RND"),
        laptop(11, number=2, category="TABLET", purpose="PRODUCT_DEVELOPMENT"),
    )
    assert len(findings_of(check(boe), "IMS-EXM-003", outcome="reject")) == 2


def test_exm_003_quiet_for_commercial_imports():
    assert_no_finding(check(bill(laptop(5))), "IMS-EXM-003")


def test_exm_004_repair_with_self_certification_is_exempt():
    response = check(bill(laptop(30, purpose="REPAIR_RETURN", self_certified=True)))
    assert_exempt(response, "IMS-EXM-004", "info")


def test_exm_004_without_self_certification_is_held():
    response = check(bill(laptop(3, purpose="REPLACEMENT")))
    assert findings_of(response, "IMS-EXM-004", outcome="hold") and response.status in (
        "hold",
        "rejected",
    )
    assert_no_finding(response, "IMS-AUTH-001")


@pytest.mark.parametrize(
    ("line", "records", "instead"),
    [
        # a licence to fall back on: the line is debited, nothing is held
        (laptop(3, purpose="REPAIR_RETURN", with_licence=True), [authorisation()], {}),
        # a desktop is free: no exemption is needed
        (laptop(3, purpose="REPLACEMENT", category="DESKTOP"), [], {}),
        # the same laptop imported commercially needs a licence
        (laptop(3), [], {"IMS-AUTH-001": "reject"}),
    ],
    ids=["licence-quoted", "free-category", "commercial"],
)
def test_exm_004_quiet_without_a_repair_claim_to_decide(line, records, instead):
    response = check(bill(line), records=records)
    assert_no_finding(response, "IMS-EXM-004")
    assert rules_of(response, "IMS-") == instead


def test_exm_005_captive_units_are_exempt_and_dta_is_not():
    assert_exempt(check(bill(laptop(50), unit_type="SEZ")), "IMS-EXM-005", "info")
    assert_exempt(check(bill(laptop(50), unit_type="STPI")), "IMS-EXM-005", "info")
    # the exemption rests on the importer's unit type, not on the line's purpose
    sez = assert_finding(check(bill(laptop(50), unit_type="SEZ")), "IMS-EXM-005")
    assert sez.field == "importer.unit_type"


@pytest.mark.parametrize(
    ("unit_type", "line", "instead"),
    [
        # a unit in the Domestic Tariff Area: no exemption, a licence is needed
        ("DTA", laptop(50), {"IMS-AUTH-001": "reject"}),
        # no unit type given: the same
        (None, laptop(50), {"IMS-AUTH-001": "reject"}),
        # an SEZ unit importing a free category: nothing to exempt
        ("SEZ", laptop(50, category="DESKTOP"), {}),
        # an SEZ unit's repair import: the purpose's own exemption applies first
        ("SEZ", laptop(3, purpose="REPAIR_RETURN", self_certified=True), {"IMS-EXM-004": "info"}),
    ],
    ids=["dta", "no-unit-type", "sez-free-category", "sez-self-certified-repair"],
)
def test_exm_005_quiet_unless_a_captive_unit_needs_it(unit_type, line, instead):
    response = check(bill(line, unit_type=unit_type))
    assert_no_finding(response, "IMS-EXM-005")
    assert rules_of(response, "IMS-") == instead


def test_exm_006_defence_supply_needs_its_certificate():
    with_cert = laptop(5, purpose="DEFENCE_SECURITY", certificates=[certificate("DEFENCE_SUPPLY")])
    assert_exempt(check(bill(with_cert)), "IMS-EXM-006", "info")
    without = check(bill(laptop(5, purpose="DEFENCE_SECURITY")))
    assert findings_of(without, "IMS-EXM-006", outcome="hold")
    assert_no_finding(check(bill(laptop(5))), "IMS-EXM-006")


def test_licensed_commercial_line_debits_and_lists_what_remains():
    response = check(bill(laptop(60, value=3000000, with_licence=True)), records=[authorisation()])
    assert not rules_of(response, "IMS-")
    (use,) = response.authorisations
    assert use.model_dump(mode="json") == {
        "scheme": "ims",
        "number": AUTH,
        "item": 1,
        "debited_quantity": "60",
        "debited_value": "3000000.00",
        "remaining_quantity": "40",
        "remaining_value": "2000000.00",
    }


def test_second_licence_used_when_the_first_expired():
    lics = [
        licence("IMS", "IMS-2025-00001", issued_on=date(2025, 1, 2), expires_on=date(2025, 12, 31)),
        licence("IMS", AUTH, issued_on=date(2026, 1, 5), expires_on=date(2026, 12, 31)),
    ]
    response = check(
        bill(item("84713010", quantity=3, product_category="LAPTOP", licences=lics, unit="NOS"))
    )
    assert_no_finding(response, "IMS-VAL-001")
    (use,) = response.authorisations
    assert use.number == AUTH


def test_every_licence_expired_rejects_each():
    lics = [
        licence("IMS", "IMS-2025-00001", issued_on=date(2025, 1, 2), expires_on=date(2025, 12, 31)),
        licence("IMS", "IMS-2025-00002", issued_on=date(2025, 3, 2), expires_on=date(2025, 12, 31)),
    ]
    response = check(
        bill(item("84713010", quantity=3, product_category="LAPTOP", licences=lics, unit="NOS"))
    )
    assert [f.field for f in findings_of(response, "IMS-VAL-001", outcome="reject")] == [
        "items[0].licences[0]",
        "items[0].licences[1]",
    ]
