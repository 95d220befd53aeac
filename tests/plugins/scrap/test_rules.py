"""Metallic waste and scrap (RULES.md §5): every rule fires and stays quiet; plugins stack."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from customs_engine.core.dates import IST
from customs_engine.testing import (
    agency,
    assert_finding,
    assert_no_finding,
    bill_of_entry,
    certificate,
    check,
    findings_of,
    item,
    licence,
    rules_of,
)


def psic(**fields: object):
    values = {
        "number": "PSIC-1",
        "issued_on": date(2026, 2, 15),
        "agency": "PSIA-017",
        "background_usvh": Decimal("0.08"),
        "max_usvh": Decimal("0.08"),
        "no_radioactive": True,
        "no_explosives": True,
    }
    values.update(fields)
    return certificate("PSIC", **values)


def contract(**fields: object):
    values = {"number": "K-1", "no_radioactive": True, "no_explosives": True}
    values.update(fields)
    return certificate("CONTRACT", **values)


def scrap(
    hs: str = "72044900",
    form: str | None = "UNSHREDDED",
    certificates=None,
    origin: str = "AE",
    **fields: object,
):
    docs = [psic(), contract()] if certificates is None else certificates
    return item(
        hs,
        quantity=26000,
        unit="KGS",
        value_inr=858000,
        scrap_form=form,
        certificates=docs,
        country_of_origin=origin,
        **fields,
    )


AGENCY = agency(
    "PSIA-017",
    name="GULF INSPECTION",
    country="AE",
    issued_on=date(2024, 4, 1),
    valid_until=date(2027, 3, 31),
)


def test_clean_unshredded_scrap_at_a_designated_port_gives_no_scrap_finding():
    response = check(
        bill_of_entry(scrap(), consigned_from="AE", port_of_loading="AEJEA"), records=[AGENCY]
    )
    assert not rules_of(response, "SCRAP-")


def test_list_002_warns_on_other_waste_and_scrap():
    response = check(bill_of_entry(item("72042100", quantity=10, unit="KGS")))
    assert findings_of(response, "SCRAP-LIST-002", outcome="warn")
    assert_no_finding(check(bill_of_entry(scrap())), "SCRAP-LIST-002")
    assert not rules_of(check(bill_of_entry(item("72085110", quantity=10, unit="KGS"))), "SCRAP-")


@pytest.mark.parametrize("hs", ["74040010", "74040012", "72042190", "72042990", "81042010"])
def test_every_listed_code_is_recognised(hs):
    assert findings_of(check(bill_of_entry(scrap(hs=hs, form=None))), "SCRAP-FORM-001")


def test_form_001_queries_a_missing_form_and_skips_form_checks():
    response = check(bill_of_entry(scrap(form=None), port_code="INTKD6", port_of_loading="IRBND"))
    assert findings_of(response, "SCRAP-FORM-001", outcome="query")
    assert not findings_of(response, "SCRAP-PORT-001") and not findings_of(
        response, "SCRAP-ORIG-001"
    )
    assert_no_finding(check(bill_of_entry(scrap())), "SCRAP-FORM-001")


@pytest.mark.parametrize("loading", ["IRBND", "YEHOD"])
def test_orig_001_rejects_unshredded_scrap_from_bandar_abbas_or_hodeidah(loading):
    assert findings_of(
        check(bill_of_entry(scrap(form="LOOSE"), port_of_loading=loading)),
        "SCRAP-ORIG-001",
        outcome="reject",
    )


def test_orig_001_queries_unshredded_scrap_with_no_port_of_loading():
    """Left out, the port of loading let unshredded scrap from Bandar Abbas through unasked."""
    unknown = check(bill_of_entry(scrap(form="LOOSE"), port_of_loading=None))
    finding = assert_finding(unknown, "SCRAP-ORIG-001", outcome="query")
    assert "no port of loading declared" in finding.message and finding.field == "port_of_loading"
    shredded = check(bill_of_entry(scrap(form="SHREDDED"), port_of_loading=None))
    assert_no_finding(shredded, "SCRAP-ORIG-001")


def test_orig_001_quiet_for_shredded_or_other_ports():
    shredded = bill_of_entry(
        scrap(hs="76020010", form="SHREDDED"), port_code="INMUN1", port_of_loading="IRBND"
    )
    assert_no_finding(check(shredded), "SCRAP-ORIG-001")  # T27, second half
    assert_no_finding(check(bill_of_entry(scrap(), port_of_loading="AEJEA")), "SCRAP-ORIG-001")


def test_port_001_rejects_unshredded_scrap_at_an_icd():
    assert findings_of(
        check(bill_of_entry(scrap(), port_code="INTKD6")), "SCRAP-PORT-001", outcome="reject"
    )  # T25
    assert_no_finding(
        check(bill_of_entry(scrap(form="SHREDDED"), port_code="INTKD6")), "SCRAP-PORT-001"
    )


def test_port_001_icd_loni_designated_before_2016_10_06_but_not_after():
    before = bill_of_entry(
        scrap(), port_code="INLON6", presented_at=datetime(2016, 10, 5, 11, 0, tzinfo=IST)
    )
    after = bill_of_entry(
        scrap(), port_code="INLON6", presented_at=datetime(2016, 10, 6, 11, 0, tzinfo=IST)
    )
    assert_no_finding(check(before), "SCRAP-PORT-001")
    finding = assert_finding(check(after), "SCRAP-PORT-001", outcome="reject")
    assert "INLON6" in finding.message and "2016-10-06" in finding.message


@pytest.mark.parametrize(
    ("port", "added"),
    [("INHZA1", date(2020, 12, 1)), ("INGGV1", date(2024, 2, 14)), ("INKRI1", date(2016, 10, 6))],
)
def test_port_001_ports_added_later_count_from_their_date(port, added):
    day_before = date.fromordinal(added.toordinal() - 1)
    for day, fires in ((day_before, True), (added, False)):
        boe = bill_of_entry(
            scrap(),
            port_code=port,
            presented_at=datetime(day.year, day.month, day.day, 11, 0, tzinfo=IST),
        )
        assert bool(findings_of(check(boe), "SCRAP-PORT-001")) is fires, (port, day)


def test_psic_001_holds_without_a_psic():
    response = check(bill_of_entry(scrap(certificates=[contract()])))
    assert findings_of(response, "SCRAP-PSIC-001", outcome="hold")
    assert_no_finding(check(bill_of_entry(scrap())), "SCRAP-PSIC-001")


@pytest.mark.parametrize(
    ("background", "maximum", "outcome"),
    [
        (Decimal("0.08"), Decimal("0.12"), "reject"),
        (Decimal("0.08"), Decimal("0.081"), "reject"),
        (Decimal("0.08"), None, "query"),
        (None, Decimal("0.08"), "query"),
    ],
)
def test_psic_002_radiation_against_background(background, maximum, outcome):
    certificates = [psic(background_usvh=background, max_usvh=maximum), contract()]
    response = check(bill_of_entry(scrap(certificates=certificates)))
    assert [f.outcome for f in findings_of(response, "SCRAP-PSIC-002")] == [outcome]


@pytest.mark.parametrize(
    ("background", "maximum"),
    [
        (Decimal("0.08"), Decimal("0.08")),  # equal passes
        (Decimal("0.08"), Decimal("0.080")),  # equal, written with another precision
        (Decimal("0.08"), Decimal("0.05")),  # below the background
    ],
    ids=["equal", "equal-other-precision", "below"],
)
def test_psic_002_quiet_up_to_the_background(background, maximum):
    certificates = [psic(background_usvh=background, max_usvh=maximum), contract()]
    response = check(bill_of_entry(scrap(certificates=certificates)), records=[AGENCY])
    assert_no_finding(response, "SCRAP-PSIC-002")
    assert not rules_of(response, "SCRAP-")


def test_psic_003_unshredded_needs_no_explosives_on_the_psic():
    bare = [psic(no_explosives=None), contract()]
    assert findings_of(
        check(bill_of_entry(scrap(certificates=bare))), "SCRAP-PSIC-003", outcome="hold"
    )
    assert_no_finding(
        check(bill_of_entry(scrap(form="SHREDDED", certificates=bare))), "SCRAP-PSIC-003"
    )
    assert_no_finding(check(bill_of_entry(scrap())), "SCRAP-PSIC-003")


def test_psic_004_agency_unknown_or_not_recognised_on_the_psic_date():
    unknown = bill_of_entry(scrap(certificates=[psic(agency="PSIA-999"), contract()]))
    assert findings_of(check(unknown, records=[AGENCY]), "SCRAP-PSIC-004", outcome="reject")
    expired = bill_of_entry(scrap(certificates=[psic(issued_on=date(2027, 4, 1)), contract()]))
    assert findings_of(check(expired, records=[AGENCY]), "SCRAP-PSIC-004", outcome="reject")
    assert_no_finding(check(bill_of_entry(scrap()), records=[AGENCY]), "SCRAP-PSIC-004")


def test_psic_004_an_undated_psic_is_judged_on_the_bill_date_and_says_so():
    lapsed = agency("PSIA-017", name="GULF INSPECTION", country="AE", valid_until=date(2025, 1, 1))
    undated = bill_of_entry(scrap(certificates=[psic(issued_on=None), contract()]))
    (finding,) = findings_of(check(undated, records=[lapsed]), "SCRAP-PSIC-004", outcome="reject")
    assert "PSIC PSIC-1 (undated; judged on 2026-03-09)" in finding.message
    dated = bill_of_entry(scrap())
    (finding,) = findings_of(check(dated, records=[lapsed]), "SCRAP-PSIC-004", outcome="reject")
    assert "PSIC PSIC-1 dated 2026-02-15" in finding.message


def test_psic_004_info_when_no_agencies_are_loaded():
    assert findings_of(check(bill_of_entry(scrap())), "SCRAP-PSIC-004", outcome="info")


@pytest.mark.parametrize(
    ("form", "doc"),
    [
        ("UNSHREDDED", None),
        ("UNSHREDDED", contract(no_explosives=False)),
        ("COMPRESSED", contract(no_explosives=None)),
        ("SHREDDED", contract(no_radioactive=None)),
        ("SHREDDED", contract(no_radioactive=False)),
    ],
)
def test_contract_001(form, doc):
    docs = [psic()] + ([doc] if doc else [])
    response = check(bill_of_entry(scrap(form=form, certificates=docs), port_code="INMUN1"))
    assert_finding(response, "SCRAP-CONTRACT-001", outcome="hold")


@pytest.mark.parametrize(
    ("form", "docs"),
    [
        # shredded scrap needs only the radioactivity clause
        ("SHREDDED", [contract(no_explosives=False)]),
        ("SHREDDED", [contract(no_explosives=None)]),
        # unshredded needs both
        ("UNSHREDDED", [contract()]),
        ("LOOSE", [contract()]),
        # one contract of two lacks the explosives clause, the other has it
        ("UNSHREDDED", [contract(no_explosives=None), contract(number="K-2")]),
    ],
    ids=["shredded", "shredded-silent-on-explosives", "unshredded", "loose", "second-contract"],
)
def test_contract_001_quiet_with_the_clauses_the_form_needs(form, docs):
    response = check(
        bill_of_entry(scrap(form=form, certificates=[psic(), *docs]), port_code="INMUN1")
    )
    assert_no_finding(response, "SCRAP-CONTRACT-001")


def safe(
    port: str = "INNSA1",
    docs=None,
    day: date = date(2026, 3, 9),
    origin: str = "US",
    consigned: str = "US",
):
    certificates = (
        [certificate("SUPPLIER_DECLARATION", "SD-1"), contract()] if docs is None else docs
    )
    return check(
        bill_of_entry(
            scrap(origin=origin, certificates=certificates),
            port_code=port,
            consigned_from=consigned,
            port_of_loading="USHOU",
            presented_at=datetime(day.year, day.month, day.day, 11, 0, tzinfo=IST),
        )
    )


def test_safe_001_route_needs_no_psic():  # T29
    response = safe()
    assert findings_of(response, "SCRAP-SAFE-001", outcome="info")
    assert_no_finding(response, "SCRAP-PSIC-001")


def test_safe_001_holds_without_a_supplier_declaration():
    response = safe(docs=[contract()])
    assert findings_of(response, "SCRAP-SAFE-001", outcome="hold") and not findings_of(
        response, "SCRAP-PSIC-001"
    )


def test_safe_001_quiet_when_a_psic_is_carried_instead():
    """A safe-country line with a PSIC and no supplier declaration goes the ordinary route: its
    PSIC is checked and nothing is held for want of the declaration the route would need."""
    response = safe(docs=[contract(), psic()])
    assert_no_finding(response, "SCRAP-SAFE-001")
    assert_no_finding(response, "SCRAP-PSIC-001")
    assert not [f for f in response.findings if f.rule.startswith("SCRAP-") and f.outcome == "hold"]
    hot = safe(docs=[contract(), psic(max_usvh=Decimal("0.09"))])
    assert findings_of(hot, "SCRAP-PSIC-002", outcome="reject")


@pytest.mark.parametrize(
    "case",
    [
        {"port": "INCOK1"},  # designated, not one of the 11
        {"day": date(2024, 2, 13)},  # before the route existed
        {"origin": "DE", "consigned": "AE"},  # trans-shipped through a non-safe country
        {"origin": "AE", "consigned": "GB"},
    ],
)
def test_safe_001_quiet_and_psic_needed_off_the_route(case):
    response = safe(**case)
    assert_no_finding(response, "SCRAP-SAFE-001")
    assert findings_of(response, "SCRAP-PSIC-001", outcome="hold")


def test_plugins_stack_a_steel_scrap_line_gets_sims_and_scrap_findings():
    line = scrap(
        certificates=[contract()],
        licences=[licence("SIMS", "STL2026020500981", issued_on=date(2026, 2, 5), expires_on=None)],
    )
    response = check(bill_of_entry(line, port_code="INTKD6"))
    assert {"SCRAP-PORT-001", "SCRAP-PSIC-001"} <= rules_of(response, "SCRAP-").keys()
    assert findings_of(response, "SIMS-BOE-001", outcome="query")
    assert [fee.rule for fee in response.fees] == ["SIMS-FEE-001"]


def test_plugins_stack_aluminium_scrap_without_registration_gets_aims_hold():
    response = check(bill_of_entry(scrap(hs="76020010", form="SHREDDED")))
    assert findings_of(response, "AIMS-COV-001", outcome="hold")
    assert not rules_of(response, "SIMS-")
