"""What we write is in the character set the UNB declares (S001), and what we read is decoded in
the set a file declares when it is not UTF-8."""

from __future__ import annotations

import io
import warnings

import pytest
from pydifact.segmentcollection import Interchange

from customs_engine.adapters.edifact.cusres import CusresWriter
from customs_engine.adapters.edifact.reader import read
from customs_engine.adapters.edifact.writer import write
from customs_engine.core.response import DocumentInfo, EngineInfo, Finding, MessageInfo, Response
from tests.core.helpers import boe


@pytest.mark.parametrize(
    ("name", "syntax", "encoding"),
    [
        ("ACME TRADING", b"UNOC:3", "latin-1"),
        ("SOCIÉTÉ GÉNÉRALE", b"UNOC:3", "latin-1"),
        ("मशीन TRADERS", b"UNOW:4", "utf-8"),  # beyond Latin-1
        ("ACME Ã© TRADING", b"UNOW:4", "utf-8"),  # Latin-1 bytes that would read as UTF-8
    ],
)
def test_a_converted_message_is_encoded_as_its_unb_declares(
    name: str, syntax: bytes, encoding: str
) -> None:
    message = boe(importer={"iec": "AAPFU0939F", "name": name, "category": "COMMERCIAL"})
    data = write(message)
    assert b"UNB+" + syntax + b"+" in data
    assert name.encode(encoding) in data
    (parsed,) = read(data)
    assert parsed.findings == [] and parsed.message == message


def test_a_cusres_response_is_latin_1_as_declared() -> None:
    text = "balance … → ₹500 for SOCIÉTÉ, मशीन"
    response = Response(
        message=MessageInfo(
            source="a.edi", index=0, format="edifact", type="bill_of_entry", reference="BE-É"
        ),
        document=DocumentInfo(port_code="INNSA1"),
        findings=[
            Finding(rule="CORE-X", scheme="core", outcome="warn", message=text, reference="ref")
        ],
        engine=EngineInfo(version="0.1.0"),
    )
    stream = io.BytesIO()
    writer = CusresWriter(stream)
    writer.write(response)
    writer.close()
    data = stream.getvalue()
    assert b"UNB+UNOC:3+" in data
    decoded = data.decode("latin-1")
    assert "balance ... -> INR 500 for SOCIÉTÉ, ????" in decoded
    assert "RFF+ACW:BE-É'" in decoded
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # É is one Latin-1 byte, not UTF-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert Interchange.from_str(decoded).serialize(break_lines=True) == decoded


INTERCHANGE = (
    "UNA:+.? 'UNB+{syntax}:3+A+B+260101:1200+1'UNH+1+CUSCAR:D:95B:UN'BGM+85+2234567+9'"
    "DTM+137:202603080900:203'TDT+20+V1+1++C+++:::{name}'LOC+60+INNSA1'"
    "DTM+132:202603100600:203'CNI+1'RFF+BM:B1'NAD+CN+AAPFU0939F::ZZZ++X'GID+1+2:PK'"
    "FTX+AAA+++GOODS'MEA+AAE+G+KGM:10'UNT+13+1'UNZ+1+1'"
)


@pytest.mark.parametrize(
    ("syntax", "encoding", "name"),
    [("UNOD", "iso8859-2", "ŁÓDŹ"), ("UNOE", "iso8859-5", "МОСКВА"), ("UNOC", "latin-1", "SAÕ")],
)
def test_a_file_that_is_not_utf_8_is_read_in_the_set_its_unb_declares(
    syntax: str, encoding: str, name: str
) -> None:
    data = INTERCHANGE.format(syntax=syntax, name=name).encode(encoding)
    (parsed,) = read(data)
    assert parsed.message is not None, parsed.findings
    assert parsed.message.vessel_name == name  # type: ignore[union-attr]
