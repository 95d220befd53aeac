"""The same data gets the same verdict in every format: the canonical model holds exactly the
shapes the XML schema states, so a value the XSD refuses is refused by the EDIFACT reader too
(``CORE-SYNTAX-005`` at the segment that carried it, nothing made of the message, nothing debited),
and a value the model holds can be written as XML."""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from lxml import etree
from pydantic import TypeAdapter, ValidationError

from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.adapters.icegate_xml.reader import NS
from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.core import models
from customs_engine.testing import authorisation, make_engine
from tests.adapters.edifact.interchanges import cusdec_segments, interchange

XS = "{http://www.w3.org/2001/XMLSchema}"


def xsd() -> etree._Element:
    path = resources.files("customs_engine.adapters.icegate_xml") / "schema"
    return etree.fromstring((path / "customs-engine-icegate-v1.xsd").read_bytes())


def facets(name: str) -> dict[str, str]:
    """The facets of one of the schema's simple types (``pattern``, ``maxLength``, …)."""
    (simple,) = xsd().iterfind(f"{XS}simpleType[@name='{name}']")
    return {etree.QName(f).localname: f.get("value") for f in simple.find(f"{XS}restriction")}


def max_occurs(type_name: str, element: str) -> int:
    (node,) = xsd().iterfind(
        f"{XS}complexType[@name='{type_name}']//{XS}element[@name='{element}']"
    )
    return int(node.get("maxOccurs"))


# -- the model's types are the schema's ---------------------------------------------------------


@pytest.mark.parametrize(
    ("simple_type", "model_type"),
    [
        ("CountryCode", models.CountryCode),
        ("UNLocode", models.UNLocode),
        ("CurrencyCode", models.CurrencyCode),
        ("HSCode", models.HSCode),
        ("UQC", models.UnitCode),
    ],
)
def test_each_code_has_the_schemas_pattern(simple_type: str, model_type: Any) -> None:
    (info,) = [m for m in model_type.__metadata__ if hasattr(m, "metadata")]
    (pattern,) = [c.pattern for c in info.metadata if hasattr(c, "pattern")]
    assert pattern == f"^{facets(simple_type)['pattern']}$"


@pytest.mark.parametrize(
    ("simple_type", "model_type"),
    [
        ("Token35", models.Token35),
        ("Text512", models.Text512),
        ("MessageId", models.MessageId),
        ("PortCode", models.PortCode),
    ],
)
def test_each_text_has_the_schemas_lengths(simple_type: str, model_type: Any) -> None:
    most = int(facets(simple_type)["maxLength"])
    assert facets(simple_type)["minLength"] == "1"
    check = TypeAdapter(model_type)
    assert check.validate_python("X" * most) == "X" * most
    for refused in ("X" * (most + 1), "", " \t"):
        with pytest.raises(ValidationError):
            check.validate_python(refused)


def test_numbers_and_counts_are_the_schemas() -> None:
    for name in ("Amount", "QuantityValue"):
        assert facets(name)["fractionDigits"] == str(models.DECIMAL_PLACES)
        assert facets(name)["totalDigits"] == str(18 + models.DECIMAL_PLACES)
    assert str(models.MAX_MAGNITUDE) == "1" + "0" * 18
    assert facets("ItemNumber")["maxInclusive"] == str(models.MAX_ITEM_NUMBER)
    assert facets("LineNumber")["maxInclusive"] == str(models.MAX_LINE_NUMBER)
    assert max_occurs("Items", "Item") == models.MAX_ITEMS
    assert max_occurs("GoodsItems", "GoodsItem") == models.MAX_ITEMS
    assert max_occurs("ManifestLines", "Line") == models.MAX_LINES


# -- EDIFACT and XML: one verdict ---------------------------------------------------------------

#: (EDIFACT segment overrides, the model field, the XML element or attribute to set, its value)
CASES = [
    ({"DOC911": "DOC+911:::IMS"}, "items[0].licences[0].number", "Licence@number", ""),
    ({"DOC911": "DOC+911+IMS-1"}, "items[0].licences[0].scheme", "Licence@scheme", ""),
    ({"DOCPSIC": "DOC+ZZZ:::PSIC"}, "items[0].certificates[0].number", "Certificate@number", ""),
    ({"LOC27": "LOC+27+CHN"}, "items[0].country_of_origin", "CountryOfOrigin", "CHN"),
    ({"LOC35": "LOC+35+USA"}, "consigned_from", "ConsignedFrom", "USA"),
    (
        {"MOA38": "MOA+38:36036.04:US", "CUX": "CUX+2:US+3:INR+83.25"},
        "items[0].foreign_value.currency",
        "ForeignValue@currency",
        "US",
    ),
    ({"LOC9": "LOC+9+AE"}, "port_of_loading", "PortOfLoading", "AE"),
    ({"MEA": "MEA+AAE++nos:60"}, "items[0].unit", "Quantity@unit", "nos"),
]


def test_the_reference_interchange_reads_cleanly() -> None:
    (parsed,) = read_edifact(interchange(cusdec_segments()))
    assert parsed.findings == [] and parsed.message is not None


@pytest.mark.parametrize(("segments", "field", "xml", "value"), CASES, ids=lambda c: str(c))
def test_edifact_refuses_what_the_xml_schema_refuses_at_its_segment(
    segments: dict[str, str], field: str, xml: str, value: str
) -> None:
    (parsed,) = read_edifact(interchange(cusdec_segments(**segments)))
    assert parsed.message is None and parsed.type == "unknown"
    [finding] = [f for f in parsed.findings if f.field == field]
    assert finding.rule == "CORE-SYNTAX-005" and finding.outcome == "reject"
    assert re.match(r"line \d+, column \d+: message M1, segment [A-Z]{3} #\d+: ", finding.message)


@pytest.mark.parametrize(("segments", "field", "xml", "value"), CASES, ids=lambda c: str(c))
def test_the_same_value_in_xml_is_refused_too(
    segments: dict[str, str], field: str, xml: str, value: str
) -> None:
    (good,) = read_edifact(interchange(cusdec_segments()))
    assert good.message is not None
    root = etree.fromstring(xml_writer.write(good.message))
    tag, _, attribute = xml.partition("@")
    (node,) = root.iter(f"{NS}{tag}")
    if attribute:
        node.set(attribute, value)
    else:
        node.text = value
    (parsed,) = read_xml(etree.tostring(root), "m.xml")
    assert parsed.message is None
    assert {f.rule for f in parsed.findings} == {"CORE-SYNTAX-005"}


def test_an_amount_with_five_or_six_decimals_is_held_by_both() -> None:
    segments = cusdec_segments(MOA40="MOA+40:0.12345:INR", MOA38="MOA+38:36036.123456:USD")
    (parsed,) = read_edifact(interchange(segments))
    assert parsed.findings == [] and parsed.message is not None
    item = parsed.message.items[0]
    assert item.value_inr == Decimal("0.12345")
    assert item.foreign_value is not None and item.foreign_value.amount == Decimal("36036.123456")
    (back,) = read_xml(xml_writer.write(parsed.message), "m.xml")
    assert back.findings == [] and back.message == parsed.message


def test_a_licence_without_number_is_rejected_and_nothing_is_debited() -> None:
    engine = make_engine(
        records=[
            authorisation("IMS", "IMS-1", iec="AAPFU0939F", quantity=1000, unit="NOS"),
            authorisation("IMS", "", iec="AAPFU0939F", quantity=1000, unit="NOS"),
        ],
        as_of="2026-03-12",
    )
    blank = cusdec_segments(DOC911="DOC+911:::IMS")
    (response,) = engine.validate_bytes(interchange(blank), "blank.edi")
    assert response.status == "rejected" and response.authorisations == []
    assert [f.rule for f in response.findings] == ["CORE-SYNTAX-005"]
    assert response.findings[0].field == "items[0].licences[0].number"
