"""Units of quantity in the ledger: which UQCs convert into which, and by what factor.

A claim is debited against a registry row only in a compatible unit: mass converts (GMS, KGS, QTL,
MTS = TNE), volume converts (MLT, LTR, KLR), NOS, PCS and UNT are the same count. Any other pair is
incompatible (``CORE-LIC-004``): ``None``.
"""

from __future__ import annotations

from decimal import Decimal, getcontext

#: unit → (dimension, how many base units one of it is)
_FACTORS: dict[str, tuple[str, Decimal]] = {
    "GMS": ("mass", Decimal("0.001")),
    "KGS": ("mass", Decimal(1)),
    "QTL": ("mass", Decimal(100)),
    "MTS": ("mass", Decimal(1000)),
    "TNE": ("mass", Decimal(1000)),
    "MLT": ("volume", Decimal("0.001")),
    "LTR": ("volume", Decimal(1)),
    "KLR": ("volume", Decimal(1000)),
    "NOS": ("count", Decimal(1)),
    "PCS": ("count", Decimal(1)),
    "UNT": ("count", Decimal(1)),
}


def _canonical(unit: str) -> str:
    return unit.strip().upper()


def compatible(unit: str | None, limit_unit: str | None) -> bool:
    """Whether a quantity in ``unit`` can be debited against a limit in ``limit_unit`` (an
    unstated unit on either side is taken as the limit's own)."""
    return convert(Decimal(1), unit, limit_unit) is not None


def convert(quantity: Decimal, unit: str | None, limit_unit: str | None) -> Decimal | None:
    """``quantity`` in ``unit`` expressed in ``limit_unit``; ``None`` when they do not convert."""
    if not unit or not limit_unit or _canonical(unit) == _canonical(limit_unit):
        return quantity
    source = _FACTORS.get(_canonical(unit))
    target = _FACTORS.get(_canonical(limit_unit))
    if source is None or target is None or source[0] != target[0]:
        return None
    converted = quantity * source[1] / target[1]
    # 1.5 MTS is 1500 KGS, not 1500.0: no digits the conversion only appended, no exponent
    if converted.adjusted() >= getcontext().prec:  # too large to write out: as computed
        return converted
    if converted == converted.to_integral_value():
        return converted.quantize(Decimal(1))
    return converted.normalize()


def in_limit_unit(quantity: Decimal, unit: str | None, limit_unit: str | None) -> Decimal:
    """A ledger entry's quantity in the unit of its account's limit, to be summed with the
    others: an entry written in another unit (before the limit was restated, or before the row
    was on record) converted, one that does not convert as it was written."""
    converted = convert(quantity, unit, limit_unit)
    return quantity if converted is None else converted
