"""IMS policy data (``data.toml``) as typed values: coverage, expiry rule, exemption conditions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from customs_engine import Period, Schedule, read_toml


@dataclass(frozen=True)
class ExpiryRule:
    """How an authorisation's expiry follows from its issue date when none is declared."""

    kind: str  # "fixed" or "end_of_issue_year"
    fixed: date | None = None

    def expiry(self, issued_on: date) -> date:
        if self.kind == "fixed" and self.fixed is not None:
            return self.fixed
        return date(issued_on.year, 12, 31)


@dataclass(frozen=True)
class ImsPolicy:
    in_force_from: date
    codes: frozenset[str]
    invalid_codes: frozenset[str]
    restricted_categories: frozenset[str]
    expiry: Schedule[ExpiryRule]
    exemptions: dict[str, Any]

    @classmethod
    def load(cls, package: str = "customs_engine.plugins.ims") -> ImsPolicy:
        data = read_toml(package, "data.toml")
        coverage = data["coverage"]
        return cls(
            in_force_from=data["in_force_from"],
            codes=frozenset(coverage["codes"]),
            invalid_codes=frozenset(coverage["invalid_codes"]),
            restricted_categories=frozenset(coverage["restricted_categories"]),
            expiry=Schedule(
                Period(ExpiryRule(e["rule"], e.get("date")), e.get("from"), e.get("until"))
                for e in data["expiry"]
            ),
            exemptions=data["exemptions"],
        )

    def purposes(self, key: str) -> frozenset[str]:
        return frozenset(self.exemptions[key])

    def default_expiry(self, issued_on: date) -> date | None:
        rule = self.expiry.at(issued_on)
        return None if rule is None else rule.expiry(issued_on)
