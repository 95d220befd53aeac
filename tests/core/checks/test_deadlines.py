"""Late presentation (CORE-BOE-LATE-001, RULES.md §1.2 worked examples) and IGM deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from customs_engine.core.response import Response
from customs_engine.testing import rules_of
from tests.core.helpers import at, boe, engine, igm


def late_fee(response: Response) -> Decimal | None:
    fees = [f for f in response.fees if f.rule == "CORE-BOE-LATE-001"]
    assert all(f.kind == "late_presentation" for f in fees)
    return fees[0].amount if fees else None


def presented(port: str, arrived: str, filed: str, **changes: object) -> Response:
    """A Bill of Entry whose arrival comes from its own ``arrived_at`` (no IGM)."""
    message = boe(
        port_code=port,
        manifest=None,
        prior=True,
        arrived_at=at(arrived),
        presented_at=at(filed),
        **changes,
    )
    return engine().validate_message(message)


@pytest.mark.parametrize(
    "filed, days, amount",
    [
        ("2026-03-09", 0, None),  # due by the end of the day before arrival
        ("2026-03-10", 1, "5000"),  # RULES.md §1.2: sea, filed on arrival day → 1 day
        ("2026-03-12", 3, "15000"),
        ("2026-03-13", 4, "25000"),
        ("2026-03-19", 10, "85000"),
    ],
)
def test_current_regime_sea(filed, days, amount) -> None:  # type: ignore[no-untyped-def]
    response = presented("INNSA1", "2026-03-10T06:00", filed)
    assert late_fee(response) == (Decimal(amount) if amount else None)
    if amount:
        assert rules_of(response)["CORE-BOE-LATE-001"] == "warn"
        assert response.fees[0].basis == f"{days} day{'s' if days > 1 else ''} late"
    else:
        assert "CORE-BOE-LATE-001" not in rules_of(response)


def test_neighbour_country_exception() -> None:
    # RULES.md §1.2: same sea case consigned from Sri Lanka → due on the arrival day: on time
    assert late_fee(presented("INNSA1", "2026-03-10", "2026-03-10", consigned_from="LK")) is None
    assert late_fee(
        presented("INNSA1", "2026-03-10", "2026-03-11", consigned_from="LK")
    ) == Decimal(5000)


@pytest.mark.parametrize(
    "filed, amount",
    [
        ("2026-03-10", None),
        ("2026-03-11", "5000"),
        ("2026-03-14", "25000"),
        ("2026-03-20", "85000"),
    ],
)
def test_current_regime_air(filed, amount) -> None:  # type: ignore[no-untyped-def]
    # T34: aircraft at INDEL4 arrives 2026-03-10; 4 days → 25,000; 10 days → 85,000, no cap
    response = presented("INDEL4", "2026-03-10", filed, mode="AIR")
    assert late_fee(response) == (Decimal(amount) if amount else None)


def test_icd_is_due_the_day_before() -> None:
    assert late_fee(presented("INTKD6", "2026-03-10", "2026-03-10")) == Decimal(5000)


def test_legacy_regime_entry_inwards_day_4() -> None:
    # T31: entry inwards Mon 2020-02-03 at INNSA1, due Tue 02-04, filed Sat 02-08 → 4 days
    run = engine()
    run.validate_message(
        igm(
            igm_date=date(2020, 2, 1),
            filed_at=at("2020-02-01"),
            expected_arrival=at("2020-02-02"),
            arrived_at=at("2020-02-02"),
            entry_inwards_at=at("2020-02-03"),
        )
    )
    message = boe(
        presented_at=at("2020-02-08"),
        manifest={"igm_number": "2234567", "igm_date": date(2020, 2, 1), "line": 10},
    )
    assert late_fee(run.validate_message(message)) == Decimal(25000)


@pytest.mark.parametrize("filed, amount", [("2020-01-27", None), ("2020-01-28", "5000")])
def test_legacy_regime_skips_sunday_and_holiday(filed, amount) -> None:  # type: ignore[no-untyped-def]
    # T32: entry inwards Sat 2020-01-25; Sun 26 Jan (also Republic Day) skipped → due Mon 27
    run = engine()
    run.validate_message(
        igm(
            igm_date=date(2020, 1, 24),
            filed_at=at("2020-01-24"),
            expected_arrival=at("2020-01-25"),
            arrived_at=at("2020-01-25"),
            entry_inwards_at=at("2020-01-25"),
        )
    )
    message = boe(
        presented_at=at(filed),
        manifest={"igm_number": "2234567", "igm_date": date(2020, 1, 24), "line": 10},
    )
    assert late_fee(run.validate_message(message)) == (Decimal(amount) if amount else None)


def test_legacy_regime_state_holiday() -> None:
    # Maharashtra: arrival Tue 2020-03-24; Wed 03-25 is Gudi Padwa in MH → due Thu 03-26
    assert late_fee(presented("INNSA1", "2020-03-24", "2020-03-26")) is None
    assert late_fee(presented("INNSA1", "2020-03-24", "2020-03-27")) == Decimal(5000)
    # the same dates at Delhi (no Gudi Padwa holiday): due Wed 03-25
    assert late_fee(presented("INDEL4", "2020-03-24", "2020-03-26", mode="AIR")) == Decimal(5000)


def test_no_charge_before_2017_or_without_arrival() -> None:
    assert late_fee(presented("INNSA1", "2017-03-20", "2017-04-20")) is None
    message = boe(manifest=None, prior=True, presented_at=at("2026-04-20"))
    assert late_fee(engine().validate_message(message)) is None


def test_as_of_selects_the_regime() -> None:
    # filed 2 days after arrival; in force on 2020-01-01 was the legacy regime (due next day)
    message = boe(
        port_code="INNSA1",
        manifest=None,
        prior=True,
        arrived_at=at("2026-03-10"),
        presented_at=at("2026-03-11"),
    )
    assert late_fee(engine().validate_message(message)) == Decimal(10000)
    assert late_fee(engine(as_of=date(2020, 1, 1)).validate_message(message)) is None


@pytest.mark.parametrize(
    "conveyance, filed, arrived, fires",
    [
        ("VESSEL", "2026-03-10T05:59", "2026-03-10T06:00", False),
        ("VESSEL", "2026-03-10T06:00", "2026-03-10T06:00", True),  # not before arrival
        ("AIRCRAFT", "2026-03-10T07:00", "2026-03-10T06:00", True),
        ("VEHICLE", "2026-03-10T18:00", "2026-03-10T06:00", False),  # within 12 h
        ("VEHICLE", "2026-03-10T18:01", "2026-03-10T06:00", True),
        ("VESSEL", "2016-03-11T06:00", "2016-03-10T06:00", False),  # legacy: 24 h after
        ("VESSEL", "2016-03-11T06:01", "2016-03-10T06:00", True),
        ("AIRCRAFT", "2016-03-10T18:01", "2016-03-10T06:00", True),  # legacy: 12 h after
    ],
)
def test_igm_filing_deadline(conveyance, filed, arrived, fires) -> None:  # type: ignore[no-untyped-def]
    manifest = igm(
        conveyance=conveyance,
        filed_at=at(filed),
        arrived_at=at(arrived),
        expected_arrival=at(arrived),
    )
    response = engine().validate_message(manifest)
    assert (rules_of(response).get("CORE-IGM-001") == "warn") is fires


def test_igm_filing_deadline_not_checkable_without_a_filing_time_is_said() -> None:
    """An XML manifest may leave FiledAt out: one filed late then passed without a word."""
    arrived = igm(filed_at=None, arrived_at=at("2026-03-10T06:00"))
    response = engine().validate_message(arrived)
    assert rules_of(response)["CORE-IGM-001"] == "info"
    said = next(f for f in response.findings if f.rule == "CORE-IGM-001")
    assert "declares no filing time" in said.message and said.field == "filed_at"
    # not arrived yet: no deadline has passed, nothing to say
    ahead = igm(filed_at=None, arrived_at=None)
    assert "CORE-IGM-001" not in rules_of(engine().validate_message(ahead))


@pytest.mark.parametrize(
    "filed, conveyance, fires",
    [
        ("2026-03-01", "VESSEL", True),  # T37: 15 days ahead
        ("2026-03-02", "VESSEL", False),  # 14 days
        ("2026-03-01", "AIRCRAFT", False),
    ],
)
def test_advance_vessel_manifest(filed, conveyance, fires) -> None:  # type: ignore[no-untyped-def]
    manifest = igm(
        conveyance=conveyance,
        filed_at=at(filed),
        expected_arrival=at("2026-03-16"),
        arrived_at=None,
    )
    assert ("CORE-IGM-002" in rules_of(engine().validate_message(manifest))) is fires


@pytest.mark.parametrize(
    "filed, expected, conveyance",
    [
        # 14 calendar days ahead, though nearly 15 × 24 hours
        (at("2026-03-02T00:05"), at("2026-03-16T23:55"), "VESSEL"),
        # 20:00 UTC on 2026-03-01 is 01:30 on 2026-03-02 in India: 14 days ahead
        (datetime(2026, 3, 1, 20, 0, tzinfo=UTC), at("2026-03-16T06:00"), "VESSEL"),
        # far ahead, but only a vessel's advance manifest is bounded
        (at("2026-02-01"), at("2026-03-16"), "AIRCRAFT"),
        (at("2026-02-01"), at("2026-03-16"), "VEHICLE"),
    ],
    ids=["14-calendar-days", "14-days-in-india", "aircraft", "vehicle"],
)
def test_igm_002_quiet_within_14_days_and_for_other_conveyances(
    filed: datetime, expected: datetime, conveyance: str
) -> None:
    manifest = igm(
        conveyance=conveyance, filed_at=filed, expected_arrival=expected, arrived_at=None
    )
    response = engine().validate_message(manifest)
    assert "CORE-IGM-002" not in rules_of(response)


def _noted_at_sea(arrived: str | None, inwards: str, filed: str) -> Response:
    """A vessel IGM at INNSA1 with the given arrival and entry inwards, and a Bill of Entry
    noted against it (no arrival of its own)."""
    run = engine()
    run.validate_message(
        igm(
            igm_date=date.fromisoformat(inwards[:10]),
            filed_at=at(inwards[:10]),
            expected_arrival=at(inwards[:10]),
            arrived_at=at(arrived) if arrived else None,
            entry_inwards_at=at(inwards),
        )
    )
    message = boe(
        presented_at=at(filed),
        manifest={
            "igm_number": "2234567",
            "igm_date": date.fromisoformat(inwards[:10]),
            "line": 10,
        },
    )
    return run.validate_message(message)


def test_entry_inwards_on_the_first_day_of_the_charge_brings_the_legacy_regime() -> None:
    # arrival 2017-03-30 (no charge by itself), entry inwards 2017-03-31: at a sea port the
    # deadline counts from entry inwards → due Sat 2017-04-01, filed 04-06: 5 days, ₹35,000
    assert late_fee(_noted_at_sea("2017-03-30", "2017-03-31", "2017-04-06")) == Decimal(35000)
    # both before 2017-03-31: no charge
    assert late_fee(_noted_at_sea("2017-03-29", "2017-03-30", "2017-04-06")) is None


def test_entry_inwards_alone_is_no_arrival_for_the_current_regime() -> None:
    # RULES §1.2: IGM arrived_at, else the BoE's; entry inwards counts only for the legacy one
    assert late_fee(_noted_at_sea(None, "2026-03-10", "2026-03-13")) is None
    # in the legacy years, entry inwards is the sea port's arrival: due Tue 02-04, filed 02-08
    assert late_fee(_noted_at_sea(None, "2020-02-03", "2020-02-08")) == Decimal(25000)
