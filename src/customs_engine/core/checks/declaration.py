"""What the Bill of Entry declares about itself: port (CORE-PORT-001), type (CORE-BOE-TYPE-001)."""

from __future__ import annotations

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.models import BillOfEntry, BillOfEntryType, ImportGeneralManifest
from customs_engine.core.refdata import reference_of
from customs_engine.core.refdata.ports import is_well_formed
from customs_engine.core.response import Finding


def check_port(message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext) -> list[Finding]:
    rule = RULES["CORE-PORT-001"]
    code = message.port_code
    if not is_well_formed(code):
        return [
            rule.finding(
                "reject",
                f"port code {code!r} is not IN + 3 letters + 1 suffix character",
                field="port_code",
            )
        ]
    if reference_of(ctx).port(code) is None:
        return [
            rule.finding(
                "query", f"port code {code} is not in the shipped port master", field="port_code"
            )
        ]
    return []


def check_type(boe: BillOfEntry) -> list[Finding]:
    if boe.type == BillOfEntryType.EX_BOND and not (boe.ex_bond_of or "").strip():
        return [
            RULES["CORE-BOE-TYPE-001"].finding(
                "reject",
                "an ex-bond Bill of Entry must name the warehousing Bill of Entry it clears",
                field="ex_bond_of",
            )
        ]
    return []
