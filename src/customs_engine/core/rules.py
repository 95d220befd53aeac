"""Rule metadata and effective-dated rule data.

Every rule a plugin applies is declared as a :class:`Rule` (ID, title, outcomes, legal reference,
effective dates). Plugins keep this metadata, and the numbers that change by notification, in data
files beside their code; :func:`load_rules` and :class:`Schedule` read them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customs_engine.core.response import Fee, Finding, Outcome

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
    """A plugin's rules by ID."""

    def __init__(self, rules: Iterable[Rule]):
        self._rules = {rule.id: rule for rule in rules}

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

    The file's top-level ``scheme`` names the scheme every rule belongs to.
    """
    data = read_toml(package, name)
    scheme = data["scheme"]
    return RuleSet(Rule(scheme=scheme, **entry) for entry in data["rule"])


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
