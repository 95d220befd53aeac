"""CBIC's SCA sample on its own: an amendment of a CSN nobody filed here is answered as one
(CORE-DOC-002, the port, CSN number and date it amends) and nothing of it is stored."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from customs_engine.testing import make_engine

from .conftest import SCA


def test_the_sca_sample_alone_is_an_amendment_of_an_unknown_igm(
    sample_paths: dict[str, Path],
) -> None:
    [response] = make_engine().validate_bytes(sample_paths[SCA].read_bytes(), SCA)
    assert response.message.function == "amendment"
    assert response.message.reference == "CSN-INBOM1-1000126-20200721"
    assert (response.document.port_code, response.document.number) == ("INBOM1", "1000126")
    assert str(response.document.date) == "2020-07-21"
    assert response.status == "query"
    [finding] = response.findings
    assert (finding.rule, finding.field) == ("CORE-DOC-002", "function")
    assert "CSN-INBOM1-1000126-20200721" in finding.message


def test_committing_the_sca_sample_alone_stores_nothing(
    sample_paths: dict[str, Path], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    args = ["validate", "--db", url, "--commit", "--format", "jsonl", str(sample_paths[SCA])]
    for _ in range(2):  # the second run finds nothing the first could have stored
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 2, result.output
        [line] = [ln for ln in result.stdout.splitlines() if ln.strip()]
        response = json.loads(line)
        assert response["message"]["function"] == "amendment"
        assert [f["rule"] for f in response["findings"]] == ["CORE-DOC-002"]
    store = SqlRegistry.open(url)
    try:
        assert store.document("CSN-INBOM1-1000126-20200721") is None
        assert list(store.find_manifests("1000126")) == []
    finally:
        store.close()


def test_convert_says_why_an_sca_alone_cannot_be_converted(sample_paths: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["convert", str(sample_paths[SCA]), "--to", "xml"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "CSN-INBOM1-1000126-20200721 is a partial amendment" in result.stderr
    assert "convert the document it amends" in result.stderr
