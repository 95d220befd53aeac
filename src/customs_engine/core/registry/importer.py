"""``customs registry import``: CSV or JSON Lines files of registry rows, read as a stream.

Each row becomes a :class:`RegistryRecord` or a problem naming its file and line; nothing here
touches the database (see :mod:`loader` for staging, conflicts and the bulk insert). Reading is
bounded: a line may hold at most :data:`MAX_LINE` characters, a quoted CSV field cannot span lines
(a quote left open would otherwise swallow the rest of the file), and JSON is read without
converting numbers (no 4,300-digit limit, no float rounding), refusing duplicate keys, NaN and
nesting deeper than Python can parse.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from customs_engine.core.batch.inputs import special_file_problem
from customs_engine.core.checks.identity import LEGACY_NUMERIC, PAN_FORMAT
from customs_engine.core.models import UNIT_CODE
from customs_engine.core.refdata import is_country, permanent_iecs
from customs_engine.core.registry.records import RegistryRecord

COLUMNS = tuple(RegistryRecord.model_fields)
#: fields that hold figures: a JSON number is accepted there (kept as its digits)
FIGURES = ("quantity", "value_inr", "fee_paid_inr", "rate")
#: figures that are amounts of money: rupees and paise, at most 2 decimals
MONEY = ("value_inr", "fee_paid_inr")
PAISA = Decimal("0.01")
#: fields that hold an ISO 3166-1 alpha-2 country code
COUNTRIES = ("country", "country_of_origin")
#: what each kind cannot do without
REQUIRED: dict[str, tuple[str, ...]] = {
    "authorisation": ("scheme", "number"),
    "registration": ("scheme", "number"),
    "agency": ("number",),
    "exchange_rate": ("number", "currency", "rate", "issued_on"),
}
#: the columns a licence uses (an authorisation or a registration; ``name`` may name its holder)
_LICENCE = frozenset(
    (
        "scheme", "number", "iec", "issued_on", "valid_until", "hs_codes", "quantity", "unit",
        "value_inr", "country_of_origin", "port_code", "expected_arrival", "fee_paid_inr", "name",
    )
)  # fmt: skip
#: what each kind of row is read for: a value in any other column would be silently ignored
USED: dict[str, frozenset[str]] = {
    "authorisation": _LICENCE,
    "registration": _LICENCE,
    "agency": frozenset(("number", "name", "country", "issued_on", "valid_until")),
    "exchange_rate": frozenset(("number", "currency", "rate", "issued_on")),
}
_CURRENCY = re.compile(r"[A-Z]{3}")
#: a limit's unit: as a message writes the unit of a quantity it claims against it
_UNIT = re.compile(UNIT_CODE)
#: the longest line read (a registry row is a few hundred characters)
MAX_LINE = 64 * 1024
#: the most bytes such a line takes in UTF-8
_MAX_LINE_BYTES = 4 * MAX_LINE

Row = tuple[int, RegistryRecord | str]


class ImportFileError(Exception):
    """A file that cannot be imported at all (unknown extension, bad header); ``errors`` say why."""

    def __init__(self, path: str, errors: list[str]):
        super().__init__(f"{path}: {len(errors)} problem(s)")
        self.path = path
        self.errors = errors


def read_rows(path: str) -> Iterator[Row]:
    """Every row of one import file in order: ``(line, record)`` or ``(line, problem)``.

    :class:`ImportFileError` when the file cannot be read as rows at all.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ImportFileError(path, [f"{path}: unknown extension {suffix!r} (use .csv or .jsonl)"])
    try:
        why = special_file_problem(os.stat(path).st_mode)
    except OSError as exc:
        raise ImportFileError(path, [f"{path}: cannot read: {exc.strerror}"]) from exc
    if why is not None:  # a FIFO may never end, a device never gives a line break
        raise ImportFileError(path, [f"{path}: {why} (refused: it could block or never end)"])
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportFileError(path, [f"{path}: cannot read: {exc.strerror}"]) from exc
    with handle:
        lines = _lines(handle)
        yield from (_csv_rows(path, lines) if suffix == ".csv" else _jsonl_rows(lines))


def read_file(path: str) -> list[RegistryRecord]:
    """Every row of a (small) file as records, or :class:`ImportFileError` naming the lines."""
    records, errors = [], []
    for line, row in read_rows(path):
        if isinstance(row, str):
            errors.append(f"{path}:{line}: {row}")
        else:
            records.append(row)
    if errors:
        raise ImportFileError(path, errors)
    return records


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, str | None]]:
    """``(number, text without its line break)``; ``None`` for a line above :data:`MAX_LINE`
    (skipped without holding it) or a line that is not UTF-8 text.

    Each line is decoded on its own, so a byte that is not UTF-8 is reported at its own line
    (a text stream decodes ahead in blocks and failed lines before it); line breaks are
    ``\\n``, ``\\r\\n`` or a bare ``\\r``.
    """
    number = 0
    first = True
    while True:
        raw = handle.readline(_MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(_MAX_LINE_BYTES)
            number += 1
            yield number, None
            continue
        if first:
            raw, first = raw.removeprefix(codecs.BOM_UTF8), False
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            number += 1
            yield number, None
            continue
        for piece in text.removesuffix("\n").removesuffix("\r").split("\r"):
            number += 1
            yield number, (piece if len(piece) <= MAX_LINE else None)


UNREADABLE_LINE = f"longer than {MAX_LINE} characters, or not UTF-8 text"


def _csv_rows(path: str, lines: Iterator[tuple[int, str | None]]) -> Iterator[Row]:
    header: list[str] | None = None
    for number, text in lines:
        if text is None:
            if header is None:
                raise ImportFileError(path, [f"{path}:{number}: header {UNREADABLE_LINE}"])
            yield number, UNREADABLE_LINE
            continue
        if not text.strip():
            continue
        try:
            fields = next(csv.reader((text,), strict=True))
        except csv.Error as exc:
            problem = (
                (
                    "a quote opened on this line is not closed on it (a quoted field cannot "
                    "span lines)"
                )
                if "end of data" in str(exc)
                else f"not CSV: {exc}"
            )
            if header is None:
                raise ImportFileError(path, [f"{path}:{number}: header: {problem}"]) from exc
            yield number, problem
            continue
        if header is None:
            header = [name.strip() for name in fields]
            unknown = [name for name in header if name not in COLUMNS]
            if unknown or "kind" not in header or len(set(header)) != len(header):
                problem = (
                    f"unknown column(s) {unknown}"
                    if unknown
                    else "no 'kind' column"
                    if "kind" not in header
                    else "a column appears twice"
                )
                raise ImportFileError(
                    path, [f"{path}:{number}: header: {problem}; columns are {list(COLUMNS)}"]
                )
            continue
        if len(fields) > len(header):
            yield number, f"more fields than the {len(header)} header columns"
            continue
        if len(fields) < len(header):  # a row cut short: never read as empty trailing fields
            missing = ", ".join(header[len(fields) :])
            yield number, f"fewer fields than the {len(header)} header columns (none for {missing})"
            continue
        yield (
            number,
            _record(
                {name: value for name, value in zip(header, fields, strict=False) if value != ""}
            ),
        )
    if header is None:
        raise ImportFileError(path, [f"{path}: empty file (no header row)"])


class _JsonNumber(str):
    """A JSON number kept as the text it was written as (never converted to ``int`` or
    ``float``: no 4,300-digit limit, no binary rounding of ``90.5`` or ``5000000.00``); the
    record reads it as the exact decimal it spells, as it reads a number written as a string."""


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key[:40]!r} appears twice")
        out[key] = value
    return out


def _jsonl_rows(lines: Iterator[tuple[int, str | None]]) -> Iterator[Row]:
    for number, text in lines:
        if text is None:
            yield number, UNREADABLE_LINE
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(
                text,
                parse_int=_JsonNumber,
                parse_float=_JsonNumber,
                parse_constant=_refuse_constant,
                object_pairs_hook=_no_duplicate_keys,
            )
        except json.JSONDecodeError as exc:
            yield number, f"not JSON: {exc.msg} at column {exc.colno}"
            continue
        except ValueError as exc:
            yield number, f"not accepted: {exc}"
            continue
        except RecursionError:
            yield number, "not accepted: JSON nested too deeply"
            continue
        if not isinstance(value, dict):
            yield number, "each line must be a JSON object"
            continue
        numbers = [
            key
            for key, item in value.items()
            if isinstance(item, _JsonNumber) and key in COLUMNS and key not in FIGURES
        ]  # an unknown key is refused as such by the record, whatever its value
        if numbers:
            yield number, f"{numbers[0][:40]}: write it as a string"
            continue
        yield number, _record({key: item for key, item in value.items() if item not in ("", None)})


def _record(row: dict[str, Any]) -> RegistryRecord | str:
    try:
        record = RegistryRecord.model_validate(row)
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(p)[:40] for p in e['loc']) or 'row'}: "
            + (
                f"not a known column; columns are {list(COLUMNS)}"
                if e["type"] == "extra_forbidden"
                else e["msg"].removeprefix("Value error, ")
            )
            for e in exc.errors()
        )
    missing = [name for name in REQUIRED[record.kind] if getattr(record, name) in (None, "")]
    if missing:
        return f"{record.kind} row without {', '.join(missing)}"
    unused = [
        name
        for name in COLUMNS
        if name != "kind" and name not in USED[record.kind] and getattr(record, name)
    ]
    if unused:
        article = "a" if record.kind == "registration" else "an"
        return (
            f"{', '.join(unused)}: not read for {article} {record.kind} row (its columns are "
            f"{', '.join(sorted(USED[record.kind]))}); leave {'it' if len(unused) == 1 else 'them'}"
            " empty"
        )
    problems = []
    if record.currency is not None and not _CURRENCY.fullmatch(record.currency):
        problems.append(
            f"currency: {record.currency!r} is not an ISO 4217 currency code (three letters)"
        )
    if record.issued_on and record.valid_until and record.valid_until < record.issued_on:
        problems.append(f"valid_until: {record.valid_until} is before issued_on {record.issued_on}")
    if record.quantity is not None and not record.unit:
        problems.append(
            f"unit: missing; a quantity limit ({record.quantity}) is counted in a unit "
            "(NOS, KGS, …)"
        )
    if record.unit is not None and not _UNIT.fullmatch(record.unit):
        problems.append(
            f"unit: {record.unit!r} is not a unit quantity code (2 or 3 capitals, as messages "
            "write it: NOS, KGS, MTS)"
        )
    if record.rate is not None and record.rate <= 0:
        problems.append(
            f"rate: {record.rate:f} is not an exchange rate (INR per unit of the currency, "
            "more than 0)"
        )
    for name in MONEY:
        amount = getattr(record, name)
        if amount is not None and amount != amount.quantize(PAISA):
            problems.append(
                f"{name}: {amount:f} has more than 2 decimals (an amount in rupees and paise)"
            )
    for name in COUNTRIES:
        code = getattr(record, name)
        if code is not None and not is_country(code):
            problems.append(f"{name}: {code!r} is not an ISO 3166-1 alpha-2 country code")
    if record.iec is not None and not _iec_shape(record.iec):
        problems.append(
            f"iec: {record.iec!r} is neither a PAN-format IEC, a permanent IEC nor a legacy "
            "10-digit number"
        )
    return "; ".join(problems) if problems else record


def _iec_shape(iec: str) -> bool:
    """An IEC the core's IEC check (CORE-IEC-001) would not refuse for its form: a permanent
    IEC (current or legacy), a PAN-format IEC or a legacy 10-digit number."""
    return iec in permanent_iecs() or bool(PAN_FORMAT.match(iec) or LEGACY_NUMERIC.match(iec))
