"""The ``csv`` and ``junit`` response writers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from lxml import etree

from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.response import (
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    Response,
)
from customs_engine.core.writers.reports import CSV_COLUMNS, CsvWriter, JUnitWriter


def response(index: int, *findings: Finding, reference: str | None = "BE-1") -> Response:
    return Response(
        message=MessageInfo(
            source="a.zip!x.xml",
            index=index,
            format="icegate_xml",
            type="bill_of_entry",
            reference=reference,
        ),
        document=DocumentInfo(),
        findings=list(findings),
        fees=[
            Fee(
                rule="CORE-BOE-LATE-001",
                scheme="core",
                kind="late",
                amount=Decimal("5"),
                basis="1 day",
            )
        ],
        engine=EngineInfo(version="0"),
    )


REJECT = Finding(
    rule="IMS-BAL-001",
    scheme="ims",
    outcome="reject",
    item=2,
    field="items[1].licences[0]",
    message='short, by "40" NOS\nsee <ledger>',
    reference="Policy Circular 06/2023-24",
)
WARN = Finding(
    rule="CORE-IEC-002", scheme="core", outcome="warn", message="legacy IEC", reference="FTDR 1992"
)
HOLD = Finding(
    rule="SIMS-REG-001",
    scheme="sims",
    outcome="hold",
    message="no registration",
    reference="DGFT Notification 17/2015-20",
)


def test_writers_are_registered_through_the_plugin_hooks() -> None:
    host = PluginHost.from_entry_points(trace=False)
    assert {"csv", "junit"} <= set(host.output_formats())
    assert isinstance(host.response_writer("csv", io.BytesIO()), CsvWriter)
    assert "reports" in host.versions()


def test_csv_has_one_row_per_finding_and_one_for_a_message_without_any() -> None:
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.write(response(0, REJECT, WARN))
    writer.write(response(1, reference=None))
    writer.close()
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3
    assert rows[0] == {
        "source": "a.zip!x.xml",
        "index": "0",
        "reference": "BE-1",
        "type": "bill_of_entry",
        "status": "rejected",
        "rule": "IMS-BAL-001",
        "scheme": "ims",
        "outcome": "reject",
        "item": "2",
        "field": "items[1].licences[0]",
        "message": REJECT.message,
        "reference_law": "Policy Circular 06/2023-24",
        "function": "",
        "credited": "",
    }
    assert rows[1]["rule"] == "CORE-IEC-002" and rows[1]["item"] == ""
    assert rows[2]["status"] == "accepted" and rows[2]["reference"] == ""
    assert all(rows[2][c] == "" for c in CSV_COLUMNS[5:])


def junit(*responses: Response) -> etree._Element:
    out = io.BytesIO()
    writer = JUnitWriter(out)
    for r in responses:
        writer.write(r)
    writer.close()
    return etree.fromstring(out.getvalue())


def test_junit_has_one_testcase_per_message_and_fails_the_not_accepted() -> None:
    root = junit(response(0, REJECT, WARN), response(1, WARN), response(2, HOLD, reference=None))
    cases = root.findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("a.zip!x.xml", "BE-1"),
        ("a.zip!x.xml", "BE-1 #1"),
        ("a.zip!x.xml", "#2"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "rejected"
    assert failure.get("message", "").startswith("rejected: IMS-BAL-001")
    assert REJECT.message in (failure.text or "") and "CORE-IEC-002" in (failure.text or "")
    assert cases[1].find("failure") is None and "legacy IEC" in cases[1].findtext("system-out")
    assert cases[2].find("failure").get("type") == "hold"


def test_junit_output_has_no_clock_in_it() -> None:
    first = etree.tostring(junit(response(0, REJECT)))
    assert first == etree.tostring(junit(response(0, REJECT)))
    assert b"timestamp" not in first and b"time=" not in first


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text() -> None:
    """A message id or a licence number from the input such as ``=HYPERLINK(…)`` must not run
    when the report is opened in a spreadsheet: such text gets a leading ``'``."""
    stream = io.BytesIO()
    writer = CsvWriter(stream)
    hostile = Finding(
        rule="CORE-LIC-002",
        scheme="core",
        outcome="query",
        field="items[0].licences[0]",
        message='=HYPERLINK("http://x")',
        reference="ref",
    )
    writer.write(response(0, hostile, reference="+1+2"))
    writer.write(response(1, reference="@SUM(A1)"))
    writer.close()
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().decode())))
    assert [row["reference"] for row in rows] == ["'+1+2", "'@SUM(A1)"]
    assert rows[0]["message"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["index"] == "0" and rows[0]["rule"] == "CORE-LIC-002"  # the rest as it was


def test_csv_cells_carry_no_raw_control_character() -> None:
    """NUL, ESC, BEL or U+202E in a finding or a reference is written as the text writer
    writes it (``\\x1b``); line breaks and tabs stay in their quoted cell, and the formula
    guard still applies."""
    stream = io.BytesIO()
    writer = CsvWriter(stream)
    nasty = Finding(
        rule="CORE-LIC-002",
        scheme="core",
        outcome="query",
        message="a\x00b\x1b[31mc\x07d\u202ee\nf\tg",
        reference="ref",
    )
    writer.write(response(0, nasty, reference="=\x1b1"))
    writer.close()
    data = stream.getvalue()
    assert not any(byte < 0x20 and byte not in b"\t\n\r" for byte in data)
    [row] = list(csv.DictReader(io.StringIO(data.decode())))
    assert row["message"] == "a\\x00b\\x1b[31mc\\x07d\\u202ee\nf\tg"
    assert row["reference"] == "'=\\x1b1"
