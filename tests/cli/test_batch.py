"""``customs validate`` for batches: summary and progress on stderr, stdout machine-readable."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

from customs_engine.core.batch.progress import Progress, progress_wanted
from customs_engine.core.batch.summary import RunSummary
from customs_engine.core.response import (
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    Response,
)
from tests.archives import EXAMPLE_MESSAGES, MIXED_MESSAGES
from tests.conftest import MESSAGES, customs


def test_summary_goes_to_stderr_and_stdout_stays_jsonl(mixed_zip: Path, tmp_path: Path) -> None:
    result = customs("validate", "--format", "jsonl", "-j2", str(mixed_zip), cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == MIXED_MESSAGES
    err = result.stderr.decode()
    assert f"customs: {MIXED_MESSAGES} messages in" in err and "messages/s" in err
    responses = [json.loads(line) for line in lines]
    statuses = Counter(r["status"] for r in responses)
    assert (
        "status:  "
        + ", ".join(f"{s} {statuses[s]}" for s in ("accepted", "query", "hold", "rejected"))
        in err
    )
    rules = Counter(f["rule"] for r in responses for f in r["findings"])
    schemes = Counter(f["scheme"] for r in responses for f in r["findings"])
    assert rules["CORE-SYNTAX-001"] == 2
    assert "findings by rule:   " + ", ".join(f"{k} {rules[k]}" for k in sorted(rules)) in err
    assert "findings by scheme: " + ", ".join(f"{k} {schemes[k]}" for k in sorted(schemes)) in err
    fees: dict[str, list[Decimal]] = {}
    for r in responses:
        for fee in r["fees"]:
            fees.setdefault(fee["kind"], []).append(Decimal(fee["amount"]))
    expected = ", ".join(f"{k} {len(v)} (INR {sum(v):.2f})" for k, v in sorted(fees.items()))
    assert "fees by kind:       " + (expected or "none") in err


def test_summary_also_when_output_goes_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = customs("validate", "--format", "csv", "-o", str(out), str(MESSAGES), cwd=tmp_path)
    assert result.stdout == b""
    assert f"customs: {EXAMPLE_MESSAGES} messages".encode() in result.stderr
    assert out.read_text().count("\n") >= EXAMPLE_MESSAGES + 1


def test_standard_input_through_the_command_line(mixed_zip: Path, tmp_path: Path) -> None:
    boe = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    one = customs("validate", "--format", "jsonl", "-", stdin=boe, cwd=tmp_path)
    assert json.loads(one.stdout)["message"]["source"] == "<stdin>"
    many = customs(
        "validate", "--format", "jsonl", "-j2", "-", stdin=mixed_zip.read_bytes(), cwd=tmp_path
    )
    sources = [json.loads(line)["message"]["source"] for line in many.stdout.splitlines()]
    assert len(sources) == MIXED_MESSAGES and all(s.startswith("<stdin>!2026/") for s in sources)


def test_progress_is_forced_on_stderr_only(tmp_path: Path) -> None:
    env = {**os.environ, "CI": "1"}
    shown = customs(
        "validate", "--format", "jsonl", "--progress", str(MESSAGES), env=env, cwd=tmp_path
    )
    quiet = customs("validate", "--format", "jsonl", str(MESSAGES), env=env, cwd=tmp_path)
    assert shown.stdout == quiet.stdout
    assert b"\r" not in quiet.stderr
    assert b"\rcustoms: " in shown.stderr and b"\r" not in shown.stdout


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_defaults_to_terminals_outside_ci() -> None:
    assert progress_wanted(None, Tty(), {}) is True
    assert progress_wanted(None, io.StringIO(), {}) is False
    assert progress_wanted(None, Tty(), {"CI": "true"}) is False
    assert progress_wanted(True, io.StringIO(), {"CI": "true"}) is True
    assert progress_wanted(False, Tty(), {}) is False


def test_progress_line_shows_rate_and_eta_when_the_total_is_known() -> None:
    progress = Progress(io.StringIO(), total_files=10)
    progress.started -= 4.0
    progress.update(files=4, messages=8)
    line = progress.line()
    assert "8 messages" in line and "4/10 files" in line and "ETA 0:06" in line
    assert "ETA" not in Progress(io.StringIO()).line()


def test_summary_tallies_statuses_rules_schemes_and_fees() -> None:
    def response(findings: list[Finding], fees: list[Fee]) -> Response:
        return Response(
            message=MessageInfo(source="s", index=0, format="f", type="unknown", reference=None),
            document=DocumentInfo(),
            findings=findings,
            fees=fees,
            engine=EngineInfo(version="0"),
        )

    late = Fee(
        rule="CORE-BOE-LATE-001",
        scheme="core",
        kind="late_presentation",
        amount=Decimal("5000"),
        basis="1 day",
    )
    reg = Fee(
        rule="AIMS-FEE-001",
        scheme="aims",
        kind="registration_fee",
        amount=Decimal("12.345"),
        basis="value",
    )
    warn = Finding(rule="CORE-X-001", scheme="core", outcome="warn", message="m", reference="r")
    hold = Finding(rule="SIMS-X-001", scheme="sims", outcome="hold", message="m", reference="r")
    summary = RunSummary()
    summary.add(response([warn], [late, reg]))
    summary.add(response([warn, hold], [late]))
    summary.finish()
    text = summary.render()
    assert "customs: 2 messages" in text
    assert "status:  accepted 1, query 0, hold 1, rejected 0" in text
    assert "findings by rule:   CORE-X-001 2, SIMS-X-001 1" in text
    assert "findings by scheme: core 2, sims 1" in text
    assert (
        "fees by kind:       late_presentation 2 (INR 10000.00), registration_fee 1 (INR 12.35)"
    ) in text
    assert not summary.all_accepted
