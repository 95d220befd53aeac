"""ICES values in the canonical model's shapes, and where a value the model refuses came from.

ICES accepts codes in either case, and names an Indian location by its customs code: the
UN/LOCODE and a digit for the custom house (``INMAA1``). The model holds upper-case codes and
UN/LOCODEs (``INMAA``), as every other format does, so the reader converts those forms rather than
refusing real files. Any other value the model refuses is reported at the record and field that
carried it, as a ``CORE-SYNTAX-005`` finding, and the message is not made.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationError

from customs_engine.adapters.ices_flatfile.records import Envelope, Record
from customs_engine.core.formats import MAX_REFUSALS, field_path

_UN_LOCODE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: refusals reported per message (the model names every bad value; ten show the pattern)

#: where a model field (its location in the model's error) came from: the record and the name of
#: its field in the layout (``None``: the record as a whole), or ``None`` when no record gave it
Place = Callable[[tuple[int | str, ...]], tuple[Record | None, str | None]]


def code(text: str | None) -> str | None:
    """A code as the model holds it: upper case (``cn`` → ``CN``)."""
    return text.upper() if text else None


def location(text: str | None) -> str | None:
    """A port as a UN/LOCODE: upper case, and an ICES location code (``INMAA1``) as its
    UN/LOCODE (``INMAA``)."""
    value = code(text)
    if value and len(value) == 6 and value[5].isdigit() and _UN_LOCODE.fullmatch(value[:5]):
        return value[:5]
    return value


def is_currency(value: str) -> bool:
    """An ISO 4217 code in the model's shape (three capitals)."""
    return _CURRENCY.fullmatch(value) is not None


def refused(envelope: Envelope, exc: ValidationError, place: Place) -> None:
    """One ``CORE-SYNTAX-005`` finding per value the model refuses, at the record and field
    ``place`` names for it."""
    for error in exc.errors()[:MAX_REFUSALS]:
        loc = tuple(error["loc"])
        record, name = place(loc)
        position = None if record is None or name is None else record.layout.position(name)
        if record is not None and (record.table, record.line, position) in envelope.faulted:
            continue  # the field's own finding said it (a code the reader could not map)
        envelope.problem(
            f"{field_path(loc)}: {error['msg']}",
            kind="value",
            table=None if record is None else record.table,
            line=None if record is None else record.line,
            position=position,
        )
