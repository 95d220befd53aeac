"""Bytes → one :class:`ParsedMessage`: a SACHM22 declaration read, validated and mapped.

1. The bytes must be UTF-8 JSON (a BOM is allowed): truncated or broken JSON, ``NaN`` or nesting
   too deep is ``CORE-SYNTAX-001`` naming line and column; a key repeated in one object is
   ``CORE-SYNTAX-003`` where it is written again. Numbers of any size are read exactly, as
   ``Decimal`` when ``int`` cannot hold them, and left to the schema's range checks.
2. The document must be one JSON object with ``headerField.messageID`` SACHM22 and a reporting
   event this adapter reads (SCE, SCX, SCD, SCA). Another message or event, or one of ICEGATE's
   own replies (SFL, ACK) fed back in, is reported by name.
3. The declaration is validated against the project's schema (:mod:`.schema`), then for what a
   schema cannot say (:mod:`.structure`); each failure is a finding naming its JSON pointer
   and the line and column where that value (or the object lacking it) starts
   (:mod:`.positions`).
4. A valid SCE becomes an Import General Manifest (:mod:`.manifest`). SCX (exit) and SCD
   (domestic) declarations are validated and answered but are not manifests BoEs are noted
   against. A valid SCA carries the manifest lines it sends in its echo; in input order the
   plugin applies them to the CSN it names (:mod:`.amendment`); unapplied, it is not stored.

The reader never raises: the last-resort guard in :func:`read` turns a bug into a finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from customs_engine.adapters.scmtr_json import FORMAT, amendment, positions
from customs_engine.adapters.scmtr_json import manifest as mapping
from customs_engine.adapters.scmtr_json.fields import EVENTS
from customs_engine.adapters.scmtr_json.schema import Variant
from customs_engine.adapters.scmtr_json.structure import Problem, pointer, problems
from customs_engine.core.formats import (
    ParsedMessage,
    SyntaxKind,
    refusals,
    syntax_finding,
    unparsable,
    wide_encoding,
)
from customs_engine.core.response import Finding

#: the guide's limit on lines (and on any repeated object) of one declaration
MAX_LINES = 99999
MESSAGE_ID = "SACHM22"
_BOM = b"\xef\xbb\xbf"
#: events of SACHM22 (and its vessel sister SACHM23) that this adapter does not read
OTHER_EVENTS = {
    "SCU": "the cargo identification number update (SCU)",
    "SCC": "the sea cargo confirmation (SCC)",
}


class _Unreadable(Exception):
    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        kind: SyntaxKind = "unreadable",
        field: str | None = None,
    ):
        super().__init__(message)
        self.line, self.column, self.kind, self.field = line, column, kind, field
        #: the JSON value, when the text could be read as one (a repeated key, say)
        self.document: Any = None


def read(data: bytes, source: str) -> list[ParsedMessage]:
    try:
        return [parse(data)]
    except Exception as exc:  # a reader bug must still yield a response naming the file
        return [
            unparsable(
                FORMAT, f"the scmtr_json reader failed on {source}: {type(exc).__name__}: {exc}"
            )
        ]


def parse(data: bytes) -> ParsedMessage:
    """Like :func:`read` without the last-resort guard (fuzzing calls this to see real bugs)."""
    try:
        document = decode(data)
    except _Unreadable as exc:
        # the SFL echoes the declaration's header whenever it can be read
        readable = _readable_header(data, exc.document)
        answered: dict[str, Any] | None = (
            None if readable is None else {"headerField": readable, "errors": []}
        )
        if exc.kind == "unreadable":
            parsed = unparsable(FORMAT, str(exc), line=exc.line, column=exc.column)
            return parsed if answered is None else parsed.model_copy(update={"echo": answered})
        finding = syntax_finding(
            str(exc), kind=exc.kind, field=exc.field, line=exc.line, column=exc.column
        )
        return _rejected(None, [finding], echo=answered)
    if not isinstance(document, dict):
        return _rejected(
            None,
            _findings(
                data,
                [
                    Problem(
                        instance="",
                        schema="",
                        keyword="type",
                        message="a SACHM22 declaration is one JSON object; "
                        f"this document is a JSON "
                        f"{_kind(document)}",
                        members={"found": _kind(document), "expected": ["object"]},
                    )
                ],
            ),
        )
    key, header = _header(document)
    unsupported = _unsupported(document, header)
    if unsupported:
        ((line, column),) = _located(data, [f"/{key}"]).values()
        finding = syntax_finding(
            unsupported, kind="version", field=f"/{key}", line=line, column=column
        )
        return _rejected(document, [finding])
    event = _event(document, header)
    variant: Variant = "A" if event == "SCA" else "D"
    found = problems(document, variant)
    echo = _echo(document, header, event, found)
    if found:
        return _rejected(document, _findings(data, found), echo=echo)
    reference = echo["reference"] = mapping.message_id(document)
    if event in ("SCE", "SCA"):
        try:
            igm = mapping.to_manifest(document)
        except mapping.LineRefused as refused:  # at the value (a date out of range, say)
            ((line, column),) = _located(data, [refused.pointer]).values()
            if _zero_weight(document, refused.pointer):
                zero = amendment.RULES["SCMTR-WGT-001"].finding(
                    "reject",
                    f"line {line}, column {column}: {refused.pointer}: a gross weight of 0 is "
                    "allowed by the guide's field, but a manifest line's weight is positive or "
                    "not given: send the weight, or leave grossWeight out",
                    field=refused.pointer,
                )
                return _rejected(document, [zero], echo=echo)
            finding = syntax_finding(
                f"the declaration cannot make a manifest: {refused.why}"[:600],
                kind="value",
                field=refused.pointer,
                line=line,
                column=column,
            )
            return _rejected(document, [finding], echo=echo)
        except (ValidationError, ValueError) as exc:  # e.g. a date outside the engine's range
            ((line, column),) = _located(data, ["/master"]).values()
            why = refusals(exc) if isinstance(exc, ValidationError) else str(exc)
            finding = syntax_finding(
                f"the declaration cannot make a manifest: {why}"[:600],
                kind="value",
                field="/master",
                line=line,
                column=column,
            )
            return _rejected(document, [finding], echo=echo)
        if event == "SCE":
            return ParsedMessage(
                index=0, format=FORMAT, type="manifest", reference=reference, message=igm, echo=echo
            )
        # SCA, partial: made whole in input order (plugin.customs_resolve_message)
        echo["actions"] = amendment.actions(document)
        echo["amendment"] = igm.model_dump(mode="json")
    return ParsedMessage(index=0, format=FORMAT, type="manifest", reference=reference, echo=echo)


def _zero_weight(document: Mapping[str, Any], at: str) -> bool:
    """Whether the model refused a line's ``grossWeight`` of 0 (which the guide allows)."""
    if not at.endswith("/trnsprtDocMsr/grossWeight"):
        return False
    node: Any = document
    for step in at.split("/")[1:]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    return isinstance(node, int | Decimal) and not isinstance(node, bool) and node == 0


# -- decoding --------------------------------------------------------------------------------


def decode(data: bytes) -> Any:
    """The JSON value of ``data``: numbers with a fraction as ``Decimal``, never ``float``; an
    integer too long for ``int`` (over 4300 digits) as ``Decimal`` too, left to the schema's
    range check like any other number out of range."""
    raw = data.removeprefix(_BOM)
    wide = wide_encoding(raw)
    if wide is not None:
        raise _Unreadable(
            f"the file is {wide} text: JSON exchanged between systems is UTF-8 (RFC 8259 §8.1), "
            "as ICEGATE takes it; save it as UTF-8",
            1,
            1,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw[: exc.start].decode("utf-8", "replace"), exc.start)
        raise _Unreadable(f"not UTF-8 text: byte 0x{raw[exc.start]:02x}", line, column) from None
    faulty = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal faulty
        out: dict[str, Any] = {}
        repeated: str | None = None
        for key, value in items:
            if key in out and repeated is None:
                repeated = key
            out[key] = value
        if repeated is None:
            return out
        faulty = True
        return _Repeated(out, repeated)

    def constant(name: str) -> _Constant:
        nonlocal faulty
        faulty = True
        return _Constant(name)

    try:
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_int=_integer,
            object_pairs_hook=pairs,
            parse_constant=constant,
        )
    except json.JSONDecodeError as exc:
        # an unterminated string runs to the end of the text: the file was cut short too
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = (
            f"the JSON ends too early (truncated file?): {exc.msg}"
            if truncated
            else f"invalid JSON: {exc.msg}"
        )
        raise _Unreadable(what, exc.lineno, exc.colno) from None
    except RecursionError:
        offset = _too_deep(text)
        line, column = _position(text[:offset], offset)
        raise _Unreadable(
            f"the JSON is nested too deeply to be a declaration (more than {MAX_DEPTH} levels "
            "of arrays and objects here)",
            line,
            column,
        ) from None
    try:
        if faulty:
            raise _fault(text, value)
        if _ESCAPED_SUSPECT.search(text):
            _refuse_characters(text, value)
    except _Unreadable as exc:
        exc.document = value
        raise
    return value


#: where a ``headerField`` object starts in the text
_HEADER_AT = re.compile(r'"headerField"\s*:\s*(?=\{)')


def _readable_header(data: bytes, document: Any) -> dict[str, Any] | None:
    """The declaration's ``headerField``, for the SFL of a document that fails a JSON-level
    check: from the JSON value when the text could be read as one (a repeated key, NaN, a
    control character), else read on its own from the text (trailing data, nesting too deep
    elsewhere). Only its plain members: a value that is itself at fault is left out."""
    header: Any = None
    if isinstance(document, dict):
        header = _header(document)[1]
    else:
        try:
            text = data.removeprefix(_BOM).decode("utf-8")
        except UnicodeDecodeError:
            return None
        found = _HEADER_AT.search(text)
        if found is None:
            return None
        try:
            decoder = json.JSONDecoder(
                parse_float=Decimal, parse_int=_integer, parse_constant=_no_constant
            )
            header, _ = decoder.raw_decode(text, found.end())
        except (ValueError, RecursionError):
            return None
    if not isinstance(header, dict) or not header:
        return None
    return {
        key: value
        for key, value in header.items()
        if not _FORBIDDEN.search(key)
        and (
            value is None
            or isinstance(value, bool | int | Decimal)
            or (isinstance(value, str) and not _FORBIDDEN.search(value))
        )
    }


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


#: a ``\u`` escape of a control character, of half a surrogate pair or of a noncharacter (raw
#: control characters are not JSON; raw noncharacters are)
_ESCAPED_SUSPECT = re.compile(
    r"\\u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])|[\ufffe\uffff]"
)
#: what no declaration's text may hold: control characters (tab, line feed and carriage return
#: aside, as in XML), lone surrogates and the noncharacters U+FFFE and U+FFFF (XML cannot carry
#: them)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _refuse_characters(text: str, value: Any) -> None:
    """Refuse, at its place, the first name or text (in document order) holding a character
    :data:`_FORBIDDEN`: every other input format refuses them, and a lone surrogate cannot even
    be written back as UTF-8."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack:
        steps, node = stack.pop()
        if isinstance(node, dict):
            children = []
            for key, child in node.items():
                children.append(((*steps, key), child))
                if _FORBIDDEN.search(key):
                    children[-1] = ((*steps, key), key)  # the name is reported, not its value
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([((*steps, str(i)), child) for i, child in enumerate(node)]))
        elif isinstance(node, str) and (bad := _FORBIDDEN.search(node)):
            at = pointer(steps) or "/"  # the document itself is that text
            ((line, column),) = positions.locate(text, [at]).values()
            code = ord(bad.group())
            if 0xD800 <= code <= 0xDFFF:
                raise _Unreadable(
                    f"{at}: the escape \\u{code:04x} is half of a UTF-16 surrogate pair, not a "
                    "character",
                    line,
                    column,
                )
            what = "control character" if code < 0x100 else "noncharacter"
            raise _Unreadable(
                f"{at}: holds the {what} U+{code:04X}, which no declaration's text may hold",
                line,
                column,
                kind="value",
                field=at,
            )


class _Constant:
    """``NaN``, ``Infinity`` or ``-Infinity`` where the JSON had it: not JSON, placed later."""

    def __init__(self, name: str):
        self.name = name


class _Repeated(dict[str, Any]):
    """A JSON object that repeats ``key`` (the last value kept, as ``json`` does)."""

    def __init__(self, members: dict[str, Any], key: str):
        super().__init__(members)
        self.key = key


def _integer(digits: str) -> int | Decimal:
    try:
        return int(digits)
    except ValueError:  # longer than the interpreter converts: still a number, out of range
        return Decimal(digits)


def _fault(text: str, value: Any) -> _Unreadable:
    """The first (in document order) ``NaN`` or repeated key in ``value``, placed in ``text``."""
    faults: list[tuple[str, _Constant | _Repeated]] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack and len(faults) < 100:  # a walk, not a recursion: the nesting may be deep
        steps, node = stack.pop()
        if isinstance(node, _Repeated):
            faults.append((pointer([*steps, node.key]), node))
        elif isinstance(node, _Constant):
            faults.append((pointer(steps), node))
        if isinstance(node, dict):
            children = [((*steps, key), child) for key, child in node.items()]
        elif isinstance(node, list):
            children = [((*steps, str(i)), child) for i, child in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    found: list[tuple[tuple[int, int], str, _Constant | _Repeated]] = []
    constants = [at for at, node in faults if isinstance(node, _Constant)]
    where = positions.locate(text, constants)
    for at, node in faults:
        if isinstance(node, _Repeated):  # the second time the key is written
            found.append((positions.repeated(text, at), at, node))
        else:
            found.append((where[at], at, node))
    (line, column), at, node = min(found, key=lambda fault: fault[0])
    if isinstance(node, _Constant):
        return _Unreadable(f"invalid JSON: {node.name} is not a JSON number", line, column)
    return _Unreadable(
        f"{at}: the object repeats the key {node.key!r}: which value counts is undefined",
        line,
        column,
        kind="structure",
        field=at,
    )


#: nesting a declaration never comes near (SACHM22 nests about six levels)
MAX_DEPTH = 100


def _too_deep(text: str) -> int:
    """Where ``text`` first opens an array or object more than :data:`MAX_DEPTH` levels deep
    (strings skipped), else 0: the place a too-deeply-nested document is refused at."""
    depth, in_string, escaped = 0, False, False
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return offset
        elif char in "]}":
            depth -= 1
    return 0


def _position(before: str, offset: int) -> tuple[int, int]:
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


# -- which message --------------------------------------------------------------------------


def _header(document: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """``headerField`` and its key; else a member so named in another case (CBIC's own SCC
    sample spells it ``HeaderField``), so that what the document is can still be told — the
    schema then says the key is misspelt, if the document is one this adapter reads."""
    for key, value in document.items():
        if key == "headerField" and isinstance(value, dict):
            return key, value
    for key, value in document.items():
        if key.lower() == "headerfield" and isinstance(value, dict):
            return key, value
    return "headerField", {}


def _unsupported(document: Mapping[str, Any], header: Mapping[str, Any]) -> str | None:
    if "errorDetails" in document:
        return "this is ICEGATE's structural-failure reply (SFL), not a declaration"
    master = document.get("master")
    ref = master.get("decRef") if isinstance(master, dict) else None
    if isinstance(ref, dict) and {"csn_no", "decRefErrorCode", "errorCode"} & set(ref):
        return "this is ICEGATE's acknowledgement (ACK), not a declaration"
    message = header.get("messageID")
    if isinstance(message, str) and message.strip() and message != MESSAGE_ID:
        return (
            f"message {message!r} is not supported: this adapter reads SACHM22 cargo "
            "declarations (SCE, SCX, SCD, SCA)"
        )
    event = header.get("reportingEvent")
    if isinstance(event, str) and event in OTHER_EVENTS:
        return (
            f"reporting event {event}: {OTHER_EVENTS[event]} is not supported; this adapter "
            "reads SCE, SCX, SCD and SCA declarations"
        )
    return None


def _event(document: Mapping[str, Any], header: Mapping[str, Any]) -> str:
    """The reporting event from the JSON (never the file name): the header's, else decRef's."""
    event = header.get("reportingEvent")
    if event in EVENTS:
        return str(event)
    master = document.get("master")
    ref = master.get("decRef") if isinstance(master, dict) else None
    other = ref.get("rptngEvent") if isinstance(ref, dict) else None
    return str(other) if other in EVENTS else "SCE"


# -- results --------------------------------------------------------------------------------


#: JSON Schema keywords about a value's own form (CORE-SYNTAX-005); the others (required,
#: additionalProperties, item counts, dependencies) are about the declaration's structure.
VALUE_KEYWORDS = frozenset(
    {
        "type",
        "pattern",
        "format",
        "enum",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)


def _findings(data: bytes, found: list[Problem]) -> list[Finding]:
    """One finding per problem, each naming its pointer, line and column."""
    where = _located(data, [problem.where for problem in found])
    return [_finding(problem, where[problem.where]) for problem in found]


def _finding(problem: Problem, at: tuple[int, int]) -> Finding:
    kind: SyntaxKind = "value" if problem.keyword in VALUE_KEYWORDS else "structure"
    if not problem.instance and problem.keyword == "type":  # not a JSON object at all
        kind = "unreadable"
    return syntax_finding(
        f"{problem.where}: {problem.message}",
        kind=kind,
        field=problem.where,
        line=at[0],
        column=at[1],
    )


def _located(data: bytes, pointers: list[str]) -> dict[str, tuple[int, int]]:
    """Line and column of each pointer's value in ``data`` (JSON that :func:`decode` read)."""
    return positions.locate(data.removeprefix(_BOM).decode("utf-8"), pointers)


def _rejected(
    document: Any, findings: list[Finding], echo: dict[str, Any] | None = None
) -> ParsedMessage:
    if echo is None and isinstance(document, dict):
        header = document.get("headerField")
        echo = {"headerField": header if isinstance(header, dict) else {}, "errors": []}
    return ParsedMessage(index=0, format=FORMAT, type="unknown", findings=findings, echo=echo)


def _echo(
    document: Mapping[str, Any], header: Mapping[str, Any], event: str, found: list[Problem]
) -> dict[str, Any]:
    """What ICEGATE's replies repeat: the header, decRef and every object's key numbers (read
    defensively: a structurally invalid declaration is answered too)."""
    master = _object(document.get("master"))
    masters = master.get("mastrCnsgmtDec")
    return {
        "headerField": dict(header),
        "event": event,
        "errors": [p.sfl() for p in found],
        "decRef": _object(master.get("decRef")),
        "lines": [
            _keys(mc, "MCRef", "lineNo")
            | {
                "houses": [
                    _keys(hc, "HCRef", "subLineNo")
                    for hc in _list(_object(mc).get("houseCargoDec"))
                ]
            }
            for mc in _list(masters)
        ],
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value[:MAX_LINES] if isinstance(value, list) else []


def _keys(obj: Any, ref: str, key: str) -> dict[str, Any]:
    obj = _object(obj)
    return {
        key: _object(obj.get(ref)).get(key),
        "items": [_object(i).get("crgoItemSeqNmbr") for i in _list(obj.get("itemDtls"))],
        "equipment": [_object(e).get("eqmtSeqNo") for e in _list(obj.get("trnsprtEqmt"))],
        "itinerary": [_object(i).get("prtOfCallSeqNmbr") for i in _list(obj.get("itnry"))],
    }
