"""ICES values in the canonical model's shapes: the forms real files use (lower-case codes, Indian
ports by their six-character customs code) are read as the model holds them; any other value the
model refuses is a ``CORE-SYNTAX-005`` finding at its record and field, and no message is made."""

from __future__ import annotations

from decimal import Decimal

from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.adapters.ices_flatfile.reader import parse
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest

from .flat_files import flat_file, igm, steel_be


def test_lower_case_codes_and_indian_location_codes_read_as_the_model_holds_them() -> None:
    tables = steel_be()
    tables["BE"][0].update(country_of_consignment="jp", port_of_shipment="inmaa1")
    tables["ITEMS"][0].update(country_of_origin="jp", unit="kgs")
    tables["INVOICE"][0]["currency"] = "usd"
    tables["EXCHANGE"][0]["currency"] = "usd"
    [parsed] = parse(flat_file("cachi01", tables), {})
    be = parsed.message
    assert isinstance(be, BillOfEntry) and parsed.findings == []
    assert (be.consigned_from, be.port_of_loading) == ("JP", "INMAA")
    assert (be.items[0].country_of_origin, be.items[0].unit) == ("JP", "KGS")
    assert be.items[0].foreign_value is not None
    assert be.items[0].foreign_value.currency == "USD"
    xml_writer.write(be)  # and XML holds it


def test_a_value_the_model_refuses_is_reported_at_its_record_and_field() -> None:
    tables = steel_be()
    tables["BE"][0]["port_of_shipment"] = "AE"
    tables["ITEMS"][1]["country_of_origin"] = "J"
    tables["ITEMS"][0]["cth"] = "7208511"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert parsed.message is None and parsed.type == "unknown"
    found = {(f.rule, f.item, f.field) for f in parsed.findings}
    assert found == {
        ("CORE-SYNTAX-005", None, "BE[line 3].field 25"),
        ("CORE-SYNTAX-005", 1, "ITEMS[line 9].field 22"),
        ("CORE-SYNTAX-005", 2, "ITEMS[line 10].field 21"),
    }
    messages = " | ".join(f.message for f in parsed.findings)
    assert "port_of_loading" in messages and "items[1].country_of_origin" in messages


def test_an_invoice_currency_that_is_no_iso_code_is_a_finding_not_a_reader_failure() -> None:
    tables = steel_be()
    tables["INVOICE"][0]["currency"] = "US"
    tables["EXCHANGE"][0]["currency"] = "US"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert [(f.rule, f.field) for f in parsed.findings] == [
        ("CORE-SYNTAX-005", "INVOICE[line 7].field 43")
    ]
    assert isinstance(parsed.message, BillOfEntry)
    assert all(item.foreign_value is None for item in parsed.message.items)


def test_a_long_issuer_name_gives_way_to_the_issuer_code_as_agency() -> None:
    tables = steel_be()
    document = {
        "declaration_type": "B",
        "invoice_sr": 1,
        "item_sr": 1,
        "icegate_user": "TESTCB0001",
        "irn": "2026030100001",
        "document_type": "861000",
        "issuer_code": "PSIA-017",
        "issuer_name": "A PRE-SHIPMENT INSPECTION AGENCY WITH A VERY LONG NAME",
        "document_reference": "PSIC-1",
        "place_of_issue": "YOKOHAMA",
        "issued_on": "20260215",
        "beneficiary_name": "ZETA TEST IMPORTS",
        "file_type": "pdf",
    }
    tables["SUPPORTING_DOCS"] = [document, {**document, "item_sr": 2, "issuer_name": "PSIA"}]
    config = {"ices_flatfile": {"certificate_types": {"861000": "PSIC"}}}
    [parsed] = parse(flat_file("cachi01", tables), config)
    assert isinstance(parsed.message, BillOfEntry), parsed.findings
    agencies = [item.certificates[0].agency for item in parsed.message.items]
    assert agencies == ["PSIA-017", "PSIA"]


def test_a_message_id_is_at_most_64_characters_and_never_cut() -> None:
    """A control number that would make the id longer than the model holds is a finding at HREC
    field 10 and no document is made: a cut id could be another manifest's (two 80-character
    control numbers that differ only at the end got one id)."""
    [parsed] = parse(flat_file("cachi01", steel_be(), control="C" * 90), {})
    assert isinstance(parsed.message, BillOfEntry)  # keyed by its job number: no control number
    assert parsed.reference == "CACHI01-INNSA1-7001"
    references = set()
    for last in "AB":
        [manifest] = parse(flat_file("sachi01", igm(), control="C" * 79 + last), {})
        assert manifest.message is None and manifest.type == "unknown"
        [finding] = manifest.findings
        assert finding.rule == "CORE-SYNTAX-002" and finding.field == "HREC[line 1].field 10"
        assert "would have 95 characters, more than 64: the control number has 80" in (
            finding.message
        )
        references.add(manifest.reference)
    assert len(references) == 2


def test_a_manifest_last_port_reads_as_a_un_locode_or_is_reported() -> None:
    tables = igm()
    tables["vesinfo"][0]["last_port"] = "inmaa1"
    [parsed] = parse(flat_file("sachi01", tables), {})
    assert isinstance(parsed.message, ImportGeneralManifest), parsed.findings
    assert parsed.message.last_port_of_call == "INMAA"
    tables["vesinfo"][0]["last_port"] = "XX"
    [parsed] = parse(flat_file("sachi01", tables), {})
    assert parsed.message is None
    assert [(f.rule, f.field) for f in parsed.findings] == [
        ("CORE-SYNTAX-005", "vesinfo[line 4].field 12")
    ]


def test_a_cargo_value_the_line_cannot_hold_is_said_not_dropped() -> None:
    """ICES-VAL-002: a weight in pounds and an unknown cargo movement are left out of the line,
    each with a warning at its field; the manifest is still made."""
    tables = igm()
    tables["cargo"][0].update(weight_unit="LBS", cargo_movement="XX")
    [parsed] = parse(flat_file("sachi01", tables), {})
    manifest = parsed.message
    assert isinstance(manifest, ImportGeneralManifest)
    line = manifest.lines[0]
    assert line.gross_weight_kg is None and line.cargo_movement is None
    assert [f.rule for f in parsed.findings] == ["ICES-VAL-002", "ICES-VAL-002"]
    assert [(f.outcome, f.field) for f in parsed.findings] == [
        ("warn", "cargo[line 7].field 31"),  # the weight unit
        ("warn", "cargo[line 7].field 26"),  # the cargo movement
    ]
    assert "1/0: gross weight 3000.000 LBS" in parsed.findings[0].message


def test_kilograms_and_tonnes_in_any_spelling_are_held() -> None:
    tables = igm()
    tables["cargo"][0]["weight_unit"] = "KGM"
    tables["cargo"][1]["weight_unit"] = "TNE"
    [parsed] = parse(flat_file("sachi01", tables), {})
    assert "ICES-VAL-002" not in [f.rule for f in parsed.findings]
    assert isinstance(parsed.message, ImportGeneralManifest)
    weights = [line.gross_weight_kg for line in parsed.message.lines]
    assert weights == [Decimal("3000.000"), Decimal("4500.000")]


def test_a_code_the_reader_cannot_map_is_one_finding_not_two() -> None:
    """The reader names the code; the model's own refusal of the empty field that follows (in
    pydantic's words) is not said again."""
    tables = steel_be()
    tables["BE"][0]["be_type"] = "Q"
    tables["BE"][0]["mode"] = "X"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert [f.message for f in parsed.findings] == [
        "table BE, line 3, field 7: BE type 'Q' is not H, W, X, Z, T, M, V or S",
        "table BE, line 3, field 17: mode of transport 'X' is not S, A or L",
    ]
