"""The canonical model (SPEC §4) and the response (SPEC §7)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from customs_engine.adapters.icegate_xml.reader import read as icegate_read
from customs_engine.core.dates import IST, valid_through
from customs_engine.core.models import (
    BillOfEntry,
    CountryCode,
    CurrencyCode,
    HSCode,
    ImportGeneralManifest,
    Item,
    Licence,
    ManifestReference,
    UnitCode,
    UNLocode,
)
from customs_engine.core.response import (
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    Response,
    status_of,
)
from tests.conftest import MESSAGES


def boe(**overrides: object) -> BillOfEntry:
    data: dict[str, object] = {
        "message_id": "BE-1",
        "port_code": "INNSA1",
        "type": "HOME_CONSUMPTION",
        "presented_at": "2026-03-10T11:30:00+05:30",
        "mode": "SEA",
        "importer": {"iec": "AAPFU0939F", "name": "ACME"},
        "items": [
            {
                "number": 1,
                "hs_code": "84713010",
                "quantity": "60",
                "unit": "NOS",
                "value_inr": "3000000.00",
            }
        ],
    }
    data.update(overrides)
    return BillOfEntry.model_validate(data)


def finding(outcome: str) -> Finding:
    return Finding(rule="X-Y-001", scheme="x", outcome=outcome, message="m", reference="r")


def test_naive_datetimes_are_india_time() -> None:
    message = boe(presented_at="2026-03-10T23:30:00")
    assert message.presented_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_presentation_date_is_the_india_calendar_date() -> None:
    # 20:00 UTC on the 9th is 01:30 on the 10th in India
    message = boe(presented_at=datetime(2026, 3, 9, 20, 0, tzinfo=UTC))
    assert message.presented_on == date(2026, 3, 10)


def test_money_and_quantities_are_decimal_not_float() -> None:
    item = boe().items[0]
    assert isinstance(item.value_inr, Decimal) and isinstance(item.quantity, Decimal)
    assert item.value_inr == Decimal("3000000.00")


def test_unknown_fields_and_bad_enumerations_are_refused() -> None:
    with pytest.raises(ValidationError):
        boe(colour="red")
    with pytest.raises(ValidationError):
        boe(mode="TELEPORT")
    with pytest.raises(ValidationError):
        Item.model_validate({"number": 1, "hs_code": "1", "quantity": "x", "unit": "NOS"})


def test_licences_are_selected_by_scheme_case_insensitively() -> None:
    item = Item.model_validate(
        {
            "number": 1,
            "hs_code": "72085110",
            "quantity": 1,
            "unit": "KGS",
            "licences": [{"scheme": "sims", "number": "STL1"}, {"scheme": "IMS", "number": "I1"}],
        }
    )
    assert [lic.number for lic in item.licences_for("SIMS")] == ["STL1"]


def test_manifest_lines_are_found_by_line_and_by_bill_of_lading() -> None:
    igm = ImportGeneralManifest.model_validate(
        {
            "message_id": "IGM-1",
            "port_code": "INNSA1",
            "conveyance": "VESSEL",
            "lines": [
                {"line": 10, "bl_number": "MAEU1"},
                {"line": 10, "subline": 1, "bl_number": "MAEU2"},
            ],
        }
    )
    assert igm.find_line(10, 1).bl_number == "MAEU2"
    assert igm.find_by_bl(" maeu1 ").line == 10
    assert igm.find_line(11) is None and igm.find_by_bl("NONE") is None


def test_valid_n_days_counts_from_the_issue_date() -> None:
    # RULES.md §0: issued 2026-01-10, valid 75 days → last valid day 2026-03-26
    assert valid_through(date(2026, 1, 10), 75) == date(2026, 3, 26)


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ((), "accepted"),
        (("warn", "info"), "accepted"),
        (("query", "warn"), "query"),
        (("query", "hold"), "hold"),
        (("hold", "reject", "info"), "rejected"),
    ],
)
def test_status_is_the_worst_outcome(outcomes: tuple[str, ...], status: str) -> None:
    assert status_of([finding(o) for o in outcomes]) == status


def test_response_json_has_every_key_money_as_two_decimal_strings() -> None:
    response = Response(
        message=MessageInfo(
            source="a.xml", index=0, format="icegate_xml", type="bill_of_entry", reference="BE-1"
        ),
        document=DocumentInfo(
            number=None, port_code="INNSA1", date=date(2026, 3, 10), iec="AAPFU0939F"
        ),
        findings=[finding("hold")],
        fees=[
            Fee(
                rule="X-Y-001",
                scheme="x",
                kind="late_presentation",
                amount=Decimal("25000"),
                basis="4 days late",
            )
        ],
        engine=EngineInfo(version="0.1.0"),
    )
    data = response.to_json_dict()
    assert list(data) == [
        "message",
        "document",
        "status",
        "findings",
        "fees",
        "authorisations",
        "routing",
        "rate_date",
        "engine",
        "credited",
    ]
    assert data["status"] == "hold"
    assert data["fees"][0]["amount"] == "25000.00"
    assert data["document"]["date"] == "2026-03-10"


def test_ist_zone_is_asia_kolkata() -> None:
    assert datetime(2026, 1, 1, tzinfo=IST).utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Licence, {"scheme": "SIMS", "number": "STL1", "issued_on": "{}"}),
        (Licence, {"scheme": "SIMS", "number": "STL1", "expires_on": "{}"}),
        (ManifestReference, {"igm_date": "{}"}),
        (ManifestReference, {"bl_date": "{}"}),
    ],
)
def test_dates_of_a_messages_parts_keep_the_message_date_range(
    model: type[Licence] | type[ManifestReference], field: dict[str, str]
) -> None:
    """A licence's or manifest reference's date outside 1950…2199 is refused when the message
    is read (a typing error), not left for a scheme's date arithmetic to overflow on."""
    for far in ("9999-12-31", "0001-01-01", "1949-12-31"):
        with pytest.raises(ValidationError, match="outside the accepted range"):
            model.model_validate({k: v.format(far) for k, v in field.items()})
    for edge in ("1950-01-01", "2199-12-31"):
        model.model_validate({k: v.format(edge) for k, v in field.items()})


def test_a_licence_date_beyond_the_calendar_is_a_syntax_finding_not_a_plugin_failure() -> None:
    data = (MESSAGES / "04-be-steel-sims.xml").read_bytes()
    far = re.sub(rb'issuedOn="[0-9-]+"', b'issuedOn="9999-12-31"', data)
    [parsed] = icegate_read(far, "far.xml")
    assert parsed.message is None
    assert [f.rule for f in parsed.findings] == ["CORE-SYNTAX-005"]
    assert "items[0].licences[0].issued_on" in parsed.findings[0].message


# -- the shapes of values: those of the XML schema, for every format ----------------------------


def item_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "number": 1,
        "hs_code": "84713010",
        "quantity": "60",
        "unit": "NOS",
        "country_of_origin": "CN",
        "foreign_value": {"amount": "36036.04", "currency": "USD", "rate": "83.25"},
        "licences": [{"scheme": "IMS", "number": "IMS-1"}],
        "certificates": [{"type": "PSIC", "number": "PSIC-9", "agency": "PSIA-017"}],
    }
    data.update(overrides)
    return data


def igm(**overrides: object) -> ImportGeneralManifest:
    data: dict[str, object] = {
        "message_id": "IGM-1",
        "port_code": "INNSA1",
        "conveyance": "VESSEL",
        "last_port_of_call": "SGSIN",
        "lines": [{"line": 1, "bl_number": "MAEU1", "package_kind": "PKG"}],
    }
    data.update(overrides)
    return ImportGeneralManifest.model_validate(data)


def test_the_reference_message_has_every_shape_right() -> None:
    message = boe(items=[item_data()], consigned_from="SG", port_of_loading="SGSIN")
    assert message.items[0].licences[0].number == "IMS-1"
    assert igm().last_port_of_call == "SGSIN"


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        # what an outside audit found EDIFACT letting through while the XML refused it
        ({"items": [item_data(licences=[{"scheme": "IMS", "number": ""}])]}, "number"),
        ({"items": [item_data(licences=[{"scheme": " ", "number": "IMS-1"}])]}, "scheme"),
        ({"items": [item_data(certificates=[{"type": "PSIC", "number": ""}])]}, "number"),
        ({"items": [item_data(country_of_origin="CHN")]}, "country_of_origin"),
        ({"consigned_from": "USA"}, "consigned_from"),
        ({"consigned_from": "sg"}, "consigned_from"),
        ({"items": [item_data(foreign_value={"amount": "1", "currency": "US"})]}, "currency"),
        ({"port_of_loading": "AE"}, "port_of_loading"),
        ({"port_of_loading": "NEW YORK"}, "port_of_loading"),
        ({"items": [item_data(unit="mt")]}, "unit"),
        ({"items": [item_data(unit="KILOGRAM")]}, "unit"),
        # the other simple types of the schema
        ({"items": [item_data(hs_code="7204490")]}, "hs_code"),
        ({"items": [item_data(hs_code="8471301A")]}, "hs_code"),
        ({"items": [item_data(description="X" * 513)]}, "description"),
        ({"items": [item_data(description=" \t\n")]}, "description"),
        ({"items": [item_data(number=0)]}, "items"),
        ({"items": [item_data(number=i + 1) for i in range(10_000)]}, "items"),
        ({"message_id": "M" * 65}, "message_id"),
        ({"message_id": "  "}, "message_id"),
        ({"port_code": "INNSA1INNSA1"}, "port_code"),
        ({"number": "N" * 36}, "number"),
        ({"broker": ""}, "broker"),
        ({"ex_bond_of": ""}, "ex_bond_of"),
        ({"importer": {"iec": ""}}, "iec"),
        ({"importer": {"name": "N" * 513}}, "name"),
        ({"manifest": {"line": 1_000_000}}, "line"),
        ({"manifest": {"subline": -1}}, "subline"),
        ({"manifest": {"bl_number": " "}}, "bl_number"),
        (
            {"items": [item_data(certificates=[{"type": "PSIC", "number": "P", "agency": ""}])]},
            "agency",
        ),
    ],
)
def test_a_bill_of_entry_refuses_what_the_xml_schema_refuses(
    overrides: dict[str, object], where: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        boe(**overrides)
    assert where in {str(part) for error in refused.value.errors() for part in error["loc"]}


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"last_port_of_call": "AE"}, "last_port_of_call"),
        ({"last_port_of_call": "INNSA1"}, "last_port_of_call"),
        ({"igm_number": ""}, "igm_number"),
        ({"voyage": "V" * 36}, "voyage"),
        ({"carrier": " "}, "carrier"),
        ({"vessel_name": ""}, "vessel_name"),
        ({"lines": [{"line": 1_000_000}]}, "line"),
        ({"lines": [{"line": 1, "bl_number": ""}]}, "bl_number"),
        ({"lines": [{"line": 1, "consignee_iec": "I" * 36}]}, "consignee_iec"),
        ({"lines": [{"line": 1, "consignee_name": ""}]}, "consignee_name"),
        ({"lines": [{"line": 1, "package_kind": ""}]}, "package_kind"),
        ({"lines": [{"line": 1, "goods_items": [{"hs_code": " "}]}]}, "hs_code"),
        ({"lines": [{"line": 1, "goods_items": [{"description": "D" * 513}]}]}, "description"),
        ({"lines": [{"line": n + 1} for n in range(100_000)]}, "lines"),
    ],
)
def test_a_manifest_refuses_what_the_xml_schema_refuses(
    overrides: dict[str, object], where: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        igm(**overrides)
    assert where in {str(part) for error in refused.value.errors() for part in error["loc"]}


@pytest.mark.parametrize(
    ("code", "value", "words"),
    [
        (
            CountryCode,
            "CHN",
            "'CHN' is not an ISO 3166-1 alpha-2 country code (two capital letters)",
        ),
        (CountryCode, "cn", "'cn' is not an ISO 3166-1 alpha-2 country code (two capital letters)"),
        (CurrencyCode, "US", "'US' is not an ISO 4217 currency code (three capital letters)"),
        (UNLocode, "AE", "'AE' is not a UN/LOCODE (country code and 3 capitals or digits)"),
        (HSCode, "7208361", "'7208361' is not an 8-digit ITC-HS code"),
        (HSCode, "", "'' is not an 8-digit ITC-HS code"),
        (UnitCode, "nos", "'nos' is not a unit quantity code (2 or 3 capitals)"),
    ],
)
def test_a_code_of_another_shape_is_refused_in_words(code: Any, value: str, words: str) -> None:
    """Not the pattern (``String should match pattern '^[A-Z]{2}$'``): what the code is."""
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(code).validate_python(value)
    [error] = refused.value.errors()
    assert error["msg"] == words and error["input"] == value
    with pytest.raises(ValidationError) as not_text:
        TypeAdapter(code).validate_python(5)
    assert not_text.value.errors()[0]["type"] == "string_type"


@pytest.mark.parametrize("value", ["UK", "EU", "XX", "ZZ"])
def test_a_country_code_must_be_assigned_by_iso_3166(value: str) -> None:
    """Two capitals are not enough: ``UK`` (the United Kingdom is ``GB``) and ``EU`` would
    silently leave a line off a country list (the scrap safe-country route)."""
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(CountryCode).validate_python(value)
    [error] = refused.value.errors()
    assert error["type"] == "country_code" and "ISO 3166-1" in error["msg"]
    assert TypeAdapter(CountryCode).validate_python("GB") == "GB"


def test_the_shipped_country_list_is_pycountrys() -> None:
    import pycountry

    from customs_engine.core.refdata import country_codes

    assert country_codes() == {country.alpha_2 for country in pycountry.countries}


def test_a_message_names_the_field_and_the_code_it_refuses() -> None:
    with pytest.raises(ValidationError) as refused:
        boe(items=[item_data(country_of_origin="CHN")], port_of_loading="AE")
    assert {(e["loc"], e["msg"]) for e in refused.value.errors()} == {
        (("port_of_loading",), "'AE' is not a UN/LOCODE (country code and 3 capitals or digits)"),
        (
            ("items", 0, "country_of_origin"),
            "'CHN' is not an ISO 3166-1 alpha-2 country code (two capital letters)",
        ),
    }


def test_values_the_xml_schema_holds_are_kept_with_the_ends_of_tokens_trimmed() -> None:
    """Tokens are measured as the schema does (spaces collapsed) and kept with their ends
    trimmed, as the XML reader reads them (inner spaces stay); money and quantities keep six
    decimals, which the schema now holds too."""
    message = boe(
        number=" 7001234 ",
        importer={"iec": "AAPFU0939F", "name": "ACME   IMPORTS\tPVT LTD"},
        items=[
            item_data(
                description="D" * 512,
                licences=[{"scheme": "IMS", "number": "A" + " " * 40 + "B"}],
                value_inr="0.123456",
                unit="MT",
            )
        ],
        manifest={"line": 999_999, "subline": 0},
    )
    assert message.number == "7001234" and message.items[0].value_inr == Decimal("0.123456")
    assert message.items[0].licences[0].number == "A" + " " * 40 + "B"


def test_the_testing_kit_still_numbers_items_by_position() -> None:
    from customs_engine.testing import bill_of_entry, item

    assert [i.number for i in bill_of_entry(item(), item()).items] == [1, 2]
    assert Item.model_validate(item_data(number=0)).number == 0  # alone, a placeholder


@pytest.mark.parametrize(
    ("instant", "refused"),
    [
        ("2199-12-31T23:30:00-12:00", True),  # 2200-01-01 in India
        ("2199-12-31T12:00:00+05:30", False),
        ("1950-01-01T00:00:00+14:00", True),  # 1949-12-31 in India
        ("1950-01-01T10:00:00+05:30", False),
        ("2199-12-31T23:59:00", False),  # naive: India time
    ],
)
def test_an_instant_is_in_range_by_its_date_in_india(instant: str, refused: bool) -> None:
    """Dates are calendar dates in India: an instant dated in range in its own offset but not in
    India was read, then written to EDIFACT (in India time) as a date our reader refuses."""
    from customs_engine.core.dates import check_in_range

    if refused:
        with pytest.raises(ValueError, match="outside the accepted range"):
            check_in_range(datetime.fromisoformat(instant))
    else:
        check_in_range(datetime.fromisoformat(instant))
