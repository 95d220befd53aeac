"""The registry's records as checks see them: authorisations, registrations, agencies and
exchange rates (:class:`RegistryRecord`), the read-only :class:`Registry` protocol checks consult,
and :class:`MemoryRegistry`, the in-memory registry of tests and worker processes.

Every field is checked when a record is built (lengths, characters, number and date forms), so a
hostile import file is refused before the database sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from customs_engine.core.dates import check_in_range

RecordKind = Literal["authorisation", "registration", "agency", "exchange_rate"]


#: a registry figure as written in an import file: ASCII digits, at most 18 before the point and 6
#: after; no sign, exponent, digit separators or other scripts' digits
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,6})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HS_ENTRY = re.compile(r"[0-9]{2,8}")
MAX_HS_ENTRIES = 1000


def _registry_decimal(value: object) -> object:
    """Limits, fees and rates: exact, non-negative, plain notation, bounded (both databases store
    them as text of at most 40 characters)."""
    if isinstance(value, bool | float):
        raise ValueError("write numbers as strings or integers, not floats")
    if isinstance(value, int | str):
        text = str(value).strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise ValueError(
                f"{str(value)[:40]!r} is not a plain non-negative number (digits "
                "0-9, at most 18 before the point and 6 after; no sign, exponent "
                "or separators)"
            )
        return Decimal(text)
    if isinstance(value, Decimal) and not _PLAIN_DECIMAL.fullmatch(format(value, "f")):
        raise ValueError(
            f"{value} is not a non-negative number with at most 18 digits before "
            "the point and 6 after"
        )
    return value


def _registry_date(value: object) -> object:
    """Dates are ``YYYY-MM-DD``: a bare number is never read as a Unix time; and lie in the
    range a message's dates do (a registry date of 9999-12-01 overflowed a scheme's validity
    arithmetic)."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(f"{value[:40]!r} is not a date YYYY-MM-DD")
        value = date.fromisoformat(value.strip())
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError("write dates as text YYYY-MM-DD")
    check_in_range(value)
    return value


def _hs_codes(value: object) -> object:
    codes = tuple(value.split()) if isinstance(value, str) else value
    if isinstance(codes, list | tuple):
        if len(codes) > MAX_HS_ENTRIES:
            raise ValueError(f"{len(codes)} HS codes, more than {MAX_HS_ENTRIES}")
        bad = [code for code in codes if not (isinstance(code, str) and _HS_ENTRY.fullmatch(code))]
        if bad:
            raise ValueError(f"{str(bad[0])[:20]!r} is not an HS code or prefix (2 to 8 digits)")
    return codes


RegistryDecimal = Annotated[Decimal, BeforeValidator(_registry_decimal)]
RegistryDate = Annotated[date, BeforeValidator(_registry_date)]


def _printable(value: str) -> str:
    """No control characters (NUL included): checked before any database sees the text, so
    SQLite and PostgreSQL give the same answer."""
    if _CONTROL.search(value):
        raise ValueError("contains a control character (NUL, tab, line break, …)")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# text of at most N characters: the registry's column widths
Text2 = Annotated[str, Field(max_length=2), AfterValidator(_printable)]
Text3 = Annotated[str, Field(max_length=3), AfterValidator(_printable)]
Text10 = Annotated[str, Field(max_length=10), AfterValidator(_printable)]
Text20 = Annotated[str, Field(max_length=20), AfterValidator(_printable)]
Text100 = Annotated[str, Field(max_length=100), AfterValidator(_printable)]
Text512 = Annotated[str, Field(max_length=512), AfterValidator(_printable)]


def _trimmed(value: object) -> object:
    """Spaces around a value are not part of it (`` STL1`` is the registration ``STL1``)."""
    return value.strip(" ") if isinstance(value, str) else value


def _code(value: object) -> object:
    """Codes (scheme, IEC, port, country, currency, unit) are compared in capitals, as the
    messages write them: ``innsa1`` is the port INNSA1."""
    return value.strip(" ").upper() if isinstance(value, str) else value


Number = Annotated[Text100, BeforeValidator(_trimmed)]
Name = Annotated[Text512, BeforeValidator(_trimmed)]
Code2 = Annotated[Text2, BeforeValidator(_code)]
Code3 = Annotated[Text3, BeforeValidator(_code)]
Code10 = Annotated[Text10, BeforeValidator(_code)]
Code20 = Annotated[Text20, BeforeValidator(_code)]


class RegistryRecord(BaseModel):
    """One row of the registry (see ``examples/registry/registry.csv`` for the columns). Lengths
    fit the registry's columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    scheme: Code20 | None = None
    number: Number
    iec: Code20 | None = None
    issued_on: RegistryDate | None = None
    valid_until: RegistryDate | None = None
    hs_codes: Annotated[tuple[str, ...], BeforeValidator(_hs_codes)] = ()
    quantity: RegistryDecimal | None = None
    unit: Code10 | None = None
    value_inr: RegistryDecimal | None = None
    country_of_origin: Code2 | None = None
    port_code: Code10 | None = None
    expected_arrival: RegistryDate | None = None
    fee_paid_inr: RegistryDecimal | None = None
    name: Name | None = None
    country: Code2 | None = None
    currency: Code3 | None = None
    rate: RegistryDecimal | None = None

    def covers_hs(self, hs_code: str) -> bool:
        """Whether an HS code falls under the record's list (entries may be prefixes)."""
        return any(hs_code.startswith(prefix) for prefix in self.hs_codes)


class Registry(Protocol):
    """Read-only view of the registry that checks consult."""

    def licence(self, scheme: str, number: str) -> RegistryRecord | None:
        """The authorisation or registration of ``scheme`` with this number, if loaded."""

    def agencies(self) -> Sequence[RegistryRecord]:
        """Every pre-shipment inspection agency loaded (empty: none loaded)."""

    def exchange_rate(self, currency: str, on: date) -> RegistryRecord | None:
        """The CBIC-notified import rate for ``currency`` in force on ``on``."""


class MemoryRegistry:
    """A registry held in memory: for tests, and as the snapshot worker processes read."""

    def __init__(self, records: Iterable[RegistryRecord] = ()):
        self._licences: dict[tuple[str, str], RegistryRecord] = {}
        self._agencies: list[RegistryRecord] = []
        self._rates: dict[str, list[RegistryRecord]] = {}
        for record in records:
            self.add(record)

    def add(self, record: RegistryRecord) -> None:
        if record.kind in ("authorisation", "registration"):
            self._licences[((record.scheme or "").upper(), record.number)] = record
        elif record.kind == "agency":
            self._agencies.append(record)
        else:
            key = (record.currency or "").upper()
            self._rates.setdefault(key, []).append(record)
            self._rates[key].sort(key=lambda r: r.issued_on or date.min)

    # Each answer is a copy: a record is frozen, but a hook that forces a change on one (with
    # ``object.__setattr__``) changes only its copy, never what later messages (and, in
    # ``customs serve``, later requests) are checked against.

    def licence(self, scheme: str, number: str) -> RegistryRecord | None:
        record = self._licences.get((scheme.upper(), number))
        return None if record is None else record.model_copy()

    def agencies(self) -> Sequence[RegistryRecord]:
        return tuple(record.model_copy() for record in self._agencies)

    def exchange_rate(self, currency: str, on: date) -> RegistryRecord | None:
        rates = self._rates.get(currency.upper(), ())
        in_force = [r for r in rates if (r.issued_on or date.min) <= on]
        return in_force[-1].model_copy() if in_force else None

    def records(self) -> list[RegistryRecord]:
        rates = [r for group in self._rates.values() for r in group]
        return [*self._licences.values(), *self._agencies, *rates]
