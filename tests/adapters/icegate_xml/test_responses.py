"""``--format xml``: responses validate against the shipped response schema."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from customs_engine.adapters.icegate_xml.responses import RESPONSE_NAMESPACE, XmlResponseWriter
from customs_engine.cli import main
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
from tests.conftest import MESSAGES

NS = {"r": RESPONSE_NAMESPACE}


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


def test_the_message_function_is_an_attribute_of_the_schema() -> None:
    for function in ("original", "amendment", "cancellation", None):
        response = full_response()
        message = response.message.model_copy(update={"function": function})
        out = io.BytesIO()
        writer = XmlResponseWriter(out)
        writer.write(response.model_copy(update={"message": message}))
        writer.close()
        doc = etree.fromstring(out.getvalue())
        assert schema().validate(doc), schema().error_log
        assert doc.find("r:Response/r:Message", NS).get("function") == function


def validated_as_xml(path: Path, tmp_path: Path) -> etree._Element:
    """``customs validate --format xml`` of ``path``: the document, checked against the schema."""
    result = CliRunner().invoke(
        main,
        ["validate", "--format", "xml", "--as-of", "2026-03-12", str(path)],
        env={"CUSTOMS_DB": f"sqlite:///{tmp_path / 'registry.db'}"},
    )
    assert result.exit_code in (0, 1), result.output
    doc = etree.fromstring(result.stdout_bytes)
    checker = schema()
    errors = [] if checker.validate(doc) else [e.message for e in checker.error_log]
    assert errors == [], f"{path.name}: {errors[:5]}"
    return doc


@pytest.mark.parametrize("example", sorted(MESSAGES.glob("*.xml")), ids=lambda p: p.name)
def test_the_xml_response_of_every_example_passes_the_response_schema(
    example: Path, tmp_path: Path
) -> None:
    doc = validated_as_xml(example, tmp_path)
    messages = doc.findall("r:Response/r:Message", NS)
    assert messages and all(m.get("function") == "original" for m in messages)


@pytest.mark.parametrize(
    "sample",
    [
        "icegate/synthetic_cachi01_steel_be.be",
        "icegate/synthetic_sachi01_igm.igm",
        "icegate/icegate_scmtr_sachm22_sce_dec.json",
        "edifact/smooks_cuscar_d99a_scprbl.edi",
        "edifact/smooks_cusdec_d96b_ncts_cd001a.edi",
    ],
)
def test_the_xml_response_of_other_formats_passes_the_response_schema(
    samples_dir: Path, sample: str, tmp_path: Path
) -> None:
    validated_as_xml(samples_dir / sample, tmp_path)


@pytest.mark.parametrize("function", ["amendment", "cancellation"])
def test_the_xml_response_of_an_amendment_and_a_cancellation_passes(
    function: str, tmp_path: Path
) -> None:
    source = tmp_path / "message.xml"
    text = (MESSAGES / "02-be-laptops-ims.xml").read_text(encoding="utf-8")
    source.write_text(text.replace('function="original"', f'function="{function}"'), "utf-8")
    doc = validated_as_xml(source, tmp_path)
    assert doc.find("r:Response/r:Message", NS).get("function") == function


def test_a_value_xml_cannot_carry_never_stops_an_xml_or_junit_answer() -> None:
    """A finding quoting a control character or a noncharacter of the input (a message id, an
    IEC) stopped ``--format xml`` (exit 3) and made ``--format junit`` malformed."""
    from customs_engine.core.writers.reports import JUnitWriter

    odd = full_response().model_copy(
        update={
            "message": full_response().message.model_copy(update={"reference": "BE\x01\uffff"}),
            "findings": [
                full_response().findings[0].model_copy(update={"message": "IEC AAPFU\uffff9F"})
            ],
        }
    )
    out = io.BytesIO()
    writer = XmlResponseWriter(out)
    writer.write(odd)
    writer.close()
    doc = etree.fromstring(out.getvalue())
    ns = {"r": RESPONSE_NAMESPACE}
    assert doc.find("r:Response/r:Findings/r:Finding/r:Text", ns).text == "IEC AAPFU\\uffff9F"
    assert doc.find("r:Response/r:Message", ns).get("reference") == "BE\\x01\\uffff"
    report = io.BytesIO()
    junit = JUnitWriter(report)
    junit.write(odd)
    junit.close()
    etree.fromstring(report.getvalue())  # well-formed
