"""CUSRES D:96B response output (SPEC §6.3)."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from pydifact.segmentcollection import Interchange, Message

from customs_engine.adapters.edifact.cusres import CusresWriter
from customs_engine.adapters.edifact.reader import ingest
from customs_engine.adapters.edifact.structure import validate
from customs_engine.cli import main
from customs_engine.core.response import (
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    Outcome,
    Response,
)

LONG = "IMS authorisation IMS-2026-00042 has 40 NOS left; item needs 50 NOS " * 4


def response(reference: str, findings: list[Finding], fees: list[Fee]) -> Response:
    return Response(
        message=MessageInfo(
            source="a.edi", index=0, format="edifact", type="bill_of_entry", reference=reference
        ),
        document=DocumentInfo(number="7001234", port_code="INNSA1", date=date(2026, 3, 10)),
        findings=findings,
        fees=fees,
        engine=EngineInfo(version="0.1.0"),
    )


def sample_responses() -> list[Response]:
    reject = Finding(
        rule="IMS-BAL-001",
        scheme="ims",
        outcome="reject",
        item=1,
        message=LONG + "with 'quotes'+plus:colon?",
        reference="PC 06/2023-24",
    )
    warn = Finding(
        rule="CORE-X", scheme="core", outcome="warn", message="header note", reference="ref"
    )
    fee = Fee(
        rule="CORE-BOE-LATE-001",
        scheme="core",
        kind="late",
        amount=Decimal("25000"),
        basis="4 days late",
    )
    return [response("BE-1", [reject, warn], [fee]), response("BE-2", [], [])]


def render(responses: list[Response]) -> bytes:
    stream = io.BytesIO()
    writer = CusresWriter(stream)
    for item in responses:
        writer.write(item)
    writer.close()
    return stream.getvalue()


def test_cusres_round_trips_through_pydifact() -> None:
    text = render(sample_responses()).decode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interchange = Interchange.from_str(text)
        reserialized = interchange.serialize(break_lines=True)
    assert reserialized == text
    messages = list(interchange.get_messages())
    assert [m.type for m in messages] == ["CUSRES", "CUSRES"]
    first = messages[0]
    assert first.get_segment("BGM").elements == ["962", "7001234", "RE"]
    assert first.get_segment("DTM").elements == [["137", "20260310", "102"]]
    assert first.get_segment("RFF").elements == [["ACW", "BE-1"]]
    assert [s.elements for s in first.get_segments("ERC")] == [["REJ"], ["WRN"]]
    assert [s.elements for s in first.get_segments("ERP")] == [[["", "1"]], [""]]
    ftx = [s.elements[3] for s in first.get_segments("FTX")]
    assert ftx[0][0] == "IMS-BAL-001" and all(len(part) <= 70 for f in ftx for part in f)
    rejoined = "".join("".join(f[1:]) for f in ftx if f[0] == "IMS-BAL-001")
    assert rejoined == LONG + "with 'quotes'+plus:colon?"
    assert first.get_segment("TAX").elements == ["7", ["", "", "", "CORE-BOE-LATE-001"]]
    assert first.get_segment("MOA").elements == [["161", "25000.00", "INR"]]
    assert messages[1].get_segment("BGM").elements == ["962", "7001234", "AP"]


def test_cusres_envelope_counts_and_structure_are_right() -> None:
    _, envelope = ingest(render(sample_responses()).decode())
    assert envelope.fatal is None
    for message in envelope.messages:
        assert message.findings == []  # UNT counts, UNZ count and references all match
        assert validate(message.segments, "CUSRES_D96B") == []


def test_cusres_output_is_deterministic() -> None:
    assert render(sample_responses()) == render(sample_responses())
    assert b"UNB+UNOC:3+CUSTOMS-ENGINE+ICEGATE+260310:0000+" in render(sample_responses())


def test_empty_run_still_writes_a_closed_interchange() -> None:
    _, envelope = ingest(render([]).decode())
    assert envelope.messages == [] and "no UNH" in envelope.fatal.message
    assert render([]).endswith(b"UNZ+0+DA39A3EE5E6B4B'\n")


def test_validate_format_cusres_from_the_command_line(tmp_path: Path) -> None:
    from .interchanges import cusdec_segments, interchange

    source = tmp_path / "be.edi"
    source.write_bytes(interchange(cusdec_segments(), cusdec_segments()))
    result = CliRunner().invoke(
        main, ["validate", "--format", "cusres", "--db", f"sqlite:///{tmp_path}/r.db", str(source)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interchange_out = Interchange.from_str(result.stdout)
    refs = [m.get_segment("RFF").elements[0][1] for m in interchange_out.get_messages()]
    assert refs == ["M1", "M2"]


def test_without_any_dated_response_the_unb_date_is_the_run_time() -> None:
    from customs_engine.core.dates import IST

    stream = io.BytesIO()
    writer = CusresWriter(stream, run_at=datetime(2026, 11, 27, 18, 5, tzinfo=UTC))
    writer.close()
    assert b"+261127:2335+" in stream.getvalue()  # 18:05 UTC is 23:35 in India
    before = datetime.now(IST)
    text = render([]).decode()
    stamp = text.split("UNB+UNOC:3+CUSTOMS-ENGINE+ICEGATE+")[1][:11]
    assert "000101" not in text
    assert stamp[:6] in (before.strftime("%y%m%d"), datetime.now(IST).strftime("%y%m%d"))


def finding(number: int, outcome: Outcome = "reject", message: str | None = None) -> Finding:
    return Finding(
        rule=f"R-{number:03d}",
        scheme="core",
        outcome=outcome,
        item=number,
        message=message or f"finding {number}",
        reference="ref",
    )


def parsed(responses: list[Response]) -> list[Message]:
    """The messages of the rendered interchange, checked: pydifact reads and writes it back
    unchanged, and every message keeps within the directory (our reader's checks)."""
    text = render(responses).decode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interchange = Interchange.from_str(text)
        assert interchange.serialize(break_lines=True) == text
    _, envelope = ingest(text)
    assert envelope.fatal is None
    for message in envelope.messages:
        assert message.findings == []
        assert validate(message.segments, "CUSRES_D96B") == []
    return list(interchange.get_messages())


def test_more_findings_than_error_groups_keeps_to_99() -> None:
    """SG4 (ERP) repeats at most 99 times: the first 98 findings in order, then one group
    saying how many more there are and the worst of them."""
    findings = [finding(n, "warn" if n % 2 else "query") for n in range(1, 151)]
    findings[120] = finding(121, "reject")
    [message] = parsed([response("BE-1", findings, [])])
    erps = [s.elements for s in message.get_segments("ERP")]
    assert len(erps) == 99
    assert erps[:98] == [[["", str(n)]] for n in range(1, 99)]
    assert erps[98] == [""]
    ercs = [s.elements[0] for s in message.get_segments("ERC")]
    assert ercs[:98] == [["WRN", "QRY"][n % 2 == 0] for n in range(1, 99)]
    assert ercs[98] == "REJ"  # the worst of the findings not listed
    texts = [s.elements[3] for s in message.get_segments("FTX")]
    assert [t[0] for t in texts[:98]] == [f"R-{n:03d}" for n in range(1, 99)]
    last = "".join(texts[98][1:])
    assert texts[98][0] == ""
    assert last.startswith("52 further findings (1 REJ, 26 QRY, 25 WRN) are not listed")
    assert "all 150 findings" in last


def test_exactly_99_findings_are_all_listed() -> None:
    [message] = parsed([response("BE-1", [finding(n) for n in range(1, 100)], [])])
    texts = [s.elements[3][0] for s in message.get_segments("FTX")]
    assert texts == [f"R-{n:03d}" for n in range(1, 100)]


def test_more_fees_than_tax_groups_keeps_to_99() -> None:
    fees = [
        Fee(rule=f"F-{n}", scheme="core", kind="fee", amount=Decimal(n), basis="b")
        for n in range(1, 121)
    ]
    [message] = parsed([response("BE-1", [], fees)])
    taxes = [s.elements for s in message.get_segments("TAX")]
    assert len(taxes) == 99
    assert taxes[:98] == [["7", ["", "", "", f"F-{n}"]] for n in range(1, 99)]
    assert taxes[98] == ["7"]
    amounts = [s.elements[0] for s in message.get_segments("MOA")]
    assert amounts[97] == ["161", "98.00", "INR"]
    assert amounts[98:] == [["161", f"{sum(range(99, 121))}.00", "INR"]]


def test_a_finding_text_keeps_to_99_free_text_segments() -> None:
    long = "x" * (100 * 4 * 70)
    [message] = parsed([response("BE-1", [finding(1, message=long)], [])])
    texts = [s.elements[3] for s in message.get_segments("FTX")]
    assert len(texts) == 99
    joined = "".join("".join(t[1:]) for t in texts)
    assert joined == "x" * (99 * 4 * 70 - 3) + "..."


def test_a_long_input_reference_is_kept_whole_in_the_rff() -> None:
    """A message id may have 64 characters; 1154 holds 35: the rest goes on in 4000, so two
    replies to ids sharing their first 35 characters can still be told apart."""
    long_id = "BE-" + "X" * 40 + "-0001"
    [message] = parsed([response(long_id, [], [])])
    assert message.get_segment("RFF").elements == [["ACW", long_id[:35], "", long_id[35:]]]
    [short] = parsed([response("BE-1", [], [])])
    assert short.get_segment("RFF").elements == [["ACW", "BE-1"]]


def test_an_unreadable_input_is_named_by_its_file_and_dated_by_the_run(tmp_path: Path) -> None:
    """BGM 1004 (an..35) gets the file's own name, not the first characters of a long path, and
    DTM+137 the run's date, since the input has no document date of its own."""
    from customs_engine.core.dates import IST

    deep = tmp_path / ("inbound-" + "x" * 40) / "today"
    deep.mkdir(parents=True)
    (deep / "garbage.edi").write_bytes(b"\x00\x01 not a message")
    days = {datetime.now(IST).strftime("%Y%m%d")}
    result = CliRunner().invoke(
        main, ["validate", "--format", "cusres", "--db", f"sqlite:///{tmp_path}/r.db", str(deep)]
    )
    assert result.exit_code == 1, result.output
    [message] = Interchange.from_str(result.stdout).get_messages()
    assert message.get_segment("BGM").elements[1] == "garbage.edi#0"
    dtm = message.get_segment("DTM").elements[0]
    assert dtm[0] == "137" and dtm[2] == "102"
    assert dtm[1] in days | {datetime.now(IST).strftime("%Y%m%d")}  # the run may span midnight


def test_control_characters_of_a_finding_are_written_escaped() -> None:
    """UNOC carries only ISO 8859-1's graphic characters: a plugin's NUL, line feed, tab, ESC or
    BEL (or a C1 control) in a finding's text is written as the text writer writes it
    (``\\x1b``), never raw; a character outside Latin-1 is still ``?``."""
    text = "a\x00b\nc\td\x1be\x07f\x85g\x7fh \u202e é"
    data = render([response("BE-\x1b1", [finding(1, message=text)], [])])
    assert not any(byte < 0x20 and byte not in b"\n\r" for byte in data)
    assert not any(0x7F <= byte <= 0x9F for byte in data)
    assert data.count(b"\n") == data.count(b"'\n")  # line breaks only after a segment
    assert rb"BE-\x1b1" in data and "? é".encode("latin-1") in data
    ascii_only = text.removesuffix(" é")  # parsed() reads the interchange as UTF-8
    [message] = parsed([response("BE-1", [finding(1, message=ascii_only)], [])])
    [ftx] = [s for s in message.get_segments("FTX") if s.elements[3][0] == "R-001"]
    assert "".join(ftx.elements[3][1:]) == r"a\x00b\nc\td\x1be\x07f\x85g\x7fh ?"
