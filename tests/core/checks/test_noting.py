"""Port, type, noting against the IGM (CORE-BOE-NOTE-*) and prior entry (CORE-BOE-PRIOR-001)."""

from __future__ import annotations

from datetime import date

import pytest

from customs_engine.testing import rules_of
from tests.core.helpers import at, boe, engine, igm


@pytest.mark.parametrize(
    "port, outcome",
    [
        ("INNSA1", None),
        ("INPTPB", None),
        ("INXYZ1", "query"),
        ("NSA1", "reject"),
        ("innsa1", "reject"),
    ],
)
def test_port_code(port, outcome) -> None:  # type: ignore[no-untyped-def]
    response = engine().validate_message(boe(port_code=port, manifest=None, prior=True))
    assert rules_of(response).get("CORE-PORT-001") == outcome


def test_port_code_of_manifest() -> None:
    assert rules_of(engine().validate_message(igm(port_code="INQQQ1")))["CORE-PORT-001"] == "query"
    assert "CORE-PORT-001" not in rules_of(engine().validate_message(igm()))


def test_ex_bond_needs_warehousing_bill() -> None:
    run = engine()
    assert rules_of(run.validate_message(boe(type="EX_BOND")))["CORE-BOE-TYPE-001"] == "reject"
    quiet = run.validate_message(boe(type="EX_BOND", ex_bond_of="6001234"))
    assert "CORE-BOE-TYPE-001" not in rules_of(quiet)


def test_manifest_reference_required_unless_prior() -> None:
    run = engine()
    assert rules_of(run.validate_message(boe(manifest=None)))["CORE-BOE-NOTE-001"] == "reject"
    no_line = boe(manifest={"igm_number": "2234567"})
    assert rules_of(run.validate_message(no_line))["CORE-BOE-NOTE-001"] == "reject"
    assert "CORE-BOE-NOTE-001" not in rules_of(run.validate_message(boe(manifest=None, prior=True)))


def test_note_001_says_what_the_reference_lacks() -> None:
    """A B/L number without the IGM it is on is not called "no B/L number"."""
    run = engine()

    def said(manifest: dict[str, object] | None) -> str:
        response = run.validate_message(boe(manifest=manifest))
        return next(f.message for f in response.findings if f.rule == "CORE-BOE-NOTE-001")

    assert "carries no manifest reference" in said(None)
    assert "has no IGM number" in said({"bl_number": "MSCU1234567"})
    assert "neither a line nor a B/L number" in said({"igm_number": "2234567"})


def test_unknown_igm_is_a_query_and_an_earlier_igm_of_the_run_is_seen() -> None:
    run = engine()
    assert rules_of(run.validate_message(boe()))["CORE-BOE-NOTE-002"] == "query"
    run.validate_message(igm())
    assert rules_of(run.validate_message(boe()), "CORE-BOE-NOTE") == {}


def test_note_002_fires_for_a_prior_bill_quoting_an_unknown_igm() -> None:
    """A prior Bill of Entry need not quote an IGM (CORE-BOE-NOTE-001 spares it), but one that
    does quote an IGM the engine does not know gets the honest gap like any other: noting not
    verified."""
    response = engine().validate_message(boe(prior=True))
    assert rules_of(response)["CORE-BOE-NOTE-002"] == "query"


def test_a_prior_bill_quoting_the_igm_number_alone_is_checked_against_that_igm() -> None:
    """No line and no B/L yet (the IGM's lines may not exist when a prior Bill of Entry is
    filed), but the IGM it names is still looked up: unknown, cancelled, or at another port."""
    alone = {"igm_number": "2234567", "igm_date": date(2026, 3, 8)}
    unknown = engine().validate_message(boe(prior=True, manifest=alone))
    assert rules_of(unknown, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-002": "query"}
    run = engine()
    run.validate_message(igm())
    assert rules_of(run.validate_message(boe(prior=True, manifest=alone)), "CORE-BOE-NOTE") == {}
    elsewhere = boe(prior=True, manifest=alone, port_code="INMAA1", message_id="BE-2")
    assert rules_of(run.validate_message(elsewhere), "CORE-BOE-NOTE") == {
        "CORE-BOE-NOTE-003": "reject"
    }
    run.validate_message(igm(function="cancellation"))
    cancelled = run.validate_message(boe(prior=True, manifest=alone, message_id="BE-3"))
    assert rules_of(cancelled, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-005": "reject"}


def test_note_002_quiet_when_the_igm_is_known_or_not_yet_needed(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """The IGM earlier in the run, stored by an earlier committed run, or none quoted by a prior
    Bill of Entry (filed before its IGM exists): nothing to query."""
    from customs_engine.core.registry import SqlRegistry

    run = engine()
    run.validate_message(igm())
    earlier_in_the_run = run.validate_message(boe())
    assert "CORE-BOE-NOTE-002" not in rules_of(earlier_in_the_run)
    assert rules_of(earlier_in_the_run, "CORE-BOE-NOTE") == {}
    prior = engine().validate_message(boe(prior=True, manifest=None))
    assert "CORE-BOE-NOTE-002" not in rules_of(prior)
    store = SqlRegistry.open(sqlite_url)
    try:
        engine(registry=store.snapshot(), store=store, commit=True).validate_message(igm())
        later = engine(registry=store.snapshot(), store=store).validate_message(boe())
        assert "CORE-BOE-NOTE-002" not in rules_of(later)
        assert rules_of(later, "CORE-BOE-NOTE") == {}
    finally:
        store.close()


def test_a_bl_on_two_lines_is_noted_against_the_line_consigned_to_the_importer() -> None:
    """A manifest that repeats a master B/L: a Bill of Entry quoting the B/L alone was compared
    with the first line, and queried for a consignee the other line had right."""
    other = igm().lines[0].model_copy(update={"line": 11, "consignee_iec": "AACCG5678D"})
    run = engine()
    run.validate_message(igm(lines=[other, *igm().lines]))
    by_bl = run.validate_message(boe(manifest={"igm_number": "2234567", "bl_number": "MAEU123456"}))
    assert rules_of(by_bl, "CORE-BOE-NOTE") == {}
    stranger = boe(
        message_id="BE-2",
        importer={"iec": "ABCDE1234F", "name": "OTHER"},
        manifest={"igm_number": "2234567", "bl_number": "MAEU123456"},
    )
    queried = run.validate_message(stranger)
    assert rules_of(queried, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-004": "query"}
    assert "line 11/0" in next(f.message for f in queried.findings if "NOTE-004" in f.rule)


def test_noted_by_bl_number_when_no_line() -> None:
    run = engine()
    run.validate_message(igm())
    by_bl = boe(manifest={"igm_number": "2234567", "bl_number": "maeu123456"})
    assert rules_of(run.validate_message(by_bl), "CORE-BOE-NOTE") == {}
    unknown_bl = boe(manifest={"igm_number": "2234567", "bl_number": "NOPE1"})
    assert rules_of(run.validate_message(unknown_bl))["CORE-BOE-NOTE-003"] == "reject"


@pytest.mark.parametrize(
    "changes",
    [
        {"manifest": {"igm_number": "2234567", "line": 11, "bl_number": "MAEU123456"}},
        {"manifest": {"igm_number": "2234567", "line": 10, "subline": 1}},
        {"port_code": "INMUN1"},  # IGM filed at INNSA1
    ],
)
def test_no_such_line_or_other_port(changes) -> None:  # type: ignore[no-untyped-def]
    run = engine()
    run.validate_message(igm())
    assert rules_of(run.validate_message(boe(**changes)))["CORE-BOE-NOTE-003"] == "reject"


@pytest.mark.parametrize(
    "manifest",
    [
        {"igm_number": "2234567", "line": 10, "subline": 0},  # the line, subline given as 0
        {"igm_number": "2234567", "line": 10},  # the line, subline left out
        {"igm_number": "2234567", "bl_number": "maeu123456"},  # by B/L, in another case
        {"igm_number": "2234567", "line": 11, "subline": 2},  # another line of the same IGM
    ],
)
def test_note_003_quiet_when_the_line_exists_at_the_same_port(manifest) -> None:  # type: ignore[no-untyped-def]
    run = engine()
    lines = [
        *igm().lines,
        igm().lines[0].model_copy(update={"line": 11, "subline": 2, "bl_number": None}),
    ]
    run.validate_message(igm(lines=lines))
    response = run.validate_message(boe(manifest=manifest))
    assert "CORE-BOE-NOTE-003" not in rules_of(response)
    assert rules_of(response, "CORE-BOE-NOTE") == {}


def test_igm_date_must_match() -> None:
    run = engine()
    run.validate_message(igm())
    other_date = boe(manifest={"igm_number": "2234567", "igm_date": date(2026, 3, 1), "line": 10})
    assert rules_of(run.validate_message(other_date))["CORE-BOE-NOTE-002"] == "query"


def test_line_mismatch_is_a_query() -> None:
    run = engine()
    run.validate_message(igm())
    other_bl = boe(manifest={"igm_number": "2234567", "line": 10, "bl_number": "MAEU999"})
    assert rules_of(run.validate_message(other_bl))["CORE-BOE-NOTE-004"] == "query"
    other_iec = boe(importer={"iec": "AABCB1234C"})
    assert rules_of(run.validate_message(other_iec))["CORE-BOE-NOTE-004"] == "query"


@pytest.mark.parametrize(
    "changes",
    [
        # the B/L number in another case and padded: the same B/L
        {"manifest": {"igm_number": "2234567", "line": 10, "bl_number": " maeu123456 "}},
        # no B/L number on the Bill of Entry: nothing to compare
        {"manifest": {"igm_number": "2234567", "line": 10}},
        # the importer's IEC in another case: the consignee
        {"importer": {"iec": "aapfu0939f", "gstin": None, "category": "COMMERCIAL"}},
    ],
)
def test_note_004_quiet_when_bl_and_consignee_match(changes) -> None:  # type: ignore[no-untyped-def]
    run = engine()
    run.validate_message(igm())
    response = run.validate_message(boe(**changes))
    assert "CORE-BOE-NOTE-004" not in rules_of(response)
    assert rules_of(response, "CORE-BOE-NOTE") == {}


@pytest.mark.parametrize(
    "arrived, fires", [("2026-03-03", False), ("2026-03-04", True), ("2026-03-05", True)]
)
def test_prior_bill_void_after_30_days(arrived, fires) -> None:  # type: ignore[no-untyped-def]
    # T35: presented 2026-02-01; 30 days later passes, 31 and more fail
    run = engine()
    run.validate_message(
        igm(arrived_at=at(arrived), expected_arrival=at(arrived), filed_at=at("2026-02-20"))
    )
    response = run.validate_message(boe(prior=True, presented_at=at("2026-02-01")))
    assert ("CORE-BOE-PRIOR-001" in rules_of(response)) is fires


def test_prior_bill_uses_its_own_arrival_without_igm() -> None:
    late = boe(
        prior=True, manifest=None, presented_at=at("2026-02-01"), arrived_at=at("2026-03-05")
    )
    assert rules_of(engine().validate_message(late))["CORE-BOE-PRIOR-001"] == "reject"
    unknown = boe(prior=True, manifest=None, presented_at=at("2026-02-01"))
    assert "CORE-BOE-PRIOR-001" not in rules_of(engine().validate_message(unknown))


def fresh_igm(**changes) -> object:  # type: ignore[no-untyped-def]
    """A manifest ICES has not numbered yet (a fresh SACHI01 or SCMTR declaration)."""
    return igm(igm_number=None, igm_date=None, **changes)


def by_bl(**changes) -> object:  # type: ignore[no-untyped-def]
    return boe(manifest={"igm_number": "7654321", "bl_number": "MAEU123456"}, **changes)


def test_note_006_an_unknown_igm_number_is_noted_by_bl_against_a_fresh_manifest() -> None:
    run = engine()
    assert rules_of(run.validate_message(by_bl()), "CORE-BOE-NOTE") == {
        "CORE-BOE-NOTE-002": "query"
    }
    run.validate_message(fresh_igm())
    response = run.validate_message(by_bl())
    assert rules_of(response, "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-006": "info"}
    (note,) = [f for f in response.findings if f.rule == "CORE-BOE-NOTE-006"]
    assert "IGM-1" in note.message and "line 10/0" in note.message


def test_note_006_compares_the_line_it_found() -> None:
    run = engine()
    run.validate_message(fresh_igm())
    other_iec = by_bl(importer={"iec": "AABCB1234C"})
    assert rules_of(run.validate_message(other_iec), "CORE-BOE-NOTE") == {
        "CORE-BOE-NOTE-006": "info",
        "CORE-BOE-NOTE-004": "query",
    }


@pytest.mark.parametrize(
    "manifests",
    [
        [{"port_code": "INMUN1"}],  # another port
        [{}, {"message_id": "IGM-2"}],  # two lines with the B/L: ambiguous
        [{"lines": [{"line": 1, "bl_number": "OTHER"}]}],  # no such B/L
    ],
)
def test_note_006_quiet_unless_exactly_one_line_of_the_port_matches(manifests) -> None:  # type: ignore[no-untyped-def]
    run = engine()
    for changes in manifests:
        run.validate_message(fresh_igm(**changes))
    assert rules_of(run.validate_message(by_bl()), "CORE-BOE-NOTE") == {
        "CORE-BOE-NOTE-002": "query"
    }


def test_note_006_finds_a_stored_fresh_manifest(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from customs_engine.core.registry import SqlRegistry

    store = SqlRegistry.open(sqlite_url)
    try:
        engine(registry=store.snapshot(), store=store, commit=True).validate_message(fresh_igm())
        later = engine(registry=store.snapshot(), store=store)
        assert rules_of(later.validate_message(by_bl()), "CORE-BOE-NOTE") == {
            "CORE-BOE-NOTE-006": "info"
        }
    finally:
        store.close()


def test_note_006_the_committing_run_and_an_amended_manifest_count_once(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """A manifest the run has just committed is both the run's and the store's, and an amended
    one has two versions: neither is a second line with the B/L (so --commit changes nothing)."""
    from customs_engine.core.registry import SqlRegistry

    store = SqlRegistry.open(sqlite_url)
    try:
        committing = engine(registry=store.snapshot(), store=store, commit=True)
        committing.validate_message(fresh_igm())
        assert rules_of(committing.validate_message(by_bl()), "CORE-BOE-NOTE") == {
            "CORE-BOE-NOTE-006": "info"
        }
        committing.validate_message(fresh_igm(function="amendment"))
        later = engine(registry=store.snapshot(), store=store)
        assert rules_of(later.validate_message(by_bl(message_id="BE-2")), "CORE-BOE-NOTE") == {
            "CORE-BOE-NOTE-006": "info"
        }
    finally:
        store.close()
    run = engine()
    run.validate_message(fresh_igm())
    run.validate_message(fresh_igm(function="amendment", vessel_name="RENAMED"))
    assert rules_of(run.validate_message(by_bl()), "CORE-BOE-NOTE") == {"CORE-BOE-NOTE-006": "info"}


def test_note_006_quiet_when_the_igm_number_is_known() -> None:
    run = engine()
    run.validate_message(igm())
    run.validate_message(fresh_igm(message_id="IGM-2"))
    known = boe(manifest={"igm_number": "2234567", "bl_number": "MAEU123456"})
    assert "CORE-BOE-NOTE-006" not in rules_of(run.validate_message(known))
