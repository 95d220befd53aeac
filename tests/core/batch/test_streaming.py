"""A format may hand its messages on one at a time (an iterator): the engine and a ``-j1`` run
check, complete and write each before the next is read; a list still works as before."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from customs_engine import hookimpl
from customs_engine.core.batch import workers
from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.runner import run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.formats import ParsedMessage, WireFormat
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.writers.json_text import JsonLinesWriter
from customs_engine.testing import bill_of_entry, make_engine
from tests.adapters.edifact.interchanges import cusdec_segments, interchange
from tests.conftest import MESSAGES


class Lines:
    """A ``lines`` format: one Bill of Entry per line, read lazily; ``fail`` raises at it."""

    def __init__(self, fail: bytes | None = None) -> None:
        self.fail = fail
        self.read: list[str] = []  # references, as each message is read

    def messages(self, data: bytes, source: str, config: Any) -> Iterator[ParsedMessage]:
        for n, line in enumerate(data.splitlines()[1:]):
            if line == self.fail:
                raise ValueError(f"cannot read {line.decode()}")
            self.read.append(line.decode())
            yield ParsedMessage(
                index=n,
                format="lines",
                type="bill_of_entry",
                reference=line.decode(),
                message=bill_of_entry(message_id=line.decode()),
            )

    @hookimpl
    def customs_wire_formats(self) -> list[WireFormat]:
        return [
            WireFormat(
                name="lines",
                title="lines",
                detect=lambda head, name: head.startswith(b"LINES"),
                read=self.messages,
            )
        ]


def test_a_format_may_return_an_iterator() -> None:
    engine = make_engine(only=["core"], extra=[("lines", Lines())])
    parsed = engine.parse(b"LINES\nBE-1\nBE-2\n", "x")
    assert [(p.index, p.reference, p.type) for p in parsed] == [
        (0, "BE-1", "bill_of_entry"),
        (1, "BE-2", "bill_of_entry"),
    ]
    [empty] = engine.parse(b"LINES\n", "x")
    assert empty.type == "unknown" and "no lines adapter could read" in empty.findings[0].message


def test_an_iterator_that_fails_midway_ends_with_a_plugin_failure() -> None:
    engine = make_engine(only=["core"], extra=[("lines", Lines(fail=b"BE-2"))])
    first, failed = engine.parse(b"LINES\nBE-1\nBE-2\nBE-3\n", "x")
    assert first.reference == "BE-1" and first.findings == []
    assert (failed.index, failed.type, failed.message) == (1, "unknown", None)
    [finding] = failed.findings
    assert finding.rule == "CORE-PLUGIN-001" and finding.outcome == "reject"
    assert "plugin 'lines' failed in lines.read: ValueError: cannot read BE-2" in finding.message
    [only] = engine.parse(b"LINES\nBE-2\n", "y")
    assert only.index == 0 and only.findings[0].rule == "CORE-PLUGIN-001"


def test_one_job_writes_each_message_before_reading_the_next() -> None:
    plugin = Lines()
    engine = make_engine(only=["core"], extra=[("lines", plugin)])
    written: list[tuple[str, list[str]]] = []

    class Writer(JsonLinesWriter):
        def write(self, response):  # type: ignore[no-untyped-def]
            written.append((response.message.reference, list(plugin.read)))
            super().write(response)

    files = [InputFile("a", b"LINES\nBE-1\nBE-2\nBE-3\n"), InputFile("b", b"LINES\nBE-4\n")]
    summary = run(engine, iter(files), Writer(io.BytesIO()), jobs=1)
    assert summary.messages == 4
    assert written == [
        ("BE-1", ["BE-1"]),
        ("BE-2", ["BE-1", "BE-2"]),
        ("BE-3", ["BE-1", "BE-2", "BE-3"]),
        ("BE-4", ["BE-1", "BE-2", "BE-3", "BE-4"]),
    ]


def test_a_large_file_is_read_in_the_main_process_and_the_output_matches_one_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boe = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    large = interchange(cusdec_segments(), cusdec_segments(), cusdec_segments())
    files = [InputFile(f"a{i:02d}.xml", boe.replace(b"000123", b"%06d" % i)) for i in range(40)]
    files[3:3] = [InputFile("big1.edi", large)]
    files[20:20] = [InputFile("big2.edi", large.replace(b"REF1", b"REF2")), files[0]]
    monkeypatch.setattr(workers, "STREAM_BYTES", len(large))
    batches = list(workers._batches(iter(files)))
    assert [b.name for b in batches if isinstance(b, InputFile)] == ["big1.edi", "big2.edi"]
    assert sum(len(b) for b in batches if not isinstance(b, InputFile)) == len(files) - 2

    def output(jobs: int) -> bytes:
        out = io.BytesIO()
        host = PluginHost.from_entry_points(trace=False)
        summary = run(Engine(host, CheckContext()), iter(files), JsonLinesWriter(out), jobs=jobs)
        assert summary.messages == len(files) - 2 + 2 * 3
        return out.getvalue()

    one = output(1)
    assert output(2) == one and output(3) == one
    assert one.count(b'"source":"big2.edi"') == 3
