"""Every shared sample and every example converts to every output format it can take, and the
result reads back without a syntax finding and without losing a field (canonical models equal).

Files no adapter can turn into a message (foreign message guides, documentation) have nothing to
convert; the test says which files it converted so a reader can see it is not vacuous.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.testing import make_engine
from tests.conftest import MESSAGES

TARGETS = ("xml", "edifact")
SKIPPED_SUFFIXES = {".md", ".txt", ".csv", ".toml", ".py", ".cfg"}


def inputs(samples: Path) -> list[Path]:
    found = [*sorted(samples.rglob("*")), *sorted(MESSAGES.rglob("*"))]
    return [path for path in found if path.is_file() and path.suffix not in SKIPPED_SUFFIXES]


def readable(path: Path) -> list[BillOfEntry | ImportGeneralManifest]:
    parsed = make_engine().parse(path.read_bytes(), str(path))
    return [p.message for p in parsed if p.message is not None]


def test_the_round_trip_covers_the_samples_and_examples(samples_dir: Path) -> None:
    converted = [path.name for path in inputs(samples_dir) if readable(path)]
    assert "synthetic_sachi01_igm.igm" in converted
    assert "synthetic_cachi01_steel_be.be" in converted
    assert "ices_sachi01_sea_igm_redacted_excerpt.igm" in converted
    assert "01-igm-innsa1-2234567.xml" in converted and len(converted) >= 10


@pytest.mark.parametrize("target", TARGETS)
def test_every_readable_file_converts_and_reads_back_unchanged(
    samples_dir: Path, target: str
) -> None:
    engine = make_engine()
    failures = []
    for path in inputs(samples_dir):
        for message in readable(path):
            rendered = engine.host.write_messages([message], target)
            assert rendered is not None
            back = engine.parse(rendered, f"{path.name}.{target}")
            syntax = [
                f.message for p in back for f in p.findings if f.rule.startswith("CORE-SYNTAX")
            ]
            if syntax:
                failures.append(f"{path.name} → {target}: {syntax[:3]}")
                continue
            (again,) = [p.message for p in back]
            if again != message:
                diff = {
                    name: (getattr(message, name), getattr(again, name))
                    for name in type(message).model_fields
                    if getattr(message, name) != getattr(again, name)
                }
                failures.append(f"{path.name} → {target}: fields changed {diff}"[:2000])
    assert failures == [], "\n".join(failures)


def _ices_amendment(function: str, tables: tuple[str, ...] | None, priced: bool = True) -> bytes:
    """A CACHI01_A file of the steel Bill of Entry: records of ``function`` (A amendment, D
    delete), only ``tables`` of them (all when ``None``), ITEMS without unit price unless
    ``priced``."""
    from tests.adapters.ices_flatfile.flat_files import flat_file, steel_be

    kept = steel_be()
    for rows in kept.values():
        for row in rows:
            row.update(
                message_type=function,
                job_no=None,
                job_date=None,
                be_number="1234567",
                be_date="20260311",
            )
            if not priced and "unit_price" in row:
                row["unit_price"] = None
    if tables is not None:
        kept = {name: rows for name, rows in kept.items() if name in tables}
    return flat_file("cachi01", kept, message_id="CACHI01_A")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("data", "items"),
    [
        (_ices_amendment("A", ("BE",)), 0),
        (_ices_amendment("D", ("BE",)), 0),
        (_ices_amendment("A", None, priced=False), 2),
    ],
    ids=["amendment-of-the-be-record-only", "cancellation", "amendment-of-items-without-price"],
)
def test_an_amendment_or_cancellation_without_goods_converts_and_reads_back(
    data: bytes, items: int, target: str
) -> None:
    """An ICES amendment file carries only the records it changes and a cancellation none of
    the goods: read as a Bill of Entry without items, or with items without a value, it is
    still written in every format (the XML passes the shipped XSD) and read back unchanged.
    Only an original must declare its items and their values."""
    engine = make_engine()
    (parsed,) = engine.parse(data, "amend.be")
    message = parsed.message
    assert isinstance(message, BillOfEntry) and message.function != "original"
    assert parsed.findings == [] and len(message.items) == items
    assert all((i.value_inr, i.foreign_value) == (None, None) for i in message.items)
    rendered = engine.host.write_messages([message], target)
    assert rendered is not None
    (back,) = engine.parse(rendered, f"amend.{target}")
    assert back.findings == [] and back.message == message
