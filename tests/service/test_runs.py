"""The service's runs: registry reference rows read once per process and again when an import
changed them; a run that commits nothing reads the ledger in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from customs_engine.cli import main
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import SqlRegistry
from customs_engine.service.runs import Upload, Validator

from .conftest import AUTHORISATION, IGM, REGISTRY_CSV, bill


def _validate(validator: Validator, tmp_path: Path, message_id: str) -> dict:  # type: ignore[type-arg]
    path = tmp_path / f"{message_id}.xml"
    path.write_bytes(bill(message_id, quantity=20))
    [response] = validator.run_path(str(path), path.name)
    return response.model_dump(mode="json")


def test_reference_rows_are_read_again_only_after_an_import(
    tmp_path: Path, registry_url: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqlRegistry.open(registry_url)
    validator = Validator(host, store)
    reads: list[int] = []
    original = SqlRegistry.snapshot
    monkeypatch.setattr(SqlRegistry, "snapshot", lambda self: reads.append(1) or original(self))
    first = _validate(validator, tmp_path, "BE-REF-1")
    second = _validate(validator, tmp_path, "BE-REF-2")
    assert len(reads) == 1  # the second request used the rows the first one read
    assert first["authorisations"][0]["remaining_quantity"] == "80"
    assert second["authorisations"][0]["remaining_quantity"] == "80"  # nothing committed
    # an amended authorisation imported by another process: 30 units instead of 100
    amended = tmp_path / "amended.csv"
    lines = REGISTRY_CSV.read_text().splitlines()
    amended.write_text(
        "\n".join(
            [lines[0]]
            + [
                line.replace(",100,NOS,", ",30,NOS,") if AUTHORISATION in line else line
                for line in lines[1:]
            ]
        )
        + "\n"
    )
    result = CliRunner().invoke(
        main, ["registry", "import", "--replace", "--db", registry_url, str(amended)]
    )
    assert result.exit_code == 0, result.output
    third = _validate(validator, tmp_path, "BE-REF-3")
    assert len(reads) == 2
    assert third["authorisations"][0]["remaining_quantity"] == "10"
    store.close()


def test_a_run_that_commits_nothing_reads_the_ledger_in_one_transaction(
    tmp_path: Path, registry_url: str, host: PluginHost
) -> None:
    store = SqlRegistry.open(registry_url)
    validator = Validator(host, store)
    _validate(validator, tmp_path, "BE-ONE-0")  # reference rows read
    begins: list[str] = []
    event.listen(store.engine, "begin", lambda connection: begins.append("begin"))
    response = _validate(validator, tmp_path, "BE-ONE-1")
    assert response["message"]["reference"] == "BE-ONE-1"
    assert begins == ["begin"]  # about fourteen ledger reads, one transaction
    store.close()


def test_several_uploads_are_one_run_manifests_first(
    tmp_path: Path, registry_url: str, host: PluginHost
) -> None:
    """The files of one console upload, in the order a browser may send them: a Bill of Entry
    before its IGM (loose, or packed in an archive) is noted against it all the same, and the
    second bill sees the first one's debit, as in one ``customs validate`` run."""
    import zipfile

    store = SqlRegistry.open(registry_url)
    try:
        validator = Validator(host, store)
        first, second = tmp_path / "be-1.xml", tmp_path / "be-2.xml"
        first.write_bytes(bill("BE-UP-1", quantity=20))
        second.write_bytes(bill("BE-UP-2", quantity=30))
        loose = tmp_path / "igm.xml"
        loose.write_bytes(IGM.read_bytes())
        packed = tmp_path / "igm.zip"
        with zipfile.ZipFile(packed, "w") as archive:
            archive.write(IGM, "igm.xml")
        for manifest in (loose, packed):
            uploads = [Upload(str(path), path.name) for path in (first, manifest, second)]
            responses = validator.run_uploads(uploads)
            assert [r.message.reference for r in responses] == [
                "IGM-INNSA1-2234567",
                "BE-UP-1",
                "BE-UP-2",
            ]
            assert [r.status for r in responses] == ["accepted"] * 3, responses
            assert [str(r.authorisations[0].remaining_quantity) for r in responses[1:]] == [
                "80",
                "50",
            ]
    finally:
        store.close()
