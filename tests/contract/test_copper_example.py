"""The example third-party plugin, installed as its own distribution, seen through the CLI.

``.ci/run`` pip-installs ``examples/customs-engine-copper``; without it these tests skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from importlib import metadata
from pathlib import Path

import pytest

from customs_engine.testing import (
    DEFAULT_IEC,
    assert_fee,
    assert_finding,
    assert_no_fee,
    assert_status,
    bill_of_entry,
    item,
    licence,
    write_message,
)
from tests.conftest import EXAMPLES

try:
    COPPER_VERSION = metadata.version("customs-engine-copper")
except metadata.PackageNotFoundError:
    COPPER_VERSION = None
EXAMPLE = EXAMPLES / "customs-engine-copper"

pytestmark = pytest.mark.skipif(
    COPPER_VERSION is None,
    reason="examples/customs-engine-copper is not installed "
    "(pip install -e examples/customs-engine-copper; .ci/run does)",
)

COPPER_RULES = {
    "NFMIMS-CU-COV-001",
    "NFMIMS-CU-EXM-001",
    "NFMIMS-CU-BOE-001",
    "NFMIMS-CU-VAL-001",
    "NFMIMS-CU-VAL-002",
    "NFMIMS-CU-FLD-001",
    "NFMIMS-CU-FEE-001",
}
CATHODES = "74031100"


def validate_json(customs_cli, tmp_path: Path, boe, **switches) -> dict:
    path = write_message(tmp_path / f"{boe.message_id}.xml", boe)
    result = customs_cli("validate", "--format", "json", str(path), **switches)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_customs_plugins_lists_copper_with_version_and_hooks(customs_cli) -> None:
    listed = {p["name"]: p for p in json.loads(customs_cli("plugins", "--format", "json").stdout)}
    copper = listed["copper"]
    assert copper["version"] == COPPER_VERSION == "0.1.0"
    assert copper["module"] == "customs_engine_copper.plugin"
    assert copper["hooks"] == [
        "customs_check_bill_of_entry",
        "customs_check_in_sequence",
        "customs_fees",
        "customs_rules",
        "customs_schemes",
    ]


def test_customs_rules_lists_copper_rules_with_references(customs_cli) -> None:
    rules = json.loads(customs_cli("rules", "--scheme", "copper", "--format", "json").stdout)
    assert {r["id"] for r in rules} == COPPER_RULES
    assert all(r["reference"] and r["effective_from"] == "2021-04-12" for r in rules)
    text = customs_cli("rules").stdout
    assert all(rule_id in text for rule_id in COPPER_RULES)


def test_chapter_74_without_registration_is_held_in_the_json_response(
    customs_cli, tmp_path: Path
) -> None:
    response = validate_json(customs_cli, tmp_path, bill_of_entry(item(CATHODES)))
    assert_finding(response, "NFMIMS-CU-COV-001", outcome="hold", item=1)
    assert_fee(response, "NFMIMS-CU-FEE-001", "500.00", item=1)
    assert response["status"] == "hold"
    assert response["engine"]["plugins"]["copper"] == "0.1.0"
    assert response["fees"][0]["amount"] == "500.00"


def test_air_freight_gets_the_exemption_info(customs_cli, tmp_path: Path) -> None:
    boe = bill_of_entry(item(CATHODES), mode="AIR", port_code="INBOM4")
    response = validate_json(customs_cli, tmp_path, boe)
    assert_finding(response, "NFMIMS-CU-EXM-001", outcome="info", item=1)
    assert_status(response, "accepted")
    assert_no_fee(response, "NFMIMS-CU-FEE-001")


def test_valid_registration_stays_quiet_and_carries_the_fee(customs_cli, tmp_path: Path) -> None:
    registered = item(
        CATHODES,
        licences=[
            licence("NFMIMS", "NFS2026022000123", issued_on="2026-02-20", expires_on="2026-05-06")
        ],
    )
    rows = tmp_path / "registry.csv"
    rows.write_text(
        "kind,scheme,number,iec,issued_on,hs_codes\n"
        f"registration,NFMIMS,NFS2026022000123,{DEFAULT_IEC},2026-02-20,74\n"
    )
    assert customs_cli("registry", "import", str(rows)).exit_code == 0
    response = validate_json(customs_cli, tmp_path, bill_of_entry(registered))
    assert [f for f in response["findings"] if f["scheme"] == "copper"] == []
    assert_status(response, "accepted")
    assert_fee(response, "NFMIMS-CU-FEE-001", "500.00", item=1)

    expired = bill_of_entry(registered, message_id="BE-LATE", presented_at=date(2026, 5, 7))
    assert_finding(
        validate_json(customs_cli, tmp_path, expired), "NFMIMS-CU-VAL-001", outcome="reject"
    )


def test_operator_can_block_and_trace_the_copper_plugin(customs_cli, tmp_path: Path) -> None:
    boe = bill_of_entry(item(CATHODES))
    blocked = validate_json(customs_cli, tmp_path, boe, block=["copper"])
    assert "copper" not in blocked["engine"]["plugins"]
    assert not [f for f in blocked["findings"] if f["rule"].startswith("NFMIMS-CU-")]

    path = write_message(tmp_path / "traced.xml", boe)
    traced = customs_cli("validate", "--format", "json", str(path), trace=True)
    assert "customs_check_bill_of_entry (plugin copper) [hook]" in traced.stderr
    assert (
        "finish customs_check_bill_of_entry (plugin copper) --> [Finding(rule='NFMIMS-CU-COV-001'"
    ) in traced.stderr
    assert "customs_check_in_sequence (plugin copper) [hook]" in traced.stderr


def test_the_example_plugins_own_tests_pass_from_its_folder() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMS_ENGINE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
