"""Noting a Bill of Entry against its IGM (CORE-BOE-NOTE-001…006), prior entry
(CORE-BOE-PRIOR-001).

These need the run: the IGM may be earlier in the same run or stored by an earlier committed run.
"""

from __future__ import annotations

from datetime import date

from customs_engine.core.checks.arrival import arrival_date, noted_manifest
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import (
    BillOfEntry,
    Function,
    ImportGeneralManifest,
    ManifestLine,
    ManifestReference,
)
from customs_engine.core.refdata import CoreReference
from customs_engine.core.response import Finding


def check_noting(boe: BillOfEntry, run: RunState) -> list[Finding]:
    reference = boe.manifest
    numbered = reference is not None and bool(reference.igm_number)
    located = (
        reference is not None
        and numbered
        and (reference.line is not None or bool(reference.bl_number))
    )
    if not located and not boe.prior:
        return [
            RULES["CORE-BOE-NOTE-001"].finding(
                "reject",
                _unlocated(reference),
                field="manifest",
            )
        ]
    if not numbered:
        return []  # a prior Bill of Entry is filed before its IGM exists
    assert reference is not None and reference.igm_number
    igm = noted_manifest(boe, run)
    if igm is None:  # a prior Bill of Entry too: the IGM it quotes is not verified
        dated_ = f" of {reference.igm_date}" if reference.igm_date else ""
        return [
            RULES["CORE-BOE-NOTE-002"].finding(
                "query",
                f"IGM {reference.igm_number}{dated_} is not known to the engine (not stored, "
                "not earlier in this run): noting not verified",
                field="manifest.igm_number",
            )
        ]
    if igm.function == Function.CANCELLATION:
        return [
            RULES["CORE-BOE-NOTE-005"].finding(
                "reject",
                f"IGM {igm.igm_number or igm.message_id} was cancelled: the Bill of Entry "
                "cannot be noted against it",
                field="manifest.igm_number",
            )
        ]
    if igm.igm_number is None:  # found by B/L on a fresh manifest (CORE-BOE-NOTE-006)
        line = igm.find_by_bl(reference.bl_number or "")
        assert line is not None
        return [
            RULES["CORE-BOE-NOTE-006"].finding(
                "info",
                f"IGM {reference.igm_number} is not known, but the manifest "
                f"{igm.message_id} of {igm.port_code}, which has no IGM number yet, carries "
                f"B/L {line.bl_number} at line {line.line}/{line.subline}: noted against "
                "that line",
                field="manifest.igm_number",
            ),
            *_compare_line(boe, igm, line),
        ]
    reject = RULES["CORE-BOE-NOTE-003"]
    if igm.port_code != boe.port_code:
        return [
            reject.finding(
                "reject",
                f"IGM {igm.igm_number} was filed at {igm.port_code}, "
                f"the Bill of Entry is at {boe.port_code}",
                field="manifest.igm_number",
            )
        ]
    if not located:
        return []  # a prior Bill of Entry quoting the IGM alone: no line to compare yet
    line = _find_line(igm, reference.line, reference.subline, reference.bl_number, boe)
    if line is None:
        wanted = (
            f"line {reference.line}/{reference.subline or 0}"
            if reference.line is not None
            else f"line with B/L {reference.bl_number}"
        )
        return [
            reject.finding(
                "reject",
                f"IGM {igm.igm_number} has no {wanted}",
                field="manifest.line" if reference.line is not None else "manifest.bl_number",
            )
        ]
    return _compare_line(boe, igm, line)


def _find_line(
    igm: ImportGeneralManifest,
    line: int | None,
    subline: int | None,
    bl_number: str | None,
    boe: BillOfEntry,
) -> ManifestLine | None:
    """The line a Bill of Entry is noted against: by its number, else by its B/L. A B/L on
    several lines (a manifest may repeat a master B/L) is the line consigned to the importer
    when one is, else the first."""
    if line is not None:
        return igm.find_line(line, subline or 0)
    wanted = (bl_number or "").strip().upper()
    iec = (boe.importer.iec or "").strip().upper()
    carrying = [ml for ml in igm.lines if (ml.bl_number or "").strip().upper() == wanted]
    consigned = [ml for ml in carrying if (ml.consignee_iec or "").strip().upper() == iec]
    return next(iter(consigned or carrying), None)


def _compare_line(
    boe: BillOfEntry, igm: ImportGeneralManifest, line: ManifestLine
) -> list[Finding]:
    rule = RULES["CORE-BOE-NOTE-004"]
    reference = boe.manifest
    assert reference is not None
    findings = []
    where = f"IGM {igm.igm_number or igm.message_id} line {line.line}/{line.subline}"
    declared_bl = (reference.bl_number or "").strip().upper()
    manifest_bl = (line.bl_number or "").strip().upper()
    if declared_bl and manifest_bl and declared_bl != manifest_bl:
        findings.append(
            rule.finding(
                "query",
                f"{where} is B/L {manifest_bl}, the Bill of Entry says {declared_bl}",
                field="manifest.bl_number",
            )
        )
    iec = (boe.importer.iec or "").strip().upper()
    consignee = (line.consignee_iec or "").strip().upper()
    if iec and consignee and iec != consignee:
        findings.append(
            rule.finding(
                "query",
                f"{where} is consigned to IEC {consignee}, the importer is {iec}",
                field="importer.iec",
            )
        )
    return findings


def check_prior(
    boe: BillOfEntry, run: RunState, ref: CoreReference, presented: date | None = None
) -> list[Finding]:
    """CORE-BOE-PRIOR-001, counted from ``presented`` (the date the Bill of Entry was first
    presented; by default its own)."""
    if not boe.prior:
        return []
    arrived = arrival_date(boe, noted_manifest(boe, run))
    if arrived is None:
        return []
    presented = presented or boe.presented_on
    max_days = int(ref.deadlines["prior"]["max_days"])
    days = (arrived - presented).days
    if days <= max_days:
        return []
    return [
        RULES["CORE-BOE-PRIOR-001"].finding(
            "reject",
            f"prior Bill of Entry presented {presented}, the conveyance arrived "
            f"{arrived} ({days} days later, more than {max_days}): it is void and must be "
            "refiled",
            field="prior",
        )
    ]


def _unlocated(reference: ManifestReference | None) -> str:
    """Why a Bill of Entry's manifest reference cannot be noted: what it lacks."""
    if reference is None:
        return "the Bill of Entry carries no manifest reference: it cannot be noted"
    if not reference.igm_number:
        return (
            "the Bill of Entry's manifest reference has no IGM number (a line or B/L number "
            "needs the IGM it is on): it cannot be noted"
        )
    return (
        f"the Bill of Entry quotes IGM {reference.igm_number} but neither a line nor a B/L "
        "number on it: it cannot be noted"
    )
