"""A document's life on the append-only ledger (RULES §1.4, §1.5): amendments, cancellations,
re-submissions, units, and the migration from release 0.1's schema."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.ledger.journal import RunJournal
from customs_engine.core.ledger.run_state import message_key
from customs_engine.core.ledger.units import convert
from customs_engine.core.models import BillOfEntry
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.records import RegistryRecord
from customs_engine.testing import rules_of
from tests.conftest import FIXTURES, MESSAGES
from tests.core.helpers import IGM_DATE, at, authorisation, boe, engine, igm, item, with_licence

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    value: str = request.getfixturevalue(request.param)
    store = SqlRegistry.open(value)
    store.replace_records([authorisation(quantity="100", value="1000000.00")], "test")
    store.close()
    return value


def bill(
    quantity: int | str, function: str = "original", message_id: str = "BE-1", **changes: Any
) -> BillOfEntry:
    return boe(
        message_id=message_id,
        function=function,
        items=[
            with_licence("AUTH-1", quantity=Decimal(quantity), value_inr=Decimal(quantity) * 1000)
        ],
        **changes,
    )


def debited(response: Any) -> Decimal:
    return sum((use.debited_quantity for use in response.authorisations), Decimal(0))


def credited(response: Any) -> Decimal:
    return sum((credit.quantity for credit in response.credited), Decimal(0))


def committed_run(url: str) -> Any:
    store = SqlRegistry.open(url)
    return store, engine(registry=store.snapshot(), store=store, commit=True)


def balance(url: str) -> Decimal:
    store = SqlRegistry.open(url)
    try:
        return store.debited("TESTAUTH", "AUTH-1")[0]
    finally:
        store.close()


# -- the sequence of issue 14, across four separate runs ----------------------------------------


def test_original_amendment_again_cancellation_in_four_runs(url: str) -> None:
    steps = [bill(60), bill(30, "amendment"), bill(30, "amendment"), bill(30, "cancellation")]
    responses = []
    balances = []
    for message in steps:
        store, run = committed_run(url)
        responses.append(run.validate_message(message))
        store.close()
        balances.append(balance(url))
    original, amendment, again, cancellation = responses
    assert (original.status, debited(original)) == ("query", 60)  # query: no IGM known
    assert rules_of(amendment, "CORE-BOE-AMD") == {"CORE-BOE-AMD-001": "info"}
    assert (debited(amendment), credited(amendment)) == (30, 60)
    assert [fee.kind for fee in amendment.fees] == ["amendment_fee"]
    # replayed, not amended again: answered as the amendment was (its fee and what it credited
    # back), while the ledger keeps the one amendment (balances below)
    assert again.model_dump(exclude={"engine"}) == amendment.model_dump(exclude={"engine"})
    assert rules_of(cancellation, "CORE-BOE-CAN") == {"CORE-BOE-CAN-001": "info"}
    assert (debited(cancellation), credited(cancellation)) == (0, 30)
    assert [(fee.kind, fee.amount) for fee in cancellation.fees] == [
        ("cancellation_fee", Decimal("1000"))
    ]
    assert cancellation.message.function == "cancellation"
    assert balances == [60, 30, 30, 0]
    shown = CliRunner().invoke(main, ["registry", "show", "--db", url, "AUTH-1"])
    assert shown.exit_code == 0, shown.output
    lines = [line.split() for line in shown.output.splitlines() if "BE-1" in line]
    assert [(line[0], line[2], line[5]) for line in lines] == [
        ("debit", "(original)", "60"),
        ("reversal", "(amendment)", "-60"),
        ("debit", "(amendment)", "30"),
        ("reversal", "(cancellation)", "-30"),
    ]
    assert "remaining: 100 NOS" in shown.output
    history = CliRunner().invoke(main, ["registry", "history", "--db", url, "BE-1"])
    assert history.exit_code == 0, history.output
    assert "3 versions" in history.output and "cancellation" in history.output


def test_the_same_sequence_in_one_run_without_commit(url: str) -> None:
    store = SqlRegistry.open(url)
    run = engine(registry=store.snapshot(), store=store)
    responses = [
        run.validate_message(m)
        for m in (bill(60), bill(30, "amendment"), bill(30, "amendment"), bill(30, "cancellation"))
    ]
    assert [debited(r) for r in responses] == [60, 30, 30, 0]
    assert [credited(r) for r in responses] == [0, 60, 60, 30]  # the replay says what it did
    assert responses[2].model_dump() == responses[1].model_dump()
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0  # nothing written without --commit
    # after the cancellation, the whole limit is there again for another document
    assert debited(run.validate_message(bill(100, message_id="BE-2"))) == 100
    store.close()


def test_an_amendments_claims_are_checked_with_the_replaced_debits_released(url: str) -> None:
    store, run = committed_run(url)
    run.validate_message(bill(80))
    amended = run.validate_message(bill(95, "amendment"))  # 100 - 80 + 80 released = 100 left
    assert "TESTAUTH-BAL-001" not in rules_of(amended)
    assert debited(amended) == 95 and amended.authorisations[0].remaining_quantity == 5
    too_much = run.validate_message(bill(101, "amendment"))
    assert rules_of(too_much)["TESTAUTH-BAL-001"] == "reject"
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 95  # the refused amendment changed nothing
    # it could have used 100 (95 released), but refused it releases nothing: 5 remain
    assert "has 100 NOS" in next(f.message for f in too_much.findings if f.outcome == "reject")
    assert too_much.authorisations[0].remaining_quantity == 5 and debited(too_much) == 0
    store.close()


def test_equal_declarations_written_differently_are_one_submission(url: str) -> None:
    """Issue 18 item 2: 30 / 30.0 / the same instant in UTC are a re-submission, not a new one."""
    first = bill(30)
    rewritten = first.model_copy(
        update={
            "presented_at": first.presented_at.astimezone(UTC),
            "items": [
                first.items[0].model_copy(
                    update={
                        "quantity": Decimal("30.0"),
                        "value_inr": Decimal("30000.000"),
                        "description": " KEYBOARDS ",
                    }
                )
            ],
        }
    )
    assert message_key(first) == message_key(rewritten)
    assert message_key(first) != message_key(bill(31))
    for message in (first, rewritten, rewritten):
        store, run = committed_run(url)
        response = run.validate_message(message)
        store.close()
        assert "CORE-DOC-001" not in rules_of(response)
    assert balance(url) == 30


# -- CORE-DOC-001..003 ---------------------------------------------------------------------------


def test_doc_001_a_changed_original_is_rejected(url: str) -> None:
    store, run = committed_run(url)
    assert "CORE-DOC-001" not in rules_of(run.validate_message(bill(10)))
    changed = run.validate_message(bill(20))
    assert rules_of(changed)["CORE-DOC-001"] == "reject" and debited(changed) == 0
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 10
    store.close()


def test_doc_002_amendment_or_cancellation_of_an_unknown_document(url: str) -> None:
    store, run = committed_run(url)
    amendment = run.validate_message(bill(10, "amendment"))
    assert rules_of(amendment)["CORE-DOC-002"] == "query"
    assert debited(amendment) == 10  # checked and debited as if original
    cancellation = run.validate_message(bill(10, "cancellation", message_id="BE-9"))
    assert rules_of(cancellation)["CORE-DOC-002"] == "query"
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 10
    known = run.validate_message(bill(5, "amendment"))
    assert "CORE-DOC-002" not in rules_of(known)
    store.close()


def test_doc_003_cancelled_documents_and_the_other_kind(url: str) -> None:
    store, run = committed_run(url)
    run.validate_message(bill(10))
    assert "CORE-DOC-003" not in rules_of(run.validate_message(bill(10, "cancellation")))
    again = run.validate_message(bill(10, "amendment"))
    assert rules_of(again)["CORE-DOC-003"] == "reject" and debited(again) == 0
    twice = run.validate_message(bill(11, "cancellation"))
    assert rules_of(twice)["CORE-DOC-003"] == "reject"
    other_kind = run.validate_message(igm(message_id="BE-1", function="amendment"))
    assert rules_of(other_kind)["CORE-DOC-003"] == "reject"
    (said,) = [f.message for f in other_kind.findings if f.rule == "CORE-DOC-003"]
    assert "is a Bill of Entry: an IGM amendment cannot replace it" in said
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0
    store.close()


def test_doc_001_a_cancelled_document_needs_a_new_message_id(url: str) -> None:
    """A cancellation of a document never filed (CORE-DOC-002) is stored as its only version: an
    original under that id is not "filed with other content", and an amendment would be refused
    (CORE-DOC-003). CORE-DOC-001 says so, as it does for a document filed, then cancelled."""
    store, run = committed_run(url)
    unknown = run.validate_message(bill(10, "cancellation"))
    assert rules_of(unknown) == {"CORE-DOC-002": "query"}
    (said,) = [f.message for f in unknown.findings if f.rule == "CORE-DOC-002"]
    assert said.endswith(
        "nothing is credited back, and the message_id is closed: a document filed under it "
        "later is refused (CORE-DOC-001)"
    )
    original = run.validate_message(bill(10))
    assert rules_of(original)["CORE-DOC-001"] == "reject" and debited(original) == 0
    (said,) = [f.message for f in original.findings if f.rule == "CORE-DOC-001"]
    assert "Bill of Entry BE-1 is cancelled" in said and "new message_id" in said
    assert "send an amendment" not in said and "filed with other content" not in said
    assert rules_of(run.validate_message(bill(10, "amendment")))["CORE-DOC-003"] == "reject"
    run.validate_message(bill(10, message_id="BE-2"))
    run.validate_message(bill(10, "cancellation", message_id="BE-2"))
    again = run.validate_message(bill(20, message_id="BE-2"))
    (said,) = [f.message for f in again.findings if f.rule == "CORE-DOC-001"]
    assert "Bill of Entry BE-2 is cancelled" in said and "send an amendment" not in said
    run.validate_message(bill(10, message_id="BE-3"))
    live = run.validate_message(bill(20, message_id="BE-3"))  # filed and live: amend it
    (said,) = [f.message for f in live.findings if f.rule == "CORE-DOC-001"]
    assert said.endswith("is already filed with other content: send an amendment")
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 10
    store.close()


def test_doc_001_an_original_under_another_kind_of_documents_id_needs_a_new_message_id(
    url: str,
) -> None:
    """An amendment would be refused (CORE-DOC-003): CORE-DOC-001 says whose id it is and asks
    for a new one, in this run and in the committed ledger alike."""
    store, run = committed_run(url)
    run.validate_message(igm(message_id="SHARED-1"))
    bill_under_it = run.validate_message(bill(10, message_id="SHARED-1"))
    (said,) = [f.message for f in bill_under_it.findings if f.rule == "CORE-DOC-001"]
    assert (
        said
        == "message_id SHARED-1 is already an IGM's: file the Bill of Entry under a new message_id"
    )
    assert debited(bill_under_it) == 0
    run.validate_message(bill(10, message_id="SHARED-2"))
    igm_under_it = run.validate_message(igm(message_id="SHARED-2", igm_number="2234999"))
    (said,) = [f.message for f in igm_under_it.findings if f.rule == "CORE-DOC-001"]
    assert (
        said
        == "message_id SHARED-2 is already a Bill of Entry's: file the IGM under a new message_id"
    )
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 10
    store.close()


# -- Bill of Entry amendment and cancellation rules ------------------------------------------


def test_boe_amd_001_fee_from_2017_04_11_nil_for_prior_info_only_before() -> None:
    run = engine([authorisation()])
    run.validate_message(bill(10))
    amended = run.validate_message(bill(9, "amendment"))
    assert [(f.kind, f.amount) for f in amended.fees] == [("amendment_fee", Decimal("1000"))]
    old = engine([authorisation()])
    old.validate_message(bill(10, presented_at=at("2017-04-10")))
    before = old.validate_message(bill(9, "amendment", presented_at=at("2017-04-10")))
    assert rules_of(before)["CORE-BOE-AMD-001"] == "info" and before.fees == []
    prior = engine([authorisation()])
    prior.validate_message(bill(10, prior=True))
    free = prior.validate_message(bill(9, "amendment", prior=True))
    assert rules_of(free)["CORE-BOE-AMD-001"] == "info"
    assert [(f.kind, f.amount) for f in free.fees] == [("amendment_fee", Decimal(0))]  # nil
    assert "CORE-BOE-AMD-001" not in rules_of(run.validate_message(bill(5, message_id="BE-2")))


def test_boe_amd_002_type_change_between_home_consumption_and_warehousing() -> None:
    run = engine([authorisation()])
    run.validate_message(bill(10))
    same = run.validate_message(bill(9, "amendment"))
    assert "CORE-BOE-AMD-002" not in rules_of(same)
    changed = run.validate_message(bill(9, "amendment", type="WAREHOUSING"))
    assert rules_of(changed)["CORE-BOE-AMD-002"] == "hold"


def test_boe_amd_003_a_changed_iec_is_not_an_amendment() -> None:
    run = engine([authorisation()])
    run.validate_message(bill(10))
    changed = run.validate_message(
        bill(9, "amendment", importer={"iec": "ABCDE1234F", "name": "OTHER"})
    )
    assert rules_of(changed)["CORE-BOE-AMD-003"] == "reject"
    assert debited(changed) == 0 and run.run.debited("TESTAUTH", "AUTH-1")[0] == 10
    assert "CORE-BOE-AMD-003" not in rules_of(run.validate_message(bill(9, "amendment")))


def test_boe_can_001_credits_back_and_charges_the_fee() -> None:
    run = engine([authorisation()])
    run.validate_message(bill(40))
    cancelled = run.validate_message(bill(40, "cancellation"))
    assert rules_of(cancelled)["CORE-BOE-CAN-001"] == "info"
    assert credited(cancelled) == 40 and run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    assert "CORE-BOE-CAN-001" not in rules_of(run.validate_message(bill(5, message_id="BE-2")))
    again = run.validate_message(bill(40, "cancellation"))  # a retry: answered the same
    assert again.model_dump() == cancelled.model_dump()
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 5


def test_scheme_plugins_never_see_a_cancellation() -> None:
    run = engine([authorisation()])
    run.validate_message(bill(40))
    # a cancellation carrying a line the scheme would refuse (over the limit) is not checked
    cancelled = run.validate_message(bill(500, "cancellation"))
    assert cancelled.authorisations == [] and "TESTAUTH-BAL-001" not in rules_of(cancelled)
    assert cancelled.status == "accepted"


# -- a rejected amendment or cancellation takes no effect: no fee, nothing said replaced ------


def _no_effect_said(response: Any) -> None:
    assert response.status == "rejected"
    assert response.fees == [] and response.credited == []
    for rule in ("CORE-BOE-AMD-001", "CORE-BOE-CAN-001", "CORE-IGM-003"):
        assert rule not in rules_of(response), response.findings


@pytest.mark.parametrize(
    ("case", "rejected_by"),
    [
        ("other IEC", "CORE-BOE-AMD-003"),
        ("amended below what was cleared", "CORE-BOND-003"),
        ("cancelled after a clearance", "CORE-BOND-003"),
        ("already cancelled", "CORE-DOC-003"),
    ],
)
def test_a_rejected_boe_amendment_or_cancellation_lists_no_fee(case: str, rejected_by: str) -> None:
    """Whatever rule rejects it, a Bill of Entry amendment or cancellation that is rejected was
    never filed: no CORE-BOE-AMD-001 / CORE-BOE-CAN-001 fee, and no finding saying that it
    replaced the filed version or credited anything back."""
    run = engine([authorisation()])
    run.validate_message(warehousing(100))
    run.validate_message(ex_bond(60))
    message = {
        "other IEC": warehousing(
            100, function="amendment", importer={"iec": "ABCDE1234F", "name": "OTHER"}
        ),
        "amended below what was cleared": warehousing(50, function="amendment"),
        "cancelled after a clearance": warehousing(100, function="cancellation"),
    }.get(case)
    if message is None:
        run.validate_message(ex_bond(60, function="cancellation"))
        run.validate_message(warehousing(100, function="cancellation"))
        message = warehousing(100, function="amendment")
    refused = run.validate_message(message)
    assert rules_of(refused)[rejected_by] == "reject"
    _no_effect_said(refused)
    again = run.validate_message(message)  # deterministic: answered the same way again
    assert again.model_dump(exclude={"engine"}) == refused.model_dump(exclude={"engine"})
    # the accepted amendment still says it took effect, with its fee
    if case != "already cancelled":
        accepted = run.validate_message(warehousing(80, function="amendment"))
        assert rules_of(accepted)["CORE-BOE-AMD-001"] == "info"
        assert [f.kind for f in accepted.fees] == ["amendment_fee"]


def test_a_rejected_igm_amendment_lists_no_fee() -> None:
    """CORE-IGM-003's fee is left out of a rejected IGM amendment (here: a malformed port
    code, CORE-PORT-001); the holds on its content still show what else is wrong."""
    run = engine()
    run.validate_message(igm())
    refused = run.validate_message(igm(function="amendment", port_code="XX", lines=[]))
    assert rules_of(refused)["CORE-PORT-001"] == "reject"
    assert rules_of(refused)["CORE-IGM-004"] == "hold"  # line 10 removed: still said
    _no_effect_said(refused)
    accepted = run.validate_message(igm(function="amendment", vessel_name="RENAMED"))
    assert rules_of(accepted)["CORE-IGM-003"] == "info" and len(accepted.fees) == 1


def blind_to_clearances(url: str, steps: list[Any], *, opened: int) -> Any:
    """Commit ``steps`` one run each, then a committing run whose view of the bond is as it
    looked before the clearances were committed (``opened`` in bond): what it judges fine, the
    store's re-check under the lock refuses."""
    for step in steps:
        store, committing = committed_run(url)
        committing.validate_message(step)
        store.close()
    store, late = committed_run(url)
    as_seen = late.run.debited
    late.run.debited = lambda scheme, number: (  # type: ignore[method-assign]
        (Decimal(-opened), Decimal(0)) if scheme == "BOND" else as_seen(scheme, number)
    )
    return store, late


@pytest.mark.parametrize("function", ["amendment", "cancellation"])
def test_a_boe_refused_by_the_store_under_lock_lists_no_fee(url: str, function: str) -> None:
    """The run judged the change fine (it did not see a clearance committed meanwhile); the
    store's re-check under the lock refuses it (CORE-BOND-003): no fee is listed either."""
    store, late = blind_to_clearances(url, [warehousing(100), ex_bond(60)], opened=100)
    refused = late.validate_message(warehousing(50, function=function))
    assert rules_of(refused)["CORE-BOND-003"] == "reject"
    _no_effect_said(refused)
    assert store.debited("BOND", "WH-1/84716040")[0] == -40  # nothing written
    store.close()


# -- IGM amendments -----------------------------------------------------------------------------


def test_igm_003_amendment_fee_and_the_amended_igm_is_used_for_noting() -> None:
    run = engine([authorisation()])
    run.validate_message(igm())
    amended = run.validate_message(
        igm(
            function="amendment",
            lines=[
                {
                    "line": 10,
                    "subline": 0,
                    "bl_number": "MAEU123456",
                    "consignee_iec": "AAPFU0939F",
                },
                {"line": 11, "subline": 0, "bl_number": "MAEU999999"},
            ],
        )
    )
    assert rules_of(amended)["CORE-IGM-003"] == "info"
    assert [(f.kind, f.amount) for f in amended.fees] == [("amendment_fee", Decimal("1000"))]
    noted = run.validate_message(bill(1, manifest={"igm_number": "2234567", "line": 11}))
    assert rules_of(noted, "CORE-BOE-NOTE") == {}
    old = engine()
    old.validate_message(igm(filed_at=at("2017-01-05T09:00")))
    ten = old.validate_message(igm(function="amendment", filed_at=at("2017-01-05T10:00")))
    assert [(f.kind, f.amount) for f in ten.fees] == [("amendment_fee", Decimal("10"))]
    assert "CORE-IGM-003" not in rules_of(engine().validate_message(igm()))


def test_igm_004_and_005_excised_or_lowered_lines_are_held() -> None:
    run = engine()
    run.validate_message(
        igm(
            lines=[
                {
                    "line": 10,
                    "subline": 0,
                    "bl_number": "A",
                    "packages": 10,
                    "gross_weight_kg": "500",
                },
                {"line": 11, "subline": 0, "bl_number": "B", "packages": 5},
            ]
        )
    )
    same = run.validate_message(
        igm(
            function="amendment",
            voyage="V2",
            lines=[
                {
                    "line": 10,
                    "subline": 0,
                    "bl_number": "A",
                    "packages": 12,
                    "gross_weight_kg": "500",
                },
                {"line": 11, "subline": 0, "bl_number": "B", "packages": 5},
            ],
        )
    )
    assert rules_of(same, "CORE-IGM-00") == {"CORE-IGM-003": "info"}
    lowered = run.validate_message(
        igm(
            function="amendment",
            lines=[
                {
                    "line": 10,
                    "subline": 0,
                    "bl_number": "A",
                    "packages": 12,
                    "gross_weight_kg": "450",
                }
            ],
        )
    )
    assert rules_of(lowered)["CORE-IGM-004"] == "hold"  # line 11 excised
    assert rules_of(lowered)["CORE-IGM-005"] == "hold"  # line 10 lighter


def _line(line: int, bl: str, **changes: Any) -> dict[str, Any]:
    return {"line": line, "subline": 0, "bl_number": bl, **changes}


FILED_LINES = [
    _line(10, "A", packages=10, gross_weight_kg="500"),
    _line(11, "B", packages=5, gross_weight_kg=None),
]


@pytest.mark.parametrize(
    "lines",
    [
        # every line kept, in another order, and a line added
        [FILED_LINES[1], _line(12, "C", packages=1), FILED_LINES[0]],
        # every line kept, its B/L corrected
        [_line(10, "A2", packages=10, gross_weight_kg="500"), FILED_LINES[1]],
    ],
    ids=["reordered-and-added", "bl-corrected"],
)
def test_igm_004_quiet_when_the_amendment_keeps_every_line(lines: list[dict[str, Any]]) -> None:
    run = engine()
    run.validate_message(igm(lines=FILED_LINES))
    amended = run.validate_message(igm(function="amendment", lines=lines))
    assert "CORE-IGM-004" not in rules_of(amended)
    assert rules_of(amended, "CORE-IGM-00") == {"CORE-IGM-003": "info"}


@pytest.mark.parametrize(
    "line_10, line_11",
    [
        # the same packages and weight, the weight written with decimals
        ({"packages": 10, "gross_weight_kg": "500.000"}, {"packages": 5}),
        # raised
        ({"packages": 11, "gross_weight_kg": "500.5"}, {"packages": 6}),
        # a weight given where none was filed: nothing to compare it with
        ({"packages": 10, "gross_weight_kg": "500"}, {"packages": 5, "gross_weight_kg": "1"}),
    ],
    ids=["equal", "raised", "weight-newly-given"],
)
def test_igm_005_quiet_unless_packages_or_weight_go_down(
    line_10: dict[str, Any], line_11: dict[str, Any]
) -> None:
    run = engine()
    run.validate_message(igm(lines=FILED_LINES))
    amended = run.validate_message(
        igm(function="amendment", lines=[_line(10, "A", **line_10), _line(11, "B", **line_11)])
    )
    assert "CORE-IGM-005" not in rules_of(amended)
    assert rules_of(amended, "CORE-IGM-00") == {"CORE-IGM-003": "info"}


# -- units (RULES §1.5) -----------------------------------------------------------------------


def test_unit_conversion_table() -> None:
    assert convert(Decimal(500), "GMS", "KGS") == Decimal("0.5")
    assert convert(Decimal(2), "MTS", "KGS") == 2000
    assert convert(Decimal(3), "QTL", "TNE") == Decimal("0.3")
    assert convert(Decimal(1500), "MLT", "LTR") == Decimal("1.5")
    assert convert(Decimal(1), "KLR", "LTR") == 1000
    assert convert(Decimal(7), "PCS", "NOS") == 7 and convert(Decimal(7), "UNT", "PCS") == 7
    assert convert(Decimal(1), "SET", "SET") == 1
    assert convert(Decimal(1), "SET", "NOS") is None and convert(Decimal(1), "NOS", "KGS") is None


@pytest.mark.parametrize(
    ("quantity", "unit", "limit_unit", "written"),
    [
        ("1.5", "MTS", "KGS", "1500"),
        ("1500", "KGS", "MTS", "1.5"),
        ("1234.5678", "GMS", "KGS", "1.2345678"),
        ("2.50", "KGS", "KGS", "2.50"),  # the same unit: as the message gave it
        ("1E+26", "MTS", "KGS", "1.000E+29"),  # beyond the context's precision: not rounded
    ],
)
def test_a_converted_quantity_is_written_without_appended_digits(
    quantity: str, unit: str, limit_unit: str, written: str
) -> None:
    """What the ledger stores and the response shows: 1.5 MTS is 1500 KGS, not 1500.0."""
    assert str(convert(Decimal(quantity), unit, limit_unit)) == written


def _kg_limit(unit: str = "MTS") -> RegistryRecord:
    return authorisation(quantity="2").model_copy(update={"unit": unit})


def test_lic_004_incompatible_units_are_rejected_and_compatible_ones_converted() -> None:
    run = engine([_kg_limit()])
    mass = run.validate_message(
        boe(items=[with_licence(quantity=Decimal(1500), unit="KGS", value_inr=Decimal(1000))])
    )
    assert "CORE-LIC-004" not in rules_of(mass)
    assert mass.authorisations[0].debited_quantity == Decimal("1.5")  # 1500 KGS = 1.5 MTS
    assert mass.authorisations[0].remaining_quantity == Decimal("0.5")
    sets = run.validate_message(
        boe(
            message_id="BE-2",
            items=[with_licence(quantity=Decimal(1), unit="SET", value_inr=Decimal(1000))],
        )
    )
    assert rules_of(sets)["CORE-LIC-004"] == "reject" and debited(sets) == 0
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == Decimal("1.5")


@pytest.mark.parametrize("quantity", ["100", None], ids=["quantity-limit", "value-limit-only"])
def test_lic_004_is_not_also_reported_as_a_shortfall(quantity: str | None) -> None:
    """A line in SET against a limit in NOS is CORE-LIC-004 once, never the scheme's
    shortfall rule with a balance that does not exist, even when only the value is limited."""
    limit = authorisation().model_copy(
        update={"quantity": None if quantity is None else Decimal(quantity)}
    )
    run = engine([limit])
    sets = run.validate_message(
        boe(items=[with_licence(quantity=Decimal(1), unit="SET", value_inr=Decimal(1000))])
    )
    rejects = [f for f in sets.findings if f.outcome == "reject"]
    assert [f.rule for f in rejects] == ["CORE-LIC-004"], rejects
    assert "NOS" in rejects[0].message and debited(sets) == 0
    assert run.run.debited("TESTAUTH", "AUTH-1") == (0, 0)


def test_a_shortfall_names_the_balance_in_the_limits_unit() -> None:
    run = engine([authorisation(quantity="1000").model_copy(update={"unit": "KGS"})])
    short = run.validate_message(
        boe(items=[with_licence(quantity=Decimal(2), unit="MTS", value_inr=Decimal(1000))])
    )
    (finding,) = [f for f in short.findings if f.outcome == "reject"]
    assert "has 1000 KGS / " in finding.message and "needs 2 MTS (2000 KGS) / " in finding.message


# -- the migration from release 0.1 -------------------------------------------------------------


def test_migration_keeps_every_debit_of_a_release_0_1_database(tmp_path: Path) -> None:
    """tests/fixtures/registry-0001.db was written by release 0.1 (schema 0001, its commit
    path): three debits (10, 25, 5 of AUTH-1's 100 NOS) and one IGM."""
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURES / "registry-0001.db", copy)
    url = f"sqlite:///{copy}"
    store = SqlRegistry.open(url)  # migrates to the newest schema
    entries = store.entries_of("TESTAUTH", "AUTH-1")
    assert [(e.message_id, e.kind, e.function, e.quantity, e.unit) for e in entries] == [
        ("BE-OLD-0", "debit", "original", 10, "NOS"),
        ("BE-OLD-1", "debit", "original", 25, "NOS"),
        ("BE-OLD-2", "debit", "original", 5, "NOS"),
    ]
    assert store.debited("TESTAUTH", "AUTH-1") == (40, 40000)
    assert [m.igm_number for m in store.find_manifests("2234567")] == ["2234567"]
    run = engine(registry=store.snapshot(), store=store, commit=True)
    # re-submitting a message the old release committed is a replay, never a second debit
    again = run.validate_message(
        boe(
            message_id="BE-OLD-1",
            items=[with_licence("AUTH-1", quantity=Decimal(25), value_inr=Decimal(25000))],
        )
    )
    assert "CORE-DOC-001" not in rules_of(again) and debited(again) == 25
    # and an old document can be amended: its old debit is credited back
    amended = run.validate_message(
        boe(
            message_id="BE-OLD-1",
            function="amendment",
            items=[with_licence("AUTH-1", quantity=Decimal(20), value_inr=Decimal(20000))],
        )
    )
    assert credited(amended) == 25 and debited(amended) == 20
    assert store.debited("TESTAUTH", "AUTH-1") == (35, 35000)
    store.close()


# -- IGM cancellation: noted Bills of Entry void (CORE-IGM-008, CORE-BOE-NOTE-005, CORE-IGM-006) --


def test_igm_008_cancellation_voids_the_noted_bills_and_credits_them_back(url: str) -> None:
    store, run = committed_run(url)
    run.validate_message(igm())
    noted = run.validate_message(bill(30))
    assert rules_of(noted, "CORE-BOE-NOTE") == {} and debited(noted) == 30
    elsewhere = run.validate_message(
        bill(20, message_id="BE-2", manifest={"igm_number": "9999999", "line": 1})
    )
    assert debited(elsewhere) == 20
    store.close()
    store, run = committed_run(url)  # a later run: the IGM and the bills are known as committed
    cancelled = run.validate_message(igm(function="cancellation"))
    assert rules_of(cancelled)["CORE-IGM-008"] == "warn"
    assert "BE-1" in cancelled.findings[0].message and "BE-2" not in cancelled.findings[0].message
    assert credited(cancelled) == 30
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 20
    voided = store.document("BE-1")
    assert voided is not None and voided.cancelled
    # the ledger names what voided it: no cancellation of BE-1 was ever sent
    history = CliRunner().invoke(main, ["registry", "history", "--db", url, "BE-1"]).output
    assert "2. voided by the cancellation of IGM 2234567 at" in history, history
    shown = CliRunner().invoke(main, ["registry", "show", "--db", url, "AUTH-1"]).output
    assert "reversal BE-1 (voided by the cancellation of IGM 2234567) item 1: -30" in shown, shown
    assert "debit    BE-2 (original)" in shown
    store.close()
    store, run = committed_run(url)  # sent again (a retry): the same answer, nothing written
    again = run.validate_message(igm(function="cancellation"))
    assert again.model_dump(exclude={"engine"}) == cancelled.model_dump(exclude={"engine"})
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 20
    late = run.validate_message(bill(5, message_id="BE-3"))
    assert rules_of(late)["CORE-BOE-NOTE-005"] == "reject" and debited(late) == 0
    # a voided bill cannot be amended any more
    assert rules_of(run.validate_message(bill(10, "amendment")))["CORE-DOC-003"] == "reject"
    store.close()


def test_igm_008_in_one_run_without_commit() -> None:
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(bill(30))
    cancelled = run.validate_message(igm(function="cancellation"))
    assert rules_of(cancelled)["CORE-IGM-008"] == "warn" and credited(cancelled) == 30
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    again = run.validate_message(igm(function="cancellation"))
    assert again.model_dump() == cancelled.model_dump()
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    assert "CORE-BOE-NOTE-005" not in rules_of(engine([authorisation()]).validate_message(bill(1)))


@pytest.mark.parametrize("committing", [False, True])
def test_igm_008_voids_only_what_was_noted_against_the_cancelled_document(
    url: str, committing: bool
) -> None:
    """IGM-1 is filed as 2234567 and BE-1 noted against it; IGM-1 is renumbered 3333333 and
    another manifest, IGM-2, is filed as 2234567 with BE-2 noted against it. Cancelling IGM-1
    voided BE-2 too (the void matched any number IGM-1 ever had) and credited back its debit."""
    store, run = committed_run(url) if committing else (None, engine([authorisation()]))
    run.validate_message(igm())
    assert debited(run.validate_message(bill(30))) == 30
    run.validate_message(igm(function="amendment", igm_number="3333333"))
    run.validate_message(igm(message_id="IGM-2"))
    assert debited(run.validate_message(bill(20, message_id="BE-2"))) == 20
    cancelled = run.validate_message(igm(function="cancellation", igm_number="3333333"))
    said = next(f for f in cancelled.findings if f.rule == "CORE-IGM-008")
    assert "BE-1" in said.message and "BE-2" not in said.message, said.message
    assert credited(cancelled) == 30
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 20
    # BE-2 is live: it may still be amended
    assert "CORE-DOC-003" not in rules_of(run.validate_message(bill(15, "amendment", "BE-2")))
    if store is not None:
        store.close()


@pytest.mark.parametrize("committing", [False, True])
def test_igm_008_voids_the_bills_noted_against_a_document_whose_port_was_amended(
    url: str, committing: bool
) -> None:
    """The IGM's port is amended after BE-1 was noted against it: the cancellation matched the
    current port only, voided nothing and left BE-1's debit standing."""
    store, run = committed_run(url) if committing else (None, engine([authorisation()]))
    run.validate_message(igm())
    assert debited(run.validate_message(bill(30))) == 30
    run.validate_message(igm(function="amendment", port_code="INMAA1"))
    cancelled = run.validate_message(igm(function="cancellation", port_code="INMAA1"))
    said = next(f for f in cancelled.findings if f.rule == "CORE-IGM-008")
    assert "BE-1" in said.message and credited(cancelled) == 30, said.message
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    if store is not None:
        store.close()


def test_igm_008_quiet_for_an_amendment_and_for_a_cancellation_of_an_unknown_igm() -> None:
    """Only the cancellation of a known IGM voids its bills: an amendment of it replaces it (the
    bill noted against it stands), and a cancellation of an IGM that is not known has nothing
    to void (CORE-DOC-002)."""
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(bill(30))
    amended = run.validate_message(igm(function="amendment", vessel_name="RENAMED"))
    assert "CORE-IGM-008" not in rules_of(amended)
    assert credited(amended) == 0 and run.run.debited("TESTAUTH", "AUTH-1")[0] == 30
    unknown = engine([authorisation()]).validate_message(igm(function="cancellation"))
    assert "CORE-IGM-008" not in rules_of(unknown)
    assert rules_of(unknown) == {"CORE-DOC-002": "query"}


def test_igm_008_and_bond_001_find_bills_the_run_moved_out_of_memory() -> None:
    run = engine([authorisation()])
    run.run._journal = RunJournal(ids_in_memory=1)  # every noting and number goes to disk
    run.validate_message(igm())
    run.validate_message(bill(30))
    run.validate_message(warehousing())
    assert run.run._journal._db is not None
    found = run.validate_message(ex_bond(1))  # by BE number 7000001
    assert rules_of(found, "CORE-BOND") == {}
    # (with the clearance standing, the IGM could not void the warehousing bill: CORE-BOND-003)
    run.validate_message(ex_bond(1, function="cancellation"))
    cancelled = run.validate_message(igm(function="cancellation"))  # voids both noted bills
    assert rules_of(cancelled)["CORE-IGM-008"] == "warn"
    assert {c.scheme: c.quantity for c in cancelled.credited} == {"TESTAUTH": 30, "BOND": -100}


@pytest.mark.parametrize("named", [None, "9999999"], ids=["no-number", "other-number"])
def test_igm_008_a_cancellation_cancels_its_document_whatever_number_it_carries(
    url: str, named: str | None
) -> None:
    """The document is its message id: a cancellation that leaves the IGM number out (ICES
    allotted it) or carries another one still voids the bills noted against the document's
    number, and later bills quoting that number get CORE-BOE-NOTE-005."""
    store, run = committed_run(url)
    run.validate_message(igm())
    assert debited(run.validate_message(bill(30))) == 30
    store.close()
    store, run = committed_run(url)
    cancelled = run.validate_message(
        igm(function="cancellation", igm_number=named, igm_date=None if named is None else IGM_DATE)
    )
    assert "BE-1" in cancelled.findings[0].message and credited(cancelled) == 30
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0
    late = run.validate_message(bill(5, message_id="BE-3"))
    assert rules_of(late)["CORE-BOE-NOTE-005"] == "reject" and debited(late) == 0
    store.close()


def fresh_manifest(**changes: Any) -> Any:
    """A manifest ICES has not numbered yet: Bills of Entry are noted against it by B/L."""
    return igm(igm_number=None, igm_date=None, **changes)


def bill_by_bl(quantity: int, message_id: str = "BE-1", bl_number: str = "MAEU123456") -> Any:
    return bill(
        quantity,
        message_id=message_id,
        manifest={"igm_number": "7654321", "bl_number": bl_number},
    )


def test_igm_008_cancelling_a_fresh_manifest_voids_the_bills_noted_by_bl(url: str) -> None:
    """A Bill of Entry noted by its B/L against a manifest without IGM number
    (CORE-BOE-NOTE-006) is void when that manifest is cancelled, committed or not."""
    run = engine([authorisation()])
    run.validate_message(fresh_manifest())
    noted = run.validate_message(bill_by_bl(30))
    assert rules_of(noted, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-006": "info"}
    other = run.validate_message(bill_by_bl(20, message_id="BE-2", bl_number="OTHER"))
    assert rules_of(other, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-002": "query"}
    cancelled = run.validate_message(fresh_manifest(function="cancellation", lines=[]))
    assert rules_of(cancelled)["CORE-IGM-008"] == "warn" and credited(cancelled) == 30
    assert "BE-1" in cancelled.findings[0].message and "BE-2" not in cancelled.findings[0].message
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 20
    # committed by one run, cancelled by the next
    store, committing = committed_run(url)
    committing.validate_message(fresh_manifest())
    assert debited(committing.validate_message(bill_by_bl(30))) == 30
    store.close()
    store, later = committed_run(url)
    cancelled = later.validate_message(fresh_manifest(function="cancellation", lines=[]))
    assert rules_of(cancelled)["CORE-IGM-008"] == "warn" and credited(cancelled) == 30
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0
    voided = store.document("BE-1")
    assert voided is not None and voided.cancelled
    store.close()


def test_igm_008_a_bill_amended_off_the_fresh_manifest_is_not_voided_with_it() -> None:
    run = engine([authorisation()])
    run.validate_message(fresh_manifest())
    run.validate_message(bill_by_bl(30))
    moved = bill(30, "amendment", manifest={"igm_number": "7654321", "bl_number": "OTHER"})
    assert rules_of(run.validate_message(moved), "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-002": "query"}
    cancelled = run.validate_message(fresh_manifest(function="cancellation", lines=[]))
    assert "CORE-IGM-008" in rules_of(cancelled) and credited(cancelled) == 0
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 30


def test_a_stored_igm_is_found_after_other_manifests_were_committed(url: str) -> None:
    """Each stored manifest is found by its number, whatever was committed after it (only the
    manifest committed last to the database was found), and its amendment replaces it."""
    store, run = committed_run(url)
    run.validate_message(igm())
    run.validate_message(igm(message_id="IGM-2", igm_number="3333333"))
    run.validate_message(fresh_manifest(message_id="IGM-3", port_code="INMAA1"))
    store.close()
    store, later = committed_run(url)
    assert rules_of(later.validate_message(bill(5)), "CORE-BOE-NOTE") == {}
    other = bill(5, message_id="BE-2", manifest={"igm_number": "3333333", "line": 10})
    assert rules_of(later.validate_message(other), "CORE-BOE-NOTE") == {}
    assert [m.message_id for m in store.find_manifests("2234567")] == ["IGM-1"]
    assert [m.message_id for m in store.find_unnumbered_manifests("INMAA1")] == ["IGM-3"]
    store.close()


def test_igm_008_voids_the_bills_noted_under_a_number_the_igm_had_before(url: str) -> None:
    """An IGM renumbered by its amendment, then cancelled: the Bill of Entry noted under its
    old number is void too (it stayed live with its debit)."""
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(bill(10))  # noted under 2234567
    run.validate_message(igm(function="amendment", igm_number="2234568"))
    cancelled = run.validate_message(igm(function="cancellation", igm_number="2234568"))
    assert "BE-1" in cancelled.findings[0].message and credited(cancelled) == 10
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 0
    # committed, run by run
    for step in (igm(), bill(10), igm(function="amendment", igm_number="2234568")):
        store, committing = committed_run(url)
        committing.validate_message(step)
        store.close()
    store, later = committed_run(url)
    cancelled = later.validate_message(igm(function="cancellation", igm_number="2234568"))
    assert "BE-1" in cancelled.findings[0].message and credited(cancelled) == 10
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0
    voided = store.document("BE-1")
    assert voided is not None and voided.cancelled
    store.close()


def test_an_igm_renumbered_by_its_amendment_is_not_found_under_its_old_number(url: str) -> None:
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(igm(function="amendment", igm_number="2234568"))
    old = run.validate_message(bill(5))
    assert rules_of(old, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-002": "query"}
    new = bill(5, message_id="BE-2", manifest={"igm_number": "2234568", "line": 10})
    assert rules_of(run.validate_message(new), "CORE-BOE-NOTE") == {}
    # committed, in one run and then read by the next
    store, committing = committed_run(url)
    committing.validate_message(igm())
    committing.validate_message(igm(function="amendment", igm_number="2234568"))
    assert rules_of(committing.validate_message(bill(5)))["CORE-BOE-NOTE-002"] == "query"
    store.close()
    store, later = committed_run(url)
    assert rules_of(later.validate_message(bill(5, message_id="BE-3")))["CORE-BOE-NOTE-002"]
    assert rules_of(later.validate_message(new), "CORE-BOE-NOTE") == {}
    store.close()


def test_igm_001_is_the_filing_deadline_not_an_amendments() -> None:
    run = engine()
    late = {"filed_at": at("2026-03-11T09:00")}  # after the arrival on 2026-03-10
    assert rules_of(run.validate_message(igm(**late)))["CORE-IGM-001"] == "warn"
    run = engine()
    run.validate_message(igm())
    amended = run.validate_message(igm(function="amendment", vessel_name="RENAMED", **late))
    assert "CORE-IGM-001" not in rules_of(amended)


def test_igm_006_late_amendment_of_a_noted_line_goes_to_manifest_clearance() -> None:
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(bill(3))
    changed_line = [
        {
            "line": 10,
            "subline": 0,
            "bl_number": "MAEU123456",
            "consignee_iec": "AAPFU0939F",
            "packages": 4,
        }
    ]
    early = run.validate_message(
        igm(function="amendment", filed_at=at("2026-05-10T09:00"), lines=changed_line)
    )
    assert "CORE-IGM-006" not in rules_of(early)  # 2026-03-10 + 2 months = 2026-05-10
    late = run.validate_message(
        igm(
            function="amendment",
            filed_at=at("2026-05-11T09:00"),
            lines=[{**changed_line[0], "packages": 5}],
        )
    )
    assert rules_of(late)["CORE-IGM-006"] == "info"


def test_igm_006_counts_a_bill_noted_by_bl_against_the_fresh_manifest() -> None:
    run = engine([authorisation()])
    run.validate_message(fresh_manifest())
    run.validate_message(bill_by_bl(3))
    line = {"line": 10, "subline": 0, "bl_number": "MAEU123456", "consignee_iec": "AAPFU0939F"}
    late = run.validate_message(
        fresh_manifest(
            function="amendment", filed_at=at("2026-05-11T09:00"), lines=[{**line, "packages": 5}]
        )
    )
    assert rules_of(late)["CORE-IGM-006"] == "info"


# -- warehousing and ex-bond (CORE-BOND-001..004) ------------------------------------------------


def warehousing(quantity: int = 100, **changes: Any) -> BillOfEntry:
    data: dict[str, Any] = {
        "message_id": "WH-1",
        "type": "WAREHOUSING",
        "number": "7000001",
        "items": [item_of(quantity)],
    }
    data.update(changes)
    return boe(**data)


def item_of(quantity: int | str, **changes: Any) -> dict[str, Any]:
    return {
        "number": 1,
        "hs_code": "84716040",
        "description": "KEYBOARDS",
        "quantity": Decimal(quantity),
        "unit": "NOS",
        "value_inr": Decimal(1000),
        "country_of_origin": "CN",
        **changes,
    }


def ex_bond(quantity: int | str, message_id: str = "XB-1", **changes: Any) -> BillOfEntry:
    data: dict[str, Any] = {
        "message_id": message_id,
        "type": "EX_BOND",
        "ex_bond_of": "7000001",
        "manifest": None,
        "presented_at": at("2026-04-01"),
        "items": [item_of(quantity)],
    }
    data.update(changes)
    return boe(**data)


def test_bond_003_ex_bond_depletes_the_bond_exactly_to_zero(url: str) -> None:
    store, run = committed_run(url)
    assert run.validate_message(warehousing()).status != "rejected"
    first = run.validate_message(ex_bond(60))
    assert rules_of(first, "CORE-BOND") == {} and rules_of(first, "CORE-BOE-NOTE") == {}
    assert first.rate_date == date(2026, 4, 1)  # its own presentation date
    store.close()
    store, run = committed_run(url)
    over = run.validate_message(ex_bond(41, message_id="XB-2"))
    assert rules_of(over)["CORE-BOND-003"] == "reject"  # 40 left, no partial clearance
    rest = run.validate_message(ex_bond(40, message_id="XB-3"))
    assert "CORE-BOND-003" not in rules_of(rest) and rest.status != "rejected"  # exactly 0 left
    # cancelling an ex-bond BoE puts its quantity back in bond
    withdrawn = run.validate_message(ex_bond(40, message_id="XB-3", function="cancellation"))
    assert credited(withdrawn) == 40, (withdrawn.findings, withdrawn.credited)
    assert "CORE-BOND-003" not in rules_of(run.validate_message(ex_bond(40, message_id="XB-4")))
    shown = CliRunner().invoke(main, ["registry", "history", "--db", url, "WH-1"])
    assert "bond" in shown.output and "-100" in shown.output
    store.close()


def test_registry_show_prints_a_bond_and_its_movements(url: str) -> None:
    """``registry show`` takes a warehousing BoE's BE number, its message id or one balance."""
    store, run = committed_run(url)
    run.validate_message(warehousing(100))
    run.validate_message(ex_bond(60))
    store.close()
    for number in ("7000001", "WH-1", "WH-1/84716040"):
        shown = CliRunner().invoke(main, ["registry", "show", "--db", url, number])
        assert shown.exit_code == 0, shown.output
        assert "bond WH-1/84716040" in shown.output
        assert "-100 NOS" in shown.output and "XB-1 (original) item 1: 60 NOS" in shown.output
        assert "remaining in bond: 40 NOS" in shown.output
    missing = CliRunner().invoke(main, ["registry", "show", "--db", url, "WH-9"])
    assert missing.exit_code == 1 and "not in the registry" in missing.output


def test_registry_show_of_a_be_number_two_bills_carry_prints_both_bonds(url: str) -> None:
    """BE numbers are allotted per port: ``registry show`` of one that two warehousing Bills of
    Entry carry prints the bonds of both, each naming its Bill of Entry."""
    store, run = committed_run(url)
    run.validate_message(warehousing(100, message_id="WH-2", port_code="INMAA1"))
    run.validate_message(warehousing(70))
    store.close()
    shown = CliRunner().invoke(main, ["registry", "show", "--db", url, "7000001"])
    assert shown.exit_code == 0, shown.output
    assert "bond WH-1/84716040" in shown.output and "bond WH-2/84716040" in shown.output


def test_bond_001_unknown_warehousing_bill() -> None:
    run = engine()
    unknown = run.validate_message(ex_bond(1))
    assert rules_of(unknown)["CORE-BOND-001"] == "query"
    run.validate_message(warehousing())
    assert "CORE-BOND-001" not in rules_of(run.validate_message(ex_bond(1, message_id="XB-2")))


def test_bond_001_matches_the_message_id_when_no_be_number() -> None:
    run = engine()
    run.validate_message(warehousing(number=None))
    found = run.validate_message(ex_bond(1, ex_bond_of="WH-1"))
    assert rules_of(found, "CORE-BOND") == {}


def test_bond_002_wrong_type_other_iec_or_hs_code() -> None:
    run = engine()
    run.validate_message(boe(message_id="HC-1", number="7000002"))
    assert (
        rules_of(run.validate_message(ex_bond(1, ex_bond_of="7000002")))["CORE-BOND-002"]
        == "reject"
    )
    run.validate_message(warehousing())
    other_hs = run.validate_message(
        ex_bond(1, message_id="XB-2", items=[item_of(1, hs_code="84717020")])
    )
    assert rules_of(other_hs)["CORE-BOND-002"] == "reject"
    other_iec = run.validate_message(
        ex_bond(1, message_id="XB-3", importer={"iec": "ABCDE1234F", "name": "OTHER"})
    )
    assert rules_of(other_iec)["CORE-BOND-002"] == "reject"
    assert "CORE-BOND-002" not in rules_of(run.validate_message(ex_bond(1, message_id="XB-4")))


def test_bond_004_warehousing_period_of_one_year() -> None:
    run = engine()
    run.validate_message(warehousing())  # presented 2026-03-09
    on_time = run.validate_message(ex_bond(1, presented_at=at("2027-03-09")))
    assert "CORE-BOND-004" not in rules_of(on_time)
    late = run.validate_message(ex_bond(1, message_id="XB-2", presented_at=at("2027-03-10")))
    assert rules_of(late)["CORE-BOND-004"] == "warn"


def test_bond_004_counts_from_the_first_presentation_of_the_warehousing_bill() -> None:
    """An amendment of the warehousing Bill of Entry does not present it again: the one-year
    period still runs from 2026-03-09 (it restarted at the amendment's date)."""
    run = engine()
    run.validate_message(warehousing(100))  # presented 2026-03-09
    run.validate_message(warehousing(90, function="amendment", presented_at=at("2026-06-01")))
    late = run.validate_message(ex_bond(1, presented_at=at("2027-03-10")))
    assert rules_of(late)["CORE-BOND-004"] == "warn"
    assert "(2026-03-09)" in next(f.message for f in late.findings if f.rule == "CORE-BOND-004")
    on_time = run.validate_message(ex_bond(1, message_id="XB-2", presented_at=at("2027-03-09")))
    assert "CORE-BOND-004" not in rules_of(on_time)


def test_a_resubmitted_ex_bond_filed_before_its_bond_was_known_is_not_read_as_cleared(
    url: str,
) -> None:
    """Filed before its warehousing Bill of Entry was known, an ex-bond Bill of Entry debited
    nothing; sent again later it was answered "accepted" (its first answer's nothing replayed)
    while its goods were never deducted from the bond."""
    store, run = committed_run(url)
    assert rules_of(run.validate_message(ex_bond(40)))["CORE-BOND-001"] == "query"
    run.validate_message(warehousing(100))
    again = run.validate_message(ex_bond(40))
    assert rules_of(again)["CORE-BOND-001"] == "query" and again.status == "query"
    assert "not deducted from the bond" in again.findings[-1].message
    assert store.debited("BOND", "WH-1/84716040")[0] == -100
    # the amendment it is told to send deducts it
    amended = run.validate_message(ex_bond("40.0", function="amendment"))
    assert rules_of(amended, "CORE-BOND") == {}
    assert store.debited("BOND", "WH-1/84716040")[0] == -60
    over = run.validate_message(ex_bond(61, message_id="XB-2"))
    assert rules_of(over)["CORE-BOND-003"] == "reject"
    # a re-submission of a clearance that was deducted stays quiet
    store.close()
    store, run = committed_run(url)
    assert rules_of(run.validate_message(ex_bond("40.0", function="amendment")), "CORE-BOND") == {}
    store.close()


def test_lic_004_a_line_whose_unit_the_bond_cannot_hold() -> None:
    """RULES §1.5: a unit that does not convert is CORE-LIC-004, for a bond as for a licence:
    a warehousing line that would open nothing (its goods could never be cleared) and an
    ex-bond line against a bond kept in another unit."""
    run = engine()
    mixed = warehousing(items=[item_of(500, unit="KGS"), item_of(5, number=2, unit="NOS")])
    refused = run.validate_message(mixed)
    assert rules_of(refused)["CORE-LIC-004"] == "reject" and refused.status == "rejected"
    assert [f.item for f in refused.findings if f.rule == "CORE-LIC-004"] == [2]
    mass = warehousing(items=[item_of(1, unit="MTS"), item_of(500, number=2, unit="KGS")])
    kept = run.validate_message(mass)
    assert "CORE-LIC-004" not in rules_of(kept) and kept.status != "rejected"
    counted = run.validate_message(ex_bond(1, items=[item_of(1, unit="NOS")]))
    assert rules_of(counted)["CORE-LIC-004"] == "reject"
    assert "CORE-BOND-002" not in rules_of(counted)


def test_amending_the_warehousing_bill_changes_its_bond() -> None:
    run = engine()
    run.validate_message(warehousing(100))
    run.validate_message(ex_bond(60))
    run.validate_message(warehousing(70, function="amendment"))
    assert (
        rules_of(run.validate_message(ex_bond(11, message_id="XB-2")))["CORE-BOND-003"] == "reject"
    )  # 70 - 60 = 10 left
    assert "CORE-BOND-003" not in rules_of(run.validate_message(ex_bond(10, message_id="XB-3")))


def test_a_bond_adds_its_lines_in_one_unit() -> None:
    """Two lines of one HS code, 1 MTS and 500 KGS, open one bond of 1.5 MTS."""
    run = engine()
    run.validate_message(
        warehousing(
            items=[item_of(1, unit="MTS"), item_of(500, number=2, unit="KGS")],
        )
    )
    over = run.validate_message(ex_bond(1501, items=[item_of(1501, unit="KGS")]))
    assert rules_of(over)["CORE-BOND-003"] == "reject"
    assert "1.5 MTS" in next(f.message for f in over.findings if f.rule == "CORE-BOND-003")
    exact = run.validate_message(
        ex_bond(1500, message_id="XB-2", items=[item_of(1500, unit="KGS")])
    )
    assert "CORE-BOND-003" not in rules_of(exact)
    assert run.run.debited("BOND", "WH-1/84716040")[0] == 0


def test_an_amended_warehousing_bill_keeps_its_bond_in_the_unit_it_was_opened_in(
    url: str,
) -> None:
    """An account's entries are summed, so they share one unit: an amendment stating the goods
    in another mass unit is converted to the bond's (100 KGS opened, 60 KGS cleared, amended
    to 0.1 MTS: 40 KGS remain), and one in a unit that does not convert is refused, nothing
    changed."""
    store, run = committed_run(url)
    run.validate_message(warehousing(items=[item_of(100, unit="KGS")]))
    run.validate_message(ex_bond(60, items=[item_of(60, unit="KGS")]))
    in_tonnes = run.validate_message(
        warehousing(function="amendment", items=[item_of("0.1", unit="MTS")])
    )
    assert in_tonnes.status != "rejected", in_tonnes.findings
    assert store.debited("BOND", "WH-1/84716040")[0] == -40
    counted = run.validate_message(
        warehousing(function="amendment", items=[item_of(100, unit="NOS")], number="7000001")
    )
    assert rules_of(counted)["CORE-BOND-003"] == "reject" and counted.status == "rejected"
    assert "kept in KGS" in next(f.message for f in counted.findings if f.rule == "CORE-BOND-003")
    assert store.debited("BOND", "WH-1/84716040")[0] == -40  # nothing written
    rest = run.validate_message(ex_bond(40, message_id="XB-2", items=[item_of(40, unit="KGS")]))
    assert "CORE-BOND-003" not in rules_of(rest) and "CORE-BOND-002" not in rules_of(rest)
    shown = CliRunner().invoke(main, ["registry", "show", "--db", url, "WH-1/84716040"])
    assert "remaining in bond: 0 KGS" in shown.output, shown.output
    assert " MTS" not in shown.output and " NOS" not in shown.output
    store.close()


@pytest.mark.parametrize("function", ["amendment", "cancellation"])
def test_a_warehousing_bill_cannot_shrink_below_what_was_cleared(function: str) -> None:
    run = engine()
    run.validate_message(warehousing(100))
    run.validate_message(ex_bond(60))
    refused = run.validate_message(warehousing(50, function=function))
    assert rules_of(refused)["CORE-BOND-003"] == "reject" and refused.status == "rejected"
    assert "60 NOS have already been cleared" in refused.findings[-1].message
    assert run.run.debited("BOND", "WH-1/84716040")[0] == -40  # nothing changed
    assert "CORE-BOND-003" not in rules_of(run.validate_message(ex_bond(40, message_id="XB-2")))


def test_the_store_refuses_a_warehousing_amendment_below_what_was_cleared(url: str) -> None:
    """Under the warehousing document's lock (which every clearance takes too) the store checks
    the bond again: a committer that judged the amendment before a clearance landed is refused."""
    from customs_engine.core.ledger.run_state import Submission, bond_openings, message_key

    store, run = committed_run(url)
    run.validate_message(warehousing(100))
    run.validate_message(ex_bond(60))
    smaller = warehousing(50, function="amendment")
    outcome = store.commit(
        Submission(
            key=message_key(smaller),
            message_id="WH-1",
            kind="bill_of_entry",
            manifest=None,
            debits=tuple(bond_openings(smaller)),
            licences=(),
            uses=(),
            function=smaller.function,
            replaces=True,
            body=smaller.model_dump_json(),
        )
    )
    assert not outcome.committed and outcome.conflict is not None
    assert outcome.conflict[0] == "CORE-BOND-003" and "10 less in bond" in outcome.conflict[1]
    assert store.debited("BOND", "WH-1/84716040")[0] == -40  # nothing written
    latest = store.document("WH-1")
    assert latest is not None and latest.function == "original"
    store.close()


def test_an_ex_bond_of_a_cancelled_or_renumbered_warehousing_bill() -> None:
    run = engine()
    run.validate_message(warehousing(100))
    run.validate_message(warehousing(100, function="cancellation"))
    cancelled = run.validate_message(ex_bond(1))
    assert rules_of(cancelled, "CORE-BOND") == {"CORE-BOND-003": "reject"}
    assert "was cancelled" in cancelled.findings[-1].message
    run = engine()
    run.validate_message(warehousing(100))
    run.validate_message(warehousing(100, function="amendment", number="7000002"))
    assert rules_of(run.validate_message(ex_bond(1)), "CORE-BOND") == {"CORE-BOND-001": "query"}
    renumbered = run.validate_message(ex_bond(1, message_id="XB-2", ex_bond_of="7000002"))
    assert rules_of(renumbered, "CORE-BOND") == {}


OTHER = {"iec": "AABCB1234C", "name": "OTHER"}


def cleared_from_one_of(
    url: str, where: str, earlier: BillOfEntry, later: BillOfEntry, *clearing: BillOfEntry
) -> tuple[list[Any], dict[str, Decimal]]:
    """Two warehousing Bills of Entry (100 each), then ``clearing`` (ex-bond ones): all in one
    run (``run``), the two committed by an earlier run (``ledger``), or ``earlier`` committed
    and ``later`` in the clearing's run (``both``). The clearings' responses, and what remains
    in bond of each warehousing BoE's HS 84716040."""
    store = SqlRegistry.open(url)
    if where != "run":
        first = engine(registry=store.snapshot(), store=store, commit=True)
        for message in (earlier, later) if where == "ledger" else (earlier,):
            assert first.validate_message(message).status != "rejected"
    run = engine(registry=store.snapshot(), store=store)
    for message in {"run": (earlier, later), "ledger": (), "both": (later,)}[where]:
        assert run.validate_message(message).status != "rejected"
    responses = [run.validate_message(message) for message in clearing]
    left = {
        boe.message_id: -run.run.debited("BOND", f"{boe.message_id}/84716040")[0]
        for boe in (earlier, later)
    }
    store.close()
    return responses, left


WHERE = ["run", "ledger", "both"]


@pytest.mark.parametrize("where", WHERE)
def test_bond_a_be_number_two_importers_hold_names_the_ex_bond_importers_bill(
    url: str, where: str
) -> None:
    """BE numbers are allotted per port: two importers' warehousing Bills of Entry may carry
    the same one. Each importer's ex-bond Bill of Entry is checked and debited against its own
    (the latest of that number is the other importer's)."""
    others = warehousing(message_id="WH-2", importer=OTHER)
    (theirs, mine), left = cleared_from_one_of(
        url, where, others, warehousing(), ex_bond(60, importer=OTHER), ex_bond(30, "XB-2")
    )
    assert rules_of(theirs, "CORE-BOND") == {}, theirs.findings
    assert [(use.number, use.debited_quantity) for use in theirs.authorisations] == [
        ("WH-2/84716040", 60)
    ]
    assert rules_of(mine, "CORE-BOND") == {}, mine.findings
    assert left == {"WH-2": 40, "WH-1": 70}


@pytest.mark.parametrize("where", WHERE)
def test_bond_a_be_number_of_two_ports_names_the_bill_of_the_ex_bond_port(
    url: str, where: str
) -> None:
    """One importer's warehousing Bills of Entry at two ports with the same BE number: the
    ex-bond Bill of Entry clears from the one at its own port."""
    at_chennai = warehousing(message_id="WH-2", port_code="INMAA1")
    (cleared,), left = cleared_from_one_of(
        url, where, at_chennai, warehousing(), ex_bond(60, port_code="INMAA1")
    )
    assert rules_of(cleared, "CORE-BOND") == {}, cleared.findings
    assert left == {"WH-2": 40, "WH-1": 100}


@pytest.mark.parametrize("where", WHERE)
def test_bond_001_a_be_number_the_importer_and_port_do_not_tell_apart(url: str, where: str) -> None:
    """The same importer's two warehousing Bills of Entry at one port with one BE number (a
    number allotted again another year): which is meant is not guessed. CORE-BOND-001 names
    both, and nothing is cleared from either bond; by its message id it is found."""
    again = warehousing(message_id="WH-2", presented_at=at("2026-03-20"))
    (unknown, quoted), left = cleared_from_one_of(
        url, where, warehousing(), again, ex_bond(60), ex_bond(60, "XB-2", ex_bond_of="WH-1")
    )
    assert rules_of(unknown, "CORE-BOND") == {"CORE-BOND-001": "query"}
    message = next(f.message for f in unknown.findings if f.rule == "CORE-BOND-001")
    assert "WH-1" in message and "WH-2" in message and "message id" in message
    assert [use for use in unknown.authorisations if use.scheme == "BOND"] == []
    assert rules_of(quoted, "CORE-BOND") == {}
    assert left == {"WH-1": 40, "WH-2": 100}


def test_bond_a_cancelled_bill_of_one_be_number_is_told_from_a_live_one() -> None:
    """Of two Bills of Entry of one importer and port with one BE number, the cancelled one is
    not what an ex-bond Bill of Entry clears from; the importer's own cancelled one is, though,
    where the other live one is another importer's: nothing remains in bond under it."""
    run = engine()
    run.validate_message(warehousing(message_id="WH-2"))
    run.validate_message(warehousing())
    run.validate_message(warehousing(function="cancellation"))
    cleared = run.validate_message(ex_bond(60))
    assert rules_of(cleared, "CORE-BOND") == {}, cleared.findings
    assert run.run.debited("BOND", "WH-2/84716040")[0] == -40
    run = engine()
    run.validate_message(warehousing())
    run.validate_message(warehousing(function="cancellation"))
    run.validate_message(warehousing(message_id="WH-2", importer=OTHER))
    cancelled = run.validate_message(ex_bond(60))
    assert rules_of(cancelled, "CORE-BOND") == {"CORE-BOND-003": "reject"}
    assert "was cancelled" in cancelled.findings[-1].message


# -- writers and convert show the function and what was credited back ------------------------


def _written(responses: list[Any], fmt: str, run: Any) -> str:
    stream = io.BytesIO()
    writer = run.host.response_writer(fmt, stream)
    assert writer is not None, fmt
    for response in responses:
        writer.write(response)
    writer.close()
    return stream.getvalue().decode()


def test_writers_show_the_function_and_the_credits() -> None:
    run = engine([authorisation()])
    responses = [run.validate_message(bill(60)), run.validate_message(bill(60, "cancellation"))]
    text = _written(responses, "text", run)
    assert "BE-1 (cancellation): ACCEPTED" in text
    assert "credit TESTAUTH AUTH-1 item 1: 60 NOS / INR 60000.00 (credited back)" in text
    rows = list(csv.DictReader(io.StringIO(_written(responses, "csv", run))))
    assert [row["function"] for row in rows][-1] == "cancellation"
    assert rows[-1]["credited"] == "TESTAUTH AUTH-1 item 1: 60 NOS / INR 60000.00"
    junit = _written(responses, "junit", run)
    assert 'name="BE-1 (cancellation)"' in junit
    assert "credited back TESTAUTH AUTH-1 item 1: 60 NOS" in junit
    data = json.loads(_written(responses[1:], "json", run))
    assert data["message"]["function"] == "cancellation"
    assert data["credited"] == [
        {
            "scheme": "testauth",  # as authorisations[].scheme
            "number": "AUTH-1",
            "item": 1,
            "quantity": "60",
            "unit": "NOS",
            "value_inr": "60000.00",
        }
    ]


@pytest.mark.parametrize("function", ["amendment", "cancellation"])
def test_convert_keeps_the_function_both_ways(function: str, tmp_path: Path) -> None:
    source = (MESSAGES / "02-be-laptops-ims.xml").read_text()
    source = source.replace('function="original"', f'function="{function}"', 1)
    xml = tmp_path / "in.xml"
    xml.write_text(source)
    runner = CliRunner()
    edifact = runner.invoke(main, ["convert", "--to", "edifact", str(xml)])
    assert edifact.exit_code == 0, edifact.output
    code = {"amendment": "4", "cancellation": "1"}[function]
    assert f"+{code}'" in edifact.output.split("BGM+", 1)[1].split("'", 1)[0] + "'"
    edi = tmp_path / "in.edi"
    edi.write_text(edifact.output)
    back = runner.invoke(main, ["convert", "--to", "xml", str(edi)])
    assert back.exit_code == 0, back.output
    assert f'function="{function}"' in back.output


def test_an_igm_cancellation_cannot_void_a_warehousing_bill_already_cleared_ex_bond(
    url: str,
) -> None:
    """Voiding the warehousing Bill of Entry would leave less in bond than was cleared (the bond
    went to -4): refused like its own cancellation (CORE-BOND-003), nothing changed."""
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(warehousing(10))
    assert rules_of(run.validate_message(ex_bond(4)), "CORE-BOND") == {}
    refused = run.validate_message(igm(function="cancellation"))
    assert rules_of(refused)["CORE-BOND-003"] == "reject" and credited(refused) == 0
    assert run.run.debited("BOND", "WH-1/84716040")[0] == -6  # 10 opened, 4 cleared
    assert rules_of(run.validate_message(ex_bond(6, message_id="XB-2")), "CORE-BOND") == {}
    # committed, run by run: the store re-checks under the lock
    for step in (igm(), warehousing(10), ex_bond(4)):
        store, committing = committed_run(url)
        committing.validate_message(step)
        store.close()
    store, later = committed_run(url)
    refused = later.validate_message(igm(function="cancellation"))
    assert rules_of(refused)["CORE-BOND-003"] == "reject"
    assert store.debited("BOND", "WH-1/84716040")[0] == -6
    live = store.document("WH-1")
    assert live is not None and not live.cancelled
    store.close()


def test_a_bill_whose_igm_was_cancelled_after_it_was_checked_is_not_stored(url: str) -> None:
    """Another committer cancels the IGM between this Bill of Entry's checks and its commit: the
    store re-reads the IGM under its lock and refuses (CORE-BOE-NOTE-005); nothing is debited."""
    store, first = committed_run(url)
    first.validate_message(igm())
    store.close()
    store, late = committed_run(url)
    as_checked = late.run.manifests_numbered("2234567")
    other, canceller = committed_run(url)
    assert "CORE-IGM-008" in rules_of(canceller.validate_message(igm(function="cancellation")))
    other.close()
    late.run.manifests_numbered = lambda number: as_checked  # type: ignore[method-assign]
    answer = late.validate_message(bill(10))
    assert rules_of(answer)["CORE-BOE-NOTE-005"] == "reject" and debited(answer) == 0
    assert store.document("BE-1") is None
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 0
    store.close()


def test_igm_008_names_what_the_store_voided_under_its_lock(url: str) -> None:
    """A Bill of Entry committed against the IGM after the cancellation's run looked is voided
    by the store under the IGM's lock; the finding says so (it said none was noted)."""
    store, first = committed_run(url)
    first.validate_message(igm())
    first.validate_message(bill(10))
    store.close()
    store, late = committed_run(url)
    late.run.noted_documents = lambda *args: []  # type: ignore[method-assign]  # as it looked
    cancelled = late.validate_message(igm(function="cancellation"))
    (finding,) = [f for f in cancelled.findings if f.rule == "CORE-IGM-008"]
    assert "void and their debits credited back: BE-1" in finding.message
    assert credited(cancelled) == 10 and store.debited("TESTAUTH", "AUTH-1")[0] == 0
    store.close()


def test_igm_008_a_rejected_cancellation_says_nothing_was_voided(url: str) -> None:
    """A refused IGM cancellation (here: it would void a warehousing Bill of Entry already
    cleared ex-bond) voided nothing and credited nothing back: CORE-IGM-008 says so, and names
    the Bills of Entry it would have voided."""
    run = engine([authorisation()])
    run.validate_message(igm())
    run.validate_message(warehousing(10))
    run.validate_message(bill(5))
    run.validate_message(ex_bond(4))
    refused = run.validate_message(igm(function="cancellation"))
    assert rules_of(refused)["CORE-BOND-003"] == "reject" and refused.credited == []
    (said,) = [f for f in refused.findings if f.rule == "CORE-IGM-008"]
    assert said.outcome == "warn"
    assert "void and their debits credited back" not in said.message
    assert "is rejected: nothing is voided or credited back" in said.message
    assert said.message.endswith("would have been void: BE-1, WH-1")
    assert rules_of(run.validate_message(bill(1, message_id="BE-2")), "CORE-BOE-NOTE") == {}
    # refused by the store under its lock (the run did not see the clearance): the same
    store, late = blind_to_clearances(url, [igm(), warehousing(10), ex_bond(4)], opened=10)
    refused = late.validate_message(igm(function="cancellation"))
    assert rules_of(refused)["CORE-BOND-003"] == "reject" and refused.credited == []
    (said,) = [f.message for f in refused.findings if f.rule == "CORE-IGM-008"]
    assert "is rejected: nothing is voided" in said and said.endswith("would have been void: WH-1")
    live = store.document("WH-1")
    assert live is not None and not live.cancelled
    store.close()


def test_the_manifest_rules_say_what_date_they_are_keyed_on() -> None:
    """A manifest has no presented_at: the rules of an IGM's life name the date they use."""
    from customs_engine.core.checks.catalogue import RULES

    for rule_id in ("CORE-IGM-003", "CORE-IGM-004", "CORE-IGM-005", "CORE-IGM-006", "CORE-IGM-008"):
        assert "presented_at" not in RULES[rule_id].keyed_on, rule_id
        assert "filed_at" in RULES[rule_id].keyed_on or "arrival" in RULES[rule_id].keyed_on


def test_an_amendment_repeating_a_superseded_version_is_refused_not_replayed(url: str) -> None:
    """60 → 100 → 60, another bill takes the last 40, then the 100 is sent again: it was
    answered "accepted" as a replay while the ledger kept 60 (140 of a 100 authorisation). A
    retry of the current version is still a replay."""
    store, run = committed_run(url)
    run.validate_message(bill(60))
    run.validate_message(bill(100, "amendment"))
    back = run.validate_message(bill(60, "amendment", message_id="BE-1", broker="CB-2"))
    assert back.status != "rejected"
    run.validate_message(bill(40, message_id="BE-2"))
    again = run.validate_message(bill(100, "amendment"))
    assert rules_of(again)["CORE-DOC-003"] == "reject"
    (said,) = [f.message for f in again.findings if f.rule == "CORE-DOC-003"]
    assert "repeats an earlier version of BE-1, which a later version replaced" in said
    assert debited(again) == 0 and credited(again) == 0
    assert "CORE-BOE-AMD-001" not in rules_of(again) and again.fees == []
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 100
    retry = run.validate_message(bill(60, "amendment", message_id="BE-1", broker="CB-2"))
    assert retry.status == back.status and "CORE-DOC-003" not in rules_of(retry)
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 100
    store.close()


def test_a_superseded_amendment_is_refused_within_one_run_too() -> None:
    run = engine([authorisation(quantity="100", value="1000000.00")])
    run.validate_message(bill(10))
    run.validate_message(bill(30, "amendment"))
    run.validate_message(bill(5, "amendment"))
    again = run.validate_message(bill(30, "amendment"))
    assert rules_of(again)["CORE-DOC-003"] == "reject" and debited(again) == 0
    assert run.run.debited("TESTAUTH", "AUTH-1")[0] == 5


@pytest.mark.parametrize("prior", [False, True])
def test_an_amendment_is_held_to_the_deadline_of_the_first_presentation(
    url: str, prior: bool
) -> None:
    """The vessel arrives 2026-03-10 (due by the end of 03-09). A Bill of Entry presented on time
    and amended on 03-12 restates itself with the amendment's date: it was not presented late,
    so no late-presentation charge, committed or within the run."""
    presented = "2026-03-01" if prior else "2026-03-09"
    for committing in (True, False):
        if committing:
            store, run = committed_run(url)
        else:
            store, run = None, engine([authorisation(quantity="100", value="1000000.00")])
        run.validate_message(igm())
        first = run.validate_message(bill(10, presented_at=at(presented), prior=prior))
        assert "CORE-BOE-LATE-001" not in rules_of(first)
        amended = run.validate_message(
            bill(12, "amendment", presented_at=at("2026-03-12"), prior=prior)
        )
        assert "CORE-BOE-LATE-001" not in rules_of(amended)
        assert [fee.kind for fee in amended.fees] == ["amendment_fee"]
        # an amendment of a document the engine does not know is checked as an original
        unknown = run.validate_message(
            bill(5, "amendment", message_id="BE-9", presented_at=at("2026-03-12"), prior=prior)
        )
        assert rules_of(unknown)["CORE-BOE-LATE-001"] == "warn"
        if store is not None:
            store.close()


RATES = [
    RegistryRecord(
        kind="exchange_rate",
        number=number,
        currency="USD",
        rate=Decimal(rate),
        issued_on=date.fromisoformat(issued_on),
    )
    for number, rate, issued_on in (("N/1", "83", "2026-03-01"), ("N/2", "84", "2026-03-10"))
]


@pytest.mark.parametrize("across_runs", [False, True])
def test_an_amendment_is_valued_and_rate_dated_as_first_presented(
    url: str, across_runs: bool
) -> None:
    """USD 300 on a Nepal border IEC (ceiling INR 25,000), presented 03-09 at 83 = 24,900. An
    amendment on 03-12 changing nothing was valued at the rate of its own day (84: 25,200,
    rejected under CORE-IEC-002) and rate-dated 03-12: the presentation fixes both (s.14, s.15),
    and an amendment does not present the Bill of Entry again."""
    nepal = {"iec": "IIEGN0161E", "category": "NEPAL"}
    usd = {"amount": Decimal(300), "currency": "USD"}

    def bill_on(day: str, function: str) -> BillOfEntry:
        return boe(
            importer=nepal,
            presented_at=at(day),
            function=function,
            items=[item(value_inr=None, foreign_value=usd)],
            manifest=None,
            prior=True,
        )

    store = SqlRegistry.open(url)
    try:
        run = engine(RATES, store=store, commit=True)
        first = run.validate_message(bill_on("2026-03-09", "original"))
        assert first.status == "accepted", first.findings
        if across_runs:
            run = engine(RATES, store=store, commit=True)
        amended = run.validate_message(bill_on("2026-03-12", "amendment"))
        assert "CORE-IEC-002" not in rules_of(amended), amended.findings
        assert amended.rate_date == date(2026, 3, 9)
        # an amendment of a document nobody knows is valued on its own date, as an original
        unknown = run.validate_message(
            bill_on("2026-03-12", "amendment").model_copy(update={"message_id": "BE-9"})
        )
        assert rules_of(unknown)["CORE-IEC-002"] == "reject"
        assert unknown.rate_date == date(2026, 3, 12)
    finally:
        store.close()


def test_an_amendment_declaring_no_goods_item_is_refused(url: str) -> None:
    """It would replace the Bill of Entry whole with nothing: every debit credited back and a
    live document without goods, a cancellation without CORE-BOE-CAN-001 (an ICES amendment
    that carries only the tables it changes reads so)."""
    store, run = committed_run(url)
    run.validate_message(bill(10))
    empty = run.validate_message(boe(message_id="BE-1", function="amendment", items=[]))
    assert rules_of(empty)["CORE-DOC-003"] == "reject"
    (said,) = [f.message for f in empty.findings if f.rule == "CORE-DOC-003"]
    assert "declares no goods item" in said and credited(empty) == 0
    assert store.debited("TESTAUTH", "AUTH-1")[0] == 10
    store.close()


def _tonnes_or_kilograms(quantity: str, unit: str) -> RegistryRecord:
    from tests.core.helpers import IEC, authorisation_row

    return authorisation_row(
        "TESTAUTH",
        "AUTH-9",
        iec=IEC,
        issued_on=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        quantity=quantity,
        unit=unit,
        value_inr="100000000.00",
    )


@pytest.mark.parametrize("first", ["restated", "unrecorded"])
def test_a_balance_counts_every_entry_in_the_limits_unit(url: str, first: str) -> None:
    """0.6 MTS debited while the limit was 1 MTS (or before the row was on record), then the
    limit stated as 1000 KGS: 400 KGS are left, not 999.4 (the entries' numbers were added as
    they were written, whatever their unit: 1,500 kg cleared against 1,000)."""
    store = SqlRegistry.open(url)
    store.replace_records([_tonnes_or_kilograms("1", "MTS")] if first == "restated" else [], "test")
    run = engine(registry=store.snapshot(), store=store, commit=True)
    tonnes = with_licence("AUTH-9", quantity=Decimal("0.6"), unit="MTS", value_inr=Decimal(1000))
    run.validate_message(boe(items=[tonnes]))
    store.replace_records([_tonnes_or_kilograms("1000", "KGS")], "test")
    later = engine(registry=store.snapshot(), store=store, commit=True)
    kilograms = with_licence("AUTH-9", quantity=Decimal(900), unit="KGS", value_inr=Decimal(1000))
    over = later.validate_message(boe(message_id="BE-2", items=[kilograms]))
    assert rules_of(over)["TESTAUTH-BAL-001"] == "reject"
    assert over.authorisations[0].remaining_quantity == 400
    fits = with_licence("AUTH-9", quantity=Decimal(400), unit="KGS", value_inr=Decimal(1000))
    assert "TESTAUTH-BAL-001" not in rules_of(
        later.validate_message(boe(message_id="BE-3", items=[fits]))
    )
    store.close()


def test_an_original_resent_after_it_was_amended_is_refused_not_replayed(url: str) -> None:
    """It was answered "accepted" with its old debit and what was left then (40), while the
    document stood amended and the ledger had 0 left."""
    store, run = committed_run(url)
    run.validate_message(bill(60))
    run.validate_message(bill(100, "amendment"))
    again = run.validate_message(bill(60))
    assert rules_of(again)["CORE-DOC-001"] == "reject"
    (said,) = [f.message for f in again.findings if f.rule == "CORE-DOC-001"]
    assert said.endswith("is already filed with other content: send an amendment")
    assert debited(again) == 0 and store.debited("TESTAUTH", "AUTH-1")[0] == 100
    # a retry of the original before anything replaced it is still a replay
    first = run.validate_message(boe(message_id="BE-7"))
    retry = run.validate_message(boe(message_id="BE-7"))
    assert "CORE-DOC-001" not in rules_of(retry) and retry.status == first.status
    store.close()
