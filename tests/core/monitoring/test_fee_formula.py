"""The monitoring-scheme fee formula: clamped, monotonic, whole rupees."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from customs_engine.core.monitoring.scheme import FeeFormula


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_per_thousand_fee_is_clamped_monotonic_and_whole_rupees(cif, more):
    formula = FeeFormula(per_thousand=Decimal(1), minimum=Decimal(500), maximum=Decimal(100000))
    fee = formula.amount(cif)
    assert fee is not None and Decimal(500) <= fee <= Decimal(100000)
    assert fee == fee.to_integral_value()
    assert formula.amount(cif + more) >= fee
    if Decimal(500000) <= cif <= Decimal(100000000):
        assert abs(fee - cif / 1000) <= Decimal("0.5")
