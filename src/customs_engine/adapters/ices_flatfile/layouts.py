"""Table layouts of the ICES 1.5 flat files (``layouts.toml``) and field-level checking.

A layout says, position by position, what a record of a table holds: the field's name, its type and
length, and whether a fresh record must fill it. :func:`convert` turns one raw field into a typed
value (``str``, ``Decimal``, ``date``, ``datetime``) or explains why it cannot. A Y/N flag
(type ``YN``) is read in any case and kept upper-case; any other value is refused.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources

from customs_engine.adapters.ices_flatfile import Dialect

Value = str | Decimal | date | datetime | None

_TYPE = re.compile(
    r"^(?:C(?P<clen>\d+)|N(?P<prec>\d+)(?:,(?P<scale>\d+))?|(?P<kind>D|DMY|DMYHM|YN))$"
)
_NUMBER = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d+))?$")
_DIGITS8 = re.compile(r"^\d{8}$")
_DATETIME = re.compile(r"^(\d{8}) (\d{2}):(\d{2})$")
#: printable ASCII only: the files are ASCII, and a control character is corruption
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_FLAGS = ("Y", "N")


class FieldProblem(ValueError):
    """A raw field that does not fit its layout."""


@dataclass(frozen=True)
class FieldSpec:
    position: int  # 1-based
    name: str
    kind: str  # "C", "N", "D", "DMY", "DMYHM", "YN"
    length: int | None  # C: maximum characters
    precision: int | None  # N: total digits
    scale: int  # N: digits after the point
    flag: str  # K, M, O, X on a fresh record

    @property
    def mandatory(self) -> bool:
        return self.flag in ("K", "M")

    def describe(self) -> str:
        if self.kind == "C":
            return f"C{self.length}"
        if self.kind == "N":
            return f"N{self.precision},{self.scale}" if self.scale else f"N{self.precision}"
        if self.kind == "YN":
            return "flag Y or N"
        return {"D": "date YYYYMMDD", "DMY": "date DDMMYYYY", "DMYHM": "date-time DDMMYYYY HH:MM"}[
            self.kind
        ]


@dataclass(frozen=True)
class TableLayout:
    name: str
    fields: tuple[FieldSpec, ...]
    fresh_required: bool
    extensible: bool = False

    def position(self, name: str) -> int:
        """1-based position of a field (for messages that point at it)."""
        return next(spec.position for spec in self.fields if spec.name == name)


def _field(position: int, text: str) -> FieldSpec:
    name, type_text, flag = text.split()
    match = _TYPE.match(type_text)
    if match is None or flag not in "KMOX":
        raise ValueError(f"bad layout entry {text!r}")
    if match["clen"]:
        return FieldSpec(position, name, "C", int(match["clen"]), None, 0, flag)
    if match["prec"]:
        return FieldSpec(
            position, name, "N", None, int(match["prec"]), int(match["scale"] or 0), flag
        )
    return FieldSpec(position, name, match["kind"], None, None, 0, flag)


@cache
def _data() -> dict[str, object]:
    path = resources.files("customs_engine.adapters.ices_flatfile") / "layouts.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def layouts(dialect: Dialect) -> dict[str, TableLayout]:
    """The tables of one dialect by name, aliases (``SUPPORTINGDOCS``) included."""
    data = _data()
    prefixes: dict[str, list[str]] = data["prefixes"]  # type: ignore[assignment]
    out: dict[str, TableLayout] = {}
    for name, table in data[dialect].items():  # type: ignore[attr-defined]
        entries = prefixes.get(table.get("prefix", ""), []) + table["fields"]
        layout = TableLayout(
            name,
            tuple(_field(i, text) for i, text in enumerate(entries, 1)),
            fresh_required=table.get("fresh") == "M",
            extensible=bool(table.get("extensible", False)),
        )
        out[name] = layout
        for alias in table.get("aliases", []):
            out[alias] = layout
    return out


def convert(spec: FieldSpec, raw: str) -> Value:
    """The typed value of a non-empty raw field; :class:`FieldProblem` when it does not fit."""
    bad = unprintable(raw)
    if bad is not None:
        raise FieldProblem(bad)
    if spec.kind == "C":
        assert spec.length is not None
        if len(raw) > spec.length:
            raise FieldProblem(f"{len(raw)} characters, longer than {spec.describe()}")
        return raw.strip() or None
    if spec.kind == "N":
        return _number(spec, raw)
    if spec.kind == "YN":
        if raw.upper() not in _FLAGS:
            raise FieldProblem(f"{raw[:20]!r} is not a {spec.describe()}")
        return raw.upper()
    if spec.kind == "DMYHM":
        match = _DATETIME.match(raw)
        if match is None:
            raise FieldProblem(f"{raw!r} is not a {spec.describe()}")
        day = _date(match[1], "DMY", spec)
        return _checked(
            lambda: datetime(day.year, day.month, day.day, int(match[2]), int(match[3])), raw, spec
        )
    return _date(raw, spec.kind, spec)


def unprintable(text: str) -> str | None:
    """Why a field is not printable ASCII, naming its first other character and where it is
    (``None`` when it is printable): the files are ASCII, and a control character is corruption."""
    if _PRINTABLE.match(text):
        return None
    found = _UNPRINTABLE.search(text)
    assert found is not None
    return (
        f"contains a control or non-ASCII character, U+{ord(found.group()):04X}, "
        f"at character {found.start() + 1} of the field"
    )


def _number(spec: FieldSpec, raw: str) -> Decimal:
    match = _NUMBER.match(raw)
    if match is None:
        raise FieldProblem(f"{raw!r} is not a number ({spec.describe()})")
    assert spec.precision is not None
    whole, frac = match["int"].lstrip("0"), match["frac"] or ""
    if len(frac) > spec.scale:
        raise FieldProblem(f"{raw!r} has {len(frac)} decimals, more than {spec.describe()} allows")
    if len(whole) > spec.precision - spec.scale:
        raise FieldProblem(f"{raw!r} has too many digits for {spec.describe()}")
    return Decimal(raw)


def _date(raw: str, kind: str, spec: FieldSpec) -> date:
    if not _DIGITS8.match(raw):
        raise FieldProblem(f"{raw!r} is not a {spec.describe()}")
    if kind == "D":
        year, month, day = int(raw[:4]), int(raw[4:6]), int(raw[6:])
    else:
        day, month, year = int(raw[:2]), int(raw[2:4]), int(raw[4:])
    return _checked(lambda: date(year, month, day), raw, spec)


def _checked(build, raw: str, spec: FieldSpec):  # type: ignore[no-untyped-def]
    try:
        return build()
    except ValueError:
        raise FieldProblem(f"{raw!r} is not a valid {spec.describe()}") from None
