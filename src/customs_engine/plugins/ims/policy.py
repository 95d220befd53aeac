"""IMS policy data (``data.toml``) as typed values: coverage, expiry rule, exemption conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from customs_engine import Period, Schedule, checked_strings, read_toml


@dataclass(frozen=True)
class ExpiryRule:
    """How an authorisation's expiry follows from its issue date when none is declared."""

    kind: str  # "fixed" or "end_of_issue_year"
    fixed: date | None = None

    def expiry(self, issued_on: date) -> date:
        if self.kind == "fixed" and self.fixed is not None:
            return self.fixed
        return date(issued_on.year, 12, 31)


#: an 8-digit ITC(HS) tariff line
_CODE = "[0-9]{8}"


def _expiry(entry: Mapping[str, Any]) -> Period[ExpiryRule]:
    if entry.get("rule") not in ("fixed", "end_of_issue_year") or (
        entry["rule"] == "fixed" and not isinstance(entry.get("date"), date)
    ):
        raise ValueError(
            '[[ims.expiry]] needs rule = "end_of_issue_year", or rule = "fixed" with a '
            f"date, got {dict(entry)!r}"
        )
    return Period(
        ExpiryRule(entry["rule"], entry.get("date")), entry.get("from"), entry.get("until")
    )


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
        return cls.from_data(read_toml(package, "data.toml"))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ImsPolicy:
        """The policy of ``data.toml`` (or of it with the ``[ims]`` table of ``--config`` laid
        over it); values no message could match are a :class:`ValueError`."""
        coverage = data["coverage"]
        exemptions = data["exemptions"]
        for key in ("baggage", "post_courier", "rnd", "repair", "captive_unit_types", "defence"):
            checked_strings(exemptions[key], f"[ims.exemptions] {key}", "[A-Z_]+")
        for key in ("post_courier_max_units", "rnd_max_units"):
            if isinstance(exemptions[key], bool) or not isinstance(exemptions[key], int):
                raise ValueError(f"[ims.exemptions] {key} must be a whole number")
        return cls(
            in_force_from=data["in_force_from"],
            codes=frozenset(checked_strings(coverage["codes"], "[ims.coverage] codes", _CODE)),
            invalid_codes=frozenset(
                checked_strings(coverage["invalid_codes"], "[ims.coverage] invalid_codes", _CODE)
            ),
            restricted_categories=frozenset(
                checked_strings(
                    coverage["restricted_categories"],
                    "[ims.coverage] restricted_categories",
                    "[A-Z_]+",
                )
            ),
            expiry=Schedule(_expiry(entry) for entry in data["expiry"]),
            exemptions=dict(exemptions),
        )

    def purposes(self, key: str) -> frozenset[str]:
        return frozenset(self.exemptions[key])

    def default_expiry(self, issued_on: date) -> date | None:
        rule = self.expiry.at(issued_on)
        return None if rule is None else rule.expiry(issued_on)
