"""The CLI's format choices and messages come from the loaded format records."""

from __future__ import annotations

import json
from pathlib import Path

from customs_engine.testing import bill_of_entry, write_message

PAPER = """
from customs_engine import ParsedMessage, ResponseFormat, WireFormat, hookimpl

def detect(head, name):
    return head.startswith(b"PAPER")

def read(data, source, config):
    return []

def write(messages):
    if messages[0].message_id == "BE-CRASH":
        raise RuntimeError("paper jam")
    return b"".join(f"PAPER {m.message_id}\\n".encode() for m in messages)

class Lines:
    def __init__(self, stream):
        self.stream = stream
    def write(self, response):
        self.stream.write(f"{response.message.reference} {response.status}\\n".encode())
    def close(self):
        pass

@hookimpl
def customs_wire_formats():
    return [WireFormat(name="paper", title="a paper list", detect=detect, read=read, write=write)]

@hookimpl
def customs_response_formats():
    return [ResponseFormat(name="paper-lines", title="one line per message", writer=Lines)]
"""


def test_a_third_party_writer_is_a_convert_target(fake_dists, customs_cli, tmp_path: Path) -> None:
    fake_dists.add("customs-engine-paperfmt", "ce_paper_format", PAPER, entry_name="paperfmt")
    path = write_message(tmp_path / "be.xml", bill_of_entry(message_id="BE-77"))
    converted = customs_cli("convert", str(path), "--to", "paper")
    assert converted.exit_code == 0, converted.stderr
    assert converted.stdout == "PAPER BE-77\n"
    wrong = customs_cli("convert", str(path), "--to", "pdf")
    assert wrong.exit_code == 2
    assert "'pdf' is not one of " in wrong.stderr
    assert {"edifact", "paper", "xml"} <= set(
        wrong.stderr.split("is not one of ")[1].split(".")[0].strip().split(", ")
    )
    validated = customs_cli("validate", "--format", "paper-lines", str(path))
    assert validated.stdout == "BE-77 accepted\n"
    help_text = customs_cli("validate", "--help").stdout
    assert "paper-lines" in help_text and "json" in help_text
    assert "paper" in customs_cli("convert", "--help").stdout


def test_an_unknown_response_format_names_the_loaded_ones(customs_cli, tmp_path: Path) -> None:
    path = write_message(tmp_path / "be.xml", bill_of_entry())
    result = customs_cli("validate", "--format", "pdf", str(path))
    assert result.exit_code == 2
    listed = result.stderr.split("is not one of ")[1].splitlines()[0].rstrip(".")
    assert {"csv", "cusres", "ices-ack", "json", "jsonl", "junit", "text", "xml"} <= set(
        listed.split(", ")
    )


def test_a_failing_writer_is_named_not_a_traceback(fake_dists, customs_cli, tmp_path: Path) -> None:
    fake_dists.add("customs-engine-paperfmt", "ce_paper_format_crash", PAPER, entry_name="paperfmt")
    path = write_message(tmp_path / "be.xml", bill_of_entry(message_id="BE-CRASH"))
    result = customs_cli("convert", str(path), "--to", "paper")
    assert result.exit_code == 3
    assert "plugin 'paperfmt' failed writing paper: RuntimeError: paper jam" in result.stderr


def test_content_decides_before_the_file_name(
    customs_cli, tmp_path: Path, samples_dir: Path
) -> None:
    """An ICES flat file or an SCMTR document saved as ``*.xml`` is read as what it is, not
    handed to the XML reader because of its name."""
    for sample, expected in (
        ("synthetic_cachi01_steel_be.be", "ices"),
        ("icegate_scmtr_sachm22_sce_dec.json", "scmtr"),
    ):
        misnamed = tmp_path / f"{sample}.xml"
        misnamed.write_bytes((samples_dir / "icegate" / sample).read_bytes())
        result = customs_cli("validate", str(misnamed), "--format", "json")
        assert result.exit_code in (0, 1), result.stderr
        formats = {m["message"]["format"] for m in _responses(result.stdout)}
        assert len(formats) == 1
        assert next(iter(formats)).startswith(expected), formats


def test_a_name_still_decides_when_no_content_matches(customs_cli, tmp_path: Path) -> None:
    """A file no format recognises by its bytes is still offered by its name: text that is
    not well-formed XML, named ``*.xml``, gets the XML reader's answer (a syntax finding)."""
    broken = tmp_path / "broken.xml"
    broken.write_text("this is not <xml")
    result = customs_cli("validate", str(broken), "--format", "json")
    assert result.exit_code == 1
    (response,) = _responses(result.stdout)
    assert response["message"]["format"] == "icegate_xml"


def _responses(stdout: str) -> list[dict]:
    """The responses of a ``--format json`` run: one object, or an array of them."""
    document = json.loads(stdout)
    return document if isinstance(document, list) else [document]
