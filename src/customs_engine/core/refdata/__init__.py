"""Reference data the core rules read: port master, permanent IECs, routing table, deadlines.

Every number that changes by notification lives in a data file beside this module (CSV or TOML,
with effective dates), read once per process. A run's ``--config`` ``[core]`` table may lay a
later notification's values over them (:func:`reference`): ``[core.ports.CODE]``,
``[core.iec]``, ``[core.routing]`` and ``[core.deadlines]``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from customs_engine.core.refdata.ports import is_well_formed
from customs_engine.core.rules import Period, PerSettings, Schedule, read_toml

if TYPE_CHECKING:
    from customs_engine.core.check_context import CheckContext

PACKAGE = "customs_engine.core.refdata"

STATION_TYPES = frozenset({"sea", "air", "icd", "land", "rail"})
#: the tables of a ``[core]`` --config table that lay values over the reference data (the keys
#: of :func:`shipped_data`; a test keeps the two equal)
REFERENCE_TABLES = ("deadlines", "iec", "ports", "routing")


@dataclass(frozen=True)
class Port:
    code: str
    name: str
    station_type: str
    state: str
    effective_from: date | None


@dataclass(frozen=True)
class PermanentIec:
    iec: str
    legacy: str
    category: str
    ceiling: Schedule[Decimal] | None


@dataclass(frozen=True)
class RoutingGroup:
    first_heading: str
    last_heading: str
    nac: str
    group: str

    def covers(self, hs_code: str) -> bool:
        return self.first_heading <= hs_code[:4] <= self.last_heading


@dataclass(frozen=True)
class CoreReference:
    """The core's reference data as one run sees it."""

    ports: Mapping[str, Port]
    permanent_iecs: Mapping[str, PermanentIec]
    """By code, current alphanumeric and legacy numeric both."""
    routing: Schedule[tuple[RoutingGroup, ...]]
    deadlines: Mapping[str, Any]
    _dated: Mapping[str, Schedule[Mapping[str, Any]]]

    def port(self, code: str, on: date | None = None) -> Port | None:
        """The port master's entry for ``code``, if it is in force on ``on``."""
        found = self.ports.get(code)
        if found is None or (on and found.effective_from and on < found.effective_from):
            return None
        return found

    def dated(self, table: str, on: date) -> Mapping[str, Any] | None:
        """The entry of an effective-dated ``[[table]]`` of the deadlines in force on ``on``."""
        return self._dated[table].at(on)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CoreReference:
        """Built from :func:`shipped_data`'s layout; a value that cannot be used is a
        ``ValueError`` naming its place (``[core.deadlines.prior] max_days``)."""
        deadlines = data["deadlines"]
        _check_deadlines(deadlines)
        return cls(
            ports={code: _port(code, entry) for code, entry in data["ports"].items()},
            permanent_iecs=_permanent_iecs(data["iec"]["permanent"]),
            routing=_routing(data["routing"]["group"]),
            deadlines=deadlines,
            _dated={
                table: Schedule(
                    Period(entry, entry.get("from"), entry.get("until"))
                    for entry in deadlines[table]
                )
                for table in _DATED
            },
        )


#: the effective-dated tables of the deadlines, and the numbers each entry must give
_DATED: dict[str, dict[str, type]] = {
    "boe_regime": {},
    "late_fee": {"first_days": int, "first_rate": Decimal, "later_rate": Decimal},
    "igm_regime": {"vessel_hours": int, "aircraft_hours": int, "vehicle_hours": int},
    "document_fee": {},
}
#: the undated tables of the deadlines and their numbers
_NUMBERS: dict[str, dict[str, type]] = {
    "prior": {"max_days": int},
    "igm_advance": {"max_days": int},
    "exchange": {"tolerance_inr": Decimal},
}


def _check_deadlines(deadlines: Mapping[str, Any]) -> None:
    for table, numbers in _NUMBERS.items():
        _check_numbers(deadlines[table], numbers, f"[core.deadlines.{table}]")
    for table, numbers in _DATED.items():
        for index, entry in enumerate(deadlines[table]):
            where = f"[[core.deadlines.{table}]] #{index + 1}"
            for end in ("from", "until"):
                if end in entry and not isinstance(entry[end], date):
                    raise ValueError(f"{where} {end} must be a date (YYYY-MM-DD)")
            if table == "document_fee":
                numbers = {key: Decimal for key in entry if key not in ("from", "until")}
            _check_numbers(entry, numbers, where)
        if table == "boe_regime" and any(
            entry.get("regime") not in ("none", "legacy", "current") for entry in deadlines[table]
        ):
            raise ValueError(f"[[core.deadlines.{table}]] regime must be none, legacy or current")


def _check_numbers(entry: Mapping[str, Any], numbers: Mapping[str, type], where: str) -> None:
    for key, kind in numbers.items():
        value = entry.get(key)
        try:
            number = int(value) if kind is int else Decimal(str(value))  # type: ignore[arg-type]
        except (TypeError, ValueError, InvalidOperation):
            number = None
        if number is None or isinstance(value, bool) or not number >= 0:
            raise ValueError(f"{where} {key} must be a number of 0 or more, got {value!r}")


def _port(code: str, entry: Mapping[str, Any]) -> Port:
    where = f"[core.ports.{code}]"
    if not is_well_formed(code):
        raise ValueError(f"{where}: a port code is IN + 3 letters + 1 suffix character")
    unknown = set(entry) - {"name", "station_type", "state", "effective_from"}
    if unknown:
        raise ValueError(f"{where}: no such key {', '.join(sorted(unknown))}")
    if entry.get("station_type") not in STATION_TYPES:
        raise ValueError(f"{where} station_type must be one of {', '.join(sorted(STATION_TYPES))}")
    start = entry.get("effective_from") or None
    if start is not None and not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise ValueError(f"{where} effective_from must be a date, got {start!r}") from None
    return Port(
        code, str(entry.get("name", "")), entry["station_type"], str(entry.get("state", "")), start
    )


def _permanent_iecs(entries: Any) -> dict[str, PermanentIec]:
    out: dict[str, PermanentIec] = {}
    for entry in entries:
        ceiling = None
        if "ceiling" in entry:
            ceiling = Schedule(
                Period(Decimal(str(c["value_inr"])), c.get("from"), c.get("until"))
                for c in entry["ceiling"]
            )
        record = PermanentIec(entry["iec"], entry["legacy"], entry["category"], ceiling)
        out[record.iec] = record
        out[record.legacy] = record
    return out


def _routing(entries: Any) -> Schedule[tuple[RoutingGroup, ...]]:
    """Routing groups; each group has its own effective dates, so group them by period."""
    periods: dict[tuple[date | None, date | None], list[RoutingGroup]] = {}
    for entry in entries:
        first, last = entry["headings"]
        key = (entry.get("from"), entry.get("until"))
        periods.setdefault(key, []).append(RoutingGroup(first, last, entry["nac"], entry["group"]))
    return Schedule(Period(tuple(groups), start, end) for (start, end), groups in periods.items())


@cache
def shipped_data() -> dict[str, Any]:
    """The shipped files as one table, the shape a ``[core]`` table is laid over."""
    with resources.files(PACKAGE).joinpath("ports.csv").open(encoding="utf-8") as handle:
        ports = {row.pop("code"): row for row in csv.DictReader(handle)}
    return {
        "ports": ports,
        "iec": {"permanent": iec_data()["permanent"]},
        "routing": read_toml(PACKAGE, "routing.toml"),
        "deadlines": read_toml(PACKAGE, "deadlines.toml"),
    }


@cache
def _per_settings() -> PerSettings[CoreReference]:
    return PerSettings.overlaid(
        shipped_data(), "core", CoreReference.from_data, codes=("core.ports",)
    )


def reference_of(ctx: CheckContext) -> CoreReference:
    """The core's reference data as the run of ``ctx`` sees it (its ``[core]`` table over it)."""
    return reference(ctx.settings("core"))


def reference(table: Mapping[str, Any] | None = None) -> CoreReference:
    """The core's reference data with a run's ``[core]`` table laid over it (none: as shipped).
    A table that cannot be applied is a ``ValueError`` naming the place."""
    return _per_settings()(table or {})


@cache
def iec_data() -> dict[str, Any]:
    return read_toml(PACKAGE, "iec.toml")


def permanent_iecs() -> Mapping[str, PermanentIec]:
    """The shipped permanent IECs (the registry's import reads them; a run reads
    ``reference(...).permanent_iecs``)."""
    return reference().permanent_iecs


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
