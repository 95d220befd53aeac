"""India-local calendar helpers: every date the rules compare is a calendar date in Asia/Kolkata."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
#: the dates a message may carry. Outside them a date is a typing error, not a declaration — and
#: near the ends of Python's calendar, moving an instant to India time overflows; before 1950
#: Asia/Kolkata also had offsets in seconds (local mean time), which no wire format writes
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2199, 12, 31)


_NEAR_EARLIEST = (EARLIEST_DATE - timedelta(days=1), EARLIEST_DATE)
_NEAR_LATEST = (LATEST_DATE, LATEST_DATE + timedelta(days=1))


def check_in_range(value: date) -> None:
    """Raise ``ValueError`` for a date, or a date-time whose calendar date in India, outside the
    range (a time at the far end of another offset may fall on the next day in India)."""
    day = value.date() if isinstance(value, datetime) else value
    if (
        isinstance(value, datetime)
        and value.tzinfo is not None
        and (
            _NEAR_EARLIEST[0] <= day <= _NEAR_EARLIEST[1]
            or _NEAR_LATEST[0] <= day <= _NEAR_LATEST[1]
        )
    ):
        # only a day from either end can move across it (and is safe to move: nowhere near the
        # ends of Python's calendar)
        day = value.astimezone(IST).date()
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(
            f"date {day.isoformat()} is outside the accepted range "
            f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"
        )


def aware(value: datetime) -> datetime:
    """A naive date-time is India time; an aware one is kept as given."""
    return value.replace(tzinfo=IST) if value.tzinfo is None else value


def shown_instant(value: datetime, timespec: str = "seconds") -> str:
    """An instant as people here read it: India time with its offset
    (``2026-11-29T23:30:23+05:30``); a naive value is taken as UTC (as the registry stores)."""
    instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return instant.astimezone(IST).isoformat(timespec=timespec)


def india_date(value: datetime | date) -> date:
    """The calendar date in India of a date-time (a plain date is returned unchanged)."""
    if isinstance(value, datetime):
        return aware(value).astimezone(IST).date()
    return value


def valid_through(start: date, days: int) -> date:
    """Last valid day of something "valid N days from X", that day included."""
    return start + timedelta(days=days)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text: str) -> date:
    """Parse YYYY-MM-DD strictly, with a message that names the value."""
    # date.fromisoformat also takes 20260309 and 2026-W10-1 (Python 3.11): not what is asked
    if not _ISO_DATE.fullmatch(text.strip()):
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day when it is shorter:
    2026-12-31 + 2 months = 2027-02-28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(
        year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1])
    )
