"""Response writers for audits and CI: ``csv`` and ``junit`` (a plugin like any other).

* ``csv`` — a header, then one row per finding: ``source, index, reference, type, status, rule,
  scheme, outcome, item, field, message, reference_law, function, credited``. A message without
  findings still gets one row, with the rule columns empty, so every message of the run appears in
  the file. ``function`` is original, amendment or cancellation; ``credited`` lists what an
  amendment or a cancellation credited back (``; ``-separated). A text cell that a spreadsheet
  would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return: a message id or licence number from the input) is written with a leading ``'``, which
  spreadsheets show as text (OWASP's advice on CSV injection). A character that is not printable
  (NUL, ESC, BEL, U+202E …) is written as a Python escape (``\\x1b``), as the text writer writes
  it; tab, line feed and carriage return stay as they are, in a quoted cell.
* ``junit`` — JUnit XML for CI systems: one ``<testsuite name="customs validate">``, one
  ``<testcase>`` per message (``classname`` = source, ``name`` = message reference, else
  ``#index``). A rejected, held or queried message carries a ``<failure>`` whose text lists the
  findings; warnings and information of an accepted message go to ``<system-out>``. No timestamps
  or durations are written, so the output depends only on the input. Test cases are streamed as
  they complete, so the suite carries no ``tests``/``failures`` attributes (they would have to be
  known before the first case; CI systems count the test cases) — a closing comment gives them.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from customs_engine.core.formats import ResponseFormat
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.response import Finding, Response
from customs_engine.core.writers.printable import csv_safe, xml_safe

CSV_COLUMNS = (
    "source",
    "index",
    "reference",
    "type",
    "status",
    "rule",
    "scheme",
    "outcome",
    "item",
    "field",
    "message",
    "reference_law",
    "function",
    "credited",
)
FAILING = {"rejected": "rejected", "hold": "hold", "query": "query"}


class CsvWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")
        self._row(CSV_COLUMNS)

    def _row(self, row: tuple[object, ...]) -> None:
        self._csv.writerow([_inert(cell) for cell in row])
        self.stream.write(self._buffer.getvalue().encode())
        self._buffer.seek(0)
        self._buffer.truncate()

    def write(self, response: Response) -> None:
        msg = response.message
        head = (msg.source, msg.index, msg.reference or "", msg.type, response.status)
        tail = (msg.function or "", "; ".join(credit.text() for credit in response.credited))
        if not response.findings:
            self._row((*head, "", "", "", "", "", "", "", *tail))
        for f in response.findings:
            self._row(
                (
                    *head,
                    f.rule,
                    f.scheme,
                    f.outcome,
                    "" if f.item is None else f.item,
                    f.field or "",
                    f.message,
                    f.reference,
                    *tail,
                )
            )

    def close(self) -> None:
        pass


#: what makes a spreadsheet read a cell as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: object) -> object:
    """Text with its non-printable characters escaped (:func:`csv_safe`), and prefixed with
    ``'`` when a spreadsheet would run it as a formula (numbers are kept)."""
    if not isinstance(cell, str):
        return cell
    cell = csv_safe(cell)
    if cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _finding_line(f: Finding) -> str:
    where = f" item {f.item}" if f.item is not None else ""
    field = f" ({f.field})" if f.field else ""
    return f"{f.outcome} {f.rule}{where}{field}: {f.message} [{f.reference}]"


class JUnitWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.tests = 0
        self.failures = 0
        stream.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="customs">\n'
            b'  <testsuite name="customs validate">\n'
        )

    def write(self, response: Response) -> None:
        # imported here: xml.sax.saxutils pulls in urllib.request and http.client, which no
        # other output format needs
        from xml.sax.saxutils import escape as escape_text
        from xml.sax.saxutils import quoteattr as quote_text

        def escape(text: str) -> str:
            return escape_text(xml_safe(text))

        def quoteattr(text: str) -> str:
            return quote_text(xml_safe(text))

        msg = response.message
        self.tests += 1
        name = msg.reference or f"#{msg.index}"
        if msg.reference and msg.index:
            name = f"{msg.reference} #{msg.index}"
        if msg.function not in (None, "original"):
            name = f"{name} ({msg.function})"
        lines = [f"    <testcase classname={quoteattr(msg.source)} name={quoteattr(name)}>"]
        text = "\n".join(
            [
                *(_finding_line(f) for f in response.findings),
                *(f"credited back {credit.text()}" for credit in response.credited),
            ]
        )
        kind = FAILING.get(response.status)
        if kind is not None:
            self.failures += 1
            first = _worst(response)
            lines.append(
                f"      <failure type={quoteattr(kind)} "
                f"message={quoteattr(f'{kind}: {first.rule}: {first.message}')}>"
                f"{escape(text)}</failure>"
            )
        elif text:
            lines.append(f"      <system-out>{escape(text)}</system-out>")
        lines.append("    </testcase>\n")
        self.stream.write("\n".join(lines).encode())

    def close(self) -> None:
        self.stream.write(
            f"  </testsuite>\n  <!-- {self.tests} messages, {self.failures} not "
            "accepted -->\n</testsuites>\n".encode()
        )


_OUTCOME_RANK = {"reject": 0, "hold": 1, "query": 2, "warn": 3, "info": 4}


def _worst(response: Response) -> Finding:
    return min(response.findings, key=lambda f: _OUTCOME_RANK[f.outcome])


_WRITERS: dict[str, type[CsvWriter] | type[JUnitWriter]] = {"csv": CsvWriter, "junit": JUnitWriter}


#: what ``customs validate --help`` says of each format
_TITLES = {"csv": "one CSV row per finding", "junit": "JUnit XML for CI"}


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [
        ResponseFormat(name=name, title=_TITLES[name], writer=writer)
        for name, writer in sorted(_WRITERS.items())
    ]
