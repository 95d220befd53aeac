"""Read the ICES 1.5 envelope: HREC header, table sections, GS-delimited records, TREC trailer.

Tolerated (the format's own ambiguities and errata): CRLF or LF line ends, one trailing GS
after the last field, the ``SUPPORTINGDOCS`` spelling, blank lines, lower/upper case section
markers, a UTF-8 byte-order mark, and the digital-signature block every file filed with ICEGATE
carries after TREC (recorded, not verified). Lines ended by CR alone or LF CR are read with one
finding that names them. Everything else that breaks the layout — a wrong
field count, an over-long field, a bad date or number, an empty mandatory field, a record outside
a section, an unknown table, a missing or mismatched trailer — becomes a ``CORE-SYNTAX-00x``
finding of its kind (envelope, structure, value) naming the table, the 1-based line of the file
and the 1-based field position; the reader never raises on bad input and keeps going so one bad
record does not hide the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from customs_engine.adapters.ices_flatfile import GS, MESSAGE_IDS, Dialect, message_id
from customs_engine.adapters.ices_flatfile.layouts import (
    FieldProblem,
    TableLayout,
    Value,
    convert,
    layouts,
    unprintable,
)
from customs_engine.core.formats import SyntaxKind, syntax_finding
from customs_engine.core.response import Finding

HEADER_FIELDS = 12
#: white space around a line that is still blank (not ``str.strip``'s: the separators
#: FS, GS, RS and US count as white space there, and a record of separators is a record)
_BLANKS = " \t\r"
#: findings kept per message, so a corrupted archive member cannot flood the response
MAX_FINDINGS = 200


#: ICEGATE's digital-signature block after TREC: signature, certificate, signer version, each
#: once, in any order and any case (a signer's tool writes them as it likes)
_SIGNATURE_PARTS = {
    "signature": re.compile(r"<START-SIGNATURE>(.*?)</START-SIGNATURE>", re.DOTALL | re.I),
    "certificate": re.compile(r"<START-CERTIFICATE>(.*?)</START-CERTIFICATE>", re.DOTALL | re.I),
    "version": re.compile(r"<SIGNER-VERSION>([^<]*?)\s*(?:</SIGNER-VERSION>|$)", re.I),
}
_SIGNATURE_NEEDS = (
    "<START-SIGNATURE>…</START-SIGNATURE>, <START-CERTIFICATE>…</START-CERTIFICATE> and "
    "<SIGNER-VERSION>…</SIGNER-VERSION>"
)
_SIGNATURE_TAGS = {
    "signature": "<START-SIGNATURE>",
    "certificate": "<START-CERTIFICATE>",
    "version": "<SIGNER-VERSION>",
}
_TAG = re.compile(r"<[^<>\s]{1,40}>?")


def locator(table: str, line: int, position: int | None = None) -> str:
    """The stable place of a record (or one of its fields), used in ``Finding.field`` and acks."""
    place = f"{table}[line {line}]"
    return place if position is None else f"{place}.field {position}"


@dataclass(frozen=True)
class Header:
    line: int
    sender: str
    receiver: str
    version: str
    test: bool
    message_id: str
    control_no: str
    sent_at: datetime | None


@dataclass
class Record:
    """One data record: its table, 1-based line, raw fields and typed values by field name."""

    table: str
    line: int
    raw: tuple[str, ...]
    values: dict[str, Value]
    layout: TableLayout

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """The field as written (identifiers such as licence or IGM numbers keep leading zeros),
        or ``None`` when it is empty or broke the layout."""
        if self.values.get(name) is None:
            return None
        return self.raw[self.layout.position(name) - 1].strip() or None

    def where(self, name: str | None = None) -> str:
        return locator(self.table, self.line, None if name is None else self.layout.position(name))


@dataclass(frozen=True)
class Signature:
    """The digital-signature block ICEGATE files end with (kept as read, never verified)."""

    line: int
    signer_version: str


@dataclass
class Unread:
    """Lines of a file that make no message — an envelope whose header cannot be read, or lines
    before the first HREC — with the findings saying why; answered as a message of its own."""

    findings: list[Finding]


@dataclass
class Envelope:
    """One HREC … TREC message of a file, read record by record."""

    header: Header
    dialect: Dialect
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    signature: Signature | None = None
    #: the fields a finding was made at: (table, line, field position)
    faulted: set[tuple[str | None, int | None, int | None]] = field(default_factory=set)

    def table(self, name: str) -> list[Record]:
        return [record for record in self.records if record.table == name]

    def problem(
        self,
        text: str,
        *,
        kind: SyntaxKind = "structure",
        table: str | None = None,
        line: int | None = None,
        position: int | None = None,
    ) -> None:
        self.findings.append(problem(text, kind=kind, table=table, line=line, position=position))
        if position is not None:
            self.faulted.add((table, line, position))

    def function(self, record: Record, functions: Mapping[str, str]) -> str:
        """The message's function by its record's ``message_type`` code (empty: an original);
        a code that is none of ``functions`` is a problem at that field, so that a mistyped
        amendment or cancellation is refused, never filed as a fresh document."""
        code = (record.text("message_type") or "").upper()
        if code and code not in functions:
            *others, last = functions
            self.problem(
                f"message type {record.text('message_type')!r} is not "
                f"{', '.join(others)} or {last}",
                kind="value",
                table=record.table,
                line=record.line,
                position=record.layout.position("message_type"),
            )
        return functions.get(code, "original")

    def single(self, name: str, *, missing: str, extra: str) -> Record | None:
        """The one record of a table that may hold only one; findings for none or several."""
        records = self.table(name)
        if not records:
            self.problem(missing)
            return None
        for record in records[1:]:
            self.problem(extra, table=name, line=record.line)
        return records[0]


def problem(
    text: str,
    *,
    kind: SyntaxKind = "structure",
    table: str | None = None,
    line: int | None = None,
    position: int | None = None,
) -> Finding:
    """A syntax finding of this kind (a record's structure unless said) whose message starts
    "table T, line L, field F: …"."""
    where = []
    if table is not None:
        where.append(f"table {table}")
    if line is not None:
        where.append(f"line {line}")
    if position is not None:
        where.append(f"field {position}")
    place = None
    if table is not None and line is not None:
        place = locator(table, line, position)
    elif table is not None:
        place = table
    message = f"{', '.join(where)}: {text}" if where else text
    return syntax_finding(message, kind=kind, field=place)


def split_lines(data: bytes) -> tuple[list[tuple[int, str]], Finding | None]:
    """(1-based line number, text) of every non-blank line; CRLF, LF and a BOM are accepted.
    Lines ended by CR alone, or by LF CR, are read too, with one finding saying so."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    ends = None
    if "\r" in text.rstrip("\r") and "\n" not in text:
        ends, lines = "CR alone", text.split("\r")
    else:
        lines = [line.rstrip("\r") for line in text.split("\n")]
        if any(line.startswith("\r") for line in lines[1:]):
            ends, lines = "LF CR", [line.lstrip("\r") for line in lines]
    out = [(number, line) for number, line in enumerate(lines, 1) if line.strip(_BLANKS)]
    if ends is None:
        return out, None
    return out, problem(
        f"the lines end in {ends}: an ICES file ends its lines in CRLF or LF", kind="envelope"
    )


def read_header(number: int, line: str) -> tuple[Header | None, list[Finding]]:
    """The HREC record; ``None`` when it cannot tell which message this is."""
    fields = _fields(line, HEADER_FIELDS)
    findings = []
    if len(fields) != HEADER_FIELDS:
        findings.append(
            problem(
                f"HREC has {len(fields)} fields, expected {HEADER_FIELDS}",
                table="HREC",
                line=number,
                kind="envelope",
            )
        )
    fields += [""] * (HEADER_FIELDS - len(fields))
    code = message_id(fields[8])
    if code is None:
        findings.append(
            problem(
                f"message id {fields[8][:20]!r} is not CACHI01, CACHI01_A (CACHI01-A) or SACHI01",
                table="HREC",
                line=number,
                position=9,
                kind="version",
            )
        )
        return None, findings
    for position, text in enumerate(fields[:HEADER_FIELDS], 1):
        if (bad := unprintable(text)) is not None:
            findings.append(
                problem(bad, table="HREC", line=number, position=position, kind="value")
            )
    sent_at = None
    try:
        day = fields[10]
        time = fields[11] or "0000"
        if not (len(day) == 8 and day.isdigit() and len(time) == 4 and time.isdigit()):
            raise ValueError
        sent_at = datetime(int(day[:4]), int(day[4:6]), int(day[6:]), int(time[:2]), int(time[2:]))
    except ValueError:
        findings.append(
            problem(
                f"transmission date/time {fields[10][:12]!r} "
                f"{fields[11][:8]!r} is not YYYYMMDD HHMM",
                table="HREC",
                line=number,
                position=11,
                kind="envelope",
            )
        )
    if not fields[9].strip():
        findings.append(
            problem(
                "control number is empty", table="HREC", line=number, position=10, kind="envelope"
            )
        )
    header = Header(
        line=number,
        sender=fields[2],
        receiver=fields[4],
        version=fields[5],
        test=fields[6].upper() == "T",
        message_id=code,
        control_no=fields[9].strip(),
        sent_at=sent_at,
    )
    return header, findings


def _fields(line: str, expected: int) -> list[str]:
    """Split on GS; one trailing GS beyond the layout is the format's known quirk, not a field.
    Each field is taken without the blanks around it, whatever its type: fixed-width exporters
    pad values, and editors leave blanks at line ends (a padded number or date was refused
    while a padded name or quantity was read)."""
    fields = [field.strip(" \t") for field in line.split(GS)]
    if len(fields) == expected + 1 and fields[-1] == "":
        fields.pop()
    return fields


def read_record(
    envelope: Envelope, layout: TableLayout, table: str, number: int, line: str
) -> Record:
    """Split and type one data record, reporting every field that breaks the layout."""
    expected = len(layout.fields)
    raw = _fields(line, expected)
    given = len(raw)
    if given != expected and not (layout.extensible and given > expected):
        envelope.problem(f"{given} fields, the layout has {expected}", table=table, line=number)
    raw = raw[:expected] + [""] * (expected - given)
    fresh = raw[0].upper() == "F"
    values: dict[str, Value] = {}
    for spec, text in zip(layout.fields, raw, strict=True):
        if text == "":
            values[spec.name] = None
            # a field past the record's end is said once, by the field count above
            if fresh and spec.mandatory and spec.position <= given:
                envelope.problem(
                    f"{spec.name} is mandatory on a fresh record but empty",
                    table=table,
                    line=number,
                    position=spec.position,
                )
            continue
        try:
            values[spec.name] = convert(spec, text)
        except FieldProblem as exc:
            values[spec.name] = None
            envelope.problem(
                f"{spec.name}: {exc}",
                table=table,
                line=number,
                position=spec.position,
                kind="value",
            )
    return Record(table=table, line=number, raw=tuple(raw), values=values, layout=layout)


def read_envelopes(data: bytes) -> list[Envelope | Unread]:
    """Every HREC … TREC message of a file, in order, and what makes no message.

    An HREC starts a message at the top of the file and after the open message's TREC; one
    before that TREC is in the middle of the open message (a finding there, not a new one)."""
    lines, line_ends = split_lines(data)
    parts: list[Envelope | Unread] = []
    chunk: list[tuple[int, str]] = []
    outside: list[tuple[int, str]] = []
    closed = False  # the open message has had its TREC
    for number, line in lines:
        if line.startswith("HREC") and (not chunk or closed):
            if chunk:
                parts.append(_read_chunk(chunk))
            chunk, closed = [(number, line)], False
        elif chunk:
            chunk.append((number, line))
            closed = closed or line.startswith("TREC")
        else:
            outside.append((number, line))
    if chunk:
        parts.append(_read_chunk(chunk))
    if outside:  # only before the first HREC: every later line is in a message
        first, last = outside[0][0], outside[-1][0]
        lines_said = f"line {first} is" if first == last else f"lines {first}–{last} are"
        said = f"expected the HREC header record: {lines_said} outside any HREC … TREC message"
        parts.insert(0, Unread([problem(said, line=first, kind="envelope")]))
    if line_ends is not None:
        for part in parts:
            part.findings.insert(0, line_ends)
    return parts


def _read_chunk(chunk: list[tuple[int, str]]) -> Envelope | Unread:
    number, first = chunk[0]
    header, findings = read_header(number, first)
    if header is None:
        return Unread(findings)
    envelope = Envelope(header=header, dialect=MESSAGE_IDS[header.message_id], findings=findings)
    body = _without_signature(chunk[1:], envelope)
    trailer = body.pop() if body and body[-1][1].startswith("TREC") else None
    _read_body(envelope, body)
    if trailer is None:
        envelope.problem(
            "the file does not end in a TREC trailer", kind="envelope", line=chunk[-1][0]
        )
    else:
        control = trailer[1].split(GS)
        if len(control) < 2 or control[1].strip() != header.control_no:
            envelope.problem(
                f"TREC control number {GS.join(control[1:])[:20]!r} differs from "
                f"HREC's {header.control_no!r}",
                table="TREC",
                line=trailer[0],
                position=2,
                kind="envelope",
            )
    if len(envelope.findings) > MAX_FINDINGS:
        extra = len(envelope.findings) - MAX_FINDINGS
        envelope.findings = envelope.findings[:MAX_FINDINGS]
        envelope.problem(f"{extra} more problems not listed")
    return envelope


def _without_signature(body: list[tuple[int, str]], envelope: Envelope) -> list[tuple[int, str]]:
    """The body up to TREC; what follows TREC (on its own lines, or on the TREC line itself
    when the signer found no line break) is the digital-signature block: taken off and
    recorded, or reported once at its line when it is not one."""
    trec = next((k for k in range(len(body) - 1, -1, -1) if body[k][1].startswith("TREC")), None)
    if trec is None:
        return body
    number, line = body[trec]
    # the block may start on the TREC line, after the control number (which may hold a "<")
    control = f"TREC{GS}{envelope.header.control_no}"
    start = line.find("<", len(control) if line.startswith(control) else 0)
    after = [(number, line[start:])] if start >= 0 else []
    after += [(n, text) for n, text in body[trec + 1 :]]
    if not after or not after[0][1].lstrip().startswith("<"):
        return body  # no block; text after TREC is reported as misplaced by the body's reader
    kept = [*body[:trec], (number, line if start < 0 else line[:start])]
    block = "\n".join(text.strip() for _, text in after)
    found = {name: part.findall(block) for name, part in _SIGNATURE_PARTS.items()}
    rest = block
    for part in _SIGNATURE_PARTS.values():
        rest = part.sub("", rest)
    if all(len(values) == 1 for values in found.values()) and not rest.strip():
        envelope.signature = Signature(
            line=after[0][0], signer_version=found["version"][0].strip()[:40]
        )
        return kept
    other = _TAG.search(rest)
    said = [f"it holds {(other.group() if other else rest.strip())[:40]!r}"] if rest.strip() else []
    said += [f"no {_SIGNATURE_TAGS[name]}" for name, values in found.items() if not values]
    said += [f"{_SIGNATURE_TAGS[name]} twice" for name, values in found.items() if len(values) > 1]
    why = "; ".join(said)
    envelope.problem(
        f"the digital-signature block after TREC is not ICEGATE's ({why}): it needs "
        f"{_SIGNATURE_NEEDS}, once each",
        line=after[0][0],
        kind="envelope",
    )
    return kept


def _read_body(envelope: Envelope, body: list[tuple[int, str]]) -> None:
    """Assign records to sections: ``<TABLE>NAME`` (CACHI01) or ``<name>`` … ``<END-name>``
    inside ``<manifest>`` … ``<END-manifest>`` (SACHI01)."""
    tables = layouts(envelope.dialect)
    by_upper = {name.upper(): name for name in tables}
    sachi01 = envelope.dialect == "sachi01"
    current: str | None = None  # the table whose records follow
    unknown = False  # inside an unknown table: reported once at its marker, not per record
    wrapper = _Wrapper(envelope, sachi01)
    signature = _EarlySignature(envelope)
    for number, line in body:
        if signature.takes(number, line):
            continue
        marker = _marker(line)
        if marker is None:
            if line.startswith(("HREC", "TREC")):
                envelope.problem(
                    f"{line[:4]} in the middle of the message", kind="envelope", line=number
                )
            elif current is not None and not line.strip(GS + _BLANKS):
                # not read: its empty keys would differ from the BE's, said at each field
                envelope.problem(
                    "the record holds no value, only separators", table=current, line=number
                )
            elif current is not None:
                envelope.records.append(
                    read_record(envelope, tables[current], current, number, line)
                )
            elif not unknown:
                envelope.problem("data record outside any table section", line=number)
            continue
        kind, name = marker
        if wrapper.takes(kind, name, number):
            continue
        if kind == "END":
            _close(envelope, name, current, number)
            current, unknown = None, False
            continue
        if kind == "SECTION" and not sachi01:
            envelope.problem(f"{line[:40]!r} is not a <TABLE> marker", line=number)
            current, unknown = None, True
            continue
        if sachi01 and current is not None:
            envelope.problem(f"<{name[:40]}> opens before <END-{current}>", line=number)
        canonical = by_upper.get(name.upper())
        if canonical is None:
            envelope.problem(f"unknown table {name[:40]!r}", line=number)
            current, unknown = None, True
            continue
        # SUPPORTINGDOCS is SUPPORTING_DOCS: records are filed under the layout's own name
        current, unknown = tables[canonical].name, False
    if sachi01 and current is not None:
        envelope.problem(f"section <{current}> is never closed by <END-{current}>")
    wrapper.end()


def _close(envelope: Envelope, name: str, current: str | None, number: int) -> None:
    """``<END-name>``: a finding when it closes no open section, or not the one open."""
    if current is None:
        envelope.problem(f"<END-{name[:40]}> closes no open section", line=number)
    elif name.upper() != current.upper():
        opened = f"<TABLE>{current}" if envelope.dialect == "cachi01" else f"<{current}>"
        envelope.problem(
            f"<END-{name[:40]}> does not close the open section {opened}, which "
            f"<END-{current}> closes",
            line=number,
        )


_WRAPS = "the sections of a SACHI01 file are wrapped in <manifest> … <END-manifest>"


@dataclass
class _Wrapper:
    """SACHI01's ``<manifest>`` … ``<END-manifest>`` around its sections: a fault in it is said
    once per message (a missing ``<manifest>`` is not also an unopened ``<END-manifest>``)."""

    envelope: Envelope
    active: bool  # a SACHI01 message (CACHI01 has no wrapper)
    opened: int | None = None  # the line of <manifest>
    closed: bool = False
    said: bool = False

    def _say(self, text: str, line: int) -> None:
        if not self.said:
            self.said = True
            self.envelope.problem(text, line=line)

    def takes(self, kind: str, name: str, number: int) -> bool:
        """``True`` for the wrapper's own markers; a section's is checked to be inside it."""
        if not self.active:
            return False
        if name.upper() != "MANIFEST":
            if kind != "END":
                self._section(name, number)
            return False
        self._mark(kind, number)
        return True

    def _mark(self, kind: str, number: int) -> None:
        if kind == "END":
            if self.opened is None or self.closed:
                self._say(f"<END-manifest> closes no open <manifest>: {_WRAPS}", number)
            self.closed = True
        elif self.opened is not None:
            self._say("a second <manifest> (a file carries one manifest)", number)
        else:
            self.opened = number

    def _section(self, name: str, number: int) -> None:
        if self.opened is None:
            self._say(f"<{name[:40]}> opens before <manifest>: {_WRAPS}", number)
        elif self.closed:
            self._say(f"<{name[:40]}> opens after <END-manifest>: {_WRAPS}", number)

    def end(self) -> None:
        if self.active and self.opened is not None and not self.closed:
            self._say("<manifest> is never closed by <END-manifest>", self.opened)


@dataclass
class _EarlySignature:
    """A digital-signature block before TREC: said once at its first line and its lines left
    unread (they are no records), rather than read as broken records of the open table."""

    envelope: Envelope
    said: bool = False
    closing: str | None = None  # the end tag a multi-line part still awaits

    def takes(self, number: int, line: str) -> bool:
        text = line.strip().upper()
        if self.closing is not None:
            if self.closing in text:
                self.closing = None
                return True
            if GS in line or _marker(line) is not None or line.startswith(("HREC", "TREC")):
                self.closing = None  # the block ended without its tag: the line is the file's
                return False
            return True
        tag = next((tag for tag in _SIGNATURE_TAGS.values() if text.startswith(tag)), None)
        if tag is None:
            return False
        if not self.said:
            self.said = True
            self.envelope.problem(
                f"a digital-signature block ({tag}) out of place, before TREC: the block "
                "follows the TREC trailer",
                line=number,
                kind="envelope",
            )
        closing = "</" + tag[1:]
        if tag != "<SIGNER-VERSION>" and closing not in text:
            self.closing = closing
        return True


def _marker(line: str) -> tuple[str, str] | None:
    """("TABLE" | "SECTION" | "END", name) for a section marker line, else ``None``."""
    text = line.strip()
    if text.upper().startswith("<TABLE>"):
        return "TABLE", text[7:].strip()
    if not (text.startswith("<") and text.endswith(">")):
        return None
    inner = text[1:-1]
    if "<" in inner or ">" in inner or GS in inner:
        return None
    if inner.upper().startswith("END-"):
        return "END", inner[4:]
    return "SECTION", inner
