"""An SCA sent again — a retry after a crash, a file dropped twice — is answered as when it was
filed, and nothing of it is filed again (the engine replays a re-submission of the same content).
An SCA refused whole is answered against the manifest as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.response import Response
from customs_engine.testing import findings_of, make_engine

from .conftest import dump
from .test_amendment import lines_of_csn, sca, with_known_csn
from .test_manifest import import_line

CSN_ID = "CSN-INMUN1-1000007-20200820"


def answer(response: Response) -> tuple[Any, ...]:
    """What a filer is told: status, every finding's rule and outcome, the fees."""
    return (
        response.status,
        sorted((f.rule, f.outcome) for f in response.findings),
        sorted((fee.rule, fee.amount) for fee in response.fees),
    )


def test_the_same_sca_again_in_one_run_is_replayed(load: Any) -> None:
    engine = with_known_csn(load)
    body = dump(sca(load))  # line 1 deleted, line 2 and sub-line 2/3 added
    [filed] = engine.validate_bytes(body, "sca.json")
    assert filed.status == "hold", filed.findings
    assert findings_of(filed, "CORE-IGM-004")  # the deleted line 1
    [again] = engine.validate_bytes(body, "sca-again.json")
    assert answer(again) == answer(filed)
    assert findings_of(again, "SCMTR-SCA-001") == findings_of(again, "SCMTR-SCA-002") == []
    assert lines_of_csn(engine) == ["NEWBL001", "MBL000O2030079933"]


def _committing(url: str) -> Any:
    store = SqlRegistry.open(url)
    return store, make_engine(run=RunState(store, commit=True))


def test_a_committed_sca_sent_again_is_replayed_and_not_filed_again(
    load: Any, tmp_path: Path
) -> None:
    """The drop folder's retry: committed, no answer written, the file run again by a new run."""
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    store, engine = _committing(url)
    try:
        engine.validate_bytes(dump(import_line(load)), "sce.json")
        [filed] = engine.validate_bytes(dump(sca(load)), "sca.json")
        assert filed.status == "hold", filed.findings
        versions = len(store.history(CSN_ID))
    finally:
        store.close()
    store, engine = _committing(url)
    try:
        [again] = engine.validate_bytes(dump(sca(load)), "sca.json")
        assert answer(again) == answer(filed)
        assert len(store.history(CSN_ID)) == versions  # nothing written again
    finally:
        store.close()


def test_a_refused_sca_is_answered_against_the_manifest_as_it_stands(load: Any) -> None:
    """Another SCA of the same header time that only deletes line 1 again: refused (306), and
    no hold for a line that was already gone (its result equals the filed version, which is no
    reason to compare it with the version before that)."""
    engine = with_known_csn(load)
    engine.validate_bytes(dump(sca(load)), "sca.json")
    document = sca(load)
    document["master"]["mastrCnsgmtDec"] = document["master"]["mastrCnsgmtDec"][:1]
    [redelete] = engine.validate_bytes(dump(document), "sca-redelete.json")
    assert redelete.status == "rejected"
    assert findings_of(redelete, "SCMTR-SCA-001")
    assert findings_of(redelete, "CORE-IGM-004") == []
    assert redelete.fees == []
