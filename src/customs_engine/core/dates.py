"""India-local calendar helpers: every date the rules compare is a calendar date in Asia/Kolkata."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def aware(value: datetime) -> datetime:
    """A naive date-time is India time; an aware one is kept as given."""
    return value.replace(tzinfo=IST) if value.tzinfo is None else value


def india_date(value: datetime | date) -> date:
    """The calendar date in India of a date-time (a plain date is returned unchanged)."""
    if isinstance(value, datetime):
        return aware(value).astimezone(IST).date()
    return value


def valid_through(start: date, days: int) -> date:
    """Last valid day of something "valid N days from X", that day included (RULES.md §0)."""
    return start + timedelta(days=days)


def parse_iso_date(text: str) -> date:
    """Parse YYYY-MM-DD strictly, with a message that names the value."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day when it is shorter:
    2026-12-31 + 2 months = 2027-02-28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))
