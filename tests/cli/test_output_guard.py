"""``-o`` never overwrites what the run reads (issue 18 item 10: ``-o`` naming an input file
truncated it before it was read). Refused with exit 2 before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import MESSAGES, customs

BOE = MESSAGES / "02-be-laptops-ims.xml"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(BOE, folder / "be.xml")
    return folder


@pytest.mark.parametrize("target", ["be.xml", "./be.xml", "link.xml", "hard.xml"])
def test_output_naming_an_input_file_is_refused_and_the_file_kept(
    inputs: Path, target: str
) -> None:
    (inputs / "link.xml").symlink_to(inputs / "be.xml")
    (inputs / "hard.xml").hardlink_to(inputs / "be.xml")
    before = (inputs / "be.xml").read_bytes()
    result = customs(
        "validate", "--no-progress", "-o", str(inputs / target), str(inputs / "be.xml")
    )
    assert result.returncode == 2, result.stderr.decode()
    assert b"would overwrite the input" in result.stderr and b"Traceback" not in result.stderr
    assert (inputs / "be.xml").read_bytes() == before


def test_output_inside_an_input_directory_is_refused(inputs: Path) -> None:
    result = customs("validate", "--no-progress", "-o", str(inputs / "out.json"), str(inputs))
    assert result.returncode == 2 and b"would overwrite the input" in result.stderr
    assert not (inputs / "out.json").exists()


def test_output_naming_the_config_or_the_registry_is_refused(inputs: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[ims]\n")
    db = tmp_path / "customs.db"
    db.write_bytes(b"")
    for target, extra in ((config, ["--config", str(config)]), (db, ["--db", f"sqlite:///{db}"])):
        before = target.read_bytes()
        result = customs(
            "validate", "--no-progress", *extra, "-o", str(target), str(inputs / "be.xml")
        )
        assert result.returncode == 2 and b"would overwrite the input" in result.stderr
        assert target.read_bytes() == before


def test_output_elsewhere_is_written(inputs: Path, tmp_path: Path) -> None:
    result = customs(
        "validate", "--no-progress", "-o", str(tmp_path / "out.txt"), str(inputs / "be.xml")
    )
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"BE-INNSA1-000123" in (tmp_path / "out.txt").read_bytes()
