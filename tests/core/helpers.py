"""The core tests' scenario, built with the public kit (``customs_engine.testing``).

One consignment throughout: keyboards from China by sea at Nhava Sheva, on IGM 2234567 line 10
(B/L MAEU123456), for importer AAPFU0939F — so that a test states only what it changes. The
kit builds and validates the messages and the engine; this module only fixes the scenario's
values and adds a scheme plugin that claims authorisation balances (TESTAUTH), for the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from customs_engine import AuthorisationClaim, BillOfEntry, CheckContext, Rule, Scheme, hookimpl
from customs_engine.core.dates import IST
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import LedgerStore, RunState
from customs_engine.core.models import ImportGeneralManifest, Item
from customs_engine.core.registry.records import Registry, RegistryRecord
from customs_engine.testing import (
    authorisation as authorisation_row,
)
from customs_engine.testing import (
    bill_of_entry,
    licence,
    make_engine,
    manifest,
    manifest_line,
    manifest_reference,
)
from customs_engine.testing import item as kit_item

IEC = "AAPFU0939F"
GSTIN = "27AAPFU0939F1ZV"
IGM_DATE = date(2026, 3, 8)


def at(text: str) -> datetime:
    """An India-time moment from 'YYYY-MM-DD' (10:00) or 'YYYY-MM-DDTHH:MM'."""
    value = datetime.fromisoformat(text if "T" in text else f"{text}T10:00")
    return value.replace(tzinfo=IST)


def item(**changes: Any) -> Any:
    """Ten keyboards from China, INR 1,00,000 (item 1 unless ``number`` says otherwise)."""
    fields: dict[str, Any] = {
        "hs_code": "84716040",
        "number": 1,
        "description": "KEYBOARDS",
        "quantity": Decimal(10),
        "unit": "NOS",
        "value_inr": Decimal("100000.00"),
        "country_of_origin": "CN",
        **changes,
    }
    return kit_item(**fields)


def with_licence(number: str = "AUTH-1", **changes: Any) -> Any:
    """:func:`item`, quoting TESTAUTH authorisation ``number``."""
    return item(licences=[licence("TESTAUTH", number)], **changes)


def boe(**changes: Any) -> BillOfEntry:
    """A sea Bill of Entry at INNSA1, noted against IGM 2234567 line 10 (see :func:`igm`)."""
    fields: dict[str, Any] = {
        "message_id": "BE-1",
        "presented_at": at("2026-03-09"),
        "importer": {"iec": IEC, "gstin": GSTIN, "name": "ACME", "category": "COMMERCIAL"},
        "prior": False,
        "manifest": manifest_reference(igm_date=IGM_DATE, line=10, bl_number="MAEU123456"),
        "consigned_from": "SG",
        "port_of_loading": None,
        "items": [item()],
        **changes,
    }
    return bill_of_entry(**fields)


def igm(**changes: Any) -> ImportGeneralManifest:
    """IGM 2234567 of INNSA1: the vessel arrived 2026-03-10 06:00; line 10 is B/L MAEU123456."""
    fields: dict[str, Any] = {
        "message_id": "IGM-1",
        "igm_date": IGM_DATE,
        "filed_at": at("2026-03-08T09:00"),
        "expected_arrival": at("2026-03-10T06:00"),
        "arrived_at": at("2026-03-10T06:00"),
        "voyage": None,
        "vessel_name": None,
        "carrier": None,
        "last_port_of_call": None,
        "lines": [
            manifest_line(
                line=10,
                bl_number="MAEU123456",
                consignee_iec=IEC,
                packages=None,
                package_kind=None,
                gross_weight_kg=None,
            )
        ],
        **changes,
    }
    return manifest(**fields)


class ClaimsPlugin:
    """A scheme plugin for tests: every TESTAUTH licence claims its item's quantity and value
    (a subclass may claim other amounts: :meth:`claimed`)."""

    def claimed(self, it: Item) -> tuple[Decimal, Decimal]:
        """The quantity and INR value an item's licence claims."""
        return it.quantity, it.value_inr or Decimal(0)

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
                quantity=quantity,
                unit=it.unit,
                value_inr=value,
                shortfall_rule="TESTAUTH-BAL-001",
            )
            for it in boe.items
            for lic in it.licences_for("TESTAUTH")
            for quantity, value in [self.claimed(it)]
        ]


def authorisation(
    number: str = "AUTH-1", quantity: str = "100", value: str = "1000000.00", iec: str = IEC
) -> RegistryRecord:
    """A TESTAUTH authorisation for 2026: ``quantity`` NOS and INR ``value``."""
    return authorisation_row(
        "TESTAUTH",
        number,
        iec=iec,
        issued_on=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        quantity=quantity,
        unit="NOS",
        value_inr=value,
    )


def engine(
    records: Iterable[RegistryRecord] = (),
    *,
    registry: Registry | None = None,
    store: LedgerStore | None = None,
    commit: bool = False,
    claims: bool | ClaimsPlugin = True,
    **options: Any,
) -> Engine:
    """The kit's engine over every installed plugin and a :class:`ClaimsPlugin` (``claims``
    may name another, or ``False`` for none), on a run whose ledger is ``store`` (committed
    only with ``commit``)."""
    plugin = ClaimsPlugin() if claims is True else claims
    extra = [("testauth", plugin, "0")] if plugin else []
    return make_engine(
        records=records,
        registry=registry,
        extra=extra,
        run=RunState(store, commit=commit),
        **options,
    )
