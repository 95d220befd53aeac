"""The core's reference data can be overridden by ``--config`` like a scheme plugin's: the
``[core]`` table lays a notification made since the release over the shipped port master
(``[core.ports.CODE]``), permanent IECs (``[core.iec]``), faceless-assessment routing
(``[core.routing]``) and deadlines and fees (``[core.deadlines]``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.refdata import REFERENCE_TABLES, reference, shipped_data
from customs_engine.core.response import Response
from customs_engine.testing import rules_of
from tests.conftest import MESSAGES
from tests.core.helpers import at, boe, engine, igm, item

NEW_PORT = {"ports": {"INXYZ1": {"name": "New Port", "station_type": "sea", "state": "GJ"}}}


def fees(response: Response, rule: str) -> list[Decimal]:
    return [fee.amount for fee in response.fees if fee.rule == rule]


def test_the_core_declares_every_table_of_its_reference_data_as_a_setting() -> None:
    assert set(REFERENCE_TABLES) == set(shipped_data())


def test_a_port_notified_since_the_release_is_added_from_the_core_table() -> None:
    message = boe(port_code="INXYZ1", manifest=None)
    assert rules_of(engine().validate_message(message))["CORE-PORT-001"] == "query"
    added = engine(config={"core": NEW_PORT}).validate_message(message)
    assert "CORE-PORT-001" not in rules_of(added)
    # a later start: not yet in force for a Bill of Entry presented before it
    later = {"ports": {"INXYZ1": {**NEW_PORT["ports"]["INXYZ1"], "effective_from": "2027-01-01"}}}
    assert reference(later).port("INXYZ1", date(2026, 12, 31)) is None
    assert reference(later).port("INXYZ1", date(2027, 1, 1)) is not None


def test_a_shipped_port_can_be_changed_field_by_field() -> None:
    moved = reference({"ports": {"INNSA1": {"state": "GJ"}}}).ports["INNSA1"]
    assert (moved.state, moved.station_type) == ("GJ", "sea")
    assert reference().ports["INNSA1"].state == "MH"  # the shipped data is left alone


def test_the_prior_entry_limit_follows_the_core_table() -> None:
    def prior(config: dict[str, Any] | None) -> dict[str, str]:
        run = engine(config=config)
        run.validate_message(
            igm(
                arrived_at=at("2026-03-10"),
                expected_arrival=at("2026-03-10"),
                filed_at=at("2026-02-20"),
            )
        )
        return rules_of(run.validate_message(boe(prior=True, presented_at=at("2026-02-01"))))

    assert prior(None)["CORE-BOE-PRIOR-001"] == "reject"  # 37 days
    assert "CORE-BOE-PRIOR-001" not in prior({"core": {"deadlines": {"prior": {"max_days": 40}}}})


def test_late_fee_and_document_fee_schedules_follow_the_core_table() -> None:
    late = boe(
        manifest=None, prior=True, arrived_at=at("2026-03-10"), presented_at=at("2026-03-10")
    )
    assert fees(engine().validate_message(late), "CORE-BOE-LATE-001") == [Decimal(5000)]
    schedule = [
        {"from": date(2017, 3, 31), "first_days": 3, "first_rate": "6000", "later_rate": "12000"}
    ]
    config = {"core": {"deadlines": {"late_fee": schedule}}}
    assert fees(engine(config=config).validate_message(late), "CORE-BOE-LATE-001") == [
        Decimal(6000)
    ]

    def amended(config: dict[str, Any] | None) -> list[Decimal]:
        run = engine(config=config)
        run.validate_message(boe())
        return fees(run.validate_message(boe(function="amendment")), "CORE-BOE-AMD-001")

    assert amended(None) == [Decimal(1000)]
    raised = [{"from": date(2017, 4, 11), "boe_amendment": "1500"}]
    assert amended({"core": {"deadlines": {"document_fee": raised}}}) == [Decimal(1500)]


def test_routing_follows_the_core_table() -> None:
    unmapped = boe(items=[item(hs_code="72083610")])
    assert rules_of(engine().validate_message(unmapped))["CORE-NAC-001"] == "info"
    groups = [{"headings": ["7201", "7229"], "nac": "NAC Metals", "group": "3"}]
    response = engine(config={"core": {"routing": {"group": groups}}}).validate_message(unmapped)
    assert response.routing is not None and response.routing.group == "3"
    assert "CORE-NAC-001" not in rules_of(response)


def test_permanent_iecs_follow_the_core_table() -> None:
    permanent = [*shipped_data()["iec"]["permanent"]]
    nepal = next(entry for entry in permanent if entry["category"] == "NEPAL")
    raised = {**nepal, "ceiling": [{"value_inr": "200000"}]}
    message = boe(
        importer={"iec": nepal["iec"], "name": "TRADER", "category": "COMMERCIAL"},
        items=[item(value_inr=Decimal("100000.00"))],
    )
    assert rules_of(engine().validate_message(message))["CORE-IEC-002"] == "reject"
    table = [raised if entry is nepal else entry for entry in permanent]
    response = engine(config={"core": {"iec": {"permanent": table}}}).validate_message(message)
    assert "CORE-IEC-002" not in rules_of(response)


@pytest.mark.parametrize(
    "table, said",
    [
        ({"deadlines": {"prior": {"max_days": "thirty"}}}, r"\[core.deadlines.prior\] max_days"),
        ({"deadlines": {"exchange": {"tolerance_inr": "-1"}}}, "tolerance_inr"),
        ({"deadlines": {"late_fee": [{"from": "2017-03-31"}]}}, r"late_fee\]\] #1 from"),
        ({"deadlines": {"boe_regime": [{"regime": "strict"}]}}, "regime must be"),
        ({"ports": {"INXYZ1": {"name": "X", "station_type": "harbour"}}}, "station_type"),
        ({"ports": {"INBOM1": {"colour": "blue"}}}, "no such key colour"),
        ({"ports": {"XYZ": {"name": "X", "station_type": "sea"}}}, "a port code is IN"),
        ({"ports": {"INXYZ1": "New Port"}}, "must be a table|no such key"),
        ({"deadlines": {"grace_days": 2}}, r"\[core.deadlines\] grace_days: no such key"),
        ({"routing": {"group": [{"nac": "NAC Metals"}]}}, "cannot be applied"),
    ],
)
def test_a_core_override_that_cannot_apply_is_refused_naming_its_place(
    table: dict[str, Any], said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        reference(table)
    response = engine(config={"core": table}).validate_message(boe())
    assert rules_of(response)["CORE-PLUGIN-001"] == "reject"  # fails closed, never a silent pass


def test_an_unknown_core_key_is_said_when_the_run_starts(tmp_path: Path) -> None:
    config = tmp_path / "customs.toml"
    config.write_text('[core]\nport_master = "ports.csv"\n[core.deadlines.prior]\nmax_days = 40\n')
    result = CliRunner().invoke(
        main, ["validate", "--config", str(config), str(MESSAGES / "01-igm-innsa1-2234567.xml")]
    )
    said = [line for line in result.stderr.splitlines() if "is no setting" in line]
    assert len(said) == 1, result.stderr  # `deadlines` is one
    assert said[0].startswith("customs: --config [core] port_master is no setting of plugin 'core'")


def test_the_operators_page_example_of_a_core_table_applies() -> None:
    import tomllib

    text = (Path(__file__).parents[3] / "docs" / "operators.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    blocks = [block for block in blocks if "[core." in block]
    assert len(blocks) == 1
    table = tomllib.loads(blocks[0])["core"]
    applied = reference(table)
    assert applied.port("INXYZ1", date(2027, 1, 1)) is not None
    assert applied.dated("document_fee", date(2026, 1, 1)) == {
        "from": date(2017, 4, 11),
        "boe_amendment": "1000",
        "boe_cancellation": "1000",
        "igm_amendment": "1000",
    }
