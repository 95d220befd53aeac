"""In-sequence hooks get the run as a read-only view: a plugin cannot change the ledger through it.

``customs_check_in_sequence``, ``customs_rate_date`` and ``customs_resolve_message`` are typed
``RunView``; the engine hands them an object that has exactly those read methods. Trying to apply
claims, commit or remember through it fails, the failure is the plugin's (``CORE-PLUGIN-001``,
fail closed), and the run's state is as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from customs_engine import BillOfEntry, CheckContext, ImportGeneralManifest, RunView, hookimpl
from customs_engine.testing import (
    assert_finding,
    authorisation,
    bill_of_entry,
    item,
    licence,
    make_engine,
    manifest,
    manifest_line,
    manifest_reference,
)

READ_METHODS = {
    "debited",
    "manifest",
    "manifests_numbered",
    "prior_uses",
    "unnumbered_manifests",
}


class Probe:
    """Records what it was given and tries one mutation per Bill of Entry (``attempt``)."""

    def __init__(self, attempt: str | None = None) -> None:
        self.attempt = attempt
        self.seen: list[Any] = []

    @hookimpl
    def customs_check_in_sequence(
        self, message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunView
    ) -> list[Any]:
        self.seen.append(run)
        if not isinstance(message, BillOfEntry) or self.attempt is None:
            return []
        if self.attempt == "apply_claims":
            run.apply_claims("forged", [], ctx.registry)  # type: ignore[attr-defined]
        elif self.attempt == "commit":
            run.commit("forged", message, None)  # type: ignore[attr-defined]
        elif self.attempt == "remember_uses":
            run.remember_uses(message)  # type: ignore[attr-defined]
        elif self.attempt == "set":
            run.current_key = "forged"  # type: ignore[attr-defined]
        elif self.attempt == "change_igm":
            igm = run.manifest("2234567")
            assert igm is not None
            igm.lines.clear()
            igm.port_code = "INMAA1"
        return []

    @hookimpl
    def customs_rate_date(self, boe: BillOfEntry, ctx: CheckContext, run: RunView) -> None:
        self.seen.append(run)
        return None


IGM = manifest(igm_number="2234567", igm_date=date(2026, 3, 1), lines=[manifest_line(line=1)])


def boe(message_id: str = "BE-1") -> BillOfEntry:
    return bill_of_entry(
        item(licences=[licence("IMS", "IMS-1")]),
        message_id=message_id,
        manifest=manifest_reference(igm_number="2234567", igm_date=date(2026, 3, 1), line=1),
    )


def engine(probe: Probe) -> Any:
    record = authorisation("IMS", "IMS-1", quantity=1000, unit="NOS")
    return make_engine(only=["core"], extra=[("probe", probe)], records=[record])


def test_hooks_get_a_view_with_only_the_read_methods() -> None:
    probe = Probe()
    run = engine(probe)
    run.validate_message(IGM)
    run.validate_message(boe())
    view = probe.seen[0]
    assert all(seen is view for seen in probe.seen)  # one view, given to both hooks
    assert view is not run.run and type(view).__name__ == "ReadOnlyRun"
    assert {name for name in dir(view) if not name.startswith("_")} == READ_METHODS
    with pytest.raises(AttributeError):
        view.store = None
    assert view.manifest("2234567").lines  # reads work


@pytest.mark.parametrize("attempt", ["apply_claims", "commit", "remember_uses", "set"])
def test_a_plugin_cannot_change_the_ledger_through_the_view(attempt: str) -> None:
    run = engine(Probe(attempt))
    run.validate_message(IGM)
    before = (
        run.run.prior_uses("IMS", "IMS-1", excluding=""),
        run.run.debited("IMS", "IMS-1"),
        run.run.current_key,
    )
    response = run.validate_message(boe())
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "probe" in failure.message and "customs_check_in_sequence" in failure.message
    assert response.status == "rejected"  # fail closed: the message is not filed
    after = (
        run.run.prior_uses("IMS", "IMS-1", excluding=""),
        run.run.debited("IMS", "IMS-1"),
    )
    assert after == before[:2]
    assert run.run.document("BE-1") is None  # not recorded


def test_changing_an_igm_read_through_the_view_changes_nothing_the_run_holds() -> None:
    run = engine(Probe("change_igm"))
    run.validate_message(IGM)
    run.validate_message(boe("BE-1"))
    held = run.run.manifest("2234567")
    assert held is not None and held.port_code == IGM.port_code and len(held.lines) == 1
    later = run.validate_message(boe("BE-2"))  # the core notes it against the intact IGM
    assert not [f for f in later.findings if f.rule.startswith("CORE-BOE-NOTE")]
