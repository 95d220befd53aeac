"""``--format xml`` lists what an amendment, a cancellation or an IGM cancellation credited back
(``<Credited>``, the JSON's ``credited``), valid against the shipped response schema; a credit's
scheme reads as the authorisations' does (lower case) in JSON and XML alike."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from customs_engine.adapters.icegate_xml.responses import XmlResponseWriter
from customs_engine.cli import main
from customs_engine.core.response import Credit
from tests.conftest import MESSAGES, REGISTRY_CSV

from .test_responses import NS, full_response, schema

BOE = MESSAGES / "02-be-laptops-ims.xml"
IGM = MESSAGES / "01-igm-innsa1-2234567.xml"


def written(*responses) -> etree._Element:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    writer = XmlResponseWriter(out)
    for response in responses:
        writer.write(response)
    writer.close()
    doc = etree.fromstring(out.getvalue())
    checker = schema()
    assert checker.validate(doc), checker.error_log
    return doc


CREDITS = [
    Credit(
        scheme="IMS",
        number="IMS-2026-00042",
        item=1,
        quantity=Decimal(60),
        unit="NOS",
        value_inr=Decimal("3000000"),
    ),
    # a warehousing BoE's bond opening comes back negative, without a value
    Credit(
        scheme="BOND", number="BE-W-1/72085110", item=2, quantity=Decimal("-100.5"), value_inr=0
    ),
]


def test_the_credits_are_written_and_valid() -> None:
    response = full_response().model_copy(update={"credited": CREDITS})
    doc = written(response)
    credits = doc.findall("r:Response/r:Credited/r:Credit", NS)
    assert [dict(credit.attrib) for credit in credits] == [
        {
            "scheme": "ims",
            "number": "IMS-2026-00042",
            "item": "1",
            "quantity": "60",
            "unit": "NOS",
            "valueInr": "3000000.00",
        },
        {
            "scheme": "bond",
            "number": "BE-W-1/72085110",
            "item": "2",
            "quantity": "-100.5",
            "valueInr": "0.00",
        },
    ]
    # after <Engine>, as "credited" follows "engine" in the JSON
    children = [etree.QName(child).localname for child in doc.find("r:Response", NS)]
    assert children[-2:] == ["Engine", "Credited"]


def test_a_response_that_credits_nothing_is_written_as_before() -> None:
    doc = written(full_response())
    assert doc.find("r:Response/r:Credited", NS) is None


def test_an_answer_written_before_credits_existed_stays_valid() -> None:
    """The schema's new element is optional: an older answer (no <Credited>) validates."""
    older = etree.tostring(written(full_response()))
    assert b"Credited" not in older
    assert schema().validate(etree.fromstring(older))


def test_the_json_credit_scheme_reads_like_the_authorisations() -> None:
    data = full_response().model_copy(update={"credited": CREDITS}).to_json_dict()
    assert [c["scheme"] for c in data["credited"]] == ["ims", "bond"]
    assert data["authorisations"][0]["scheme"] == "ims"
    # the ledger keeps its own key (upper case): only what is written changes
    assert [credit.scheme for credit in CREDITS] == ["IMS", "BOND"]
    assert CREDITS[0].text().startswith("IMS IMS-2026-00042 item 1: 60 NOS")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_a_committed_cancellation_answers_its_credits_in_xml_and_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    assert cli("registry", "import", "--db", db, str(REGISTRY_CSV))[0] == 0
    code, out = cli("validate", "--db", db, "--commit", "--format", "json", str(IGM), str(BOE))
    assert code in (0, 1), out
    debited = json.loads(out)[1]["authorisations"]
    assert [use["scheme"] for use in debited] == ["ims"]
    cancellation = tmp_path / "cancel.xml"
    text = BOE.read_text(encoding="utf-8")
    cancellation.write_text(text.replace('function="original"', 'function="cancellation"'), "utf-8")
    code, out = cli("validate", "--db", db, "--format", "xml", str(cancellation))
    assert code in (0, 1), out
    doc = etree.fromstring(out.encode())
    checker = schema()
    assert checker.validate(doc), checker.error_log
    [credit] = doc.findall("r:Response/r:Credited/r:Credit", NS)
    assert credit.get("scheme") == "ims" and credit.get("number") == debited[0]["number"]
    assert credit.get("quantity") == debited[0]["debited_quantity"]
    assert credit.get("valueInr") == debited[0]["debited_value"]
    code, out = cli("validate", "--db", db, "--format", "json", str(cancellation))
    assert [c["scheme"] for c in json.loads(out)["credited"]] == ["ims"]
