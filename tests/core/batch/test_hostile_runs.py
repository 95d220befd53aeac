"""Runs that stop or are pushed to extremes (issue 18): -j bounds, dead workers and parents,
output left well-formed, extreme dates identical under any -j."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine import cli
from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.runner import STOP, RunError, run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.writers.json_text import JsonWriter
from tests.conftest import MESSAGES, customs

GOOD = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()


def test_jobs_are_capped_at_a_multiple_of_the_cores(tmp_path: Path) -> None:
    result = customs(
        "validate",
        "-j",
        "100000",
        "--no-progress",
        str(MESSAGES / "02-be-laptops-ims.xml"),
        cwd=tmp_path,
    )
    cores = len(os.sched_getaffinity(0))
    assert f"-j 100000 capped at {4 * cores} (4 per core".encode() in result.stderr
    assert result.returncode == 1, result.stderr.decode()  # answered (QUERY), not stuck


def test_a_dead_worker_has_its_own_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def dies(*args: object, **kwargs: object) -> None:
        raise RunError("a worker process died while checking x")

    monkeypatch.setattr(cli, "run", dies)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["validate", str(MESSAGES / "02-be-laptops-ims.xml")])
    assert result.exit_code == cli.EXIT_WORKER == 4
    assert cli.EXIT_WORKER != cli.EXIT_PLUGIN


def test_killing_the_main_process_kills_its_workers(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(3000):
        (drop / f"be-{n:05d}.xml").write_bytes(GOOD)
    main = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "validate",
            "-j",
            "3",
            "--no-progress",
            str(drop),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = children(main.pid)
    assert len(workers) >= 2, "the workers did not start"
    main.kill()
    main.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_json_output_is_closed_when_a_run_stops() -> None:
    host = PluginHost.from_entry_points(trace=False)

    def files():
        for n in range(3):
            yield InputFile(f"{n}.xml", GOOD)
        raise LedgerError("the registry database is gone")

    out = io.BytesIO()
    with pytest.raises(LedgerError):
        run(Engine(host, CheckContext()), files(), JsonWriter(out))
    assert len(json.loads(out.getvalue())) == 3


def test_an_error_raised_while_the_run_is_being_stopped_is_the_interruption() -> None:
    """A signal's KeyboardInterrupt can come back as another error (pydantic-core turns one raised
    while it serialises into a PydanticSerializationError): once the stop flag is set, the run
    ends as interrupted (exit 130), not as a failure of the writer or a traceback."""
    host = PluginHost.from_entry_points(trace=False)
    out = io.BytesIO()

    class Stopped(JsonWriter):
        def write(self, response):  # type: ignore[no-untyped-def]
            STOP.set()  # what the SIGTERM handler does first
            raise ValueError("Error serializing to JSON: KeyboardInterrupt")

    with pytest.raises(KeyboardInterrupt):
        run(Engine(host, CheckContext()), [InputFile("a.xml", GOOD)], Stopped(out))
    assert json.loads(out.getvalue()) == []  # still a closed JSON array


def test_a_signal_while_a_message_is_in_hand_lets_its_response_out_then_stops() -> None:
    """SIGTERM landing after a message's completion (its commit, with --commit) and before its
    response is written: the response is still written, and the run stops right after it, so
    nothing is committed without its response."""
    host = PluginHost.from_entry_points(trace=False)
    engine = Engine(host, CheckContext())
    complete = engine.complete

    def completed_then_signalled(*args, **kwargs):  # type: ignore[no-untyped-def]
        response = complete(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # delivered here, before the response is written
        return response

    engine.complete = completed_then_signalled  # type: ignore[method-assign]
    previous = signal.signal(signal.SIGTERM, cli._interrupt)
    out = io.BytesIO()
    try:
        with pytest.raises(KeyboardInterrupt):
            run(engine, [InputFile(f"{n}.xml", GOOD) for n in range(3)], JsonWriter(out))
    finally:
        signal.signal(signal.SIGTERM, previous)
        STOP.clear()
    written = json.loads(out.getvalue())  # one response: written as one object
    assert written["message"]["source"] == "0.xml"


def test_sigterm_leaves_json_output_well_formed(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    # enough files that a loaded machine is still in the middle of them when the signal comes
    for n in range(6000):
        (drop / f"be-{n:05d}.xml").write_bytes(GOOD)
    out = tmp_path / "out.json"
    main = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "validate",
            "--format",
            "json",
            "-o",
            str(out),
            "--no-progress",
            str(drop),
        ],
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 60
    while (not out.exists() or out.stat().st_size < 10_000) and time.monotonic() < deadline:
        time.sleep(0.1)
    main.send_signal(signal.SIGTERM)
    _, err = main.communicate(timeout=60)
    assert main.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
    assert 0 < len(json.loads(out.read_bytes())) < 6000


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1949-12-31T23:59:59+05:30"]
)
def test_extreme_timestamps_are_a_finding_under_any_jobs(tmp_path: Path, stamp: str) -> None:
    path = tmp_path / "extreme.xml"
    path.write_bytes(re.sub(rb"<PresentedAt>[^<]*", b"<PresentedAt>" + stamp.encode(), GOOD))
    outputs = []
    for jobs in ("-j1", "-j2"):
        result = customs(
            "validate",
            "--format",
            "jsonl",
            "--no-progress",
            jobs,
            str(path),
            str(path),
            cwd=tmp_path,
        )
        assert result.returncode == 1 and b"Traceback" not in result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    finding = json.loads(outputs[0].splitlines()[0])["findings"][0]
    assert (
        finding["rule"] == "CORE-SYNTAX-005" and "outside the accepted range" in finding["message"]
    )


def test_edge_of_the_date_range_travels_the_worker_wire_exactly(tmp_path: Path) -> None:
    path = tmp_path / "edge.xml"
    path.write_bytes(
        re.sub(rb"<PresentedAt>[^<]*", b"<PresentedAt>1950-01-01T00:00:00+05:30", GOOD)
    )
    outputs = [
        customs(
            "validate",
            "--format",
            "jsonl",
            "--no-progress",
            jobs,
            str(path),
            str(path),
            cwd=tmp_path,
        ).stdout
        for jobs in ("-j1", "-j2")
    ]
    assert outputs[0] == outputs[1]
    assert b"outside the accepted range" not in outputs[0]
