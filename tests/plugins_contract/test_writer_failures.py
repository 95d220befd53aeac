"""A response or wire writer plugin that fails, or answers with something that is not a writer,
stops the run with exit code 3 and one clean message naming the plugin and the format — never a
traceback; what was written before the failure is still closed by the writer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from customs_engine import ResponseFormat, hookimpl
from customs_engine.core.plugin_host import PluginWriterError
from customs_engine.testing import bill_of_entry, make_engine, write_message

DOC_WRITER = """
class Doc:
    def __init__(self, stream):
        self.stream = stream
        stream.write(b"<doc>")
    def write(self, response):
        if response.message.reference == "{fail_write}":
            raise RuntimeError("boom-write")
        self.stream.write(response.message.reference.encode())
    def close(self):
        if "{fail_close}":
            raise RuntimeError("boom-close")
        self.stream.write(b"</doc>")
"""

LEGACY = """
from customs_engine import hookimpl

@hookimpl
def customs_output_formats():
    return ["evilfmt"]
"""

CASES = {
    "writer_hook_raises": (
        LEGACY
        + "@hookimpl\ndef customs_response_writer(format, stream):\n"
        + "    if format == 'evilfmt':\n        raise RuntimeError('boom-writer')\n",
        "customs_response_writer failed: RuntimeError: boom-writer",
        "",
    ),
    "writer_hook_returns_str": (
        LEGACY
        + "@hookimpl\ndef customs_response_writer(format, stream):\n"
        + "    return 'notawriter' if format == 'evilfmt' else None\n",
        "customs_response_writer returned str 'notawriter', not a writer",
        "",
    ),
    "listed_without_writer": (
        LEGACY,
        "it lists the format in customs_output_formats, but no plugin's "
        "customs_response_writer returned a writer for it",
        "",
    ),
    "record_writer_raises": (
        "from customs_engine import ResponseFormat, hookimpl\n"
        "def writer(stream):\n    raise OSError('no printer')\n"
        "@hookimpl\ndef customs_response_formats():\n"
        "    return [ResponseFormat(name='evilfmt', title='evil', writer=writer)]\n",
        "writer failed: OSError: no printer",
        "",
    ),
    "record_writer_returns_none": (
        "from customs_engine import ResponseFormat, hookimpl\n"
        "@hookimpl\ndef customs_response_formats():\n"
        "    return [ResponseFormat(name='evilfmt', title='evil', writer=lambda s: None)]\n",
        "its writer returned NoneType None, not a writer",
        "",
    ),
    "write_raises": (
        "from customs_engine import ResponseFormat, hookimpl\n"
        + DOC_WRITER.format(fail_write="BE-2", fail_close="")
        + "@hookimpl\ndef customs_response_formats():\n"
        "    return [ResponseFormat(name='evilfmt', title='evil', writer=Doc)]\n",
        "write failed: RuntimeError: boom-write",
        "<doc>BE-1</doc>",  # closed by the writer after the failure: well-formed
    ),
    "close_raises": (
        "from customs_engine import ResponseFormat, hookimpl\n"
        + DOC_WRITER.format(fail_write="", fail_close="yes")
        + "@hookimpl\ndef customs_response_formats():\n"
        "    return [ResponseFormat(name='evilfmt', title='evil', writer=Doc)]\n",
        "close failed: RuntimeError: boom-close",
        "<doc>BE-1BE-2",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_failing_response_writer_stops_with_exit_3_naming_plugin_and_format(
    fake_dists: Any, customs_cli: Any, tmp_path: Path, case: str
) -> None:
    source, said, stdout = CASES[case]
    one = write_message(tmp_path / "be1.xml", bill_of_entry(message_id="BE-1"))
    two = write_message(tmp_path / "be2.xml", bill_of_entry(message_id="BE-2"))
    fake_dists.add("customs-engine-evilfmt", f"ce_evilfmt_{case}", source, entry_name="evilfmt")
    # exceptions are not caught by the kit's customs_cli: a traceback would fail here
    result = customs_cli("validate", "--format", "evilfmt", str(one), str(two))
    assert result.exit_code == 3, result.stderr
    assert f"\ncustoms: plugin 'evilfmt' failed writing evilfmt: {said}" in f"\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert result.stdout == stdout


class Keep(Exception):
    """Stands for the CLI's own output failure (a full disk), which is not the plugin's."""


def test_errors_of_the_kept_types_pass_through_the_named_writer() -> None:
    class Fails:
        def __init__(self, stream: Any) -> None:
            self.closed = 0

        def write(self, response: Any) -> None:
            raise Keep("disk full")

        def close(self) -> None:
            self.closed += 1

    class Plugin:
        @hookimpl
        def customs_response_formats(self) -> list[ResponseFormat]:
            return [ResponseFormat(name="probe-out", title="probe", writer=Fails)]

    host = make_engine(only=[], extra=[("probe", Plugin())]).host
    writer = host.named_response_writer("probe-out", io.BytesIO(), keep=(Keep,))
    assert writer is not None
    with pytest.raises(Keep):
        writer.write(None)  # type: ignore[arg-type]
    other = host.named_response_writer("probe-out", io.BytesIO())
    assert other is not None
    with pytest.raises(PluginWriterError, match="plugin 'probe' failed writing probe-out"):
        other.write(None)  # type: ignore[arg-type]
    other.close()
    other.close()  # the plugin's close is reached once
    assert other.writer.closed == 1  # type: ignore[attr-defined]
    assert host.named_response_writer("no-such-format", io.BytesIO()) is None
    # the plugin's own writer, as it made it, for callers that handle its failures themselves
    assert isinstance(host.response_writer("probe-out", io.BytesIO()), Fails)


# -- convert: a wire format's write ------------------------------------------------------------

WIRE_WRITER = """
from customs_engine import WireFormat, hookimpl

def write(messages):
    return {answer}

@hookimpl
def customs_wire_formats():
    return [WireFormat(name="paper", title="paper", detect=lambda h, n: False,
                       read=lambda d, s, c: [], write=write)]
"""

LEGACY_WRITER = """
from customs_engine import hookimpl

@hookimpl
def customs_write_messages(messages, format):
    if format == "paper":
        {answer}
"""


@pytest.mark.parametrize(
    ("module", "source", "said"),
    [
        ("ce_conv_str", WIRE_WRITER.format(answer="'PAPER'"), "returned str 'PAPER', not bytes"),
        ("ce_conv_list", WIRE_WRITER.format(answer="[b'x']"), "returned list [b'x'], not bytes"),
        ("ce_conv_none", WIRE_WRITER.format(answer="None"), "returned NoneType None, not bytes"),
        (
            "ce_conv_legacy_raise",
            LEGACY_WRITER.format(answer="raise KeyError('x')"),
            "KeyError: 'x'",
        ),
        ("ce_conv_legacy_int", LEGACY_WRITER.format(answer="return 5"), "returned int 5"),
    ],
)
def test_convert_names_the_plugin_of_a_write_that_fails_or_answers_wrong(
    fake_dists: Any, customs_cli: Any, tmp_path: Path, module: str, source: str, said: str
) -> None:
    path = write_message(tmp_path / "be.xml", bill_of_entry())
    fake_dists.add("customs-engine-paper", module, source, entry_name="paperw")
    result = customs_cli("convert", str(path), "--to", "paper")
    assert result.exit_code == 3, result.stderr
    assert f"customs: plugin 'paperw' failed writing paper: {said}" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
