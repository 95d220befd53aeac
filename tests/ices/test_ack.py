"""``--format ices-ack``: CHCAI02 records per message, failing records named by our rule IDs."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from customs_engine.adapters.ices_flatfile.ack import AckWriter
from customs_engine.cli import main
from customs_engine.core.response import DocumentInfo, EngineInfo, Finding, MessageInfo, Response
from customs_engine.testing import make_engine

from .builder import GS, flat_file, igm, steel_be


def _ack(*files: bytes, **ctx: object) -> list[list[str]]:
    engine = make_engine(**ctx)
    stream = io.BytesIO()
    writer = engine.host.hook.customs_response_writer(format="ices-ack", stream=stream)
    for number, data in enumerate(files):
        for response in engine.validate_bytes(data, f"file{number}"):
            writer.write(response)
    writer.close()
    text = stream.getvalue().decode("ascii")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return [line.split(GS) for line in text.split("\r\n")[:-1]]


def test_ices_ack_is_an_output_format() -> None:
    assert "ices-ack" in make_engine().host.output_formats()


def test_positive_ack_for_an_accepted_be_and_igm() -> None:
    records = _ack(flat_file("cachi01", steel_be()), flat_file("sachi01", igm()),
                   as_of=date(2026, 3, 10))
    header, be, manifest, trailer = records
    assert header[:10] == ["HREC", "ZZ", "INNSA1", "ZZ", "", "ICES1_5", "T", "", "CHCAI02", "2"]
    assert header[10] == "20260310"
    assert len(be) == len(manifest) == 24
    assert be[:4] == ["F", "INNSA1", "7001", "20260310"] and be[19] == "00"
    assert set(be[4:19] + be[20:]) == {""}
    assert manifest[1] == "INNSA1" and manifest[19] == "00"
    assert trailer == ["TREC", "2"]


def test_negative_ack_has_one_record_per_failing_input_record() -> None:
    tables = steel_be()
    tables["ITEMS"][1]["quantity"] = "x"
    tables["ITEMS"][1]["unit_price"] = "y"
    tables["CTX"][0]["state_code"] = "277"
    data = flat_file("cachi01", tables)
    _, *body, _ = _ack(data)
    assert [(r[7], r[8], r[19], r[23]) for r in body] == [
        ("", "", "CORE-SYNTAX-001", "CTX"), ("1", "2", "CORE-SYNTAX-001", "ITEMS")]
    assert all(r[:4] == ["F", "INNSA1", "7001", "20260310"] for r in body)


def test_negative_ack_for_an_unreadable_message_keeps_its_keys() -> None:
    tables = steel_be()
    tables["BE"][0]["mode"] = "Q"
    _, record, _ = _ack(flat_file("cachi01", tables))
    assert record[1:3] == ["INNSA1", "7001"] and record[19] == "CORE-SYNTAX-001"
    assert record[23] == "BE"


def _response(findings: list[Finding]) -> Response:
    return Response(message=MessageInfo(source="s", index=0, format="ices_flatfile",
                                        type="bill_of_entry", reference="CACHI01-INNSA1-55"),
                    document=DocumentInfo(port_code="INNSA1", date=date(2026, 1, 2)),
                    findings=findings, engine=EngineInfo(version="0"))


def _finding(rule: str, outcome: str = "reject", item: int | None = None) -> Finding:
    return Finding(rule=rule, scheme="x", outcome=outcome, item=item, message="m", reference="r")


def test_item_rule_findings_map_to_items_records_and_warnings_do_not_fail() -> None:
    stream = io.BytesIO()
    writer = AckWriter(stream)
    writer.write(_response([_finding("CORE-X-001", "warn"), _finding("SIMS-VAL-001", item=20003),
                            _finding("SIMS-BOE-001", "query", item=20003),
                            _finding("CORE-BOE-NOTE-003")]))
    writer.write(_response([_finding("CORE-X-001", "info")]))
    writer.close()
    rows = [r.split(GS) for r in stream.getvalue().decode().split("\r\n")[1:-2]]
    assert [(r[2], r[3], r[7], r[8], r[19], r[23]) for r in rows] == [
        ("55", "20260102", "2", "3", "SIMS-VAL-001|SIMS-BOE-001", "ITEMS"),
        ("55", "20260102", "", "", "CORE-BOE-NOTE-003", "BE"),
        ("55", "20260102", "", "", "00", "")]


def test_error_codes_longer_than_the_field_are_split() -> None:
    stream = io.BytesIO()
    writer = AckWriter(stream)
    rules = [f"PLUGIN{n:02d}-RULE-{n:03d}" for n in range(12)]
    writer.write(_response([_finding(rule) for rule in rules]))
    writer.close()
    codes = [r.split(GS)[19] for r in stream.getvalue().decode().split("\r\n")[1:-2]]
    assert len(codes) > 1 and all(len(code) <= 100 for code in codes)
    assert "|".join(codes).split("|") == rules


def test_cli_writes_the_ack_and_json_still_works(tmp_path: Path) -> None:
    path = tmp_path / "7001.be"
    path.write_bytes(flat_file("cachi01", steel_be()))
    runner = CliRunner()
    ack = runner.invoke(main, ["validate", "--format", "ices-ack", str(path)])
    assert ack.exit_code == 0, ack.output
    assert ack.output.startswith("HREC") and f"{GS}00{GS}" in ack.output
    result = runner.invoke(main, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 0 and '"format": "ices_flatfile"' in result.output


def test_amendment_ack_is_keyed_by_be_number() -> None:
    tables = steel_be()
    for rows in tables.values():
        for row in rows:
            row.update(message_type="A", job_no=None, job_date=None, be_number="1234567",
                       be_date="20260311")
    _, record, _ = _ack(flat_file("cachi01", tables, message_id="CACHI01_A"))
    assert record[1:5] == ["INNSA1", "", "", "1234567"] and record[19] == "00"
