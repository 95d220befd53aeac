"""The ``aims`` plugin: aluminium monitoring registrations through the shared monitoring helper.

The common checks are :class:`~customs_engine.core.monitoring.MonitoringScheme` with this
folder's ``data.toml``; AIMS's own are the air-freight exclusion and the ``fee_model`` switch
(``[aims] fee_model = "per-thousand"``). One registration may serve any number of Bills of Entry
within its validity, so there is no one-per-BoE check.
"""

from __future__ import annotations

from customs_engine import hookimpl
from customs_engine.core.context import CheckContext, Scheme
from customs_engine.core.ledger import RunState
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest, Item
from customs_engine.core.monitoring import MonitoringScheme, Scope
from customs_engine.core.ports import station_type
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule, read_toml

PACKAGE = "customs_engine.plugins.aims"
AIMS = MonitoringScheme.load(PACKAGE, plugin="aims")
AIR_FREIGHT = read_toml(PACKAGE, "data.toml")["air_freight"]


def _exemption(boe: BillOfEntry, _item: Item) -> str | None:
    if boe.mode.value in AIR_FREIGHT["modes"]:
        return f"air freight (mode {boe.mode.value})"
    if station_type(boe.port_code) in AIR_FREIGHT["station_types"]:
        return f"air freight ({boe.port_code} is an air cargo station)"
    return None


def _scope(boe: BillOfEntry, ctx: CheckContext) -> Scope:
    return AIMS.scope(boe, ctx, _exemption)


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [Scheme(name="aims", title="Aluminium Import Monitoring System (DGFT NFMIMS)",
                   licence_schemes=("AIMS",))]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(AIMS.rules.values())


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    scope = _scope(boe, ctx)
    _, notes = AIMS.fees(boe, ctx, scope.lines)
    return scope.findings + AIMS.check(boe, ctx, scope.lines) + notes


@hookimpl
def customs_fees(boe: BillOfEntry, ctx: CheckContext) -> list[Fee]:
    fees, _ = AIMS.fees(boe, ctx, _scope(boe, ctx).lines)
    return fees


@hookimpl
def customs_check_in_sequence(message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext,
                              run: RunState) -> list[Finding]:
    if not isinstance(message, BillOfEntry):
        return []
    return AIMS.check_window(message, ctx, run, _scope(message, ctx).lines)
