"""What a worker sends back must complete to the very response the main process would have made."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.runner import stateless
from customs_engine.core.batch.wire import compress, decompress, pack, unpack
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.plugin_host import PluginHost
from tests.archives import BROKEN_XML, NOT_A_MESSAGE, as_edifact
from tests.conftest import MESSAGES

SAMPLES = (
    "edifact/smooks_cusdec_d96b_ncts_cd001a.edi",
    "edifact/smooks_cuscar_d99a_scprbl.edi",
    "icegate/synthetic_cachi01_steel_be.be",
    "icegate/synthetic_sachi01_igm.igm",
    "icegate/ices_sachi01_sea_igm_redacted_excerpt.igm",
)


def _inputs(samples_dir: Path) -> list[InputFile]:
    files = [InputFile(p.name, p.read_bytes()) for p in sorted(MESSAGES.glob("*.xml"))]
    files += [InputFile(name, (samples_dir / name).read_bytes()) for name in SAMPLES]
    files.append(InputFile("04.edi", as_edifact(MESSAGES / "04-be-steel-sims.xml")))
    files += [
        InputFile("note.txt", NOT_A_MESSAGE),
        InputFile("broken.xml", BROKEN_XML),
        InputFile("refused", b"", problem="archive member 'x': refused"),
    ]
    return files


def _run(files: list[InputFile], *, travel: bool) -> list[str]:
    """Complete every message in order, with or without the trip through the wire."""
    host = PluginHost.from_entry_points(trace=False)
    worker, main = Engine(host, CheckContext()), Engine(host, CheckContext())
    out = []
    for file in files:
        pairs = stateless(worker, file)
        if travel:
            pairs = [unpack(p) for p in decompress(compress([pack(*p) for p in pairs]))]
        out += [main.complete(p, a, file.name).to_json() for p, a in pairs]
    return out


def test_responses_after_the_wire_are_byte_identical(samples_dir: Path) -> None:
    files = _inputs(samples_dir)
    direct = _run(files, travel=False)
    assert len(direct) > len(files)  # multi-message files are in
    assert _run(files, travel=True) == direct


@pytest.mark.parametrize("name", ["02-be-laptops-ims.xml", "01-igm-innsa1-2234567.xml"])
def test_the_message_the_checks_saw_is_the_one_that_arrives(name: str) -> None:
    engine = Engine(PluginHost.from_entry_points(trace=False))
    ((parsed, assessment),) = stateless(engine, InputFile(name, (MESSAGES / name).read_bytes()))
    seen = assessment.message or parsed.message
    arrived, arrived_assessment = unpack(decompress(compress(pack(parsed, assessment))))
    assert arrived.message == seen
    assert arrived_assessment.message is None
    assert arrived_assessment.key == assessment.key
    assert (arrived_assessment.fees, arrived_assessment.claims) == (
        assessment.fees,
        assessment.claims,
    )
    assert arrived.findings == parsed.findings
    assert arrived_assessment.findings == assessment.findings


def test_a_batch_fits_a_pipe_in_one_write() -> None:
    """The reason for compressing: 32 results must stay well under the 64 KiB a pipe holds."""
    engine = Engine(PluginHost.from_entry_points(trace=False))
    examples = sorted(MESSAGES.glob("*-be-*.xml"))
    files = [InputFile(f"{i}.xml", examples[i % len(examples)].read_bytes()) for i in range(32)]
    batch = [[pack(*p) for p in stateless(engine, file)] for file in files]
    assert len(pickle.dumps(batch)) > 64 * 1024 > 2 * len(compress(batch))
