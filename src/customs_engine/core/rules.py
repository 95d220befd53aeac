"""Rule metadata and effective-dated rule data.

Every rule a plugin applies is declared as a :class:`Rule` (ID, title, outcomes, legal reference,
effective dates). Plugins keep this metadata, and the numbers that change by notification, in data
files beside their code; :func:`load_rules` and :class:`Schedule` read them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from customs_engine.core.response import Fee, Finding, Outcome
from customs_engine.core.writers.printable import printable

RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"


class Rule(BaseModel):
    """One rule of the catalogue, as `customs rules` lists it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RULE_ID_PATTERN)
    scheme: str
    title: str
    outcomes: tuple[str, ...]
    reference: str = Field(min_length=1)
    effective_from: date | None = None
    effective_until: date | None = None
    keyed_on: str = "presented_at date (IST)"

    @field_validator("title", "reference")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """Each is printed on a line of its own (``customs rules``, text responses): a line
        break would forge another line, a control or bidirectional character (U+202E) change
        what the line reads."""
        at = next((at for at, char in enumerate(value) if not char.isprintable()), None)
        if at is not None:
            char = value[at]
            raise ValueError(
                f"must be one line of printable text; it holds {printable(char)} "
                f"(U+{ord(char):04X}) at character {at + 1}"
            )
        return value

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"reject", "hold", "query", "warn", "info", "fee"}
        unknown = [v for v in value if v not in allowed]
        if unknown or not value:
            raise ValueError(f"outcomes must be among {sorted(allowed)}, got {list(value)}")
        return value

    def in_force(self, on: date) -> bool:
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_until and on > self.effective_until)

    def finding(
        self,
        outcome: Outcome,
        message: str,
        *,
        item: int | None = None,
        field: str | None = None,
    ) -> Finding:
        """A finding of this rule, carrying its scheme and legal reference."""
        if outcome not in self.outcomes:
            raise ValueError(f"{self.id} is not declared with outcome {outcome!r}")
        return Finding(
            rule=self.id,
            scheme=self.scheme,
            outcome=outcome,
            item=item,
            field=field,
            message=message,
            reference=self.reference,
        )

    def fee(
        self,
        kind: str,
        amount: Decimal | int | str,
        *,
        basis: str,
        item: int | None = None,
        currency: str = "INR",
    ) -> Fee:
        """A fee of this rule, carrying its scheme (``amount`` exact: never a float; INR).
        Refuses a rule not declared with the outcome ``fee``, as :meth:`finding` refuses an
        outcome the rule did not declare."""
        if "fee" not in self.outcomes:
            raise ValueError(f"{self.id} is not declared with outcome 'fee'")
        return Fee.model_validate(
            {
                "rule": self.id,
                "scheme": self.scheme,
                "kind": kind,
                "amount": amount,
                "currency": currency,
                "item": item,
                "basis": basis,
            }
        )


class RuleSet(Mapping[str, Rule]):
    """A plugin's rules by ID. A rule ID given twice is a :class:`ValueError`: the one given
    last would silently replace the other."""

    def __init__(self, rules: Iterable[Rule]):
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise ValueError(f"rule ID {rule.id} is declared twice")
            self._rules[rule.id] = rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


def read_toml(package: str, name: str) -> dict[str, Any]:
    """A data file shipped beside a plugin's code."""
    with resources.files(package).joinpath(name).open("rb") as handle:
        return tomllib.load(handle)


def load_rules(package: str, name: str = "rules.toml") -> RuleSet:
    """Read ``[[rule]]`` tables (id, title, outcomes, reference, effective dates) of a plugin.

    The file's top-level ``scheme`` names the scheme every rule belongs to. A file without a
    ``scheme`` string or without ``[[rule]]`` tables, or one declaring a rule ID twice, is a
    :class:`ValueError` naming the file (and the ID): the plugin fails to load.
    """
    data = read_toml(package, name)
    where = str(resources.files(package).joinpath(name))
    scheme = data.get("scheme")
    if not isinstance(scheme, str) or not scheme.strip():
        raise ValueError(
            f'{where}: no top-level scheme = "…" (the scheme its rules belong to), got {scheme!r}'
        )
    entries = data.get("rule")
    if entries is None:
        raise ValueError(f"{where}: no [[rule]] tables")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValueError(f"{where}: rule must be [[rule]] tables, got {_kind(entries)}")
    ids = [entry.get("id") for entry in entries]
    repeated = next((i for i in ids if isinstance(i, str) and ids.count(i) > 1), None)
    if repeated is not None:
        raise ValueError(
            f"{where}: rule ID {repeated} is declared {ids.count(repeated)} times "
            "(one [[rule]] table per ID)"
        )
    return RuleSet(_rule(where, scheme, entry) for entry in entries)


def _rule(where: str, scheme: str, entry: dict[str, Any]) -> Rule:
    """One ``[[rule]]`` table as a rule; one the model refuses is a :class:`ValueError` naming
    the file and the rule (a plugin author learns which table to fix)."""
    try:
        return Rule(scheme=scheme, **entry)
    except ValidationError as exc:
        from customs_engine.core.formats import refusals  # formats reads the core rules

        raise ValueError(f"{where}: rule {entry.get('id', '(no id)')}: {refusals(exc)}") from None


T = TypeVar("T")


@dataclass(frozen=True)
class Period(Generic[T]):
    value: T
    start: date | None
    end: date | None

    def covers(self, on: date) -> bool:
        return (self.start is None or on >= self.start) and (self.end is None or on <= self.end)


def _span(period: Period[Any]) -> str:
    return f"{period.start or '…'} – {period.end or '…'}"


class Schedule(Generic[T]):
    """A value that changes by notification: periods ``[from, until]`` (either end open).

    >>> s = Schedule([Period(500, date(2023, 8, 28), None)])
    >>> s.at(date(2024, 1, 1))
    500
    """

    def __init__(self, periods: Iterable[Period[T]]):
        """``ValueError`` when two periods overlap (which would be in force on a shared day?) or
        one ends before it starts."""
        self.periods = sorted(periods, key=lambda p: p.start or date.min)
        for period in self.periods:
            if period.start and period.end and period.end < period.start:
                raise ValueError(f"a period runs from {period.start} until {period.end}")
        for earlier, later in zip(self.periods, self.periods[1:], strict=False):
            if earlier.end is None or (later.start or date.min) <= earlier.end:
                raise ValueError(
                    f"periods overlap: {_span(earlier)} and {_span(later)} "
                    "(close the earlier one the day before the later one starts)"
                )

    @classmethod
    def from_entries(
        cls, entries: Iterable[Mapping[str, Any]], key: str = "value"
    ) -> Schedule[Any]:
        """Build from TOML tables with ``from`` / ``until`` dates and a value key."""
        return cls(Period(entry[key], entry.get("from"), entry.get("until")) for entry in entries)

    def at(self, on: date) -> T | None:
        for period in self.periods:
            if period.covers(on):
                return period.value
        return None


def overlay(
    data: Mapping[str, Any], table: Mapping[str, Any], plugin: str, codes: Collection[str] = ()
) -> dict[str, Any]:
    """A plugin's data file with its ``--config`` table laid over it (a notification that
    changed the data since the release, applied without one).

    A table merges key by key; any other value (a list, a date, an array of tables) replaces the
    data file's whole. A key the data file does not have, or a value of another kind than the
    data file's (a string for a list, a table for a date), is a :class:`ValueError` naming
    ``[plugin] key``: an override the plugin would ignore must never read as applied. A table
    within a table (``[scrap.origin.names]``) maps codes to values: a code may be added, with a
    value of the kind its others have; so may one of a table named in ``codes`` by its dotted
    name (``"core.ports"``: port codes, each a table). What the values must be beyond their kind,
    the plugin checks when it builds its data from the result.
    """
    return _overlay(data, table, plugin, depth=0, codes=frozenset(codes))


def _overlay(
    data: Mapping[str, Any],
    table: Mapping[str, Any],
    where: str,
    depth: int,
    codes: frozenset[str],
) -> dict[str, Any]:
    merged = dict(data)
    kinds = {_kind(value) for value in data.values()}
    for key, value in table.items():
        named = f"[{where}] {key}"
        if key not in data:
            if (depth >= 2 or where in codes) and _kind(value) in kinds and len(kinds) == 1:
                merged[key] = value  # a code added to a map of codes
                continue
            raise ValueError(f"{named}: no such key (the keys are {', '.join(sorted(data))})")
        current = data[key]
        if isinstance(current, Mapping):
            if not isinstance(value, Mapping):
                raise ValueError(f"{named} must be a table, got {value!r}")
            merged[key] = _overlay(current, value, f"{where}.{key}", depth + 1, codes)
        elif _kind(value) != _kind(current):
            raise ValueError(f"{named} must be {_kind(current)}, got {value!r}")
        else:
            merged[key] = value
    return merged


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date (YYYY-MM-DD)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):  # a run's --config table is read-only: lists are tuples
        return "a list"
    return type(value).__name__


def checked_strings(value: object, where: str, pattern: str = ".+") -> tuple[str, ...]:
    """A list of strings from a data file or a ``--config`` override, each matching
    ``pattern`` (``"[0-9]{8}"`` for tariff lines); anything else is a :class:`ValueError`
    naming ``where``: a code no message can match would switch a check off in silence."""
    if not isinstance(value, list | tuple) or not all(
        isinstance(entry, str) and re.fullmatch(pattern, entry) for entry in value
    ):
        raise ValueError(f"{where} must be a list of strings matching {pattern}, got {value!r}")
    return tuple(value)


class PerSettings(Generic[T]):
    """What a plugin builds from its ``--config`` table, built once per table: every message of
    a run passes the same table. Without a table, the value built from an empty one, once. A
    build that fails raises again for every message (the plugin then fails closed,
    ``CORE-PLUGIN-001``)."""

    def __init__(self, build: Callable[[Mapping[str, Any]], T]):
        self._build = build
        self._default: T | None = None
        self._last: tuple[Mapping[str, Any], T] | None = None

    @classmethod
    def overlaid(
        cls,
        data: Mapping[str, Any],
        plugin: str,
        build: Callable[[Mapping[str, Any]], T],
        codes: Collection[str] = (),
    ) -> PerSettings[T]:
        """``build`` called on the data file with the ``--config`` table laid over it
        (:func:`overlay`, given ``codes``). A top-level key the data file does not have is left
        out: declare ``Scheme(settings=tuple(data))`` and the host reports it when a run starts.
        A build that fails on the values (a ``KeyError`` or ``TypeError`` of a malformed entry)
        is a :class:`ValueError` naming the plugin's table."""

        def built(table: Mapping[str, Any]) -> T:
            known = {key: value for key, value in table.items() if key in data}
            merged = overlay(data, known, plugin, codes)
            try:
                return build(merged)
            except (KeyError, TypeError, AttributeError) as exc:
                if not known:
                    raise  # the shipped data file itself: a defect, not an operator's mistake
                raise ValueError(
                    f"[{plugin}] cannot be applied: {type(exc).__name__}: {exc} "
                    f"(overriding {', '.join(sorted(known))})"
                ) from exc

        return cls(built)

    def __call__(self, table: Mapping[str, Any]) -> T:
        if not table:
            if self._default is None:
                self._default = self._build({})
            return self._default
        last = self._last
        if last is not None and last[0] is table:
            return last[1]
        value = self._build(table)
        self._last = (table, value)  # holds the table, so its id is never another's meanwhile
        return value
