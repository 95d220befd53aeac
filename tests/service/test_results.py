"""Stored validation results: a run's responses kept on disk while it runs, and stored in
chunks in one transaction (never all as one list of rows)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import SqlRegistry
from customs_engine.service import results as results_module
from customs_engine.service.results import ResultStore, Spool
from customs_engine.service.runs import Validator

from .conftest import IGM


def test_a_spooled_run_is_stored_in_chunks_in_one_transaction_and_once(
    tmp_path: Path, registry_url: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqlRegistry.open(registry_url)
    validator = Validator(host, store)
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"not a message")
    [accepted] = validator.run_path(str(IGM), "igm.xml")
    [rejected] = validator.run_path(str(junk), "junk.txt")
    responses = [accepted, rejected, accepted, accepted, rejected]
    results = ResultStore(store.engine, timedelta(days=1))
    monkeypatch.setattr(results_module, "SAVE_CHUNK", 2)
    inserts: list[int] = []
    transactions: list[str] = []

    def executed(_conn: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if statement.startswith("INSERT INTO service_validation_message"):
            inserts.append(len(params) if isinstance(params, list) else 1)

    event.listen(store.engine, "before_cursor_execute", executed)
    event.listen(store.engine, "commit", lambda _conn: transactions.append("commit"))
    try:
        spooled = tmp_path / "spool"
        spooled.mkdir()
        with Spool(str(spooled)) as spool:
            for response in responses:
                spool.write(response)
            assert list(spooled.iterdir()) == []  # an anonymous file: nothing left behind
            first = results.save("run.zip", spool, committed=False, validation_id="ab" * 16)
            assert inserts == [2, 2, 1] and transactions == ["commit"]
            again = results.save("run.zip", spool, committed=False, validation_id=first)
    finally:
        event.remove(store.engine, "before_cursor_execute", executed)
    stored = results.get(again)
    assert stored is not None and again == first
    assert [r.to_json() for r in stored.responses] == [r.to_json() for r in responses]
    assert stored.status == "rejected"
    assert [m.response["status"] for m in results.recent()] == [r.status for r in responses]
    assert results.count(rule="CORE-SYNTAX-001") == 2  # stored once, not twice
    store.close()
