"""The run journal: IGMs and licence uses by key, bounded in memory, spilled to a temp database."""

from __future__ import annotations

from datetime import date

from customs_engine.core.ledger.journal import RunJournal
from customs_engine.testing import rules_of
from tests.core.helpers import boe, engine, igm


def test_manifests_by_number_in_run_order_across_the_spill() -> None:
    journal = RunJournal(manifests_in_memory=2)
    for n in range(7):
        journal.add_manifest(igm(message_id=f"IGM-{n}", igm_number=str(1000 + n % 3)))
    assert journal._db is not None and journal._manifest_count <= 2  # most moved out
    assert [m.message_id for m in journal.manifests("1000")] == ["IGM-0", "IGM-3", "IGM-6"]
    assert [m.message_id for m in journal.manifests("1001")] == ["IGM-1", "IGM-4"]
    assert journal.manifests("9999") == []
    # rebuilt from JSON, equal to what was added (dates, time zones, lines)
    spilled = journal.manifests("1000")[0]
    assert spilled == igm(message_id="IGM-0", igm_number="1000")
    assert journal.manifests("1000")[0] is spilled  # cached for the next Bill of Entry
    journal.close()


def test_uses_by_licence_in_run_order_across_the_spill() -> None:
    journal = RunJournal(ids_in_memory=3)
    for n in range(10):
        journal.add_use("SIMS", f"R-{n % 2}", f"BE-{n}")
    assert journal._db is not None
    assert journal.uses("SIMS", "R-0") == [f"BE-{n}" for n in range(0, 10, 2)]
    assert journal.uses("SIMS", "R-1") == [f"BE-{n}" for n in range(1, 10, 2)]
    assert journal.uses("AIMS", "R-0") == []
    journal.close()


def test_a_bill_is_noted_against_an_igm_that_moved_out_of_memory() -> None:
    run = engine()
    run.run._journal = RunJournal(manifests_in_memory=1)
    run.validate_message(igm())  # IGM 2234567 of 2026-03-08, line 10
    for n in range(3):  # other manifests push it out of memory
        run.validate_message(
            igm(message_id=f"IGM-X{n}", igm_number=f"99{n}", igm_date=date(2026, 3, 1))
        )
    assert not run.run._journal._manifests.get("2234567")
    noted = run.validate_message(boe())
    assert rules_of(noted, "CORE-BOE-NOTE") == {}
    unknown = run.validate_message(
        boe(
            message_id="BE-2",
            manifest={
                "igm_number": "7777777",
                "igm_date": date(2026, 3, 8),
                "line": 1,
                "subline": 0,
            },
        )
    )
    assert "CORE-BOE-NOTE-002" in rules_of(unknown)


def test_noted_and_numbered_bills_across_the_spill_each_list_apart() -> None:
    journal = RunJournal(ids_in_memory=2)
    for n in range(6):
        journal.add_noted(f"IGM-{n % 2}", f"BE-{n}")
    journal.add_numbered("7000001", "BE-A")
    journal.add_numbered("7000002", "BE-B")
    journal.add_numbered("7000001", "BE-C")  # BE numbers are per port: two may share one
    journal.add_numbered("7000001", "BE-A")  # (an amendment of BE-A)
    journal.add_use("", "IGM-0", "BE-USE")  # same key, another list
    assert journal._db is not None and journal._id_count <= 2  # most moved out
    assert journal.noted("IGM-0") == ["BE-0", "BE-2", "BE-4"]
    assert journal.noted("IGM-1") == ["BE-1", "BE-3", "BE-5"]
    assert journal.numbered("7000001") == ["BE-A", "BE-C"]  # each once, the latest first
    assert journal.numbered("7000002") == ["BE-B"]
    assert journal.numbered("IGM-0") == [] and journal.noted("7000001") == []
    assert journal.uses("", "IGM-0") == ["BE-USE"]
    journal.close()
