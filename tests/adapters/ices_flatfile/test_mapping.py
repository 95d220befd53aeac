"""CACHI01 → canonical model: values, licences, registrations, certificates, keys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customs_engine.adapters.ices_flatfile.reader import parse
from customs_engine.core.models import BillOfEntry

from .flat_files import flat_file, steel_be


def _be(tables, config=None) -> tuple[BillOfEntry, list]:  # type: ignore[no-untyped-def]
    [parsed] = parse(flat_file("cachi01", tables), config or {})
    assert isinstance(parsed.message, BillOfEntry), parsed.findings
    return parsed.message, parsed.findings


def test_declared_rate_gives_inr_value() -> None:
    be, findings = _be(steel_be())
    assert findings == []
    assert [(i.foreign_value.amount, i.foreign_value.rate, i.value_inr) for i in be.items] == [
        (Decimal("1500.00"), Decimal("88.5000"), Decimal("132750.00")),
        (Decimal("1500.00"), Decimal("88.5000"), Decimal("132750.00")),
    ]


def test_rate_per_hundred_units_and_half_up_rounding() -> None:
    tables = steel_be()
    tables["EXCHANGE"] = [
        {"currency": "JPY", "standard_currency": "Y", "unit_inr": "100", "rate": "58.1250"}
    ]
    tables["INVOICE"][0]["currency"] = "JPY"
    tables["ITEMS"][0].update(quantity="1", unit_price="1001")
    be, _ = _be(tables)
    # 1001 JPY × 0.58125 = 581.83125 → 581.83; 1500 × 0.58125 = 871.875 → 871.88 (half-up)
    assert [i.value_inr for i in be.items] == [Decimal("581.83"), Decimal("871.88")]
    assert be.items[0].foreign_value.rate == Decimal("0.58125")


def test_standard_currency_without_rate_is_left_to_the_core() -> None:
    tables = steel_be()
    tables["EXCHANGE"][0]["rate"] = None
    be, findings = _be(tables)
    assert findings == []
    assert all(i.value_inr is None and i.foreign_value.rate is None for i in be.items)


def test_non_standard_currency_needs_a_declared_rate() -> None:
    tables = steel_be()
    tables["EXCHANGE"][0].update(rate=None, standard_currency="N")
    _, findings = _be(tables)
    assert any("USD is not a standard currency" in f.message for f in findings)


def test_inr_invoice_has_no_foreign_value() -> None:
    tables = steel_be()
    tables["INVOICE"][0]["currency"] = "INR"
    be, _ = _be(tables)
    assert [(i.value_inr, i.foreign_value) for i in be.items] == [
        (Decimal("1500.00"), None),
        (Decimal("1500.00"), None),
    ]


def test_fob_adds_declared_freight_shared_by_value_and_insurance_rate() -> None:
    tables = steel_be()
    tables["ITEMS"][1]["unit_price"] = "1.5"  # item values 1500 and 3000
    tables["INVOICE"][0].update(terms="FOB", freight_value="300.00", insurance_rate="1.0000")
    be, findings = _be(tables)
    assert findings == []
    # freight 300 shared 1:2, insurance 1 % of each item's FOB value
    assert [i.foreign_value.amount for i in be.items] == [Decimal("1615.00"), Decimal("3230.00")]


def test_cf_adds_default_insurance_ci_adds_default_freight() -> None:
    tables = steel_be()
    tables["INVOICE"][0]["terms"] = "CF"
    be, _ = _be(tables)
    assert be.items[0].foreign_value.amount == Decimal("1516.88")  # + 1.125 %
    tables["INVOICE"][0]["terms"] = "CI"
    be, _ = _be(tables)
    assert be.items[0].foreign_value.amount == Decimal("1800.00")  # + 20 %
    be, _ = _be(tables, {"ices_flatfile": {"default_freight_pct": "10"}})
    assert be.items[0].foreign_value.amount == Decimal("1650.00")


def test_freight_in_a_second_currency_converts_with_declared_rates() -> None:
    tables = steel_be()
    tables["EXCHANGE"].append({"currency": "EUR", "standard_currency": "Y", "rate": "97.3500"})
    tables["INVOICE"][0].update(terms="CI", freight_value="100.00", freight_currency="EUR")
    be, findings = _be(tables)
    assert "ICES-VAL-001" not in [f.rule for f in findings]
    # 50 EUR per item × 97.35 / 88.5 = 55.00 USD
    assert be.items[0].foreign_value.amount == Decimal("1555.00")


@pytest.mark.parametrize(
    ("terms", "freight_currency", "amount"),
    [
        ("CI", "INR", Decimal("1500.56")),  # 50 INR per item / 88.5 = 0.56 USD: INR needs no rate
        ("CIF", "EUR", Decimal("1500.00")),  # freight already in a CIF price: not added
    ],
    ids=["freight-in-inr", "cif-invoice"],
)
def test_freight_in_a_second_currency_without_its_rate_is_not_queried_when_not_needed(
    terms: str, freight_currency: str, amount: Decimal
) -> None:
    tables = steel_be()  # USD at 88.5; no EXCHANGE record for EUR
    tables["INVOICE"][0].update(
        terms=terms, freight_value="100.00", freight_currency=freight_currency
    )
    be, findings = _be(tables)
    assert "ICES-VAL-001" not in [f.rule for f in findings]
    assert findings == []
    assert be.items[0].foreign_value.amount == amount


def test_freight_in_a_second_currency_without_rates_is_queried() -> None:
    tables = steel_be()
    tables["EXCHANGE"] = [
        {"currency": "USD", "standard_currency": "Y"},
        {"currency": "EUR", "standard_currency": "Y"},
    ]
    tables["INVOICE"][0].update(terms="CI", freight_value="100.00", freight_currency="EUR")
    be, findings = _be(tables)
    rule = [f for f in findings if f.rule == "ICES-VAL-001"]
    assert [(f.outcome, f.item) for f in rule] == [("query", 1), ("query", 2)]
    assert be.items[0].foreign_value.amount == Decimal("1500.00")


def test_currency_without_exchange_record_and_unknown_terms() -> None:
    tables = steel_be()
    tables["INVOICE"][0]["currency"] = "GBP"
    _, findings = _be(tables)
    assert any("invoice currency GBP has no EXCHANGE record" in f.message for f in findings)
    tables = steel_be()
    tables["INVOICE"][0]["terms"] = "EXW"
    _, findings = _be(tables)
    assert any("terms of invoice 'EXW'" in f.message for f in findings)


def test_licence_codes_map_to_schemes_through_config() -> None:
    tables = steel_be()
    tables["LICENCE"] = [
        {
            "invoice_sr": 1,
            "item_sr": 2,
            "registration_number": "0000123456",
            "registration_date": "20260101",
            "licence_code": "IM",
            "registration_port": "INNSA1",
        }
    ]
    be, _ = _be(tables)
    assert [(lic.scheme, lic.number) for lic in be.items[1].licences if lic.scheme != "SIMS"] == [
        ("IM", "0000123456")
    ]
    be, _ = _be(tables, {"ices_flatfile": {"licence_schemes": {"IM": "IMS"}}})
    [ims] = be.items[1].licences_for("IMS")
    assert (ims.number, ims.issued_on) == ("0000123456", date(2026, 1, 1))
    assert be.items[0].licences_for("IMS") == []


def test_sims_text_must_follow_the_recipe() -> None:
    tables = steel_be()
    tables["BE_ITEM_SW_INFO_TYPE"][0]["info_text"] = "STL123/31022026"
    be, findings = _be(tables)
    assert any("is not STL<number>/<DDMMYYYY>" in f.message and f.item == 1 for f in findings)
    assert be.items[0].licences_for("SIMS") == []
    assert len(be.items[1].licences_for("SIMS")) == 1


def test_nfmims_recipe_comes_from_config() -> None:
    tables = steel_be()
    tables["BE_ITEM_SW_INFO_TYPE"] = [
        {
            "invoice_sr": 1,
            "item_sr": 1,
            "info_type": "PNM",
            "info_qualifier": "NFM",
            "info_code": "NFMAPL",
            "info_text": "NFS2026000123/01062026",
        }
    ]
    recipe = {
        "info_type": "PNM",
        "qualifier": "NFM",
        "code": "NFMAPL",
        "prefix": "NFS",
        "scheme": "AIMS",
    }
    be, _ = _be(tables)
    assert be.items[0].licences == []
    be, _ = _be(tables, {"ices_flatfile": {"registrations": [recipe]}})
    assert [(lic.scheme, lic.number, lic.expires_on) for lic in be.items[0].licences] == [
        ("AIMS", "NFS2026000123", date(2026, 6, 1))
    ]


@pytest.mark.parametrize(
    ("code", "mode", "purpose", "flagged"),
    [
        ("SIUNRR", "S", "PACKAGING_REIMPORT", False),
        ("SIUNAF", "A", "COMMERCIAL", False),
        ("SIUNAF", "S", "COMMERCIAL", True),
    ],
)
def test_sims_not_applicable_codes(code: str, mode: str, purpose: str, flagged: bool) -> None:
    tables = steel_be()
    tables["BE"][0]["mode"] = mode
    for row in tables["BE_ITEM_SW_INFO_TYPE"]:
        row.update(info_code=code, info_text="SIUN000")
    be, findings = _be(tables)
    assert [i.purpose for i in be.items] == [purpose, purpose]
    assert all(i.licences == [] for i in be.items)
    assert any("declares an air shipment" in f.message for f in findings) is flagged


def test_certificates_from_control_records_through_config() -> None:
    tables = steel_be()
    tables["BE_ITEM_SW_CTRL"] = [
        {
            "invoice_sr": 1,
            "item_sr": 2,
            "control_type": "PSI",
            "control_location": "JPYOK",
            "control_start": "20260215",
            "result_code": "PSIC-2026-9",
        }
    ]
    be, _ = _be(tables)
    assert all(i.certificates == [] for i in be.items)
    be, _ = _be(tables, {"ices_flatfile": {"control_certificate_types": {"PSI": "PSIC"}}})
    [cert] = be.items[1].certificates
    assert (cert.type, cert.number, cert.issued_on, cert.agency) == (
        "PSIC",
        "PSIC-2026-9",
        date(2026, 2, 15),
        "JPYOK",
    )
    assert be.items[0].certificates == []


def test_several_invoices_number_items_by_invoice() -> None:
    tables = steel_be()
    tables["INVOICE"].append({**tables["INVOICE"][0], "invoice_sr": 2})
    tables["ITEMS"][1]["invoice_sr"] = 2
    tables["BE_ITEM_SW_INFO_TYPE"][1]["invoice_sr"] = 2
    tables["BE_ITEM_SW_INFO_TYPE"][1]["item_sr"] = 2
    be, findings = _be(tables)
    assert findings == []
    assert [i.number for i in be.items] == [10001, 20002]
    assert all(len(i.licences_for("SIMS")) == 1 for i in be.items)


def test_key_references_and_duplicates_are_checked() -> None:
    tables = steel_be()
    tables["ITEMS"].append(dict(tables["ITEMS"][0]))
    tables["CTX"][0]["job_no"] = "7002"
    tables["BE_ITEM_SW_INFO_TYPE"][0]["item_sr"] = 9
    _, findings = _be(tables)
    messages = [f.message for f in findings]
    assert any("item 1/1 repeats the ITEMS record" in m for m in messages)
    assert any("job_no '7002' differs from the BE record's '7001'" in m for m in messages)
    assert any("invoice/item 1/9 has no ITEMS record" in m for m in messages)


def test_be_main_fields() -> None:
    tables = steel_be()
    tables["BE"][0].update(be_type="W", prior_be="Y", importer_type="G", mode="L")
    tables["CTX"][0].update(tax_type="I", registration_number="ZZZAB1234C")
    tables["IGMS"][0].update(house_bl_number="HBL77", house_bl_date="20260203")
    be, _ = _be(tables)
    assert (be.type, be.prior, be.mode, be.importer.category) == (
        "WAREHOUSING",
        True,
        "ROAD",
        "GOVERNMENT",
    )
    assert (be.importer.pan, be.importer.gstin) == ("ZZZAB1234C", None)
    assert be.manifest is not None
    assert (be.manifest.igm_number, be.manifest.bl_number, be.manifest.bl_date) == (
        "0012345",
        "HBL77",
        date(2026, 2, 3),
    )
    assert be.arrived_at.date() == date(2026, 3, 6)
    # job date 10.03.2026 and the HREC was sent that day at 11:00
    assert be.presented_at.isoformat() == "2026-03-10T11:00:00+05:30"


def test_presented_at_is_the_job_date_when_sent_another_day() -> None:
    [parsed] = parse(flat_file("cachi01", steel_be(), header_date="20260312"), {})
    assert parsed.message.presented_at.isoformat() == "2026-03-10T00:00:00+05:30"


def test_amendment_file_is_an_amendment() -> None:
    tables = steel_be()
    for rows in tables.values():
        for row in rows:
            row.update(
                message_type="A",
                job_no=None,
                job_date=None,
                be_number="1234567",
                be_date="20260311",
            )
    [parsed] = parse(flat_file("cachi01", tables, message_id="CACHI01_A"), {})
    be = parsed.message
    assert isinstance(be, BillOfEntry)
    assert (be.function, be.number, be.message_id) == (
        "amendment",
        "1234567",
        "CACHI01-INNSA1-BE1234567",
    )  # the document's id, not the file's
