"""A format record's callables are called by position, in the order docs/hooks.md documents —
``detect(head, name)``, ``read(data, source, config)``, ``writer(stream)``, ``write(messages)`` —
whatever the plugin named their parameters (the type hints are positional ``Callable``s)."""

from __future__ import annotations

import io
from typing import Any

from customs_engine import ParsedMessage, ResponseFormat, WireFormat, hookimpl
from customs_engine.testing import bill_of_entry, make_engine

seen: dict[str, Any] = {}


def _read(d: bytes, s: str, c: Any) -> list[ParsedMessage]:
    seen["read"] = (d, s, c)
    return [
        ParsedMessage(
            index=n,
            format="tiny",
            type="bill_of_entry",
            message=bill_of_entry(message_id=line.split()[1].decode()),
        )
        for n, line in enumerate(d.splitlines())
    ]


class Lines:
    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, r: Any) -> None:
        self.out.write(f"{r.message.reference} {r.status}\n".encode())

    def close(self) -> None:
        self.out.write(b"end\n")


class Tiny:
    @hookimpl
    def customs_wire_formats(self) -> list[WireFormat]:
        return [
            WireFormat(
                name="tiny",
                title="tiny lines",
                detect=lambda h, n: h.startswith(b"TINY"),
                read=_read,
                write=lambda ms: b"".join(f"TINY {m.message_id}\n".encode() for m in ms),
            )
        ]

    @hookimpl
    def customs_response_formats(self) -> list[ResponseFormat]:
        return [ResponseFormat(name="tiny-lines", title="tiny", writer=lambda out: Lines(out))]


def test_detect_and_read_are_called_positionally() -> None:
    engine = make_engine(only=["core"], extra=[("tiny", Tiny())], config={"tiny": {"k": 1}})
    responses = engine.validate_bytes(b"TINY BE-1\nTINY BE-2\n", "two.tiny")
    assert [(r.message.format, r.message.reference) for r in responses] == [
        ("tiny", "BE-1"),
        ("tiny", "BE-2"),
    ]
    for response in responses:
        assert "CORE-PLUGIN-001" not in {f.rule for f in response.findings}
    data, source, config = seen["read"]
    assert data == b"TINY BE-1\nTINY BE-2\n" and source == "two.tiny"
    assert config["tiny"] == {"k": 1}


def test_a_file_the_format_does_not_claim_is_not_failed_by_it() -> None:
    """Before, every file of the run got CORE-PLUGIN-001 from such a ``detect``."""
    [response] = make_engine(only=["core"], extra=[("tiny", Tiny())]).validate_bytes(
        b"%PDF-1.7", "x.pdf"
    )
    assert [f.rule for f in response.findings] == ["CORE-SYNTAX-001"]


def test_the_writers_are_called_positionally() -> None:
    host = make_engine(only=[], extra=[("tiny", Tiny())]).host
    stream = io.BytesIO()
    writer = host.response_writer("tiny-lines", stream)
    assert writer is not None
    writer.close()
    assert stream.getvalue() == b"end\n"
    assert host.write_messages([bill_of_entry(message_id="BE-9")], "tiny") == b"TINY BE-9\n"


def test_a_finding_a_third_party_adapter_built_without_validation_fails_closed() -> None:
    """A format's read may attach findings to a message; one built with ``model_construct`` and
    an item '1' ended the run with a traceback (sorting the findings) instead of being refused
    against its plugin."""
    from customs_engine import Finding

    def read(d: bytes, s: str, c: Any) -> list[ParsedMessage]:
        bad = Finding.model_construct(
            rule="CORE-SYNTAX-001", scheme="core", outcome="reject", item="1", message="x",
            reference="r",
        )  # fmt: skip
        message = bill_of_entry(message_id="BE-1")
        return [ParsedMessage(index=0, format="tiny", type="bill_of_entry", message=message)
                .model_copy(update={"findings": [bad]})]  # fmt: skip

    class Careless(Tiny):
        @hookimpl
        def customs_wire_formats(self) -> list[WireFormat]:
            return [WireFormat(name="tiny", title="t", detect=lambda h, n: True, read=read)]

    engine = make_engine(only=["core"], extra=[("careless", Careless())])
    (response,) = engine.validate_bytes(b"TINY BE-1\n", "one.tiny")
    assert response.status == "rejected"
    (failure,) = [f for f in response.findings if f.rule == "CORE-PLUGIN-001"]
    assert "plugin 'careless'" in failure.message and "item" in failure.message, failure.message
