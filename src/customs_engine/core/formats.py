"""Formats: what a format adapter hands the engine (parsed messages, syntax findings), what a
response writer is, and the typed records format plugins register.

A wire-format plugin returns :class:`WireFormat` records from ``customs_wire_formats`` (name,
detect, read, and optionally write); a response-format plugin returns :class:`ResponseFormat`
records from ``customs_response_formats``. The host collects them at start-up and refuses a name
that two plugins register, as it refuses duplicate rule IDs. The CLI's ``--format`` and
``convert --to`` choices, and the "format not recognised" message, come from these records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.response import Finding, MessageType, Response

#: what kind of syntax problem a finding reports, so integrators can filter them:
#: input that cannot be read at all; envelope and counts; message structure; a message type or
#: version not supported; a value's format
SyntaxKind = Literal["unreadable", "envelope", "structure", "version", "value"]
SYNTAX_RULES: dict[SyntaxKind, str] = {
    "unreadable": "CORE-SYNTAX-001",
    "envelope": "CORE-SYNTAX-002",
    "structure": "CORE-SYNTAX-003",
    "version": "CORE-SYNTAX-004",
    "value": "CORE-SYNTAX-005",
}
SYNTAX_RULE = SYNTAX_RULES["unreadable"]


class ParsedMessage(BaseModel):
    """One message an adapter found in a file: the canonical model, or why there is none.

    ``findings`` carries syntax problems (``CORE-SYNTAX-001`` … ``005`` by kind, or an adapter's
    own rule). A message with a model *and* findings was read but broke the format somewhere
    non-fatal.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    format: str
    type: MessageType
    reference: str | None = None
    message: BillOfEntry | ImportGeneralManifest | None = None
    findings: list[Finding] = Field(default_factory=list)
    #: what a reply in the input's own wire format must echo (its header, the keys of its
    #: objects, the details of its structural errors), for that format's response writers; it
    #: reaches them as :attr:`MessageInfo.echo <customs_engine.core.response.MessageInfo.echo>`
    echo: dict[str, Any] | None = None


class Unapplied(BaseModel):
    """What ``customs_resolve_message`` answers when a partial amendment does not fit the
    document it amends (an SCMTR SCA updating a line the manifest does not have, or adding one
    it has): the version the message is answered as, and the rejecting findings that say why.
    The engine answers that version with those findings and never files or commits it."""

    message: BillOfEntry | ImportGeneralManifest
    findings: list[Finding]


#: at most this many values the canonical model refuses are reported for one message
MAX_REFUSALS = 10

#: byte-order marks of the wider Unicode encodings, longest first (UTF-32 LE starts as UTF-16 LE)
WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when ``data`` starts with that encoding's byte-order mark.

    A format exchanged as ASCII or UTF-8 recognises such a file by content (:func:`narrowed`)
    and refuses it naming its encoding, the one fault to fix, rather than answering "format
    not recognised"."""
    return next((name for bom, name in WIDE_BOMS if data.startswith(bom)), None)


def narrowed(head: bytes) -> bytes:
    """The start of a file saved in a wider Unicode encoding as UTF-8 (its byte-order mark and a
    character cut at the end dropped), for detection by content; any other start unchanged."""
    wide = wide_encoding(head)
    if wide is None:
        return head
    whole = head[: len(head) - len(head) % 4]
    return whole.decode(wide.lower(), "ignore").removeprefix("\ufeff").encode("utf-8")


def field_path(loc: Sequence[int | str]) -> str:
    """A model location as the response names fields: ``items[0].licences[1].number``."""
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" if at else str(part)
        for at, part in enumerate(loc)
    )


def refusals(exc: ValidationError) -> str:
    """What the canonical model refused, in words: ``field: reason`` for each value (at most
    :data:`MAX_REFUSALS`), without pydantic's input echo and documentation links."""
    errors = exc.errors(include_url=False)
    shown = [
        f"{field_path(error['loc']) or 'message'}: {error['msg'].removeprefix('Value error, ')}"
        for error in errors[:MAX_REFUSALS]
    ]
    more = len(errors) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more else "")


def syntax_finding(
    message: str,
    *,
    kind: SyntaxKind = "unreadable",
    line: int | None = None,
    column: int | None = None,
    item: int | None = None,
    field: str | None = None,
) -> Finding:
    """A ``CORE-SYNTAX-00x`` finding of this kind whose message names the place (1-based line
    and column); its legal reference is the rule's, from the core catalogue."""
    where = []
    if line is not None:
        where.append(f"line {line}")
    if column is not None:
        where.append(f"column {column}")
    text = f"{', '.join(where)}: {message}" if where else message
    return RULES[SYNTAX_RULES[kind]].finding("reject", text, item=item, field=field)


def unparsable(
    format: str,
    message: str,
    *,
    index: int = 0,
    line: int | None = None,
    column: int | None = None,
    reference: str | None = None,
) -> ParsedMessage:
    """A message that could not be read at all: type ``unknown``, one syntax finding."""
    return ParsedMessage(
        index=index,
        format=format,
        type="unknown",
        reference=reference,
        findings=[syntax_finding(message, line=line, column=column)],
    )


class ResponseWriter(Protocol):
    """Writes responses to a binary stream, one at a time, in input order."""

    def write(self, response: Response) -> None: ...

    def close(self) -> None:
        """Finish the document (closing brackets, trailers). Does not close the stream."""


Config = Mapping[str, Mapping[str, Any]]
Messages = Sequence[BillOfEntry | ImportGeneralManifest]


@dataclass(frozen=True)
class WireFormat:
    """A message format the engine can read (and, with ``write``, that ``convert`` can write).

    * ``name`` — the format's name in responses (``message.format``) and ``validate`` output;
    * ``title`` — how messages name it for people ("ICEGATE XML");
    * ``detect(head, name)`` — whether a file is in this format, from its first 4 KiB (``head``,
      possibly with a UTF-8 BOM) and its path or archive member name;
    * ``read(data, source, config)`` — every message of the file, in order (at least one);
      malformed input becomes a message of type ``unknown`` with a ``CORE-SYNTAX-001`` finding;
      ``config`` holds the ``--config`` tables. A list, or an iterator that reads each message
      only when it is asked for the next (the engine then checks and writes one message before
      the next is read, so a large file is never held parsed whole);
    * ``write(messages)`` — the messages as one document of this format (``None``: read only);
      it never writes what its own reader would refuse or what loses data: a message it cannot
      hold (a value too long for its field, a character the format cannot carry) is a
      ``ValueError`` naming the message and the field, which ``convert`` reports (exit 1);
    * ``convert_name`` — the name ``customs convert --to`` knows it by (default: ``name``);
    * ``settings`` — the keys of its plugin's ``--config`` table ``read`` uses (``None``: not
      said); when said, another key in that table is reported when a run starts, as a misspelt
      setting would be ignored in silence (as :class:`Scheme`'s ``settings``).
    """

    name: str
    title: str
    detect: Callable[[bytes, str], bool]
    read: Callable[[bytes, str, Config], Iterable[ParsedMessage]]
    write: Callable[[Messages], bytes] | None = None
    convert_name: str | None = None
    settings: tuple[str, ...] | None = None

    @property
    def target(self) -> str:
        return self.convert_name or self.name


@dataclass(frozen=True)
class ResponseFormat:
    """A response format of ``customs validate --format``: ``writer(stream)`` is called once per
    run; the engine then calls ``write(response)`` per message in input order and ``close()``."""

    name: str
    title: str
    writer: Callable[[BinaryIO], ResponseWriter]


Written = TypeVar("Written")


def written_each(
    messages: Sequence[BillOfEntry | ImportGeneralManifest],
    write: Callable[[BillOfEntry | ImportGeneralManifest], Written],
) -> list[Written]:
    """Each message as ``write`` renders it; when ``write`` refuses any (``ValueError``), one
    ``ValueError`` naming every refused message and why, a line each (a writer's refusal, which
    ``convert`` reports: see :class:`WireFormat`)."""
    out: list[Written] = []
    refused: list[str] = []
    for message in messages:
        try:
            out.append(write(message))
        except ValueError as exc:
            refused.append(str(exc))
    if refused:
        raise ValueError("\n".join(refused))
    return out
