"""``--format scmtr-ack`` acknowledges SACHM22 declarations only: a Bill of Entry, bytes that
are not a declaration, another message or one of ICEGATE's replies fed back in get no ACK (an
ACK would call their vessel, voyage and authorised person "Successful")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter, acknowledges
from customs_engine.cli import main
from customs_engine.core.response import Response
from customs_engine.testing import make_engine
from tests.conftest import MESSAGES

from .conftest import SCA, SCD, SCE, SCX, dump, replies


def responses(data: bytes, name: str = "dec.json") -> list[Response]:
    return make_engine().validate_bytes(data, name)


written = replies


NOT_DECLARATIONS = {
    "bill of entry": ((MESSAGES / "03-be-laptops-ims-exceeded.xml").read_bytes(), "be.xml"),
    "binary": (bytes(range(256)) * 4, "blob.bin"),
    "truncated SACHM22": (b'{"headerField": {"messageID": "SACHM22"', "dec.json"),
    "json array": (b'[{"headerField": {"messageID": "SACHM22"}}]', "dec.json"),
    "json number": (b"42", "dec.json"),
}


@pytest.mark.parametrize("case", sorted(NOT_DECLARATIONS))
def test_what_is_not_a_declaration_gets_no_ack(case: str) -> None:
    data, name = NOT_DECLARATIONS[case]
    found = responses(data, name)
    assert found and not any(acknowledges(response) for response in found)
    assert written(AckWriter, found) == []


def test_an_unreadable_declaration_is_answered_by_an_sfl_instead() -> None:
    data, name = NOT_DECLARATIONS["truncated SACHM22"]
    found = responses(data, name)
    assert written(AckWriter, found) == []
    [sfl] = written(SflWriter, found)
    assert sfl["errorDetails"]["errorCode"] == "ERR100"
    assert "ends too early" in sfl["errorDetails"]["errorMessage"][0]["message"]


def test_icegates_own_ack_fed_back_gets_no_ack(sample_paths: dict[str, Path]) -> None:
    ack = sample_paths[SCE.replace("_DEC", "_ACK")].read_bytes()
    [response] = responses(ack)
    assert response.status == "rejected"  # CORE-SYNTAX-004: a reply, not a declaration
    assert written(AckWriter, [response]) == []


@pytest.mark.parametrize(("key", "value"), [("reportingEvent", "SCU"), ("messageID", "SACHM23")])
def test_another_event_or_message_gets_no_ack(load: Any, key: str, value: str) -> None:
    document = load(SCE)
    document["headerField"][key] = value
    [response] = responses(dump(document))
    assert [f.rule for f in response.findings] == ["CORE-SYNTAX-004"]
    assert written(AckWriter, [response]) == []
    assert len(written(SflWriter, [response])) == 1


@pytest.mark.parametrize("name", [SCE, SCA, SCD, SCX])
def test_every_declaration_is_still_acknowledged(sample_paths: dict[str, Path], name: str) -> None:
    [response] = responses(sample_paths[name].read_bytes())
    [ack] = written(AckWriter, [response])
    assert ack["headerField"]["messageID"] == "SACHM22"


def test_a_structurally_invalid_declaration_is_still_acknowledged(load: Any) -> None:
    """Read as a declaration: its failures are placed on its objects, as before."""
    document = load(SCE)
    document["master"]["vesselDtls"]["modeOfTrnsprt"] = "9"
    [response] = responses(dump(document))
    [ack] = written(AckWriter, [response])
    assert [e["errorCode"] for e in ack["master"]["vesselDtlsErrorCode"]] == ["014"]


def test_from_the_command_line_only_the_declaration_is_acknowledged(
    tmp_path: Path, sample_paths: dict[str, Path]
) -> None:
    (tmp_path / "a-be.xml").write_bytes((MESSAGES / "03-be-laptops-ims-exceeded.xml").read_bytes())
    (tmp_path / "b-blob.bin").write_bytes(NOT_DECLARATIONS["binary"][0])
    (tmp_path / "c-dec.json").write_bytes(sample_paths[SCE].read_bytes())
    result = CliRunner().invoke(
        main, ["validate", "--format", "scmtr-ack", "--db", "sqlite://", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output  # the BoE and the blob are still rejected
    [ack] = [json.loads(line) for line in result.stdout.splitlines()]  # one line, not three
    assert ack["headerField"]["senderID"] == "SOMESENDER"
