"""Scrap policy data (``data.toml``) as typed values: lists, designated ports, safe route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from customs_engine import Period, Schedule, read_toml


@dataclass(frozen=True)
class ScrapPolicy:
    listed: frozenset[str]
    other_headings: tuple[str, ...]
    free_forms: frozenset[str]
    barred_loading: dict[str, str]
    designated: list[Period[frozenset[str]]]
    safe_route: Schedule[dict[str, Any]]

    @classmethod
    def load(cls, package: str = "customs_engine.plugins.scrap") -> ScrapPolicy:
        data = read_toml(package, "data.toml")
        safe = data["safe_country_route"]
        return cls(
            listed=frozenset(data["listed"]["codes"]),
            other_headings=tuple(data["other"]["headings"]),
            free_forms=frozenset(data["form"]["free_forms"]),
            barred_loading={
                code: data["origin"]["names"].get(code, code)
                for code in data["origin"]["ports_of_loading"]
            },
            designated=[
                Period(frozenset(e["codes"]), e.get("from"), e.get("until"))
                for e in data["designated_port"]
            ],
            safe_route=Schedule([Period(safe, safe.get("from"), safe.get("until"))]),
        )

    def is_other_scrap(self, hs_code: str) -> bool:
        return hs_code not in self.listed and hs_code[:4] in self.other_headings

    def designated_on(self, on: date) -> frozenset[str]:
        return frozenset().union(*(p.value for p in self.designated if p.covers(on)))

    def safe_route_applies(
        self, on: date, origin: str | None, consigned_from: str | None, port_code: str
    ) -> bool:
        route = self.safe_route.at(on)
        if route is None:
            return False
        countries = set(route["countries"])
        return (
            (origin or "").upper() in countries
            and (consigned_from or "").upper() in countries
            and port_code in route["ports"]
        )
