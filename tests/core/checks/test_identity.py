"""CORE-IEC-001/002/003 and CORE-ID-001."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from stdnum.in_ import pan

from customs_engine.core.engine import Engine
from customs_engine.testing import rules_of
from tests.core.helpers import boe, engine, item


@pytest.fixture(scope="module")
def checker():  # type: ignore[no-untyped-def]
    return engine()


def importer(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "iec": "AAPFU0939F",
        "gstin": "27AAPFU0939F1ZV",
        "category": "COMMERCIAL",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "iec, outcome",
    [
        ("AAPFU0939F", None),  # PAN format, passes stdnum
        ("DCUNO0137E", None),  # permanent, fails the PAN checksum but is whitelisted
        ("NCIEE1169E", None),
        ("0123456789", "warn"),  # legacy numeric
        ("AAPFU0000F", "reject"),  # PAN format, serial 0000 fails stdnum
        ("AAPF0939F", "reject"),  # 9 characters
        (None, "reject"),  # (a blank IEC is no shape of the model: its readers refuse it)
    ],
)
def test_iec_forms(checker, iec, outcome) -> None:  # type: ignore[no-untyped-def]
    category = (
        "DIPLOMAT"
        if iec == "DCUNO0137E"
        else ("RBI_AUTHORISED" if iec == "NCIEE1169E" else "COMMERCIAL")
    )
    response = checker.validate_message(
        boe(importer=importer(iec=iec, gstin=None, category=category))
    )
    assert rules_of(response, "CORE-IEC").get("CORE-IEC-001") == outcome


@pytest.mark.parametrize(
    "iec, category",
    [
        ("DCUNO0137E", "DIPLOMAT"),
        ("IIHIE0153E", "PERSONAL"),
        ("ATAEF1096E", "ATA_CARNET"),
        ("ICIRN1126E", "RELIEF"),
        ("NCIEE1169E", "RBI_AUTHORISED"),
    ],
)
def test_iec_001_quiet_for_the_permanent_iecs_that_fail_the_pan_check(
    checker: Engine, iec: str, category: str
) -> None:
    """The permanent list is read before the PAN checksum: these five are PAN-shaped, fail it,
    and are valid IECs all the same."""
    assert not pan.is_valid(iec)  # the nearest case: CORE-IEC-001 would reject a PAN like it
    message = boe(importer=importer(iec=iec, gstin=None, category=category))
    response = checker.validate_message(message)
    assert "CORE-IEC-001" not in rules_of(response)
    assert rules_of(response, "CORE-IEC") == {}


def test_legacy_numeric_iec_cut_off_from_config(checker) -> None:  # type: ignore[no-untyped-def]
    message = boe(importer=importer(iec="0123456789", gstin=None))
    late = engine(config={"core": {"legacy_numeric_iec_until": "2019-12-31"}})
    assert rules_of(late.validate_message(message))["CORE-IEC-001"] == "reject"
    as_of = engine(
        config={"core": {"legacy_numeric_iec_until": "2019-12-31"}}, as_of=date(2019, 6, 1)
    )
    assert rules_of(as_of.validate_message(message))["CORE-IEC-001"] == "warn"


@pytest.mark.parametrize(
    "iec, category, value, fires",
    [
        ("IIEGN0161E", "NEPAL", "25000", False),  # equality passes (T40)
        ("IIEGN0161E", "NEPAL", "25001", True),
        ("IIEGM0170E", "MYANMAR", "25000.01", True),
        ("IIEGC1134E", "CHINA_BORDER", "100000", False),
        ("IIEGC1134E", "CHINA_BORDER", "100000.01", True),
        ("AMDCG0111E", "GOVERNMENT", "99999999", False),  # no ceiling
    ],
)
def test_border_iec_ceiling(checker, iec, category, value, fires) -> None:  # type: ignore[no-untyped-def]
    message = boe(
        importer=importer(iec=iec, gstin=None, category=category),
        items=[item(value_inr=Decimal(value))],
    )
    assert ("CORE-IEC-002" in rules_of(checker.validate_message(message))) is fires


@pytest.mark.parametrize(
    "iec, category, value, fires",
    [
        ("0100000061", "NEPAL", "25000", False),  # the old number of IIEGN0161E
        ("0100000061", "NEPAL", "5000000", True),
        ("0100000070", "MYANMAR", "25000.01", True),
        ("0100000134", "CHINA_BORDER", "100000.01", True),
        ("0123456789", "COMMERCIAL", "5000000", False),  # a legacy number of no permanent IEC
    ],
)
def test_a_legacy_number_of_a_border_iec_keeps_its_ceiling(  # type: ignore[no-untyped-def]
    checker, iec, category, value, fires
) -> None:
    message = boe(
        importer=importer(iec=iec, gstin=None, category=category),
        items=[item(value_inr=Decimal(value))],
    )
    found = rules_of(checker.validate_message(message))
    assert found["CORE-IEC-001"] == "warn"  # the legacy number is still only warned
    assert ("CORE-IEC-002" in found) is fires


def test_a_legacy_number_of_a_permanent_iec_keeps_its_category(checker) -> None:  # type: ignore[no-untyped-def]
    wrong = boe(importer=importer(iec="0100000037", gstin=None, category="COMMERCIAL"))
    assert rules_of(checker.validate_message(wrong))["CORE-IEC-003"] == "query"
    right = boe(importer=importer(iec="0100000037", gstin=None, category="DIPLOMAT"))
    assert "CORE-IEC-003" not in rules_of(checker.validate_message(right))


@pytest.mark.parametrize("presented", ["2012-06-01", "2015-03-31", "2015-04-01", "2026-03-09"])
def test_the_border_ceilings_apply_whatever_the_date(presented: str) -> None:
    message = boe(
        presented_at=f"{presented}T10:00:00+05:30",
        manifest=None,
        prior=True,
        importer=importer(iec="IIEGC1134E", gstin=None, category="CHINA_BORDER"),
        items=[item(value_inr=Decimal("10000000"))],
    )
    assert rules_of(engine().validate_message(message))["CORE-IEC-002"] == "reject"


def test_permanent_iec_category(checker) -> None:  # type: ignore[no-untyped-def]
    wrong = boe(importer=importer(iec="DCUNO0137E", gstin=None, category="COMMERCIAL"))
    assert rules_of(checker.validate_message(wrong))["CORE-IEC-003"] == "query"
    right = boe(importer=importer(iec="DCUNO0137E", gstin=None, category="DIPLOMAT"))
    unset = boe(importer=importer(iec="DCUNO0137E", gstin=None, category=None))
    for message in (right, unset):
        assert "CORE-IEC-003" not in rules_of(checker.validate_message(message))


def test_gstin(checker) -> None:  # type: ignore[no-untyped-def]
    bad = checker.validate_message(boe(importer=importer(gstin="27AAPFU0939F1ZO")))  # T41
    assert rules_of(bad)["CORE-ID-001"] == "reject"
    other_pan = checker.validate_message(boe(importer=importer(iec="AABCB1234C")))
    assert rules_of(other_pan).get("CORE-ID-001") == "query"
    for quiet in (importer(), importer(gstin=None)):
        assert "CORE-ID-001" not in rules_of(checker.validate_message(boe(importer=quiet)))
