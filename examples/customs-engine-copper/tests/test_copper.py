"""NFMIMS copper: each rule fires, and stays quiet when it should (customs_engine.testing)."""

from __future__ import annotations

from datetime import date

import pytest

from customs_engine.testing import (
    assert_fee,
    assert_finding,
    assert_no_fee,
    assert_no_finding,
    assert_status,
    bill_of_entry,
    item,
    licence,
    registration,
)

CATHODES = "74031100"  # refined copper cathodes, Chapter 74
PRESENTED = date(2026, 3, 9)


def registered(
    number: str = "NFS2026022000123",
    issued_on: str = "2026-02-20",
    expires_on: str | None = "2026-05-06",
    hs_code: str = CATHODES,
    **fields: object,
):
    return item(
        hs_code,
        licences=[licence("NFMIMS", number, issued_on=issued_on, expires_on=expires_on)],
        **fields,
    )


def test_valid_registration_is_quiet_and_lists_the_fee(customs_check):
    response = customs_check(bill_of_entry(registered()))
    assert_status(response, "accepted")
    assert not response.findings
    assert_fee(response, "NFMIMS-CU-FEE-001", "500.00", item=1, kind="registration_fee")


def test_missing_registration_holds_the_line_and_lists_the_fee(customs_check):
    response = customs_check(bill_of_entry(item(), item(CATHODES)))
    assert_finding(
        response, "NFMIMS-CU-COV-001", outcome="hold", item=2, message_contains="fee payable"
    )
    assert_no_finding(response, "NFMIMS-CU-COV-001", item=1)
    assert_status(response, "hold")
    assert_fee(response, "NFMIMS-CU-FEE-001", 500, item=2)


def test_other_chapters_are_not_copper(customs_check):
    # 7508 nickel and 7601 aluminium sit just outside Chapter 74
    response = customs_check(bill_of_entry(item("75089090"), item("76011010")))
    assert_no_finding(response, "NFMIMS-CU-COV-001")
    assert_no_fee(response, "NFMIMS-CU-FEE-001")


def test_before_the_scheme_began_nothing_applies(customs_check):
    response = customs_check(bill_of_entry(item(CATHODES), presented_at=date(2021, 4, 11)))
    assert_status(response, "accepted")
    assert_no_fee(response, "NFMIMS-CU-FEE-001")
    started = customs_check(bill_of_entry(item(CATHODES), presented_at=date(2021, 4, 12)))
    assert_finding(started, "NFMIMS-CU-COV-001", outcome="hold")


@pytest.mark.parametrize(
    "where", [{"mode": "AIR", "port_code": "INBOM4"}, {"mode": "SEA", "port_code": "INDEL4"}]
)
def test_air_freight_is_exempt(customs_check, where):
    response = customs_check(bill_of_entry(item(CATHODES), **where))
    assert_finding(response, "NFMIMS-CU-EXM-001", outcome="info", item=1)
    assert_no_finding(response, "NFMIMS-CU-COV-001")
    assert_no_fee(response, "NFMIMS-CU-FEE-001")
    assert_status(response, "accepted")


def test_exemption_is_quiet_by_sea(customs_check):
    assert_no_finding(customs_check(bill_of_entry(item(CATHODES))), "NFMIMS-CU-EXM-001")


def test_registration_without_expiry_is_queried(customs_check):
    response = customs_check(bill_of_entry(registered(expires_on=None)))
    assert_finding(
        response, "NFMIMS-CU-BOE-001", outcome="query", item=1, field="items[0].licences[0]"
    )
    assert_no_finding(response, "NFMIMS-CU-VAL-001")  # valid through issue + 75 days


def test_number_without_nfs_prefix_is_a_warning(customs_check):
    response = customs_check(bill_of_entry(registered(number="CU2026022000123")))
    assert_finding(response, "NFMIMS-CU-BOE-001", outcome="warn", field="items[0].licences[0]")
    assert_status(response, "accepted")


@pytest.mark.parametrize(
    ("quoted", "instead"),
    [
        # the number with its NFS prefix and the expiry date, as the notification asks
        (registered(), None),
        # an expiry date is quoted, only not issue + 75 days: NFMIMS-CU-VAL-002's business
        (registered(expires_on="2026-05-20"), "NFMIMS-CU-VAL-002"),
    ],
    ids=["number-and-expiry", "expiry-quoted-but-wrong"],
)
def test_registration_quoted_with_nfs_number_and_expiry_is_not_queried(
    customs_check, quoted, instead
):
    response = customs_check(bill_of_entry(quoted))
    assert_no_finding(response, "NFMIMS-CU-BOE-001")
    assert [f.rule for f in response.findings] == ([instead] if instead else [])


def test_expired_registration_is_rejected_and_the_last_day_is_not(customs_check):
    # issued 2026-02-20: valid through 2026-05-06
    on_last_day = customs_check(bill_of_entry(registered(), presented_at=date(2026, 5, 6)))
    assert_no_finding(on_last_day, "NFMIMS-CU-VAL-001")
    day_after = customs_check(bill_of_entry(registered(), presented_at=date(2026, 5, 7)))
    assert_finding(
        day_after,
        "NFMIMS-CU-VAL-001",
        outcome="reject",
        item=1,
        message_contains="expired on 2026-05-06",
    )
    assert_status(day_after, "rejected")


def test_expiry_is_computed_when_not_declared(customs_check):
    response = customs_check(
        bill_of_entry(registered(expires_on=None), presented_at=date(2026, 5, 7))
    )
    assert_finding(response, "NFMIMS-CU-VAL-001", outcome="reject")


def test_declared_expiry_must_be_issue_plus_75_days(customs_check):
    response = customs_check(bill_of_entry(registered(expires_on="2026-05-20")))
    assert_finding(
        response, "NFMIMS-CU-VAL-002", outcome="query", item=1, message_contains="= 2026-05-06"
    )
    assert_no_finding(customs_check(bill_of_entry(registered())), "NFMIMS-CU-VAL-002")


def test_registry_cross_checks(customs_check):
    row = registration(
        "NFMIMS",
        "NFS2026022000123",
        issued_on="2026-02-20",
        hs_codes="7403",
        port_code="INMUN1",
        country_of_origin="CL",
    )
    boe = bill_of_entry(registered(), registered(hs_code="74040012", country_of_origin="PE"))
    response = customs_check(boe, records=[row])
    assert_finding(response, "NFMIMS-CU-FLD-001", item=2, field="items[1].hs_code")
    assert_finding(response, "NFMIMS-CU-FLD-001", item=2, field="items[1].country_of_origin")
    assert_finding(response, "NFMIMS-CU-FLD-001", item=1, field="port_code")
    matching = registration(
        "NFMIMS", "NFS2026022000123", issued_on="2026-02-20", hs_codes="74", port_code="INNSA1"
    )
    assert_no_finding(customs_check(boe, records=[matching]), "NFMIMS-CU-FLD-001")


def test_one_registration_serves_many_bills_and_its_fee_is_listed_once(customs_check):
    first = bill_of_entry(registered(), message_id="BE-1")
    second = bill_of_entry(registered(), message_id="BE-2", presented_at=date(2026, 4, 1))
    responses = customs_check([first, second])
    assert_fee(responses[0], "NFMIMS-CU-FEE-001", "500.00")
    assert_no_fee(responses[1], "NFMIMS-CU-FEE-001")
    assert all(r.status == "accepted" for r in responses)


def test_config_can_load_the_notified_tariff_lines(customs_check):
    boe = bill_of_entry(item("74031100"), item("74199990"))
    response = customs_check(boe, config={"copper": {"hs_prefixes": ["7403"]}})
    assert_finding(response, "NFMIMS-CU-COV-001", item=1)
    assert_no_finding(response, "NFMIMS-CU-COV-001", item=2)


def test_every_rule_carries_a_legal_reference(customs_engine_factory):
    rules = {
        rid: r
        for rid, r in customs_engine_factory().host.rules.items()
        if rid.startswith("NFMIMS-CU-")
    }
    assert len(rules) == 7
    assert all(r.reference and r.scheme == "copper" for r in rules.values())


def test_customs_lists_the_plugin_and_its_rules(customs_cli):
    assert "copper 0.1.0 (customs_engine_copper.plugin)" in customs_cli("plugins").stdout
    listed = customs_cli("rules", "--scheme", "copper").stdout
    assert "NFMIMS-CU-COV-001" in listed and "NFMIMS-CU-FEE-001" in listed
