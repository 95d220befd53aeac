"""Ex-bond clearance against its warehousing Bill of Entry (CORE-BOND-001, -002, -004), and
the bond balances a warehousing Bill of Entry opens (CORE-LIC-004 for a line whose unit cannot
be kept in its HS code's balance, here or at clearance).

What remains in bond (CORE-BOND-003) is a ledger balance: the warehousing BoE opened it, earlier
ex-bond BoEs depleted it, and :meth:`RunState.bond_claims` checks this one's lines against it.
"""

from __future__ import annotations

from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.dates import add_months
from customs_engine.core.ledger.run_state import (
    BOND,
    RunState,
    bond_units,
    importer_iec,
    kept_bond_units,
)
from customs_engine.core.ledger.units import compatible
from customs_engine.core.models import BillOfEntry, BillOfEntryType
from customs_engine.core.response import Finding


def check_ex_bond(boe: BillOfEntry, run: RunState) -> list[Finding]:
    if boe.type != BillOfEntryType.EX_BOND or not (boe.ex_bond_of or "").strip():
        return []
    reference = (boe.ex_bond_of or "").strip()
    named = run.warehousing_of(boe)
    if named.version is not None and named.version.cancelled:
        return [
            RULES["CORE-BOND-003"].finding(
                "reject",
                f"the warehousing Bill of Entry {reference} was cancelled: nothing remains in "
                "bond under it",
                field="ex_bond_of",
            )
        ]
    if named.candidates:
        return [
            RULES["CORE-BOND-001"].finding(
                "query",
                f"BE number {reference} names {len(named.candidates)} known Bills of Entry "
                f"(message ids {', '.join(named.candidates)}) that the importer's IEC and the "
                "port do not tell apart: the warehousing Bill of Entry cannot be identified, "
                "nothing is cleared from any bond; quote its message id in ex_bond_of instead",
                field="ex_bond_of",
            )
        ]
    warehousing = named.bill
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
    iec, holder = importer_iec(boe), importer_iec(warehousing)
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
    findings = _not_deducted(boe, run, reference)
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
                RULES["CORE-LIC-004"].finding(
                    "reject",
                    f"item {item.number} is in {item.unit}, the bond of HS {item.hs_code} "
                    f"is in {units[item.hs_code]}, which {item.unit} does not convert to: it "
                    "cannot be cleared from it",
                    item=item.number,
                    field=f"items[{index}].unit",
                )
            )
    # the warehousing period runs from the presentation: an amendment does not present again
    warehoused = run.first_presented(warehousing.message_id) or warehousing.presented_on
    if boe.presented_on > add_months(warehoused, 12):
        findings.append(
            RULES["CORE-BOND-004"].finding(
                "warn",
                f"presented {boe.presented_on}, more than one year after the warehousing Bill "
                f"of Entry ({warehoused}): the warehousing period has run out "
                "(s.61(1)); an extension and interest apply",
                field="presented_at",
            )
        )
    return findings


def _not_deducted(boe: BillOfEntry, run: RunState, reference: str) -> list[Finding]:
    """A re-submission of an ex-bond Bill of Entry first filed while its warehousing Bill of
    Entry was not known: it is answered with what it debited then, nothing, so its clearance is
    not in the bond's balance; it must not read as verified."""
    key = run.current_key
    if key is None or not run.is_resubmission(key, boe):
        return []
    replayed = run.replayed_uses(key, boe)
    if replayed is None or any(use.scheme.upper() == BOND for use in replayed):
        return []
    return [
        RULES["CORE-BOND-001"].finding(
            "query",
            f"this ex-bond Bill of Entry was filed while the warehousing Bill of Entry "
            f"{reference} was not known: its clearance was not deducted from the bond, and a "
            "re-submission changes nothing; send it as an amendment to have it deducted",
            field="ex_bond_of",
        )
    ]


def check_warehousing(boe: BillOfEntry, run: RunState) -> list[Finding]:
    """CORE-LIC-004 for a line of a warehousing Bill of Entry in a unit that does not convert to
    the unit of its HS code's bond (its first line's): it would open nothing, and the goods
    could never be cleared. An amendment of a bond kept in another unit is refused by the
    ledger (CORE-BOND-003) instead."""
    if boe.type != BillOfEntryType.WAREHOUSING or kept_bond_units(run.holdings(boe.message_id)):
        return []
    units = bond_units(boe)
    return [
        RULES["CORE-LIC-004"].finding(
            "reject",
            f"item {item.number} is in {item.unit}, and the bond of HS {item.hs_code} opens in "
            f"{units[item.hs_code]} (its first line's unit), which {item.unit} does not convert "
            "to: the line could never be cleared from it",
            item=item.number,
            field=f"items[{index}].unit",
        )
        for index, item in enumerate(boe.items)
        if not compatible(item.unit, units[item.hs_code])
    ]
