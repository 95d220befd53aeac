"""The testing kit itself: builders give valid messages, assertions fail loudly and usefully."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from customs_engine import hookimpl
from customs_engine.core.dates import IST
from customs_engine.core.models import BillOfEntry
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule
from customs_engine.testing import (
    ANY,
    DEFAULT_HS,
    as_response,
    assert_fee,
    assert_finding,
    assert_no_fee,
    assert_no_finding,
    assert_status,
    bill_of_entry,
    certificate,
    check,
    describe,
    exchange_rate,
    findings_of,
    item,
    licence,
    make_engine,
    manifest,
    manifest_line,
    manifest_reference,
    registration,
    render,
    rules_of,
    write_message,
)

RULE = Rule(
    id="KIT-CHK-001",
    scheme="kit",
    title="kit probe",
    outcomes=("query", "hold", "fee"),
    reference="tests/testing",
)


class Flags:
    """Queries every line whose HS code starts with 74, and charges 500 on the first one."""

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [RULE]

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
        return [
            RULE.finding("query", f"line {i.hs_code}", item=i.number, field="hs_code")
            for i in boe.items
            if i.hs_code.startswith("74")
        ]

    @hookimpl
    def customs_fees(self, boe: BillOfEntry) -> list[Fee]:
        return [
            Fee(
                rule=RULE.id,
                scheme="kit",
                kind="registration_fee",
                amount=Decimal(500),
                item=1,
                basis="flat",
            )
        ]


def flagged(*items):
    return check(bill_of_entry(*items), only=[], extra=[("kit", Flags())])


# -- builders ----------------------------------------------------------------------------------


def test_default_bill_of_entry_is_valid_and_accepted_by_every_installed_plugin() -> None:
    boe = bill_of_entry()
    assert boe.presented_at == datetime(2026, 3, 9, 10, 0, tzinfo=IST)
    assert [(i.number, i.hs_code) for i in boe.items] == [(1, DEFAULT_HS)]
    response = check(boe)
    assert_status(response, "accepted")
    assert check(manifest()).status == "accepted"


def test_items_are_numbered_by_position_unless_numbered() -> None:
    boe = bill_of_entry(item(), item("74031100"), item(number=9))
    assert [i.number for i in boe.items] == [1, 2, 9]
    igm = manifest(manifest_line(), manifest_line(line=5, bl_number="MAEU1"))
    assert [(ml.line, ml.bl_number) for ml in igm.lines] == [(1, "TESTBL000001"), (5, "MAEU1")]


def test_keyword_overrides_reach_the_model() -> None:
    boe = bill_of_entry(
        item(purpose="RND", quantity="2.5", value_inr=Decimal("10.10")),
        presented_at=date(2025, 1, 2),
        mode="AIR",
        port_code="INBOM4",
        manifest=manifest_reference(line=3),
        expected_arrival="2025-01-01",
    )
    assert boe.presented_on == date(2025, 1, 2) and boe.mode == "AIR"
    assert boe.items[0].quantity == Decimal("2.5") and boe.items[0].purpose == "RND"
    assert boe.manifest is not None and boe.manifest.line == 3
    assert boe.expected_arrival == date(2025, 1, 1)
    with pytest.raises(TypeError, match="not float"):
        item(value_inr=0.1)


def test_registry_builders() -> None:
    row = registration(
        "NFMIMS", "NFS1", issued_on="2026-02-20", hs_codes="7403 7404", fee_paid_inr=500
    )
    assert row.kind == "registration" and row.hs_codes == ("7403", "7404")
    assert row.fee_paid_inr == Decimal(500) and row.issued_on == date(2026, 2, 20)
    rate = exchange_rate("USD", "83.25", issued_on="2026-03-01")
    engine = make_engine(only=[], records=[row, rate])
    assert engine.ctx.registry.licence("nfmims", "NFS1") == row
    assert engine.ctx.registry.exchange_rate("USD", date(2026, 3, 9)) == rate


def test_certificates_are_typed_and_their_readings_decimal() -> None:
    psic = certificate("PSIC", "PSIC-1", agency="PSIA-017", max_usvh="0.10", no_radioactive=True)
    line = item("72044900", certificates=[psic, certificate("CONTRACT")])
    assert [(c.type, c.number) for c in line.certificates] == [
        ("PSIC", "PSIC-1"),
        ("CONTRACT", "CERT-1"),
    ]
    assert psic.max_usvh == Decimal("0.10") and psic.agency == "PSIA-017"
    with pytest.raises(ValueError, match="type"):
        certificate("NOT-A-CERTIFICATE")


def test_render_writes_through_the_format_writer_and_reads_back() -> None:
    boe = bill_of_entry(item("74031100"))
    igm = manifest()
    [igm_back, boe_back] = make_engine().parse(render([igm, boe]), "both.xml")
    assert (igm_back.message, boe_back.message) == (igm, boe)
    edifact = render(boe, "edifact")
    assert edifact.startswith(b"UNA")
    [parsed] = make_engine().parse(edifact, "be.edi")
    assert parsed.format == "edifact" and parsed.message == boe
    with pytest.raises(LookupError, match="no installed plugin writes 'cusdec'"):
        render(boe, "cusdec")


def test_an_engine_over_a_given_registry_and_run(tmp_path: Path) -> None:
    from customs_engine.core.ledger.run_state import RunState
    from customs_engine.core.registry import SqlRegistry

    store = SqlRegistry.open(f"sqlite:///{tmp_path / 'customs.db'}")
    try:
        store.replace_records([registration("NFMIMS", "NFS1")], "test")
        engine = make_engine(only=[], registry=store.snapshot(), run=RunState(store, commit=False))
        assert engine.ctx.registry.licence("NFMIMS", "NFS1") is not None
    finally:
        store.close()
    with pytest.raises(ValueError, match="not both"):
        make_engine(records=[registration("NFMIMS", "NFS1")], registry=store.snapshot())


def test_written_messages_are_read_back_identically(tmp_path: Path) -> None:
    boe = bill_of_entry(
        item("74031100", licences=[licence("NFMIMS", "NFS1", issued_on="2026-02-20")])
    )
    path = write_message(tmp_path / "be.xml", boe)
    [parsed] = make_engine(only=["icegate_xml"]).parse(path.read_bytes(), str(path))
    assert parsed.findings == [] and parsed.message == boe
    with pytest.raises(LookupError, match="no installed plugin writes 'cusdec'"):
        write_message(tmp_path / "be.edi", boe, format="cusdec")


# -- assertions --------------------------------------------------------------------------------


def test_assert_finding_matches_and_returns_the_finding() -> None:
    response = flagged(item(), item("74031100"))
    found = assert_finding(
        response,
        "KIT-CHK-001",
        outcome="query",
        item=2,
        field="hs_code",
        message_contains="74031100",
    )
    assert found.item == 2
    assert findings_of(response, "KIT-CHK-001", item=ANY) == [found]
    assert_no_finding(response, "KIT-CHK-001", item=1)


def test_assert_finding_failures_show_the_response() -> None:
    response = flagged(item("74031100"))
    with pytest.raises(AssertionError) as failure:
        assert_finding(response, "KIT-CHK-001", outcome="hold")
    text = str(failure.value)
    assert "expected one KIT-CHK-001 finding with outcome 'hold', found 0" in text
    assert "finding query KIT-CHK-001 item 1: line 74031100" in text
    assert "fee KIT-CHK-001 item 1: registration_fee INR 500.00" in text
    with pytest.raises(AssertionError, match=r"with no item \(message-level\), found 0"):
        assert_finding(response, "KIT-CHK-001", item=None)  # None means message-level
    with pytest.raises(AssertionError, match="expected no KIT-CHK-001 finding for item 1"):
        assert_no_finding(response, "KIT-CHK-001", item=1)
    two = flagged(item("74031100"), item("74040012"))
    with pytest.raises(AssertionError, match="found 2"):
        assert_finding(two, "KIT-CHK-001")


def test_fee_and_status_assertions() -> None:
    response = flagged(item())
    assert_fee(response, "KIT-CHK-001", "500.00", item=1, kind="registration_fee")
    assert_fee(response, "KIT-CHK-001", 500)
    with pytest.raises(AssertionError, match=r"expected one KIT-CHK-001 fee of INR 400\.00"):
        assert_fee(response, "KIT-CHK-001", 400)
    with pytest.raises(AssertionError, match="expected no KIT-CHK-001 fee"):
        assert_no_fee(response, "KIT-CHK-001")
    assert_no_fee(response, "OTHER-001")
    assert_status(response, "accepted")
    with pytest.raises(AssertionError, match="expected status hold, got query"):
        assert_status(flagged(item("74031100")), "hold")


def test_rules_of_maps_each_rule_to_its_worst_outcome() -> None:
    response = flagged(item(), item("74031100"), item("74040010"))
    assert rules_of(response) == {"KIT-CHK-001": "query"}
    assert rules_of(response, "KIT-") == {"KIT-CHK-001": "query"}
    assert rules_of(response, "SIMS-") == {}
    hold = response.findings[0].model_copy(update={"outcome": "hold"})
    worse = response.model_copy(update={"findings": [*response.findings, hold]})
    assert rules_of(worse) == {"KIT-CHK-001": "hold"}


def test_assertions_accept_the_printed_json() -> None:
    response = flagged(item("74031100"))
    printed = json.loads(json.dumps(response.to_json_dict()))
    assert as_response(printed) == response
    assert_finding(printed, "KIT-CHK-001", item=1)
    assert_fee(printed, "KIT-CHK-001", "500.00")
    assert_status(printed, "query")
    assert describe(printed) == describe(response)


def test_check_runs_a_list_in_one_run() -> None:
    responses = check([manifest(), bill_of_entry()], only=[])
    assert [r.message.type for r in responses] == ["manifest", "bill_of_entry"]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def customs_plugins() -> list[str]:
    return ["core"]  # overriding the kit's default, as a plugin's conftest.py would


def test_fixtures_use_the_overridden_plugin_selection(
    customs_engine_factory, customs_check
) -> None:
    assert list(customs_engine_factory().host.versions()) == ["core"]
    assert list(customs_check(bill_of_entry()).engine.plugins) == ["core"]
    assert customs_check(bill_of_entry(), only=[]).engine.plugins == {}  # one call may differ
    assert len(customs_check([bill_of_entry(), bill_of_entry()])) == 2


def test_customs_cli_runs_the_command(customs_cli) -> None:
    result = customs_cli("--version")
    assert result.exit_code == 0 and "customs-engine" in result.stdout


def test_a_date_string_is_the_same_moment_as_a_date() -> None:
    as_text = bill_of_entry(presented_at="2024-04-01").presented_at
    assert as_text == bill_of_entry(presented_at=date(2024, 4, 1)).presented_at
    assert as_text.hour == 10  # 10:00 India time, not midnight
    timed = bill_of_entry(presented_at="2024-04-01T08:30:00+05:30").presented_at
    assert (timed.hour, timed.minute) == (8, 30)


def test_write_message_takes_the_format_by_position_as_render_does(tmp_path: Path) -> None:
    """``render(boe, "edifact")`` works, so a reader writes ``write_message(path, boe,
    "edifact")``: that raised TypeError (keyword-only)."""
    boe = bill_of_entry()
    path = write_message(tmp_path / "be.edi", boe, "edifact")
    assert path.read_bytes() == render(boe, "edifact")
