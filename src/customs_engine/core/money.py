"""Money: how amounts are rounded and written. The one home for both.

Money is ``Decimal`` INR throughout. Amounts are rounded half-up — to the paisa for values and
debits, to the whole rupee for fees that the notifications state in rupees — and written with two
decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
RUPEE = Decimal(1)


def paise(amount: Decimal) -> Decimal:
    """Half-up to the paisa (two decimals); zero is never negative (``-0`` is ``0.00``)."""
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP) + 0


def rupees(amount: Decimal) -> Decimal:
    """Half-up to the whole rupee (fees stated in rupees); zero is never negative."""
    return amount.quantize(RUPEE, rounding=ROUND_HALF_UP) + 0


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """A foreign amount at ``rate`` INR per unit, half-up to the paisa."""
    return paise(amount * rate)


def money(amount: Decimal) -> str:
    """Two decimals, half-up, no grouping: how a response writes an amount (``"1234.50"``)."""
    return str(paise(amount))


def inr(amount: Decimal, *, grouped: bool = False) -> str:
    """An amount for a human: ``"INR 1234.50"``, or ``"INR 1,234.50"`` when ``grouped``."""
    return f"INR {paise(amount):,.2f}" if grouped else f"INR {money(amount)}"
