"""Structural validation of a decoded declaration: JSON Schema errors in ICEGATE's own terms.

ICEGATE answers a declaration that fails its schema with an SFL file whose error objects are
those of a draft-04 validator: ``level``, ``schema`` and ``instance`` pointers, ``domain``,
``keyword``, ``message`` and members that depend on the keyword (``found``, ``maxLength``,
``missing`` …). :func:`problems` reports ours the same way, so a :class:`Problem` is at once a
finding (its message names the JSON pointer) and an entry of the SFL reply.

Checks a schema cannot express follow the schema's: line numbers repeated in one declaration,
sub-lines repeated under one master line, house lines under a straight (``S``) master B/L, a
house B/L (``H``) declared as a master line — a house B/L needs its consolidated master — and,
in an SCA, a line it adds (``S``) that lacks what a line of the declaration must carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any

from customs_engine.adapters.scmtr_json.fields import EVENTS
from customs_engine.adapters.scmtr_json.schema import Variant, schema, validator

if TYPE_CHECKING:
    from jsonschema import ValidationError

#: at most this many problems are reported per declaration (a hostile file may have millions)
LIMIT = 100


@dataclass(frozen=True)
class Problem:
    """One structural failure: where (JSON pointers), which keyword, and ICEGATE's message."""

    instance: str
    schema: str
    keyword: str
    message: str
    members: dict[str, Any] = field(default_factory=dict)
    domain: str = "validation"

    @property
    def where(self) -> str:
        return self.instance or "/"

    def sfl(self) -> dict[str, Any]:
        """The SFL ``errorMessage`` entry."""
        return {
            "level": "error",
            "schema": {"loadingURI": "#", "pointer": self.schema},
            "instance": {"pointer": self.instance},
            "domain": self.domain,
            "keyword": self.keyword,
            "message": self.message,
            **self.members,
        }


def pointer(parts: Sequence[str | int]) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``""`` for the whole document."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def problems(document: Mapping[str, Any], variant: Variant) -> list[Problem]:
    """Every structural problem of ``document`` (at most :data:`LIMIT`), schema's first."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in validator(variant).iter_errors(document):
        for problem in _problems(error):
            key = (problem.instance, problem.keyword + _json(problem.members))
            if key in seen:
                continue
            seen.add(key)
            out.append(problem)
            if len(out) >= LIMIT:
                return out
    if not out:
        out.extend(islice(_keys(document), LIMIT))  # a line may be checked whole
    return out[:LIMIT]


# -- schema errors in the validator's words ------------------------------------------------------


def _type_name(value: Any) -> str:
    """The validator's name for a JSON value's type (a number with a fraction is ``number``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else "string"


def _json(value: Any) -> str:
    return json.dumps(value, default=plain, ensure_ascii=False, separators=(",", ":"))


def plain(value: Any) -> Any:
    """A ``Decimal`` as JSON writes it: a whole number as an integer, else a float; a number no
    JSON reader would take back as it is (``1E+999``, 5000 digits) as its text."""
    if not isinstance(value, Decimal):
        raise TypeError(type(value).__name__)
    if not value.is_finite() or abs(value.adjusted()) > _PLAIN_DIGITS:
        return str(value)
    return int(value) if value == value.to_integral_value() else float(value)


#: beyond this exponent a number is written as text (``int`` would be huge, ``float`` infinite)
_PLAIN_DIGITS = 300
#: a number longer than this is shortened in messages
_TEXT_LENGTH = 40


def _text(value: Any) -> str:
    """A number as the document wrote it (``26072.0``, ``0``); a very long one shortened."""
    text = str(value)
    if len(text) <= _TEXT_LENGTH:
        return text
    return f"{text[:20]}… ({len(text)} characters)"


def _problems(error: ValidationError) -> list[Problem]:
    keyword = str(error.validator)
    schema_path = list(error.absolute_schema_path)
    cut = (
        len(schema_path) - 1 - schema_path[::-1].index(keyword)
        if keyword in schema_path
        else len(schema_path)
    )
    schema_at = pointer(schema_path[:cut])
    at = pointer(list(error.absolute_path))
    value, rule = error.instance, error.validator_value
    members: dict[str, Any]
    if keyword == "type":
        expected = ["integer", "number"] if rule == "number" else [rule]
        found = _type_name(value)
        message = (
            f"instance type ({found}) does not match any allowed primitive type "
            f"(allowed: {_json(expected)})"
        )
        members = {"found": found, "expected": expected}
    elif keyword in ("minLength", "maxLength"):
        what = "too short" if keyword == "minLength" else "too long"
        bound = "required minimum" if keyword == "minLength" else "maximum allowed"
        message = f"string {_json(value)} is {what} (length: {len(value)}, {bound}: {rule})"
        members = {"value": value, "found": len(value), keyword: rule}
    elif keyword == "required":
        missing = sorted(set(rule) - set(value))
        message = f"object has missing required properties ({_json(missing)})"
        members = {"required": sorted(rule), "missing": missing}
    elif keyword == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        unwanted = sorted(set(value) - allowed)
        message = (
            f"object instance has properties which are not allowed by the schema: {_json(unwanted)}"
        )
        members = {"unwanted": unwanted}
    elif keyword == "pattern":
        message = f"ECMA 262 regex {_json(rule)} does not match input string {_json(value)}"
        members = {"regex": rule, "string": value}
    elif keyword in ("minimum", "maximum"):
        what, bound = ("lower", "minimum") if keyword == "minimum" else ("greater", "maximum")
        message = (
            f"numeric instance is {what} than the required {bound} "
            f"({bound}: {_text(rule)}, found: {_text(value)})"
        )
        members = {keyword: rule, "found": value}
    elif keyword == "enum":
        message = (
            f"instance value ({_json(value)}) not found in enum (possible values: {_json(rule)})"
        )
        members = {"value": value, "enum": rule}
    elif keyword == "multipleOf":
        message = f"remainder of division is not zero ({_text(value)} / {_text(rule)})"
        members = {"divisor": rule, "found": value}
    elif keyword == "dependencies":
        out = []
        for prop, needed in rule.items():
            missing = sorted(set(needed) - set(value))
            if prop in value and missing:
                out.append(
                    Problem(
                        instance=at,
                        schema=schema_at,
                        keyword=keyword,
                        message=(
                            f"property {_json(prop)} of object has missing property "
                            f"dependencies (schema requires {_json(needed)}; missing: "
                            f"{_json(missing)})"
                        ),
                        members={"property": prop, "required": needed, "missing": missing},
                    )
                )
        return out
    elif keyword == "format":
        message = f"string {_json(value)} is not a valid calendar date (format: {rule})"
        members = {"value": value, "attribute": rule}
    else:  # pragma: no cover - every keyword the schema uses is handled above
        message, members = error.message, {}
    return [
        Problem(instance=at, schema=schema_at, keyword=keyword, message=message, members=members)
    ]


# -- what a schema cannot say -----------------------------------------------------------------


def _sca_kind(declared: Mapping[str, Any]) -> Iterator[Problem]:
    """An SCA amends lines of its CSN: message type A, and a ``decRef`` that updates (U). A
    message type F or D, or a ``decRef.amendment`` D (deleting the whole CSN), contradicts the
    event: whether it amends or cancels the CSN is undefined, so it is refused (a CSN is
    cancelled by an SCE of message type D)."""
    decref = "/properties/master/properties/decRef/properties"
    kind = declared.get("msgTyp")
    if kind != "A":
        yield Problem(
            instance="/master/decRef/msgTyp",
            schema=f"{decref}/msgTyp",
            keyword="const",
            message=f'an SCA (amendment) has message type "A", not {_json(kind)}: whether it '
            "amends or cancels the CSN is undefined (a CSN is cancelled by an SCE of message "
            "type D)",
            members={"expected": "A", "found": kind},
        )
    if declared.get("amendment") == "D":
        yield Problem(
            instance="/master/decRef/amendment",
            schema=f"{decref}/amendment",
            keyword="const",
            message="an SCA's decRef.amendment D would delete the whole CSN, which an SCA line "
            "amendment does not do: send its lines' actions with decRef.amendment U, or cancel "
            "the CSN by an SCE of message type D",
            members={"expected": "U", "found": "D"},
        )


def _keys(document: Mapping[str, Any]) -> Iterator[Problem]:
    """The reporting event said twice two ways; repeated line and sub-line numbers; house lines
    under a master that is not consolidated."""
    said = document["headerField"].get("reportingEvent")
    declared = document["master"].get("decRef") or {}
    told = declared.get("rptngEvent")
    if said in EVENTS and told in EVENTS and said != told:
        yield Problem(
            instance="/master/decRef/rptngEvent",
            schema="/properties/master/properties/decRef/properties/rptngEvent",
            keyword="const",
            message=f"the declaration's reporting event {_json(told)} is not the header's "
            f"{_json(said)}: which one the declaration is, is undefined",
            members={"expected": said, "found": told},
        )
    lines_schema = "/properties/master/properties/mastrCnsgmtDec/items"
    masters = document["master"]["mastrCnsgmtDec"]
    if "SCA" in (said, told):
        yield from _sca_kind(declared)
        yield from _added_lines(masters)
    seen: dict[Any, int] = {}
    for index, master in enumerate(masters):
        ref = master["MCRef"]
        at = pointer(["master", "mastrCnsgmtDec", index])
        number = ref["lineNo"]
        if number in seen:
            yield _repeated(
                f"{at}/MCRef/lineNo",
                f"{lines_schema}/properties/MCRef",
                f"line number {_text(number)} is already master line "
                f"{pointer(['master', 'mastrCnsgmtDec', seen[number]])}",
                number,
            )
        else:
            seen[number] = index
        houses = master.get("houseCargoDec") or []
        if houses and ref.get("consolidatedIndctr") == "S":
            yield Problem(
                instance=f"{at}/houseCargoDec",
                schema=f"{lines_schema}/properties/houseCargoDec",
                keyword="masterLine",
                message=f"house lines need a consolidated master line "
                f"(consolidatedIndctr C); master line {_text(number)} is "
                f"{_json(ref.get('consolidatedIndctr'))}",
                members={"lineNo": number, "consolidatedIndctr": ref.get("consolidatedIndctr")},
            )
        if ref.get("consolidatedIndctr") == "H":
            yield Problem(
                instance=f"{at}/MCRef/consolidatedIndctr",
                schema=f"{lines_schema}/properties/MCRef/properties/consolidatedIndctr",
                keyword="masterLine",
                message=f"master line {_text(number)} is a house B/L (H) without its "
                "master: declare it in houseCargoDec under its consolidated "
                "master line",
                members={"lineNo": number, "consolidatedIndctr": "H"},
            )
        subs: dict[Any, int] = {}
        for sub_index, house in enumerate(houses):
            sub = house["HCRef"]["subLineNo"]
            if sub in subs:
                yield _repeated(
                    f"{at}/houseCargoDec/{sub_index}/HCRef/subLineNo",
                    f"{lines_schema}/properties/houseCargoDec/items/properties/HCRef",
                    f"sub-line {_text(sub)} of line {_text(number)} is already "
                    f"{at}/houseCargoDec/{subs[sub]}",
                    sub,
                )
            else:
                subs[sub] = sub_index


def _added_lines(masters: Sequence[Mapping[str, Any]]) -> Iterator[Problem]:
    """Each line an SCA adds (``S``) checked as a line of the declaration (the SCE layout).

    The amendment layout makes most of a line optional because an update sends only what it
    changes and keeps the rest; a line that is added has nothing to keep, so it carries what
    the guide makes mandatory for a line of the CSN — a master line its measures
    (``trnsprtDocMsr``, with packages) and equipment (``trnsprtEqmt``), a house line its
    measures. Its ``amendment`` codes and ``supRef`` (the amendment's own members) are set
    aside, and a master's house lines are checked on their own."""
    layout = schema("D")["properties"]["master"]["properties"]["mastrCnsgmtDec"]
    master_at = "/properties/master/properties/mastrCnsgmtDec/items"
    house_at = f"{master_at}/properties/houseCargoDec/items"
    master_layout = layout["items"]
    house_layout = master_layout["properties"]["houseCargoDec"]["items"]
    for index, master in enumerate(masters):
        number = _text(master["MCRef"]["lineNo"])
        at: list[str | int] = ["master", "mastrCnsgmtDec", index]
        if master["MCRef"].get("amendment") == "S":
            yield from _as_declared(
                master, master_layout, at, master_at, f"line {number}", leave="houseCargoDec"
            )
        for sub_index, house in enumerate(master.get("houseCargoDec") or []):
            if house["HCRef"].get("amendment") == "S":
                yield from _as_declared(
                    house,
                    house_layout,
                    [*at, "houseCargoDec", sub_index],
                    house_at,
                    f"line {number} sub-line {_text(house['HCRef']['subLineNo'])}",
                )


def _as_declared(
    line: Mapping[str, Any],
    layout: Mapping[str, Any],
    at: list[str | int],
    schema_at: str,
    name: str,
    leave: str = "",
) -> Iterator[Problem]:
    """The problems of an added ``line`` against the declaration's ``layout`` of a line,
    placed in the SCA (``at``, ``schema_at``) and naming the line."""
    declared = _members(line, layout)
    declared.pop(leave, None)
    seen: set[tuple[str, str]] = set()  # the validator names each missing member on its own
    for error in validator("D").evolve(schema=layout).iter_errors(declared):
        for problem in _problems(error):
            key = (problem.instance, problem.keyword + _json(problem.members))
            if key in seen:
                continue
            seen.add(key)
            yield Problem(
                instance=pointer(at) + problem.instance,
                schema=schema_at + problem.schema,
                keyword=problem.keyword,
                message=f"{name} is added (S): a new line carries what a line of the "
                f"declaration must; {problem.message}",
                members=problem.members,
            )


def _members(value: Any, layout: Mapping[str, Any]) -> Any:
    """``value`` with only the members the declaration's ``layout`` has (an SCA's ``amendment``
    codes and ``supRef`` left out), at every level."""
    if isinstance(value, list):
        return [_members(item, layout.get("items", {})) for item in value]
    if not isinstance(value, dict):
        return value
    known = layout.get("properties", {})
    return {key: _members(child, known[key]) for key, child in value.items() if key in known}


def _repeated(at: str, schema: str, message: str, value: Any) -> Problem:
    return Problem(
        instance=at, schema=schema, keyword="uniqueKey", message=message, members={"value": value}
    )
