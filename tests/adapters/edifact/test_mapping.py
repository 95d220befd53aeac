"""CUSDEC / CUSCAR of our MIG → canonical model, and the strictness findings (SPEC §6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from customs_engine.adapters.edifact.reader import read
from customs_engine.core.dates import IST
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest

from .interchanges import cuscar_segments, cusdec_segments, interchange


def only(data: bytes):
    parsed = read(data)
    assert len(parsed) == 1
    return parsed[0]


def messages(parsed) -> list[str]:
    return [finding.message for finding in parsed.findings]


def test_every_cusdec_field_of_the_mig_is_mapped() -> None:
    parsed = only(interchange(cusdec_segments()))
    assert parsed.findings == []
    boe = parsed.message
    assert isinstance(boe, BillOfEntry)
    assert (boe.message_id, boe.function, boe.type) == ("M1", "original", "HOME_CONSUMPTION")
    assert (boe.port_code, boe.consigned_from, boe.port_of_loading) == ("INNSA1", "SG", "SGSIN")
    assert boe.presented_at == datetime(2026, 3, 9, 11, 30, tzinfo=IST)
    assert boe.expected_arrival == date(2026, 3, 10)
    assert boe.prior is True and boe.mode == "SEA" and boe.number == "7001234"
    assert boe.importer.model_dump(exclude_none=True) == {
        "iec": "AAPFU0939F",
        "gstin": "27AAPFU0939F1ZV",
        "name": "ACME IMPORTS",
        "category": "COMMERCIAL",
    }
    assert boe.broker == "CHA1"
    assert boe.manifest.model_dump() == {
        "igm_number": "2234567",
        "igm_date": date(2026, 3, 8),
        "line": 10,
        "subline": 0,
        "bl_number": "MAEU123456",
        "bl_date": date(2026, 2, 20),
    }
    item = boe.items[0]
    assert (item.number, item.hs_code, item.description) == (1, "84713010", "LAPTOPS")
    assert (item.product_category, item.quantity, item.unit) == ("LAPTOP", Decimal(60), "NOS")
    assert item.value_inr == Decimal("3000000.00") and item.country_of_origin == "CN"
    assert item.foreign_value.model_dump() == {
        "amount": Decimal("36036.04"),
        "currency": "USD",
        "rate": Decimal("83.25"),
    }
    assert [(lic.scheme, lic.number, lic.issued_on, lic.expires_on) for lic in item.licences] == [
        ("IMS", "IMS-1", date(2026, 1, 5), date(2026, 12, 31))
    ]
    (cert,) = item.certificates
    assert (cert.type, cert.number, cert.agency) == ("PSIC", "PSIC-9", "PSIA-017")
    assert cert.no_radioactive is True and cert.background_usvh == Decimal("0.08")


def test_every_cuscar_field_of_the_mig_is_mapped() -> None:
    parsed = only(interchange(cuscar_segments()))
    assert parsed.findings == []
    igm = parsed.message
    assert isinstance(igm, ImportGeneralManifest)
    assert (igm.igm_number, igm.igm_date, igm.port_code) == ("2234567", date(2026, 3, 8), "INNSA1")
    assert igm.filed_at == datetime(2026, 3, 8, 9, 0, tzinfo=IST)
    assert (igm.conveyance, igm.voyage, igm.carrier, igm.vessel_name) == (
        "VESSEL",
        "V123",
        "MAEU",
        "MAERSK ELBA",
    )
    assert igm.last_port_of_call == "SGSIN"
    assert igm.entry_inwards_at == datetime(2026, 3, 10, 8, 0, tzinfo=IST)
    (line,) = igm.lines
    assert line.model_dump() == {
        "line": 10,
        "subline": 0,
        "bl_number": "MAEU123456",
        "bl_date": date(2026, 2, 20),
        "consignee_name": "ACME IMPORTS PVT LTD",
        "consignee_iec": "AAPFU0939F",
        "packages": 120,
        "package_kind": "PKG",
        "gross_weight_kg": Decimal("4200.5"),
        "description": "LAPTOP COMPUTERS",
        "cargo_movement": "LC",
        "goods_items": [
            {
                "packages": 120,
                "package_kind": "PKG",
                "hs_code": None,
                "gross_weight_kg": Decimal("4200.5"),
                "description": "LAPTOP COMPUTERS",
            }
        ],
    }


def test_spaces_around_a_number_are_layout() -> None:
    data = interchange(cusdec_segments(MEA="MEA+AAE++NOS: 60 "))
    assert only(data).message.items[0].quantity == Decimal(60)


def test_decimal_mark_of_una_is_honoured() -> None:
    data = interchange(cusdec_segments(MEA="MEA+AAE++KGS:12,5")).replace(b"UNA:+.? '", b"UNA:+,? '")
    assert only(data).message.items[0].quantity == Decimal("12.5")


@pytest.mark.parametrize(
    ("overrides", "tag", "words"),
    [
        ({"DTM137": "DTM+137:20261345:102"}, "DTM", "not a valid date"),
        ({"DTM132": "DTM+132:2026031:102"}, "DTM", "not a valid date"),
        ({"DTM137": "DTM+137:202603091130:999"}, "DTM", "date format"),
        ({"MEA": "MEA+AAE++NOS:6O"}, "MEA", "must be a number"),
        ({"MOA40": "MOA+40:1.2.3:INR"}, "MOA", "must be a number"),
        ({"MEA": "MEA+AAE++NOS:60\u00a0"}, "MEA", "must be a number"),  # a no-break space
        ({"BGM": "BGM+930:::H+BE-1+9"}, "BGM", "929"),
        ({"BGM": "BGM+929:::Q+BE-1+9"}, "BGM", "H, W or X"),
        ({"TDT": "TDT+20+V1+7"}, "TDT", "mode of transport"),
        ({"CST": "CST+1+84713010:999"}, "CST", "code list"),
        ({"FTXICAT": "FTX+ZZZ+++ICAT:KING"}, "FTX", "importer category"),
        ({"CNT": "CNT+5:2"}, "CNT", "CNT+5 says 2 items"),
    ],
)
def test_bad_values_give_a_positioned_syntax_finding(overrides, tag, words) -> None:
    parsed = only(interchange(cusdec_segments(**overrides)))
    hits = [f for f in parsed.findings if words in f.message]
    assert hits, messages(parsed)
    finding = hits[0]
    # a value's format, except the item count, which is a control count
    expected = "CORE-SYNTAX-002" if tag == "CNT" else "CORE-SYNTAX-005"
    assert finding.rule == expected and finding.outcome == "reject"
    assert f"message M1, segment {tag} #" in finding.message
    assert finding.message.startswith("line ")


def test_positions_point_at_the_offending_segment() -> None:
    data = interchange(cusdec_segments(DTM137="DTM+137:20261345:102"))
    finding = next(f for f in only(data).findings if "DTM+137" in f.message)
    line_no = data.decode().splitlines().index("DTM+137:20261345:102'") + 1
    assert finding.message.startswith(f"line {line_no}, column 1: message M1, segment DTM #6:")


def test_segment_out_of_branching_order_is_reported() -> None:
    segs = cusdec_segments()
    segs.insert(1, segs.pop(segs.index("TDT+20+V1+1")))  # TDT before the LOCs
    parsed = only(interchange(segs))
    assert any("LOC is out of the CUSDEC D96B branching order" in m for m in messages(parsed))


def test_missing_mandatory_segment_is_reported() -> None:
    parsed = only(interchange(cusdec_segments(UNSD="")))
    assert any("mandatory UNS missing" in m for m in messages(parsed))


def test_missing_mandatory_data_leaves_no_model() -> None:
    parsed = only(interchange(cusdec_segments(LOC22="")))
    assert parsed.message is None and parsed.type == "unknown"
    assert any("LOC+22 (port_code)" in m for m in messages(parsed))


def test_valid_cusdec_keeps_quiet() -> None:
    assert only(interchange(cusdec_segments())).findings == []


def test_element_longer_than_the_directory_allows_is_reported() -> None:
    parsed = only(interchange(cusdec_segments(LOC22="LOC+22+" + "X" * 26)))
    assert any(
        "segment LOC #3: data element 3225 has 26 characters, at most 25" in m
        for m in messages(parsed)
    )
    quiet = only(interchange(cusdec_segments(LOC22="LOC+22+" + "X" * 25)))
    assert not any("data element" in m for m in messages(quiet))


def test_a_structure_or_length_fault_in_an_item_names_the_item() -> None:
    parsed = only(interchange(cusdec_segments(MEA="MEA+AAE++NOS:-123456789012345678.5")))
    (found,) = [f for f in parsed.findings if "data element 6314" in f.message]
    assert found.item == 1
    header = only(interchange(cusdec_segments(LOC22="LOC+22+" + "X" * 26)))
    (found,) = [f for f in header.findings if "data element 3225" in f.message]
    assert found.item is None


def test_a_mistyped_certificate_is_one_finding_not_three() -> None:
    parsed = only(interchange(cusdec_segments(DOCPSIC="DOC+ZZZ:::PSICX+PSIC-9")))
    assert [f.message.rsplit(": ", 1)[-1] for f in parsed.findings] == [
        "certificate type 'PSICX' is not one of PSIC, CONTRACT, SUPPLIER_DECLARATION, "
        "DEFENCE_SUPPLY"
    ]
    missing = only(interchange(cusdec_segments(DOCPSIC="DOC+ZZZ:::CONTRACT+C-1")))
    assert {f.message.rsplit(": ", 1)[-1] for f in missing.findings} == {
        "attribute PNOR needs a PSIC certificate (DOC+ZZZ)",
        "MEA BGR/MXR radiation levels need a PSIC certificate (DOC+ZZZ)",
    }


def test_numeric_length_counts_digits_only() -> None:
    parsed = only(interchange(cusdec_segments(MEA="MEA+AAE++NOS:-123456789012345678.5")))
    assert any("data element 6314 has 19 digits, at most 18" in m for m in messages(parsed))
    quiet = only(interchange(cusdec_segments(MEA="MEA+AAE++NOS:-12345678901234567.5")))
    assert not any("data element" in m for m in messages(quiet))


def test_agency_after_a_licence_is_reported_not_crashed() -> None:
    segs = cusdec_segments()
    segs.insert(segs.index("DTM+36:20261231:102") + 1, "NAD+AM+PSIA-1")
    parsed = only(interchange(segs))
    assert any(
        "NAD+AM (certifying agency) must follow a certificate" in m for m in messages(parsed)
    )


@pytest.mark.parametrize("digits", ["6\u00b2", "\u0666\u0660", "\u00b9"])
def test_non_ascii_digits_in_numbers_are_refused_with_their_place(digits: str) -> None:
    for overrides in (
        {"MEA": f"MEA+AAE++NOS:{digits}"},
        {"CNT": f"CNT+5:{digits}"},
        {"DTM137": f"DTM+137:2026030911{digits}:203"},
    ):
        parsed = only(interchange(cusdec_segments(**overrides)))
        assert parsed.message is None or any(digits in m for m in messages(parsed))
        assert parsed.findings and all(f.rule.startswith("CORE-SYNTAX-") for f in parsed.findings)
        assert any("line " in m and digits in m for m in messages(parsed)), messages(parsed)


def test_a_header_cst_is_read_at_header_level_not_as_an_item() -> None:
    segs = cusdec_segments()
    segs.insert(1, "CST++A:ZZZ")  # CUSDEC position 0030: right after BGM
    parsed = only(interchange(segs))
    assert parsed.findings == [], messages(parsed)
    assert parsed.message is not None
    assert [item.number for item in parsed.message.items] == [1]
    assert parsed.message == only(interchange(cusdec_segments())).message


def test_a_licence_number_padded_with_spaces_is_the_registry_s_and_one_account() -> None:
    """An EDIFACT element keeps its spaces; the number they pad is still the registered one
    (as the XML reader reads it), found in the registry and debited on its own account."""
    from customs_engine.testing import (
        authorisation,
        bill_of_entry,
        item,
        licence,
        make_engine,
        render,
    )

    bill = bill_of_entry(
        item(
            "84713010",
            quantity=1,
            unit="NOS",
            product_category="LAPTOP",
            licences=[
                licence(
                    "IMS",
                    "IMS-2026-00042",
                    issued_on=date(2026, 1, 5),
                    expires_on=date(2026, 12, 31),
                )
            ],
        )
    )
    data = render(bill, "edifact").replace(
        b"DOC+911:::IMS+IMS-2026-00042", b"DOC+911:::IMS+ IMS-2026-00042 "
    )
    assert b"+ IMS-2026-00042 " in data
    engine = make_engine(
        records=[
            authorisation(
                "IMS",
                "IMS-2026-00042",
                issued_on="2026-01-05",
                valid_until="2026-12-31",
                quantity=100,
                unit="NOS",
                value_inr=5000000,
            )
        ]
    )
    [parsed] = engine.parse(data, "padded.edi")
    assert parsed.message is not None
    response = engine.validate_message(parsed.message)
    assert "CORE-LIC-002" not in [f.rule for f in response.findings]
    assert [(use.number, use.debited_quantity) for use in response.authorisations] == [
        ("IMS-2026-00042", Decimal(1))
    ]


def _without_items(**overrides: str) -> list[str]:
    """The valid CUSDEC with no item group (no CST group after UNS+D) and CNT+5:0."""
    item = ("CST", "FTXAAA", "FTXPCAT", "FTXPNOR", "LOC27", "MEA", "MEABGR", "MOA40", "MOA38")
    item += ("CUX", "DOC911", "DTM182", "DTM36", "DOCPSIC", "NADAM")
    return cusdec_segments(**{key: "" for key in item}, CNT="CNT+5:0", **overrides)


def test_an_original_bill_of_entry_without_items_is_a_missing_segment_group() -> None:
    body = _without_items()
    parsed = only(interchange(body))
    [finding] = parsed.findings
    summary = body.index("UNS+S")
    assert (finding.rule, finding.outcome, finding.item) == ("CORE-SYNTAX-003", "reject", None)
    assert finding.message.startswith(
        f"line {summary + 4}, column 1: message M1, segment UNS #{summary + 2}: "
        "mandatory SG30 (CST) missing before UNS"
    )


@pytest.mark.parametrize("function", ["4", "1"])
def test_an_amendment_or_cancellation_may_carry_no_items(function: str) -> None:
    """An amendment or a cancellation of a filed Bill of Entry need not repeat its goods (an ICES
    1.5 amendment file carries only the records it changes; a cancellation withdraws it)."""
    parsed = only(interchange(_without_items(BGM=f"BGM+929:::H+BE-1+{function}")))
    assert parsed.findings == []
    assert isinstance(parsed.message, BillOfEntry) and parsed.message.items == []


def test_an_item_of_an_original_without_any_value_is_a_missing_element() -> None:
    body = cusdec_segments(MOA40="", MOA38="", CUX="")
    parsed = only(interchange(body))
    [finding] = parsed.findings
    cst = body.index("CST+1+84713010:122")
    assert (finding.rule, finding.outcome, finding.item) == ("CORE-SYNTAX-003", "reject", 1)
    assert finding.field == "items[0].value_inr"
    assert finding.message.startswith(
        f"line {cst + 4}, column 1: message M1, segment CST #{cst + 2}: item value (MOA+40"
    )


@pytest.mark.parametrize(
    "overrides",
    [{"MOA38": "", "CUX": ""}, {"MOA40": ""}],
    ids=["inr-value-only", "foreign-value-only"],
)
def test_either_value_of_an_item_is_enough(overrides: dict[str, str]) -> None:
    assert only(interchange(cusdec_segments(**overrides))).findings == []


@pytest.mark.parametrize("amount", ["1.1234567", "-5.00"])
def test_a_refused_value_is_one_finding_not_also_a_missing_one(amount: str) -> None:
    """One fault, one finding: a malformed MOA+40 is refused at its segment and is not also
    reported as an item value that is missing."""
    body = cusdec_segments(MOA40=f"MOA+40:{amount}:INR", MOA38="", CUX="")
    [finding] = only(interchange(body)).findings
    assert "segment MOA" in finding.message and "missing" not in finding.message


def test_an_amendment_item_may_leave_its_value_out() -> None:
    body = cusdec_segments(BGM="BGM+929:::H+BE-1+4", MOA40="", MOA38="", CUX="")
    parsed = only(interchange(body))
    assert parsed.findings == []
    assert parsed.message.items[0].value_inr is None
