"""When the goods arrived, as the run knows it: from the IGM the Bill of Entry is noted against,
else from the Bill of Entry itself. Shared by noting, prior entry, deadlines and the rate date."""

from __future__ import annotations

from datetime import date

from customs_engine.core.dates import india_date
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import BillOfEntry, Conveyance, ImportGeneralManifest


def noted_manifest(boe: BillOfEntry, run: RunState) -> ImportGeneralManifest | None:
    """The IGM the Bill of Entry refers to (same port preferred), earlier in the run or stored."""
    reference = boe.manifest
    if reference is None or not reference.igm_number:
        return None
    candidates = [
        m
        for m in run.manifests_numbered(reference.igm_number)
        if reference.igm_date is None or m.igm_date in (None, reference.igm_date)
    ]
    same_port = [m for m in candidates if m.port_code == boe.port_code]
    found = same_port or candidates
    if found:
        return found[0]
    return noted_by_bl(boe, run)


def noted_by_bl(boe: BillOfEntry, run: RunState) -> ImportGeneralManifest | None:
    """A manifest of the BoE's port that has no IGM number yet (ICES allots it later) and
    carries exactly one line with the BoE's B/L number (CORE-BOE-NOTE-006)."""
    bl_number = boe.manifest.bl_number if boe.manifest else None
    if not bl_number:
        return None
    wanted = bl_number.strip().upper()
    matches = [
        manifest
        for manifest in run.unnumbered_manifests(boe.port_code)
        for line in manifest.lines
        if (line.bl_number or "").strip().upper() == wanted
    ]
    return matches[0] if len(matches) == 1 else None


def arrival_date(boe: BillOfEntry, igm: ImportGeneralManifest | None) -> date | None:
    """IGM ``arrived_at``, else the Bill of Entry's ``arrived_at`` (entry inwards is not an
    arrival: only the legacy deadline at a sea port and the rate date use it)."""
    for moment in (igm.arrived_at if igm else None, boe.arrived_at):
        if moment is not None:
            return india_date(moment)
    return None


def entry_inwards_date(igm: ImportGeneralManifest | None) -> date | None:
    """Entry inwards of a vessel (s.15 proviso, legacy deadline at sea ports), when recorded."""
    if igm is None or igm.entry_inwards_at is None or igm.conveyance != Conveyance.VESSEL:
        return None
    return india_date(igm.entry_inwards_at)
