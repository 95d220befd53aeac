"""``--format xml``: responses validate against the shipped response schema."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from importlib import resources

from lxml import etree

from customs_engine.adapters.icegate_xml.responses import RESPONSE_NAMESPACE, XmlResponseWriter
from customs_engine.core.response import (
    AuthorisationUse,
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    Response,
    Routing,
)


def schema() -> etree.XMLSchema:
    path = (
        resources.files("customs_engine.adapters.icegate_xml")
        / "schema"
        / "customs-engine-response-v1.xsd"
    )
    return etree.XMLSchema(etree.fromstring(path.read_bytes()))


def full_response() -> Response:
    return Response(
        message=MessageInfo(
            source="a <&> b.xml",
            index=3,
            format="icegate_xml",
            type="bill_of_entry",
            reference="BE-1",
        ),
        document=DocumentInfo(
            number="7001234", port_code="INNSA1", date=date(2026, 3, 10), iec="AAPFU0939F"
        ),
        findings=[
            Finding(
                rule="IMS-BAL-001",
                scheme="ims",
                outcome="reject",
                item=1,
                field="items[0].licences[0]",
                message="needs 50 NOS & more",
                reference="Policy Circular 06/2023-24",
            )
        ],
        fees=[
            Fee(
                rule="CORE-BOE-LATE-001",
                scheme="core",
                kind="late_presentation",
                amount=Decimal("25000"),
                basis="4 days late",
            )
        ],
        authorisations=[
            AuthorisationUse(
                scheme="ims",
                number="IMS-1",
                item=1,
                debited_quantity=Decimal(0),
                debited_value=Decimal(0),
                remaining_quantity=Decimal(40),
                remaining_value=Decimal("2000000"),
            )
        ],
        routing=Routing(nac="NAC Mechanical Machineries", group="5E"),
        rate_date=date(2026, 3, 10),
        engine=EngineInfo(version="0.1.0", as_of=date(2026, 3, 1), plugins={"ims": "0.1.0"}),
    )


def test_xml_responses_validate_and_carry_the_json_content() -> None:
    out = io.BytesIO()
    writer = XmlResponseWriter(out)
    writer.write(full_response())
    writer.write(full_response())
    writer.close()
    doc = etree.fromstring(out.getvalue())
    assert schema().validate(doc), schema().error_log
    ns = {"r": RESPONSE_NAMESPACE}
    responses = doc.findall("r:Response", ns)
    assert len(responses) == 2 and responses[0].get("status") == "rejected"
    assert responses[0].find("r:Fees/r:Fee", ns).get("amount") == "25000.00"
    assert responses[0].find("r:Findings/r:Finding/r:Text", ns).text == "needs 50 NOS & more"
    assert responses[0].find("r:Message", ns).get("source") == "a <&> b.xml"


def test_an_empty_run_is_a_valid_empty_document() -> None:
    out = io.BytesIO()
    XmlResponseWriter(out).close()
    assert schema().validate(etree.fromstring(out.getvalue()))
