"""``-j1`` and ``-j2`` give byte-identical output on mixed archives, in every output format."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import customs

FORMATS = ["csv", "junit", "json", "jsonl", "text", "xml"]


@pytest.fixture
def archives(mixed_zip: Path, mixed_tar: Path) -> list[str]:
    return [str(mixed_zip), str(mixed_tar)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_identical_for_any_number_of_jobs(
    archives: list[str], fmt: str, tmp_path: Path
) -> None:
    outputs = []
    for jobs in ("-j1", "-j2", "-j3"):
        result = customs(
            "validate", "--format", fmt, "--no-progress", jobs, *archives, cwd=tmp_path
        )
        assert result.returncode == 1, result.stderr.decode()  # broken members are rejected
        outputs.append(result.stdout)
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2]


def test_mixed_archive_yields_every_member_in_order_with_the_broken_ones_rejected(
    archives: list[str], tmp_path: Path
) -> None:
    import json

    result = customs("validate", "--format", "jsonl", "-j2", *archives, cwd=tmp_path)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    sources = [r["message"]["source"] for r in out]
    zipped = [s for s in sources if s.startswith(archives[0])]
    # the manifest first, then the rest in sorted order
    assert zipped[0].endswith("!2026/03/deeper/01-igm-innsa1-2234567.xml")
    assert zipped[1:] == sorted(zipped[1:]) and len(zipped) == len(sources) - len(zipped)
    by_member = {r["message"]["source"].split("!", 1)[1]: r for r in out[: len(zipped)]}
    note = by_member["2026/03/notes.txt"]
    assert (
        note["status"] == "rejected" and "format not recognised" in note["findings"][0]["message"]
    )
    broken = by_member["2026/broken.xml"]
    assert broken["status"] == "rejected" and "not well-formed" in broken["findings"][0]["message"]
    assert by_member["2026/03/deeper/01-igm-innsa1-2234567.xml"]["message"]["type"] == ("manifest")
    edifact = by_member["2026/04/be-laptops.edi"]["message"]
    assert edifact["format"] == "edifact" and edifact["type"] == "bill_of_entry"
