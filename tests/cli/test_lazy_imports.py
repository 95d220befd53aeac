"""A run loads what its inputs need: the other formats' readers and the worker machinery of
``-j2`` (lxml alone is about 4 MiB) are imported when first used, not at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from customs_engine.adapters.edifact.writer import write_all as writer_edifact
from customs_engine.adapters.icegate_xml import reader
from tests.adapters.ices_flatfile.flat_files import flat_file, steel_be
from tests.conftest import MESSAGES

XML_READER = "customs_engine.adapters.icegate_xml.reader"
SCMTR_READER = "customs_engine.adapters.scmtr_json.reader"
FLAT_FILE_READER = "customs_engine.adapters.ices_flatfile.reader"
WORKERS = "customs_engine.core.batch.workers"
SCMTR_SCE = "icegate/scmtr/samples/F_SACHM22_SCE_SOMESENDER_2_190820201705_DEC.json"


def _modules_after_validate(path: Path, tmp_path: Path, *options: str) -> set[str]:
    """The modules a fresh ``customs validate`` of ``path`` has imported when it ends."""
    listing = tmp_path / "modules.txt"
    listing.unlink(missing_ok=True)
    argv = ["validate", *options, "-o", str(tmp_path / "out.jsonl"), str(path)]
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from customs_engine.cli import main\n"
        f"main({argv!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=False, timeout=120)
    return set(listing.read_text().split("\n"))


def test_an_edifact_run_loads_no_other_reader_and_no_workers(tmp_path: Path) -> None:
    edifact = tmp_path / "be.edi"
    xml = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    edifact.write_bytes(writer_edifact([reader.read(xml, "be.xml")[0].message]))
    loaded = _modules_after_validate(edifact, tmp_path)
    assert "customs_engine.adapters.edifact.reader" in loaded
    for module in ("lxml.etree", XML_READER, SCMTR_READER, FLAT_FILE_READER, WORKERS):
        assert module not in loaded, module
    assert "concurrent.futures.process" not in loaded and "multiprocessing" not in loaded
    assert WORKERS in _modules_after_validate(edifact, tmp_path, "-j2")
    # no registry database: nothing to open, so no SQLAlchemy (saying so loads none either)
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert "sqlalchemy" not in _modules_after_validate(edifact, tmp_path, "--db", missing)


def test_each_reader_is_loaded_when_its_format_is_met(tmp_path: Path, samples_dir: Path) -> None:
    assert {"lxml.etree", XML_READER} <= _modules_after_validate(
        MESSAGES / "02-be-laptops-ims.xml", tmp_path
    )
    flat = tmp_path / "be.flat"
    flat.write_bytes(flat_file("cachi01", steel_be()))
    assert FLAT_FILE_READER in _modules_after_validate(flat, tmp_path)
    assert SCMTR_READER in _modules_after_validate(samples_dir / SCMTR_SCE, tmp_path)
