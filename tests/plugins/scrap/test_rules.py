"""Metallic waste and scrap (RULES.md §5): every rule fires and stays quiet; plugins stack."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from customs_engine.core.dates import IST
from customs_engine.core.registry.records import RegistryRecord
from tests.plugins.builders import bill, cert, check, found, item, licence, rules_of


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
    return cert("PSIC", **values)


def contract(**fields: object):
    values = {"number": "K-1", "no_radioactive": True, "no_explosives": True}
    values.update(fields)
    return cert("CONTRACT", **values)


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
        26000,
        unit="KGS",
        value=858000,
        scrap_form=form,
        certificates=docs,
        country_of_origin=origin,
        **fields,
    )


AGENCY = RegistryRecord(
    kind="agency",
    number="PSIA-017",
    issued_on=date(2024, 4, 1),
    valid_until=date(2027, 3, 31),
    name="GULF INSPECTION",
    country="AE",
)


def test_clean_unshredded_scrap_at_a_designated_port_gives_no_scrap_finding():
    response = check(bill(scrap(), consigned_from="AE", port_of_loading="AEJEA"), [AGENCY])
    assert not rules_of(response, "SCRAP-")


def test_list_002_warns_on_other_waste_and_scrap():
    response = check(bill(item("72042100", 10, unit="KGS")))
    assert found(response, "SCRAP-LIST-002", "warn")
    assert not found(check(bill(scrap())), "SCRAP-LIST-002")
    assert not rules_of(check(bill(item("72085110", 10, unit="KGS"))), "SCRAP-")


@pytest.mark.parametrize("hs", ["74040010", "74040012", "72042190", "72042990", "81042010"])
def test_every_listed_code_is_recognised(hs):
    assert found(check(bill(scrap(hs=hs, form=None))), "SCRAP-FORM-001")


def test_form_001_queries_a_missing_form_and_skips_form_checks():
    response = check(bill(scrap(form=None), port_code="INTKD6", port_of_loading="IRBND"))
    assert found(response, "SCRAP-FORM-001", "query")
    assert not found(response, "SCRAP-PORT-001") and not found(response, "SCRAP-ORIG-001")
    assert not found(check(bill(scrap())), "SCRAP-FORM-001")


@pytest.mark.parametrize("loading", ["IRBND", "YEHOD"])
def test_orig_001_rejects_unshredded_scrap_from_bandar_abbas_or_hodeidah(loading):
    assert found(
        check(bill(scrap(form="LOOSE"), port_of_loading=loading)), "SCRAP-ORIG-001", "reject"
    )


def test_orig_001_quiet_for_shredded_or_other_ports():
    shredded = bill(
        scrap(hs="76020010", form="SHREDDED"), port_code="INMUN1", port_of_loading="IRBND"
    )
    assert not found(check(shredded), "SCRAP-ORIG-001")  # T27, second half
    assert not found(check(bill(scrap(), port_of_loading="AEJEA")), "SCRAP-ORIG-001")


def test_port_001_rejects_unshredded_scrap_at_an_icd():
    assert found(check(bill(scrap(), port_code="INTKD6")), "SCRAP-PORT-001", "reject")  # T25
    assert not found(check(bill(scrap(form="SHREDDED"), port_code="INTKD6")), "SCRAP-PORT-001")


def test_port_001_icd_loni_designated_before_2016_10_06_but_not_after():
    before = bill(
        scrap(), port_code="INLON6", presented_at=datetime(2016, 10, 5, 11, 0, tzinfo=IST)
    )
    after = bill(scrap(), port_code="INLON6", presented_at=datetime(2016, 10, 6, 11, 0, tzinfo=IST))
    assert not found(check(before), "SCRAP-PORT-001")
    (finding,) = found(check(after), "SCRAP-PORT-001", "reject")
    assert "INLON6" in finding.message and "2016-10-06" in finding.message


@pytest.mark.parametrize(
    ("port", "added"),
    [("INHZA1", date(2020, 12, 1)), ("INGGV1", date(2024, 2, 14)), ("INKRI1", date(2016, 10, 6))],
)
def test_port_001_ports_added_later_count_from_their_date(port, added):
    day_before = date.fromordinal(added.toordinal() - 1)
    for day, fires in ((day_before, True), (added, False)):
        boe = bill(
            scrap(),
            port_code=port,
            presented_at=datetime(day.year, day.month, day.day, 11, 0, tzinfo=IST),
        )
        assert bool(found(check(boe), "SCRAP-PORT-001")) is fires, (port, day)


def test_psic_001_holds_without_a_psic():
    response = check(bill(scrap(certificates=[contract()])))
    assert found(response, "SCRAP-PSIC-001", "hold")
    assert not found(check(bill(scrap())), "SCRAP-PSIC-001")


@pytest.mark.parametrize(
    ("maximum", "outcome"), [(Decimal("0.12"), "reject"), (None, "query"), (Decimal("0.08"), None)]
)
def test_psic_002_radiation_against_background(maximum, outcome):
    response = check(bill(scrap(certificates=[psic(max_usvh=maximum), contract()])))
    assert [f.outcome for f in found(response, "SCRAP-PSIC-002")] == ([outcome] if outcome else [])


def test_psic_003_unshredded_needs_no_explosives_on_the_psic():
    bare = [psic(no_explosives=None), contract()]
    assert found(check(bill(scrap(certificates=bare))), "SCRAP-PSIC-003", "hold")
    assert not found(check(bill(scrap(form="SHREDDED", certificates=bare))), "SCRAP-PSIC-003")
    assert not found(check(bill(scrap())), "SCRAP-PSIC-003")


def test_psic_004_agency_unknown_or_not_recognised_on_the_psic_date():
    unknown = bill(scrap(certificates=[psic(agency="PSIA-999"), contract()]))
    assert found(check(unknown, [AGENCY]), "SCRAP-PSIC-004", "reject")
    expired = bill(scrap(certificates=[psic(issued_on=date(2027, 4, 1)), contract()]))
    assert found(check(expired, [AGENCY]), "SCRAP-PSIC-004", "reject")
    assert not found(check(bill(scrap()), [AGENCY]), "SCRAP-PSIC-004")


def test_psic_004_info_when_no_agencies_are_loaded():
    assert found(check(bill(scrap())), "SCRAP-PSIC-004", "info")


@pytest.mark.parametrize(
    ("form", "doc", "fires"),
    [
        ("UNSHREDDED", None, True),
        ("UNSHREDDED", contract(no_explosives=False), True),
        ("SHREDDED", contract(no_explosives=False), False),
        ("SHREDDED", contract(no_radioactive=None), True),
        ("UNSHREDDED", contract(), False),
    ],
)
def test_contract_001(form, doc, fires):
    docs = [psic()] + ([doc] if doc else [])
    response = check(bill(scrap(form=form, certificates=docs), port_code="INMUN1"))
    assert bool(found(response, "SCRAP-CONTRACT-001", "hold")) is fires


def safe(
    port: str = "INNSA1",
    docs=None,
    day: date = date(2026, 3, 9),
    origin: str = "US",
    consigned: str = "US",
):
    certificates = [cert("SUPPLIER_DECLARATION", "SD-1"), contract()] if docs is None else docs
    return check(
        bill(
            scrap(origin=origin, certificates=certificates),
            port_code=port,
            consigned_from=consigned,
            port_of_loading="USHOU",
            presented_at=datetime(day.year, day.month, day.day, 11, 0, tzinfo=IST),
        )
    )


def test_safe_001_route_needs_no_psic():  # T29
    response = safe()
    assert found(response, "SCRAP-SAFE-001", "info")
    assert not found(response, "SCRAP-PSIC-001")


def test_safe_001_holds_without_a_supplier_declaration():
    response = safe(docs=[contract()])
    assert found(response, "SCRAP-SAFE-001", "hold") and not found(response, "SCRAP-PSIC-001")


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
    assert not found(response, "SCRAP-SAFE-001")
    assert found(response, "SCRAP-PSIC-001", "hold")


def test_plugins_stack_a_steel_scrap_line_gets_sims_and_scrap_findings():
    line = scrap(
        certificates=[contract()],
        licences=[licence("SIMS", "STL2026020500981", date(2026, 2, 5), None)],
    )
    response = check(bill(line, port_code="INTKD6"))
    assert {"SCRAP-PORT-001", "SCRAP-PSIC-001"} <= rules_of(response, "SCRAP-")
    assert found(response, "SIMS-BOE-001", "query")
    assert [fee.rule for fee in response.fees] == ["SIMS-FEE-001"]


def test_plugins_stack_aluminium_scrap_without_registration_gets_aims_hold():
    response = check(bill(scrap(hs="76020010", form="SHREDDED")))
    assert found(response, "AIMS-COV-001", "hold")
    assert not rules_of(response, "SIMS-")
