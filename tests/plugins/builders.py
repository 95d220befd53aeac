"""Small builders for scheme-plugin tests: a Bill of Entry in a few keywords, one engine run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from customs_engine.core.dates import IST
from customs_engine.core.engine import Engine
from customs_engine.core.models import (
    BillOfEntry,
    Certificate,
    Importer,
    Item,
    Licence,
    ManifestReference,
)
from customs_engine.core.registry.records import RegistryRecord
from customs_engine.core.response import Finding, Response
from customs_engine.testing import make_engine

PRESENTED = datetime(2026, 3, 9, 11, 0, tzinfo=IST)


def item(
    hs_code: str,
    quantity: int | str = 1,
    *,
    value: int | str | None = 100000,
    unit: str = "NOS",
    number: int = 1,
    licences: Iterable[Licence] = (),
    certificates: Iterable[Certificate] = (),
    **fields: Any,
) -> Item:
    return Item(
        number=number,
        hs_code=hs_code,
        quantity=Decimal(str(quantity)),
        unit=unit,
        value_inr=None if value is None else Decimal(str(value)),
        licences=list(licences),
        certificates=list(certificates),
        **fields,
    )


def licence(
    scheme: str, number: str, issued_on: date | None = None, expires_on: date | None = None
) -> Licence:
    return Licence(scheme=scheme, number=number, issued_on=issued_on, expires_on=expires_on)


def cert(kind: str, number: str = "C-1", **fields: Any) -> Certificate:
    return Certificate(type=kind, number=number, **fields)


def bill(
    *items: Item,
    message_id: str = "BE-TEST-1",
    presented_at: datetime = PRESENTED,
    bl_date: date | None = date(2026, 2, 20),
    unit_type: str | None = None,
    **fields: Any,
) -> BillOfEntry:
    values: dict[str, Any] = {
        "port_code": "INNSA1",
        "type": "HOME_CONSUMPTION",
        "mode": "SEA",
        "expected_arrival": date(2026, 3, 10),
        "consigned_from": "SG",
        "port_of_loading": "SGSIN",
        "manifest": ManifestReference(
            igm_number="2234567",
            igm_date=date(2026, 3, 8),
            line=10,
            bl_number="MAEU123456",
            bl_date=bl_date,
        ),
    }
    values.update(fields)
    return BillOfEntry(
        message_id=message_id,
        presented_at=presented_at,
        importer=Importer(iec="AAPFU0939F", unit_type=unit_type),
        items=list(items),
        **values,
    )


def registration(scheme: str, number: str, **fields: Any) -> RegistryRecord:
    kind = "authorisation" if scheme == "IMS" else "registration"
    for key in ("quantity", "value_inr", "fee_paid_inr"):
        if key in fields and fields[key] is not None:
            fields[key] = Decimal(str(fields[key]))
    if isinstance(fields.get("hs_codes"), str):
        fields["hs_codes"] = tuple(fields["hs_codes"].split())
    return RegistryRecord(kind=kind, scheme=scheme, number=number, iec="AAPFU0939F", **fields)


def engine(records: Iterable[RegistryRecord] = (), **ctx: Any) -> Engine:
    return make_engine(records=records, **ctx)


def check(boe: BillOfEntry, records: Iterable[RegistryRecord] = (), **ctx: Any) -> Response:
    return engine(records, **ctx).validate_message(boe)


def found(response: Response, rule: str, outcome: str | None = None) -> list[Finding]:
    return [
        f for f in response.findings if f.rule == rule and (outcome is None or f.outcome == outcome)
    ]


def rules_of(response: Response, prefix: str) -> set[str]:
    return {f.rule for f in response.findings if f.rule.startswith(prefix)}
