"""The ``json``, ``jsonl`` and ``text`` response writers: bytes as the serializer writes them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from customs_engine.core.response import (
    AuthorisationUse,
    DocumentInfo,
    EngineInfo,
    Fee,
    MessageInfo,
    Response,
)
from customs_engine.core.writers.json_text import JsonLinesWriter, JsonWriter, TextWriter


def response(source: str, index: int = 0) -> Response:
    return Response(
        message=MessageInfo(
            source=source, index=index, format="icegate_xml", type="bill_of_entry", reference="B"
        ),
        document=DocumentInfo(),
        fees=[
            Fee(rule="R-1", scheme="x", kind="late", amount=Decimal("5.005"), basis="1 day"),
        ],
        authorisations=[
            AuthorisationUse(
                scheme="ims",
                number="IMS-1",
                item=1,
                debited_quantity=Decimal("60.50"),
                debited_value=Decimal("100"),
                remaining_quantity=None,
                remaining_value=Decimal("0"),
            ),
            AuthorisationUse(
                scheme="ims",
                number="IMS-2",
                item=2,
                debited_quantity=Decimal("1E+1"),
                debited_value=Decimal("1.234"),
                remaining_quantity=Decimal("0"),
                remaining_value=None,
            ),
        ],
        engine=EngineInfo(version="0"),
    )


def written(writer_class: type, responses: list[Response]) -> bytes:
    out = io.BytesIO()
    writer = writer_class(out)
    for item in responses:
        writer.write(item)
    writer.close()
    return out.getvalue()


SOURCES = ["plain.xml", "caf\u00e9.xml", "line\u2028sep.xml", "nel\x85.xml", "tab\t\r\n.xml"]


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_json_is_the_serializers_text_indented_as_before(count: int) -> None:
    responses = [response(SOURCES[i % len(SOURCES)], i) for i in range(count)]
    for source in SOURCES:
        batch = [*responses, response(source)] if count else []
        texts = [r.to_json(indent=2) for r in batch]
        if len(texts) == 0:
            expected = "[]\n"
        elif len(texts) == 1:
            expected = texts[0] + "\n"
        else:
            # the writer's former rule: every line of each document indented two spaces
            parts = ["\n".join("  " + line for line in text.splitlines()) for text in texts]
            expected = "[\n" + ",\n".join(parts) + "\n]\n"
        assert written(JsonWriter, batch) == expected.encode()


def test_jsonl_is_one_compact_document_a_line() -> None:
    batch = [response(source) for source in SOURCES]
    expected = "".join(r.to_json() + "\n" for r in batch).encode()
    assert written(JsonLinesWriter, batch) == expected


def test_text_writes_fees_and_debits_as_the_json_does() -> None:
    item = response("a.xml")
    data = item.to_json_dict()
    lines = written(TextWriter, [item]).decode().splitlines()
    fee = data["fees"][0]
    assert (
        lines[1]
        == f"  fee    R-1: late INR {fee['amount']} (1 day)"
        == "  fee    R-1: late INR 5.01 (1 day)"
    )
    first, second = data["authorisations"]
    assert lines[2] == (
        f"  debit  IMS IMS-1 item 1: {first['debited_quantity']} / INR {first['debited_value']}, "
        f"remaining no limit on record / INR {first['remaining_value']}"
    )
    assert lines[3] == (
        f"  debit  IMS IMS-2 item 2: {second['debited_quantity']} / INR "
        f"{second['debited_value']}, remaining {second['remaining_quantity']} / "
        "INR no limit on record"
    )
    assert lines[2:] == [
        "  debit  IMS IMS-1 item 1: 60.50 / INR 100.00, remaining no limit on record / INR 0.00",
        "  debit  IMS IMS-2 item 2: 10 / INR 1.23, remaining 0 / INR no limit on record",
    ]
