"""An unknown ``fee_model`` in a monitoring scheme's ``--config`` table fails closed, like every
other bad value of that table (``quantity_tolerance_pct``): the plugin's failure,
``CORE-PLUGIN-001`` (reject), never a fee silently dropped behind an ``info`` finding."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.monitoring.scheme import UnknownFeeModel
from customs_engine.testing import (
    assert_fee,
    bill_of_entry,
    check,
    findings_of,
    item,
    licence,
    registration,
)
from tests.conftest import EXAMPLES

CASES = {
    "aims": ("AIMS", "NFS2026020100001", "76011010"),
    "sims": ("SIMS", "STL2026020100001", "72085110"),
}


def case(plugin: str, config: dict[str, Any] | None = None) -> Any:
    scheme, number, hs_code = CASES[plugin]
    line = item(
        hs_code,
        quantity=1000,
        unit="KGS",
        value_inr=4745250,
        licences=[
            licence(scheme, number, issued_on=date(2026, 2, 1), expires_on=date(2026, 4, 17))
        ],
    )
    records = [registration(scheme, number, issued_on=date(2026, 2, 1))]
    return check(bill_of_entry(line), records=records, config=config or {})


@pytest.mark.parametrize("plugin", sorted(CASES))
@pytest.mark.parametrize("model", ["per-ton", "", "FLAT", 3, ["flat"]])
def test_an_unknown_fee_model_rejects_the_message(plugin: str, model: object) -> None:
    response = case(plugin, {plugin: {"fee_model": model}})
    failures = findings_of(response, "CORE-PLUGIN-001", outcome="reject")
    assert failures and all(
        f"[{plugin}] fee_model must be one of" in failure.message for failure in failures
    )
    assert response.status == "rejected"
    assert not [fee for fee in response.fees if fee.scheme == plugin]
    assert not [f for f in response.findings if f.rule.endswith("-FEE-001")]


@pytest.mark.parametrize("plugin", sorted(CASES))
def test_the_default_fee_model_still_gives_the_fee(plugin: str) -> None:
    response = case(plugin)
    assert_fee(response, f"{CASES[plugin][0]}-FEE-001", 500)
    assert "CORE-PLUGIN-001" not in {f.rule for f in response.findings}


def test_an_unknown_fee_model_is_a_value_error_naming_the_known_ones() -> None:
    assert issubclass(UnknownFeeModel, ValueError)  # what the plugin host reports as failed


def test_from_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[aims]\nfee_model = "bogus"\n', encoding="utf-8")
    example = EXAMPLES / "messages" / "06-be-aluminium-aims.xml"
    result = CliRunner().invoke(
        main,
        [
            "validate",
            "--format",
            "json",
            "--db",
            "sqlite://",
            "--config",
            str(config),
            str(example),
        ],
    )
    assert result.exit_code == 1, result.output
    response = json.loads(result.stdout)  # one file, one message: one object
    assert response["status"] == "rejected"
    assert response["fees"] == []
    [failure] = [f for f in response["findings"] if f["rule"] == "CORE-PLUGIN-001"]
    assert "fee_model must be one of flat, per-thousand, got 'bogus'" in failure["message"]
