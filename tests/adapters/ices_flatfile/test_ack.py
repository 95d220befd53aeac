"""``--format ices-ack``: CHCAI02 records per message, failing records named by our rule IDs."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine.adapters.ices_flatfile.ack import AckWriter
from customs_engine.cli import main
from customs_engine.core.response import DocumentInfo, EngineInfo, Finding, MessageInfo, Response
from customs_engine.testing import make_engine, registration

from .flat_files import GS, flat_file, igm, steel_be

#: what makes the builder's steel BE acceptable: its IGM (number allotted by ICES, given by
#: configuration) and its SIMS registration in the registry
IGM_CONFIG = {"ices_flatfile": {"igm_number": "0012345", "igm_date": "2026-03-05"}}
SIMS_ROW = registration(
    "SIMS", "STL2026030100099", iec="ZZZAB1234C", issued_on="2026-03-01", hs_codes=("7208",)
)


def _ack(*files: bytes, **ctx: object) -> list[list[str]]:
    ctx = {"config": IGM_CONFIG, "records": [SIMS_ROW], **ctx}
    engine = make_engine(**ctx)
    stream = io.BytesIO()
    writer = engine.host.response_writer("ices-ack", stream)
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
    records = _ack(
        flat_file("sachi01", igm()), flat_file("cachi01", steel_be()), as_of=date(2026, 3, 10)
    )
    header, manifest, be, trailer = records
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
    _, _manifest, *body, _ = _ack(flat_file("sachi01", igm()), data)
    assert [(r[7], r[8], r[19], r[23]) for r in body] == [
        ("", "", "CORE-SYNTAX-005", "CTX"),
        ("1", "2", "CORE-SYNTAX-005", "ITEMS"),
    ]
    assert all(r[:4] == ["F", "INNSA1", "7001", "20260310"] for r in body)


def test_negative_ack_for_an_unreadable_message_keeps_its_keys() -> None:
    tables = steel_be()
    tables["BE"][0]["mode"] = "Q"
    _, record, _ = _ack(flat_file("cachi01", tables))
    assert record[1:3] == ["INNSA1", "7001"] and record[19].startswith("CORE-SYNTAX-005")
    assert record[23] == "BE"


@pytest.mark.parametrize(
    ("data", "table"),
    [
        (b"", "BE"),  # nothing to read
        (b"\x00 neither format", "BE"),  # not a format read here
        (flat_file("cachi01", steel_be()).decode().encode("utf-16"), "BE"),  # a BE as UTF-16
        # an IGM that makes no manifest: its findings fail its vesinfo record
        (flat_file("sachi01", {k: v for k, v in igm().items() if k != "vesinfo"}), "vesinfo"),
    ],
    ids=["empty", "unrecognised", "utf-16", "igm-without-vesinfo"],
)
def test_a_message_that_could_not_be_read_fails_a_named_record(data: bytes, table: str) -> None:
    """Its findings name no ICES record: they fail the BE record (vesinfo for an IGM), as for
    a message that was read; field 24 was left empty."""
    _, record, _ = _ack(data)
    assert record[19].startswith("CORE-SYNTAX-") and record[23] == table


def _response(findings: list[Finding]) -> Response:
    return Response(
        message=MessageInfo(
            source="s",
            index=0,
            format="ices_flatfile",
            type="bill_of_entry",
            reference="CACHI01-INNSA1-55",
        ),
        document=DocumentInfo(port_code="INNSA1", date=date(2026, 1, 2)),
        findings=findings,
        engine=EngineInfo(version="0"),
    )


def _finding(rule: str, outcome: str = "reject", item: int | None = None) -> Finding:
    return Finding(rule=rule, scheme="x", outcome=outcome, item=item, message="m", reference="r")


def test_item_rule_findings_map_to_items_records_and_warnings_do_not_fail() -> None:
    stream = io.BytesIO()
    writer = AckWriter(stream)
    writer.write(
        _response(
            [
                _finding("CORE-X-001", "warn"),
                _finding("SIMS-VAL-001", item=20003),
                _finding("SIMS-BOE-001", "query", item=20003),
                _finding("CORE-BOE-NOTE-003"),
            ]
        )
    )
    writer.write(_response([_finding("CORE-X-001", "info")]))
    writer.close()
    rows = [r.split(GS) for r in stream.getvalue().decode().split("\r\n")[1:-2]]
    assert [(r[2], r[3], r[7], r[8], r[19], r[23]) for r in rows] == [
        ("55", "20260102", "2", "3", "SIMS-VAL-001|SIMS-BOE-001", "ITEMS"),
        ("55", "20260102", "", "", "CORE-BOE-NOTE-003", "BE"),
        ("55", "20260102", "", "", "00", ""),
    ]


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
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1-vessel.igm").write_bytes(flat_file("sachi01", igm()))
    (inbox / "2-7001.be").write_bytes(flat_file("cachi01", steel_be()))
    (tmp_path / "ices.toml").write_text(
        '[ices_flatfile]\nigm_number = "0012345"\nigm_date = "2026-03-05"\n'
    )
    (tmp_path / "registry.csv").write_text(
        "kind,scheme,number,iec,issued_on,hs_codes\n"
        "registration,SIMS,STL2026030100099,ZZZAB1234C,2026-03-01,7208\n"
    )
    db = f"sqlite:///{tmp_path / 'r.db'}"
    runner = CliRunner()
    imported = runner.invoke(
        main, ["registry", "import", "--db", db, str(tmp_path / "registry.csv")]
    )
    assert imported.exit_code == 0, imported.output
    args = ["validate", "--db", db, "--config", str(tmp_path / "ices.toml"), str(inbox)]
    ack = runner.invoke(main, [*args, "--format", "ices-ack"])
    assert ack.exit_code == 0, ack.output
    assert ack.output.startswith("HREC") and ack.output.count(f"{GS}00{GS}") == 2
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0 and '"format": "ices_flatfile"' in result.output


def test_amendment_of_an_unknown_be_number_is_answered_doc_002() -> None:
    tables = steel_be()
    for rows in tables.values():
        for row in rows:
            row.update(
                message_type="A",
                job_no=None,
                job_date=None,
                be_number="1234567",
                be_date="20260311",
            )
    _, _manifest, record, _ = _ack(
        flat_file("sachi01", igm()), flat_file("cachi01", tables, message_id="CACHI01_A")
    )
    # no original with that BE number is known: the amendment is answered with CORE-DOC-002
    assert record[1] == "INNSA1" and record[19] == "CORE-DOC-002"
    # keyed by its BE number (field 5): it has no user job number or date
    assert record[4] == "1234567" and record[2] == record[3] == ""
    # CORE-DOC-002's field is the model's `function`, no input record: the BE record fails
    assert record[23] == "BE"


@pytest.mark.parametrize("header", ["CACHI01_A", "CACHI01-A", "cachi01-a"])
def test_amendment_with_the_job_number_replaces_the_original(header: str) -> None:
    """Under either spelling of the amendment's header (the documented ``CACHI01-A`` was filed
    as ``CACHI01-A-INNSA1-…``, a second document debited as an original)."""
    tables = steel_be()
    for rows in tables.values():
        for row in rows:
            row.update(message_type="A", be_number="1234567", be_date="20260311")
    _, _manifest, original, record, _ = _ack(
        flat_file("sachi01", igm()),
        flat_file("cachi01", steel_be()),
        flat_file("cachi01", tables, message_id=header),
    )
    assert original[19] == "00" and record[19] == "00"  # known document: replaced, accepted
    assert original[4] == "" and record[4] == "1234567"  # the amendment names its BE number
    assert record[2] == original[2] != ""  # and the job number it shares with the original
