"""The shipped examples show every scheme plugin at work: rejected, held and accepted Bills.

The registry CSV is read here with the csv module (SPEC §8 columns) so the examples are
exercised independently of the registry import command.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from customs_engine.core.registry.records import RegistryRecord
from customs_engine.core.response import Response
from customs_engine.testing import make_engine
from tests.conftest import EXAMPLES


def registry_rows() -> list[RegistryRecord]:
    with (EXAMPLES / "registry" / "registry.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    records = []
    for row in rows:
        values = {key: value for key, value in row.items() if value != ""}
        if "hs_codes" in values:
            values["hs_codes"] = tuple(values["hs_codes"].split())
        records.append(RegistryRecord(**values))
    return records


@pytest.fixture(scope="module")
def responses() -> dict[str, Response]:
    engine = make_engine(records=registry_rows())
    out: dict[str, Response] = {}
    for path in sorted((EXAMPLES / "messages").glob("*.xml")):
        for response in engine.validate_bytes(path.read_bytes(), path.name):
            assert response.message.reference is not None, path
            out[response.message.reference] = response
    return out


def rules(response: Response) -> set[str]:
    return {f.rule for f in response.findings}


def test_the_igm_comes_first_and_every_bill_is_answered(responses):
    references = list(responses)
    assert references[0].startswith("IGM-")
    assert all(r.message.type != "unknown" for r in responses.values())


def test_ims_debit_then_shortfall(responses):
    first, second = responses["BE-INNSA1-000123"], responses["BE-INNSA1-000124"]
    assert first.status == "accepted"
    assert first.authorisations[0].remaining_quantity == Decimal(40)
    assert "IMS-BAL-001" in rules(second) and second.status == "rejected"


def test_sims_registration_accepted_with_its_fee(responses):
    steel = responses["BE-INNSA1-000125"]
    assert steel.status == "accepted" and not {r for r in rules(steel) if r.startswith("SIMS")}
    assert [(fee.rule, fee.amount) for fee in steel.fees] == [("SIMS-FEE-001", Decimal(500))]


def test_scrap_from_bandar_abbas_rejected_and_sims_stacks(responses):
    scrap = responses["BE-INNSA1-000126"]
    assert "SCRAP-ORIG-001" in rules(scrap) and scrap.status == "rejected"
    assert [fee.rule for fee in scrap.fees] == ["SIMS-FEE-001"]


def test_aluminium_without_registration_held(responses):
    aluminium = responses["BE-INNSA1-000127"]
    assert "AIMS-COV-001" in rules(aluminium) and aluminium.status == "hold"
    assert [fee.rule for fee in aluminium.fees] == ["AIMS-FEE-001"]


def test_aluminium_with_registration_accepted(responses):
    aluminium = responses["BE-INNSA1-000128"]
    assert aluminium.status == "accepted"
    assert [(fee.rule, fee.amount) for fee in aluminium.fees] == [("AIMS-FEE-001", Decimal(500))]


def test_safe_country_scrap_accepted_with_sims(responses):
    scrap = responses["BE-INNSA1-000129"]
    assert "SCRAP-SAFE-001" in rules(scrap) and scrap.status == "accepted"
    assert not {r for r in rules(scrap) if r.startswith("SIMS")}


def test_every_scheme_plugin_is_at_work(responses):
    schemes = {f.scheme for r in responses.values() for f in r.findings}
    schemes |= {fee.scheme for r in responses.values() for fee in r.fees}
    schemes |= {use.scheme for r in responses.values() for use in r.authorisations}
    assert {"ims", "sims", "aims", "scrap"} <= schemes
    statuses = {r.status for r in responses.values() if r.message.type == "bill_of_entry"}
    assert {"accepted", "hold", "rejected"} <= statuses
