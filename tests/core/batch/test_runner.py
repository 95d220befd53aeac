"""The runner: stateful steps in input order whatever the number of jobs; bounded work in flight."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from customs_engine import hookimpl
from customs_engine.core.batch.inputs import InputFile, iter_inputs
from customs_engine.core.batch.progress import Progress
from customs_engine.core.batch.runner import RunError, run
from customs_engine.core.batch.workers import BATCH_FILES, WINDOW_PER_JOB, _batches
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.rules import Rule
from customs_engine.core.writers.json_text import JsonLinesWriter
from tests.archives import EXAMPLE_FILES, EXAMPLE_MESSAGES
from tests.conftest import MESSAGES

SEQ_RULE = Rule(
    id="TEST-SEQ-001",
    scheme="test",
    title="position in the run",
    outcomes=("info",),
    reference="test plugin",
)


class Sequence:
    """An in-sequence check that numbers the messages it sees: wrong order shows in the output."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [SEQ_RULE]

    @hookimpl
    def customs_check_in_sequence(self, message: object) -> list[object]:
        self.seen.append(message.message_id)  # type: ignore[attr-defined]
        return [SEQ_RULE.finding("info", f"message {len(self.seen)} of the run")]


def many_files(count: int) -> list[InputFile]:
    boe = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    igm = (MESSAGES / "01-igm-innsa1-2234567.xml").read_bytes()
    files = []
    for i in range(count):
        data = igm if i % 7 == 0 else boe.replace(b"BE-INNSA1-000123", b"BE-INNSA1-%06d" % i)
        files.append(InputFile(f"f{i:04d}.xml", data))
    files.insert(5, InputFile("refused.zip!x", b"", "archive member 'x' refused: test"))
    return files


def run_with(jobs: int, files: list[InputFile]) -> tuple[bytes, list[str], int]:
    checker = Sequence()
    host = PluginHost.from_entry_points(trace=False, extra=[("sequence", checker, "0")])
    out = io.BytesIO()
    summary = run(Engine(host, CheckContext()), iter(files), JsonLinesWriter(out), jobs=jobs)
    return out.getvalue(), checker.seen, summary.messages


@pytest.mark.parametrize("jobs", [2, 3])
def test_stateful_steps_run_in_input_order_and_output_matches_one_job(jobs: int) -> None:
    files = many_files(5 * BATCH_FILES)  # several batches: workers and the main process take some
    one, seen_one, count_one = run_with(1, files)
    many, seen_many, count_many = run_with(jobs, files)
    assert count_one == count_many == 5 * BATCH_FILES + 1
    assert seen_many == seen_one and len(seen_one) == 5 * BATCH_FILES
    assert many == one
    assert f'"message {5 * BATCH_FILES} of the run"'.encode() in many


def test_batches_are_bounded_by_files_and_bytes() -> None:
    small = [InputFile(str(i), b"x") for i in range(2 * BATCH_FILES + 5)]
    assert [len(b) for b in _batches(iter(small))] == [BATCH_FILES, BATCH_FILES, 5]
    big = [InputFile(str(i), b"x" * (600 * 1024)) for i in range(3)]
    assert [len(b) for b in _batches(iter(big))] == [2, 1]


def test_inputs_are_pulled_lazily_not_read_up_front(tmp_path: Path) -> None:
    pulled = 0

    def files():
        nonlocal pulled
        for file in many_files(1000):
            pulled += 1
            yield file

    consumed = 0

    class Stop(Exception):
        pass

    class Writer(JsonLinesWriter):
        def write(self, response):  # type: ignore[no-untyped-def]
            nonlocal consumed
            consumed += 1
            if consumed == 20:
                raise Stop

    host = PluginHost.from_entry_points(trace=False)
    with pytest.raises(Stop):
        run(Engine(host, CheckContext()), files(), Writer(io.BytesIO()), jobs=2)
    # a bounded window (batches in flight plus the one being completed), not the whole input
    window = (2 * WINDOW_PER_JOB + 1) * BATCH_FILES
    assert pulled <= window + BATCH_FILES < 1000


def test_progress_counts_files_and_messages() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total_files=None)
    host = PluginHost.from_entry_points(trace=False)
    run(
        Engine(host, CheckContext()),
        iter_inputs([str(MESSAGES)]),
        JsonLinesWriter(io.BytesIO()),
        progress=progress,
    )
    assert progress.files == EXAMPLE_FILES and progress.messages == EXAMPLE_MESSAGES
    assert f"customs: {EXAMPLE_MESSAGES} messages" in progress.line()


def _crash() -> PluginHost:
    os._exit(9)


def test_a_dying_worker_stops_the_run_with_a_clear_error() -> None:
    host = PluginHost.from_entry_points(trace=False)
    with pytest.raises(RunError, match=r"worker process died.*-j1"):
        run(
            Engine(host, CheckContext()),
            iter(many_files(10 * BATCH_FILES)),
            JsonLinesWriter(io.BytesIO()),
            jobs=2,
            host_factory=_crash,
        )
