"""One valuation path: the engine values each item once and every check, fee and claim reads it.

With ``--as-of`` before the CBIC rate comes into force the INR value is unknown for every reader:
CORE-FX-002 says so, and no IMS debit or SIMS fee may be computed from another date's rate.
"""

from __future__ import annotations

from decimal import Decimal

from customs_engine.core.money import convert, inr, money, paise, rupees
from customs_engine.testing import (
    assert_finding,
    assert_no_finding,
    authorisation,
    bill_of_entry,
    exchange_rate,
    item,
    licence,
    make_engine,
)

USD_1000 = {"amount": Decimal(1000), "currency": "USD", "rate": None}
RECORDS = [
    authorisation(
        "IMS",
        "IMS-2026-00042",
        hs_codes="84713010",
        quantity=100,
        unit="NOS",
        value_inr="5000000.00",
        issued_on="2026-01-05",
        valid_until="2026-12-31",
    ),
    exchange_rate("USD", "83.00", issued_on="2026-03-01"),
]


def laptops() -> object:
    return bill_of_entry(
        item(
            "84713010",
            quantity=10,
            unit="NOS",
            value_inr=None,
            foreign_value=USD_1000,
            product_category="LAPTOP",
            licences=[licence("IMS", "IMS-2026-00042")],
        )
    )


def test_the_rate_in_force_values_the_item_for_checks_and_the_ledger() -> None:
    response = make_engine(only=["core", "ims"], records=RECORDS).validate_message(laptops())
    assert_no_finding(response, "CORE-FX-002")
    [use] = response.authorisations
    assert use.debited_value == Decimal("83000.00")


def test_as_of_before_the_rate_leaves_the_value_unknown_for_every_reader() -> None:
    engine = make_engine(only=["core", "ims"], records=RECORDS, as_of="2026-02-15")
    response = engine.validate_message(laptops())
    assert_finding(response, "CORE-FX-002", outcome="query", item=1)
    # the ledger read the same (unknown) value: quantity debited, no INR invented from a rate
    # that was not in force on the date the rules were applied
    [use] = response.authorisations
    assert use.debited_quantity == Decimal(10)
    assert use.debited_value == Decimal(0)


def test_a_rate_on_the_message_wins_over_the_registry() -> None:
    declared = {"amount": Decimal(1000), "currency": "USD", "rate": Decimal("80.50")}
    boe = bill_of_entry(
        item(
            "84713010",
            quantity=10,
            unit="NOS",
            value_inr=None,
            foreign_value=declared,
            product_category="LAPTOP",
            licences=[licence("IMS", "IMS-2026-00042")],
        )
    )
    response = make_engine(only=["core", "ims"], records=RECORDS).validate_message(boe)
    assert response.authorisations[0].debited_value == Decimal("80500.00")


def test_money_is_rounded_half_up_and_written_in_one_way() -> None:
    assert paise(Decimal("0.125")) == Decimal("0.13") and rupees(Decimal("2.5")) == 3
    assert convert(Decimal("301"), Decimal("83.25")) == Decimal("25058.25")
    assert money(Decimal("1234.5")) == "1234.50"
    assert inr(Decimal("1234.005")) == "INR 1234.01"
    assert inr(Decimal("1234567.5"), grouped=True) == "INR 1,234,567.50"
    # zero is never written negative, whatever the input's sign
    assert money(Decimal("-0")) == "0.00" and money(Decimal("-0.004")) == "0.00"
    assert str(rupees(Decimal("-0.4"))) == "0"


def test_a_declared_value_is_debited_in_the_paise_every_answer_writes() -> None:
    """A declared INR value with more decimals than paise: what the answer says is left is what
    the next line may take (the ledger once kept 2000000.125 while the answer wrote .13)."""
    engine = make_engine(only=["core", "ims"], records=RECORDS)

    def laptops_worth(quantity: int, value: str, message_id: str) -> object:
        return bill_of_entry(
            item(
                "84713010",
                quantity=quantity,
                unit="NOS",
                value_inr=Decimal(value),
                product_category="LAPTOP",
                licences=[licence("IMS", "IMS-2026-00042")],
            ),
            message_id=message_id,
        )

    first = engine.validate_message(laptops_worth(60, "2000000.125", "BE-1"))
    [use] = first.authorisations
    assert (use.debited_value, use.remaining_value) == (
        Decimal("2000000.13"),
        Decimal("2999999.87"),
    )
    rest = engine.validate_message(laptops_worth(40, "2999999.87", "BE-2"))
    assert_no_finding(rest, "IMS-BAL-001")
    assert rest.authorisations[0].remaining_value == 0
    exact = make_engine(only=["core", "ims"], records=RECORDS)
    assert_no_finding(
        exact.validate_message(laptops_worth(100, "5000000.004", "BE-3")), "IMS-BAL-001"
    )
