"""Builders for core tests: canonical messages, a scheme plugin that claims balances, engines."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from customs_engine import hookimpl
from customs_engine.core.check_context import CheckContext, Scheme
from customs_engine.core.dates import IST
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import LedgerStore, RunState
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry.records import MemoryRegistry, Registry, RegistryRecord
from customs_engine.core.response import AuthorisationClaim, Response
from customs_engine.core.rules import Rule

IEC = "AAPFU0939F"
GSTIN = "27AAPFU0939F1ZV"
PG_URL = os.environ.get("CUSTOMS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def at(text: str) -> datetime:
    """An India-time moment from 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'."""
    value = datetime.fromisoformat(text if "T" in text else f"{text}T10:00")
    return value.replace(tzinfo=IST)


def boe(**changes: Any) -> BillOfEntry:
    """A clean sea Bill of Entry at INNSA1 noted against IGM 2234567 line 10 (see :func:`igm`)."""
    data: dict[str, Any] = {
        "message_id": "BE-1",
        "port_code": "INNSA1",
        "type": "HOME_CONSUMPTION",
        "presented_at": at("2026-03-09"),
        "mode": "SEA",
        "importer": {"iec": IEC, "gstin": GSTIN, "name": "ACME", "category": "COMMERCIAL"},
        "manifest": {
            "igm_number": "2234567",
            "igm_date": date(2026, 3, 8),
            "line": 10,
            "subline": 0,
            "bl_number": "MAEU123456",
        },
        "consigned_from": "SG",
        "items": [item()],
    }
    data.update(changes)
    return BillOfEntry.model_validate(data)


def item(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": 1,
        "hs_code": "84716040",
        "description": "KEYBOARDS",
        "quantity": Decimal(10),
        "unit": "NOS",
        "value_inr": Decimal("100000.00"),
        "country_of_origin": "CN",
    }
    data.update(changes)
    return data


def igm(**changes: Any) -> ImportGeneralManifest:
    data: dict[str, Any] = {
        "message_id": "IGM-1",
        "port_code": "INNSA1",
        "igm_number": "2234567",
        "igm_date": date(2026, 3, 8),
        "filed_at": at("2026-03-08T09:00"),
        "conveyance": "VESSEL",
        "expected_arrival": at("2026-03-10T06:00"),
        "arrived_at": at("2026-03-10T06:00"),
        "lines": [{"line": 10, "subline": 0, "bl_number": "MAEU123456", "consignee_iec": IEC}],
    }
    data.update(changes)
    return ImportGeneralManifest.model_validate(data)


class ClaimsPlugin:
    """A scheme plugin for tests: every TESTAUTH licence claims its item's quantity and value."""

    @hookimpl
    def customs_schemes(self) -> list[Scheme]:
        return [Scheme(name="testauth", title="test authorisations", licence_schemes=("TESTAUTH",))]

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [
            Rule(
                id="TESTAUTH-BAL-001",
                scheme="testauth",
                title="balance",
                outcomes=("reject",),
                reference="test scheme",
            )
        ]

    @hookimpl
    def customs_authorisations(
        self, boe: BillOfEntry, ctx: CheckContext
    ) -> list[AuthorisationClaim]:
        return [
            AuthorisationClaim(
                scheme="TESTAUTH",
                number=lic.number,
                item=it.number,
                quantity=it.quantity,
                unit=it.unit,
                value_inr=it.value_inr or Decimal(0),
                shortfall_rule="TESTAUTH-BAL-001",
            )
            for it in boe.items
            for lic in it.licences_for("TESTAUTH")
        ]


def authorisation(
    number: str = "AUTH-1", quantity: str = "100", value: str = "1000000.00", iec: str = IEC
) -> RegistryRecord:
    return RegistryRecord(
        kind="authorisation",
        scheme="TESTAUTH",
        number=number,
        iec=iec,
        issued_on=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        quantity=Decimal(quantity),
        unit="NOS",
        value_inr=Decimal(value),
    )


def with_licence(number: str = "AUTH-1", **changes: Any) -> dict[str, Any]:
    return item(licences=[{"scheme": "TESTAUTH", "number": number}], **changes)


def engine(
    records: Iterable[RegistryRecord] = (),
    *,
    registry: Registry | None = None,
    store: LedgerStore | None = None,
    commit: bool = False,
    claims: bool = True,
    **ctx: Any,
) -> Engine:
    extra = [("testauth", ClaimsPlugin(), "0")] if claims else []
    host = PluginHost.from_entry_points(blocked=(), trace=False, extra=extra)
    context = CheckContext(registry=registry or MemoryRegistry(records), **ctx)
    return Engine(host, context, RunState(store, commit=commit))


def rules_of(response: Response, prefix: str = "") -> dict[str, str]:
    """Rule id → outcome of the findings whose id starts with ``prefix``."""
    return {f.rule: f.outcome for f in response.findings if f.rule.startswith(prefix)}
