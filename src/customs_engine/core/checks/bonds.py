"""Ex-bond clearance against its warehousing Bill of Entry (CORE-BOND-001, -002, -004).

What remains in bond (CORE-BOND-003) is a ledger balance: the warehousing BoE opened it, earlier
ex-bond BoEs depleted it, and :meth:`RunState.bond_claims` checks this one's lines against it.
"""

from __future__ import annotations

from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.dates import add_months
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.ledger.units import compatible
from customs_engine.core.models import BillOfEntry, BillOfEntryType
from customs_engine.core.response import Finding


def check_ex_bond(boe: BillOfEntry, run: RunState) -> list[Finding]:
    if boe.type != BillOfEntryType.EX_BOND or not (boe.ex_bond_of or "").strip():
        return []
    reference = (boe.ex_bond_of or "").strip()
    warehousing = run.bill_of_entry(reference)
    version = run.bill_of_entry_version(reference) if warehousing is None else None
    if version is not None and version.cancelled:
        return [
            RULES["CORE-BOND-003"].finding(
                "reject",
                f"the warehousing Bill of Entry {reference} was cancelled: nothing remains in "
                "bond under it",
                field="ex_bond_of",
            )
        ]
    if warehousing is None:
        return [
            RULES["CORE-BOND-001"].finding(
                "query",
                f"the warehousing Bill of Entry {reference} is not known (not stored, not "
                "accepted earlier in this run): bond balance not verified",
                field="ex_bond_of",
            )
        ]
    refuse = RULES["CORE-BOND-002"]
    if warehousing.type != BillOfEntryType.WAREHOUSING:
        return [
            refuse.finding(
                "reject",
                f"Bill of Entry {reference} is of type "
                f"{warehousing.type}, not WAREHOUSING: nothing is in "
                "bond under it",
                field="ex_bond_of",
            )
        ]
    iec = (boe.importer.iec or "").strip().upper()
    holder = (warehousing.importer.iec or "").strip().upper()
    if iec != holder:
        return [
            refuse.finding(
                "reject",
                f"the warehousing Bill of Entry {reference} belongs to "
                f"IEC {holder or '(none)'}, the importer is "
                f"{iec or '(none)'}",
                field="importer.iec",
            )
        ]
    findings = []
    units = run.bond_units_of(warehousing)
    for index, item in enumerate(boe.items):
        if item.hs_code not in units:
            findings.append(
                refuse.finding(
                    "reject",
                    f"the warehousing Bill of Entry {reference} has no item with HS code "
                    f"{item.hs_code}",
                    item=item.number,
                    field=f"items[{index}].hs_code",
                )
            )
        elif not compatible(item.unit, units[item.hs_code]):
            findings.append(
                refuse.finding(
                    "reject",
                    f"item {item.number} is in {item.unit}, the bond of HS {item.hs_code} "
                    f"is in {units[item.hs_code]}: it cannot be cleared from it",
                    item=item.number,
                    field=f"items[{index}].unit",
                )
            )
    period_end = add_months(warehousing.presented_on, 12)
    if boe.presented_on > period_end:
        findings.append(
            RULES["CORE-BOND-004"].finding(
                "warn",
                f"presented {boe.presented_on}, more than one year after the warehousing Bill "
                f"of Entry ({warehousing.presented_on}): the warehousing period has run out "
                "(s.61(1)); an extension and interest apply",
                field="presented_at",
            )
        )
    return findings
