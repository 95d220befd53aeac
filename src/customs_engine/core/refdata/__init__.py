"""Reference data the core rules read: port master, permanent IECs, routing table, deadlines.

Every number that changes by notification lives in a data file beside this module (CSV or TOML,
with effective dates) and is read here once per process.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from customs_engine.core.rules import Period, Schedule, read_toml

PACKAGE = "customs_engine.core.refdata"


@dataclass(frozen=True)
class Port:
    code: str
    name: str
    station_type: str
    state: str
    effective_from: date | None


@cache
def port_master() -> dict[str, Port]:
    """The shipped port master, by ICEGATE location code."""
    with resources.files(PACKAGE).joinpath("ports.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["code"]: Port(
            row["code"],
            row["name"],
            row["station_type"],
            row["state"],
            date.fromisoformat(row["effective_from"]) if row["effective_from"] else None,
        )
        for row in rows
    }


def port(code: str, on: date | None = None) -> Port | None:
    found = port_master().get(code)
    if found is None or (on is not None and found.effective_from and on < found.effective_from):
        return None
    return found


@dataclass(frozen=True)
class PermanentIec:
    iec: str
    legacy: str
    category: str
    ceiling: Schedule[Decimal] | None


@cache
def iec_data() -> dict[str, Any]:
    return read_toml(PACKAGE, "iec.toml")


@cache
def permanent_iecs() -> dict[str, PermanentIec]:
    """Permanent IECs by code, current alphanumeric and legacy numeric both."""
    out: dict[str, PermanentIec] = {}
    for entry in iec_data()["permanent"]:
        ceiling = None
        if "ceiling" in entry:
            ceiling = Schedule(
                Period(Decimal(c["value_inr"]), c.get("from"), c.get("until"))
                for c in entry["ceiling"]
            )
        record = PermanentIec(entry["iec"], entry["legacy"], entry["category"], ceiling)
        out[record.iec] = record
        out[record.legacy] = record
    return out


@dataclass(frozen=True)
class RoutingGroup:
    first_heading: str
    last_heading: str
    nac: str
    group: str

    def covers(self, hs_code: str) -> bool:
        return self.first_heading <= hs_code[:4] <= self.last_heading


@cache
def routing_table() -> Schedule[tuple[RoutingGroup, ...]]:
    """Routing groups; each group has its own effective dates, so group them by period."""
    periods: dict[tuple[date | None, date | None], list[RoutingGroup]] = {}
    for entry in read_toml(PACKAGE, "routing.toml")["group"]:
        first, last = entry["headings"]
        key = (entry.get("from"), entry.get("until"))
        periods.setdefault(key, []).append(RoutingGroup(first, last, entry["nac"], entry["group"]))
    return Schedule(Period(tuple(groups), start, end) for (start, end), groups in periods.items())


@cache
def deadlines() -> dict[str, Any]:
    return read_toml(PACKAGE, "deadlines.toml")


def dated(table: str, on: date) -> dict[str, Any] | None:
    """The entry of an effective-dated ``[[table]]`` of deadlines.toml in force on ``on``."""
    schedule: Schedule[dict[str, Any]] = Schedule(
        Period(entry, entry.get("from"), entry.get("until")) for entry in deadlines()[table]
    )
    return schedule.at(on)


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 country codes (countries.txt: pycountry's list, kept equal to it
    by a test)."""
    text = resources.files(PACKAGE).joinpath("countries.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country code (any case)."""
    return code.upper() in country_codes()
