"""The project's JSON Schema (draft-04) for SACHM22 declarations, built from :mod:`.fields`.

The layout mirrors CBIC's published schemas — objects nested in place, no ``$ref`` — so a schema
pointer names the same place in both (``/properties/master/properties/decRef/properties/jobNo``),
as ICEGATE's SFL reply reports it. It is stricter than CBIC's where the guide is: unknown
properties are refused, patterns are anchored, code lists are enforced, whole numbers and decimal
places are checked, dates must exist, and a measure needs its unit (docs/formats/scmtr-json.md
lists each difference).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from customs_engine.adapters.scmtr_json.fields import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    DECLARATION,
    TIME_PATTERN,
    Field,
    Obj,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jsonschema import Draft4Validator, FormatChecker, ValidationError

Variant = Literal["D", "A"]
DATE_FORMAT = "yyyyMMdd"

_DATE = re.compile(DATE_PATTERN)


def _is_calendar_date(value: object) -> bool:
    """A CCYYMMDD that exists (the pattern alone lets 20200231 through); other shapes are left
    to the pattern."""
    if isinstance(value, str) and _DATE.match(value):
        datetime.strptime(value, "%Y%m%d")
    return True


def _field(spec: Field, variant: Variant) -> dict[str, Any]:
    if spec.kind == "date":
        return {"type": "string", "pattern": DATE_PATTERN, "format": DATE_FORMAT}
    if spec.kind == "time":
        return {"type": "string", "pattern": TIME_PATTERN}
    if spec.kind == "datetime":
        return {"type": "string", "pattern": DATETIME_PATTERN}
    low = spec.low_amendment if variant == "A" and spec.low_amendment is not None else spec.low
    if spec.kind == "number":
        out: dict[str, Any] = {
            "type": "number",
            "minimum": low,
            "maximum": spec.high,
            "multipleOf": Decimal(1).scaleb(-spec.places),
        }
        return out
    out = {"type": "string", "minLength": low, "maxLength": spec.high}
    if spec.codes:
        # an optional coded field may be sent empty, as CBIC's own samples do
        out["enum"] = [*([""] if low == 0 else []), *spec.codes]
    if spec.pattern:
        out["pattern"] = spec.pattern if low != 0 else f"{spec.pattern}|^$"
    return out


def _object(spec: Obj, variant: Variant) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for child in spec.fields:
        if variant not in child.only:
            continue
        properties[child.key] = (
            _object(child, variant) if isinstance(child, Obj) else _field(child, variant)
        )
        if variant in child.req:
            required.append(child.key)
    if variant == "A" and spec.actions:
        properties["amendment"] = {
            "type": "string",
            "minLength": 1,
            "maxLength": 1,
            "enum": list(spec.actions),
        }
        required.append("amendment")
    node: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        node["required"] = required
    needs = {key: [other] for key, other in spec.needs if key in properties}
    if needs:
        node["dependencies"] = needs
    if spec.array:
        return {"type": "array", "items": node}
    return node


@cache
def schema(variant: Variant) -> dict[str, Any]:
    """The whole schema of one variant: ``D`` (SCE, SCX, SCD) or ``A`` (SCA)."""
    root = _object(DECLARATION, variant)
    return {"$schema": "http://json-schema.org/draft-04/schema#", **root}


@cache
def validator(variant: Variant) -> Draft4Validator:
    # jsonschema is imported on first use: a run without SCMTR files never pays for it
    from jsonschema import Draft4Validator
    from jsonschema.validators import extend

    checked = extend(Draft4Validator, {"multipleOf": _multiple_of})
    return checked(schema(variant), format_checker=formats())


def _multiple_of(
    checker: Any, step: Decimal, instance: Any, _schema: Any
) -> Iterator[ValidationError]:
    """``multipleOf`` counted in decimal places, never by division: the schema's steps are
    powers of ten (``1``, ``0.001``), and ``value % step`` on a ``Decimal`` fails outright once
    the quotient passes the decimal context's 28 digits (``1E+30``, a 30-digit line number) —
    such a value is refused by ``maximum`` instead."""
    if not checker.is_type(instance, "number") or _places(instance) <= _places(step):
        return
    from jsonschema import ValidationError

    yield ValidationError(f"{instance!r} is not a multiple of {step}")


def _places(value: int | float | Decimal) -> int:
    """How many decimal places ``value`` needs (``1.50`` → 1, ``1E+30`` → 0)."""
    number = value if isinstance(value, Decimal) else Decimal(value)  # exact, any size
    if not number.is_finite():
        return 0
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    kept = len(digits) - len(bytes(digits).rstrip(b"\x00"))  # trailing zeros
    return max(0, -(exponent + kept)) if any(digits) else 0


@cache
def formats() -> FormatChecker:
    """The one format the schema names (:data:`DATE_FORMAT`), checked by
    :func:`_is_calendar_date`."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks(DATE_FORMAT, raises=ValueError)(_is_calendar_date)
    return checker
