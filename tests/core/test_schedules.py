"""Effective-dated values (``Schedule``): one value per day, never two."""

from __future__ import annotations

from datetime import date

import pytest

from customs_engine import Period, Schedule


def test_consecutive_periods_pick_the_value_in_force() -> None:
    fee = Schedule.from_entries(
        [
            {"value": 1, "from": date(2019, 9, 16), "until": date(2023, 8, 27)},
            {"value": 2, "from": date(2023, 8, 28)},
        ]
    )
    assert (fee.at(date(2023, 8, 27)), fee.at(date(2023, 8, 28))) == (1, 2)
    assert fee.at(date(2019, 9, 15)) is None


@pytest.mark.parametrize(
    "entries",
    [
        [{"value": 1, "from": date(2020, 1, 1)}, {"value": 2, "from": date(2021, 6, 1)}],
        [
            {"value": 1, "from": date(2020, 1, 1), "until": date(2021, 6, 1)},
            {"value": 2, "from": date(2021, 6, 1)},
        ],
        [{"value": 1}, {"value": 2, "until": date(2021, 1, 1)}],
    ],
    ids=["open-ended-then-later", "sharing-a-day", "two-open-starts"],
)
def test_overlapping_periods_are_refused(entries: list[dict[str, object]]) -> None:
    """Both would be in force on a shared day (before, the older value silently won)."""
    with pytest.raises(ValueError, match="periods overlap"):
        Schedule.from_entries(entries)


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="runs from 2021-01-02 until 2021-01-01"):
        Schedule([Period(1, date(2021, 1, 2), date(2021, 1, 1))])
