"""Negative, zero and overflowing numbers never reach the ledger: every reader refuses them with a
finding naming the place, and the whole run (``validate --commit``) debits nothing for them.

Reproduces issue 18 items 1 and 17: ``MEA+AAE++NOS:-1000'`` once credited an IMS authorisation
(five later Bills of Entry of 100 were then accepted against a 100-unit licence), a 500-unit line
plus a −480 line passed the 20-unit R&D exemption, and an item number above the ledger's 32-bit
integer column stopped every later ``--commit`` run.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.adapters.ices_flatfile.reader import parse as parse_ices
from tests.adapters.ices_flatfile.flat_files import flat_file, igm, steel_be
from tests.archives import as_edifact
from tests.conftest import MESSAGES, customs

BOE = MESSAGES / "02-be-laptops-ims.xml"
REGISTRY = (
    "kind,scheme,number,iec,issued_on,valid_until,hs_codes,quantity,unit,value_inr,"
    "port_code\nauthorisation,IMS,IMS-2026-00042,AAPFU0939F,2026-01-05,2026-12-31,"
    "84713010,100,NOS,500000000.00,INNSA1\n"
)


def edifact(
    quantity: str = "60", *, message_id: str = "BE-INNSA1-000123", item: str = "1"
) -> bytes:
    text = as_edifact(BOE).decode()
    assert "MEA+AAE++NOS:60'" in text and "CST+1+" in text
    text = text.replace("MEA+AAE++NOS:60'", f"MEA+AAE++NOS:{quantity}'")
    text = text.replace("CST+1+", f"CST+{item}+")
    reference = re.search(r"UNH\+([^+]+)\+", text)
    assert reference is not None  # the message id is UNH's reference (0062)
    return text.replace(reference[1], message_id).encode()


def xml(quantity: str = "60", *, message_id: str = "BE-INNSA1-000123", item: str = "1") -> bytes:
    text = BOE.read_text()
    text = text.replace(
        '<Quantity unit="NOS">60</Quantity>', f'<Quantity unit="NOS">{quantity}</Quantity>'
    )
    return (
        text.replace('<Item number="1">', f'<Item number="{item}">')
        .replace("BE-INNSA1-000123", message_id)
        .encode()
    )


def findings_of(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.message for f in parsed.findings]


# -- every reader refuses, naming the place ---------------------------------------------


@pytest.mark.parametrize("quantity", ["-1000", "-0", "0", "0.000"])
def test_edifact_refuses_a_negative_or_zero_quantity_at_its_segment(quantity: str) -> None:
    (parsed,) = read_edifact(edifact(quantity))
    assert parsed.message is None
    (place,) = [f for f in parsed.findings if "MEA quantity value" in f.message]
    assert f"must be above zero, got '{quantity}'" in place.message
    assert "line 26, column 1" in place.message and "segment MEA" in place.message
    assert place.item == 1


@pytest.mark.parametrize(
    ("segment", "what"),
    [
        ("MOA+40:-3000000.00:INR'", "MOA+40 amount"),
        ("MOA+38:-36036.04:USD'", "MOA+38 amount"),
        ("CUX+2:USD+3:INR+-83.25'", "CUX exchange rate"),
        ("CUX+2:USD+3:INR+0'", "CUX exchange rate"),
    ],
)
def test_edifact_refuses_negative_values_and_rates(segment: str, what: str) -> None:
    text = edifact().decode()
    tag = segment[:6]
    original = next(line for line in text.split("\n") if line.startswith(tag))
    (parsed,) = read_edifact(text.replace(original, segment).encode())
    (finding,) = [f for f in parsed.findings if what in f.message]
    assert "zero or more" in finding.message or "above zero" in finding.message
    assert finding.outcome == "reject" and finding.item == 1


def test_edifact_refuses_a_negative_gross_weight_on_a_manifest() -> None:
    data = as_edifact(MESSAGES / "01-igm-innsa1-2234567.xml").decode()
    weights = [line for line in data.split("'") if line.strip().startswith("MEA+AAE+G+KGM:")]
    assert weights
    (parsed,) = read_edifact(data.replace(weights[0].strip(), "MEA+AAE+G+KGM:-5").encode())
    assert parsed.message is None or parsed.message.lines[0].gross_weight_kg is None
    assert any("gross weight must be above zero, got '-5'" in m for m in findings_of(parsed))


@pytest.mark.parametrize("number", ["0", "1000000000", "2147483648", "99999999999999999999"])
def test_edifact_bounds_item_numbers(number: str) -> None:
    (parsed,) = read_edifact(edifact(item=number))
    assert parsed.message is None
    assert any(
        f"CST goods item number (1496) must be from 1 to 999999999, got '{number}'" in m
        for m in findings_of(parsed)
    ), findings_of(parsed)


@pytest.mark.parametrize("quantity", ["-1000", "0", "0.0"])
def test_xml_refuses_a_negative_or_zero_quantity_at_its_line(quantity: str) -> None:
    (parsed,) = read_xml(xml(quantity), "be.xml")
    assert parsed.message is None
    (finding,) = parsed.findings
    assert finding.message.startswith(
        "line 33, column 7: schema: Element '{urn:customs-engine:icegate:v1}Quantity'"
    ), finding.message


@pytest.mark.parametrize("number", ["1000000000", "2147483648", "99999999999999999999"])
def test_xml_bounds_item_numbers(number: str) -> None:
    (parsed,) = read_xml(xml(item=number), "be.xml")
    assert parsed.message is None
    (finding,) = parsed.findings
    assert finding.message.startswith(
        "line 28, column 5: schema: Element '{urn:customs-engine:icegate:v1}Item', "
        "attribute 'number'"
    ), finding.message


@pytest.mark.parametrize("quantity", ["0", "0.000000"])
def test_ices_refuses_a_zero_quantity_at_its_field(quantity: str) -> None:
    tables = steel_be()
    tables["ITEMS"][1]["quantity"] = quantity
    (parsed,) = parse_ices(flat_file("cachi01", tables), {})
    assert any(
        "quantity 0" in m and "must be above zero" in m and "table ITEMS" in m
        for m in findings_of(parsed)
    ), findings_of(parsed)
    assert parsed.message is None or [i.number for i in parsed.message.items] == [1]


def test_ices_refuses_a_negative_quantity() -> None:
    tables = steel_be()
    tables["ITEMS"][1]["quantity"] = "-2000"
    (parsed,) = parse_ices(flat_file("cachi01", tables), {})
    assert any("'-2000' is not a number" in m for m in findings_of(parsed)), findings_of(parsed)
    assert parsed.message is None or all(i.quantity > 0 for i in parsed.message.items)


def test_ices_refuses_a_zero_gross_weight_on_a_manifest_line() -> None:
    tables = igm()
    tables["cargo"][0]["gross_weight"] = "0.000"
    (parsed,) = parse_ices(flat_file("sachi01", tables), {})
    assert any(
        "gross weight 0 must be above zero" in m and "table cargo" in m for m in findings_of(parsed)
    ), findings_of(parsed)


# -- the whole run: nothing is credited ---------------------------------------------------------


def _commit(tmp_path: Path, *members: tuple[str, bytes]) -> list[dict]:  # type: ignore[type-arg]
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY)
    db = f"sqlite:///{tmp_path / 'customs.db'}"
    assert customs("registry", "import", "--db", db, str(registry)).returncode == 0
    paths = []
    for name, data in members:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    result = customs(
        "validate", "--db", db, "--commit", "--format", "jsonl", "--no-progress", "-j", "1", *paths
    )
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def _debited(tmp_path: Path) -> str:
    shown = customs(
        "registry", "show", "--db", f"sqlite:///{tmp_path / 'customs.db'}", "IMS-2026-00042"
    )
    assert shown.returncode == 0, shown.stderr.decode()
    return next(line for line in shown.stdout.decode().splitlines() if "remaining" in line)


def test_a_negative_edifact_quantity_never_credits_the_authorisation(tmp_path: Path) -> None:
    members = [("00-credit.edi", edifact("-1000", message_id="BE-CREDIT"))]
    members += [(f"{n:02}-be.edi", edifact("100", message_id=f"BE-{n}")) for n in range(1, 6)]
    responses = _commit(tmp_path, *members)
    # the IGM is not stored: the one bill that fits is a query (noting not verified), debited
    assert [r["status"] for r in responses] == ["rejected"] + ["query"] + ["rejected"] * 4
    assert [r["authorisations"][0]["debited_quantity"] for r in responses[1:]] == [
        "100",
        "0",
        "0",
        "0",
        "0",
    ]
    assert _debited(tmp_path).startswith("  remaining: 0 NOS")


@pytest.mark.parametrize("fmt", ["edifact", "xml"])
def test_an_item_number_past_the_integer_column_is_a_finding_not_a_stop(
    tmp_path: Path, fmt: str
) -> None:
    build = edifact if fmt == "edifact" else xml
    suffix = "edi" if fmt == "edifact" else "xml"
    responses = _commit(
        tmp_path,
        (f"1.{suffix}", build(item="2147483648", message_id="BE-BIG")),
        (f"2.{suffix}", build("10", message_id="BE-NEXT")),
    )
    assert [r["status"] for r in responses] == ["rejected", "query"]
    assert _debited(tmp_path).startswith("  remaining: 90 NOS")


# -- the IMS 20-unit R&D exemption cannot be netted down --------------------------------------


def _rnd_edifact(*quantities: str) -> bytes:
    """Example 02 without its licence, for R&D, with one laptop line per quantity."""
    text = edifact().decode()
    head, rest = text.split("CST+1+", 1)
    item, tail = rest.split("UNS+S'", 1)
    item = "CST+1+" + item.replace("FTX+ZZZ+++PURP:COMMERCIAL", "FTX+ZZZ+++PURP:RND")
    item = item.split("DOC+911", 1)[0]  # no licence: the exemption is the only way in
    lines = "".join(
        item.replace("CST+1+", f"CST+{n}+").replace("MEA+AAE++NOS:60'", f"MEA+AAE++NOS:{q}'")
        for n, q in enumerate(quantities, start=1)
    )
    tail = re.sub(r"CNT\+5:\d+", f"CNT+5:{len(quantities)}", tail)
    body = head + lines + "UNS+S'" + tail
    count = body.count("'\n", body.index("UNH+"), body.index("UNT+")) + 1
    return re.sub(r"UNT\+\d+\+", f"UNT+{count}+", body).encode()


def _rnd_xml(*quantities: str) -> bytes:
    text = BOE.read_text().replace("<Purpose>COMMERCIAL</Purpose>", "<Purpose>RND</Purpose>")
    text = re.sub(r"\s*<Licence [^>]*/>", "", text)
    start, end = text.index("<Item "), text.index("</Item>") + len("</Item>")
    item = text[start:end]
    lines = "".join(
        item.replace('number="1"', f'number="{n}"').replace(">60<", f">{q}<")
        for n, q in enumerate(quantities, start=1)
    )
    return (text[:start] + lines + text[end:]).encode()


@pytest.mark.parametrize("build", [_rnd_edifact, _rnd_xml], ids=["edifact", "xml"])
def test_a_negative_line_cannot_bring_rnd_units_under_the_twenty_unit_cap(build) -> None:  # type: ignore[no-untyped-def]
    from customs_engine.testing import make_engine

    run = make_engine()
    (within,) = run.validate_bytes(build("20"), "rnd")
    assert any(f.rule == "IMS-EXM-003" and f.outcome == "warn" for f in within.findings)
    (netted,) = run.validate_bytes(build("500", "-480"), "rnd")
    assert netted.status == "rejected"
    assert not any(f.rule == "IMS-EXM-003" and f.outcome == "warn" for f in netted.findings)
    assert any(f.rule.startswith("CORE-SYNTAX-") for f in netted.findings)


# -- property: no sequence of messages moves a balance outside [0, limit] -----------------------

QUANTITY_TEXT = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False).map(str),
    st.sampled_from(
        [
            "0",
            "-0",
            "0.000",
            "-0.5",
            "0.0000001",
            "9" * 19,
            "9" * 40,
            "-" + "9" * 25,
            "100",
            "100.000000",
            "40",
            "60",
        ]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["edifact", "xml", "model"]), QUANTITY_TEXT),
        min_size=1,
        max_size=6,
    )
)
def test_no_sequence_of_messages_leaves_a_balance_outside_zero_and_the_limit(
    messages: list[tuple[str, str]],
) -> None:
    from customs_engine.core.ledger.run_state import RunState
    from customs_engine.testing import authorisation, make_engine

    record = authorisation(
        "IMS",
        "IMS-2026-00042",
        iec="AAPFU0939F",
        issued_on=date(2026, 1, 5),
        valid_until=date(2026, 12, 31),
        hs_codes="84713010",
        quantity=100,
        unit="NOS",
        value_inr="500000000",
        port_code="INNSA1",
    )
    run = RunState()
    engine = make_engine(records=[record], run=run)
    debited_in_responses = Decimal(0)
    for n, (fmt, quantity) in enumerate(messages):
        message_id = f"BE-P{n}"
        if fmt == "model":
            try:
                (parsed,) = engine.parse(xml("60", message_id=message_id), "be.xml")
                assert parsed.message is not None
                data = parsed.message.model_dump()
                data["items"][0]["quantity"] = quantity
                message = type(parsed.message).model_validate(data)
            except ValidationError:
                continue  # the model refuses it: nothing can reach the ledger
            responses = [engine.validate_message(message)]
        else:
            data = (
                edifact(quantity, message_id=message_id)
                if fmt == "edifact"
                else xml(quantity, message_id=message_id)
            )
            responses = engine.validate_bytes(data, f"be.{fmt}")
        for response in responses:
            debited_in_responses += sum(
                (use.debited_quantity for use in response.authorisations), Decimal(0)
            )
        debited = run.debited("IMS", "IMS-2026-00042")[0]
        assert Decimal(0) <= debited <= Decimal(100), (messages, debited)
        assert debited == debited_in_responses
