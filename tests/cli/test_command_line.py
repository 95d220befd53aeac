"""The command line as a user meets it: exit codes, formats, hostile input (SPEC §9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MESSAGES, customs

BOE = MESSAGES / "02-be-laptops-ims.xml"

SPEC_KEYS = [
    "message",
    "document",
    "status",
    "findings",
    "fees",
    "authorisations",
    "routing",
    "rate_date",
    "engine",
    "credited",
]  # credited: what an amendment/cancellation
#                                                  credited back (after the keys of release 0.1)


def test_version() -> None:
    result = customs("--version")
    assert result.returncode == 0 and b"0.1.0" in result.stdout


def test_valid_bill_of_entry_yields_one_json_object_with_every_spec_key(tmp_path: Path) -> None:
    result = customs("validate", "--format", "json", str(BOE), cwd=tmp_path)
    data = json.loads(result.stdout)
    assert isinstance(data, dict) and list(data) == SPEC_KEYS
    assert data["message"]["type"] == "bill_of_entry"
    assert data["message"]["reference"] == "BE-INNSA1-000123"
    assert data["document"]["port_code"] == "INNSA1"
    assert result.returncode == (0 if data["status"] == "accepted" else 1)


def test_several_messages_in_json_are_an_array_in_input_order(tmp_path: Path) -> None:
    result = customs("validate", "--format", "json", str(MESSAGES), cwd=tmp_path)
    data = json.loads(result.stdout)
    refs = [r["message"]["reference"] for r in data]
    assert refs[0] == "IGM-INNSA1-2234567" and refs[-1] == "BE-INNSA1-000129"
    assert len(refs) == 8


def test_jsonl_is_one_object_per_line(tmp_path: Path) -> None:
    result = customs("validate", "--format", "jsonl", str(MESSAGES), cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 8 and all(list(json.loads(line)) == SPEC_KEYS for line in lines)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty file"),
        (b"<BillOfEntry xmlns='urn:customs-engine:icegate:v1'><PortCode>", "not well-formed"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<BillOfEntry>&b;</BillOfEntry>",
            "DOCTYPE",
        ),
        (b"\x00\x01\x02garbage", "format not recognised"),
    ],
    ids=["empty", "broken-xml", "entity-bomb", "binary"],
)
def test_bad_files_get_a_rejected_response_not_a_traceback(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    path = tmp_path / ("bad.xml" if content[:1] != b"\x00" else "bad.bin")
    path.write_bytes(content)
    result = customs("validate", "--format", "json", str(path), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert b"Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "rejected" and data["message"]["type"] == "unknown"
    assert data["findings"][0]["rule"] == "CORE-SYNTAX-001"
    assert needle in data["findings"][0]["message"]
    assert "line" in data["findings"][0]["message"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = customs("validate", str(tmp_path / "nope.xml"), cwd=tmp_path)
    assert result.returncode == 2 and b"path not found" in result.stderr


def test_bad_as_of_and_unknown_format_are_usage_errors(tmp_path: Path) -> None:
    assert customs("validate", "--as-of", "2026-13-01", str(BOE), cwd=tmp_path).returncode == 2
    for other_iso_form in ("20260309", "2026-W10-1", "2026-3-9"):  # only YYYY-MM-DD
        result = customs("validate", "--as-of", other_iso_form, str(BOE), cwd=tmp_path)
        assert result.returncode == 2 and b"YYYY-MM-DD" in result.stderr
    # a date in that form is taken: the run goes on (the BoE, without its IGM, is queried)
    assert customs("validate", "--as-of", "2026-03-09", str(BOE), cwd=tmp_path).returncode == 1
    result = customs("validate", "--format", "pdf", str(BOE), cwd=tmp_path)
    assert result.returncode == 2 and b"pdf" in result.stderr


def test_bad_config_file_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[aims\nfee_model=")
    result = customs("validate", "--config", str(config), str(BOE), cwd=tmp_path)
    assert result.returncode == 2 and b"not valid TOML" in result.stderr


def test_stdin_is_read_with_dash(tmp_path: Path) -> None:
    result = customs("validate", "--format", "jsonl", "-", stdin=BOE.read_bytes(), cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["message"]["source"] == "<stdin>"
    assert data["message"]["reference"] == "BE-INNSA1-000123"


def test_output_file_option(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = customs("validate", "--format", "jsonl", "-o", str(out), str(BOE), cwd=tmp_path)
    assert result.stdout == b""
    assert json.loads(out.read_text())["message"]["reference"] == "BE-INNSA1-000123"


def test_rejected_message_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(BOE.read_bytes().replace(b"<Mode>SEA</Mode>", b"<Mode>BOAT</Mode>"))
    result = customs("validate", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and b"REJECTED" in result.stdout


def test_plugin_that_fails_to_load_stops_validate_with_exit_3(fake_dists, tmp_path: Path) -> None:
    fake_dists.add(
        "customs-engine-broken", "ce_cli_broken", "import no_such_module_here", entry_name="broken"
    )
    result = customs("validate", str(BOE), env=fake_dists.env, cwd=tmp_path)
    assert result.returncode == 3
    assert b"broken" in result.stderr and b"no_such_module_here" in result.stderr
    assert result.stdout == b""


def test_blocking_the_broken_plugin_lets_the_run_proceed(fake_dists, tmp_path: Path) -> None:
    fake_dists.add(
        "customs-engine-broken", "ce_cli_broken2", "import no_such_module_here", entry_name="broken"
    )
    env = fake_dists.env | {"CUSTOMS_ENGINE_BLOCK_PLUGINS": "broken"}
    result = customs("validate", "--format", "jsonl", str(BOE), env=env, cwd=tmp_path)
    assert result.returncode in (0, 1) and b"broken" not in result.stdout


def test_plugins_and_rules_listings(tmp_path: Path) -> None:
    plugins = json.loads(customs("plugins", "--format", "json", cwd=tmp_path).stdout)
    core = next(p for p in plugins if p["name"] == "core")
    assert core["version"] == "0.1.0" and "customs_rules" in core["hooks"]
    rules = json.loads(customs("rules", "--format", "json", cwd=tmp_path).stdout)
    syntax = next(r for r in rules if r["id"] == "CORE-SYNTAX-001")
    assert syntax["reference"] and syntax["outcomes"] == ["reject"]
    text = customs("rules", "--scheme", "core", cwd=tmp_path).stdout.decode()
    assert "CORE-SYNTAX-001" in text


def test_convert_xml_to_xml_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "copy.xml"
    assert customs("convert", str(BOE), "--to", "xml", "-o", str(out)).returncode == 0
    first = json.loads(customs("validate", "--format", "json", str(BOE), cwd=tmp_path).stdout)
    second = json.loads(customs("validate", "--format", "json", str(out), cwd=tmp_path).stdout)
    assert first["findings"] == second["findings"]
    assert first["message"]["reference"] == second["message"]["reference"]


def test_convert_of_several_messages_writes_one_valid_document(tmp_path: Path) -> None:
    source = MESSAGES / "05-be-scrap-and-aluminium.xml"
    out = tmp_path / "both.xml"
    assert customs("convert", str(source), "--to", "xml", "-o", str(out)).returncode == 0
    result = customs("validate", "--format", "jsonl", str(out), cwd=tmp_path)
    refs = [json.loads(line)["message"]["reference"] for line in result.stdout.splitlines()]
    assert refs == ["BE-INNSA1-000126", "BE-INNSA1-000127"]


def test_a_registry_database_that_does_not_exist_is_reported_not_created(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    result = customs("validate", "--db", missing, str(BOE), cwd=tmp_path)
    assert b"no registry database at" in result.stderr and b"typo.db" in result.stderr
    assert not (tmp_path / "typo.db").exists()
    assert b"CORE-LIC-002" in result.stdout  # licences then cannot be verified, and it says so


def test_text_output_says_when_an_authorisation_has_no_limit_on_record(tmp_path: Path) -> None:
    result = customs("validate", str(BOE), cwd=tmp_path)
    debit = next(line for line in result.stdout.decode().splitlines() if "debit" in line)
    assert "None" not in debit and "no limit on record" in debit
