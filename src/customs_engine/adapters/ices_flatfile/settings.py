"""The adapter's settings: ``maps.toml`` defaults merged with the ``[ices_flatfile]`` config table.

Keys of ``[ices_flatfile]`` (all optional):

* ``licence_schemes`` — table, LICENCE licence code → scheme (``{ "IM" = "IMS" }``);
* ``certificate_types`` — table, SUPPORTING_DOCS document type code → certificate type;
* ``control_certificate_types`` — table, BE_ITEM_SW_CTRL control type code → certificate type;
* ``registrations`` — array of tables ``{info_type, qualifier, code, prefix, scheme}``, added to
  the SIMS default (e.g. the NFMIMS recipe once published);
* ``igm_number`` / ``igm_date`` — the IGM number and date ICES allotted, for a SACHI01 file that
  leaves them empty (a fresh IGM always does);
* ``default_freight_pct`` / ``default_insurance_pct`` — override the valuation defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from customs_engine.core.models import CertificateType

SECTION = "ices_flatfile"


@dataclass(frozen=True)
class Registration:
    info_type: str
    qualifier: str
    code: str
    prefix: str
    scheme: str


@dataclass(frozen=True)
class Settings:
    licence_schemes: dict[str, str]
    certificate_types: dict[str, CertificateType]
    control_certificate_types: dict[str, CertificateType]
    registrations: tuple[Registration, ...]
    exemptions: dict[str, str]
    freight_pct: Decimal
    insurance_pct: Decimal
    igm_number: str | None = None
    igm_date: date | None = None
    problems: list[str] = field(default_factory=list)


@cache
def _defaults() -> dict[str, Any]:
    path = resources.files("customs_engine.adapters.ices_flatfile") / "maps.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _table(name: str, own: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    merged = dict(_defaults().get(name, {}))
    extra = own.get(name, {})
    if not isinstance(extra, Mapping):
        problems.append(f"[{SECTION}] {name} must be a table")
        extra = {}
    merged.update(extra)
    return {str(k).strip().upper(): str(v).strip() for k, v in merged.items()}


def _certificates(
    name: str, own: Mapping[str, Any], problems: list[str]
) -> dict[str, CertificateType]:
    out = {}
    for code, kind in _table(name, own, problems).items():
        try:
            out[code] = CertificateType(kind.upper())
        except ValueError:
            problems.append(f"[{SECTION}] {name}: {kind!r} is not a certificate type")
    return out


def _decimal(own: Mapping[str, Any], name: str, problems: list[str]) -> Decimal:
    raw = own.get(name, _defaults()["valuation"][name])
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        problems.append(f"[{SECTION}] {name}: {raw!r} is not a number")
        return Decimal(_defaults()["valuation"][name])


def _igm_date(raw: object, problems: list[str]) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.append(f"[{SECTION}] igm_date: {raw!r} is not a date (YYYY-MM-DD)")
        return None


def load(config: Mapping[str, Mapping[str, Any]] | None) -> Settings:
    """Settings for one parse; configuration mistakes are collected, never raised."""
    own = (config or {}).get(SECTION, {}) or {}
    problems: list[str] = []
    registrations = []
    for entry in list(_defaults().get("registrations", [])) + list(own.get("registrations", [])):
        try:
            registrations.append(
                Registration(
                    **{
                        k: str(entry[k]).strip()
                        for k in ("info_type", "qualifier", "code", "prefix", "scheme")
                    }
                )
            )
        except (KeyError, TypeError):
            problems.append(
                f"[{SECTION}] registrations: {entry!r} needs info_type, qualifier, "
                "code, prefix and scheme"
            )
    igm_number = own.get("igm_number")
    return Settings(
        licence_schemes=_table("licence_schemes", own, problems),
        certificate_types=_certificates("certificate_types", own, problems),
        control_certificate_types=_certificates("control_certificate_types", own, problems),
        registrations=tuple(registrations),
        exemptions=_table("registration_exemptions", own, problems),
        freight_pct=_decimal(own, "default_freight_pct", problems),
        insurance_pct=_decimal(own, "default_insurance_pct", problems),
        igm_number=None if igm_number is None else str(igm_number).strip(),
        igm_date=_igm_date(own.get("igm_date"), problems),
        problems=problems,
    )
