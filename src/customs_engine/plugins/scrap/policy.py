"""Scrap policy data (``data.toml``) as typed values: lists, designated ports, safe route."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from customs_engine import Period, Schedule, checked_strings, read_toml

#: an ICEGATE location code (INNSA1)
_PORT = "[A-Z]{2}[A-Z0-9]{4}"


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
        return cls.from_data(read_toml(package, "data.toml"))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ScrapPolicy:
        """The policy of ``data.toml`` (or of it with the ``[scrap]`` table of ``--config`` laid
        over it: a port designated since the release, say); values no message could match are
        a :class:`ValueError`."""
        safe = data["safe_country_route"]
        checked_strings(safe["countries"], "[scrap.safe_country_route] countries", "[A-Z]{2}")
        checked_strings(safe["ports"], "[scrap.safe_country_route] ports", _PORT)
        origin = data["origin"]
        loading = checked_strings(
            origin["ports_of_loading"], "[scrap.origin] ports_of_loading", "[A-Z]{5}"
        )
        return cls(
            listed=frozenset(
                checked_strings(data["listed"]["codes"], "[scrap.listed] codes", "[0-9]{8}")
            ),
            other_headings=checked_strings(
                data["other"]["headings"], "[scrap.other] headings", "[0-9]{4}"
            ),
            free_forms=frozenset(
                checked_strings(data["form"]["free_forms"], "[scrap.form] free_forms", "[A-Z]+")
            ),
            barred_loading={code: origin["names"].get(code, code) for code in loading},
            designated=[
                Period(
                    frozenset(
                        checked_strings(e["codes"], "[[scrap.designated_port]] codes", _PORT)
                    ),
                    e.get("from"),
                    e.get("until"),
                )
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
