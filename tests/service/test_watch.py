"""``customs watch``: complete files only, atomic claim, answers through temp + rename, restart
after kill -9 finishes ``.processing/`` without answering or debiting twice, SIGTERM."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import SqlRegistry
from customs_engine.service.results import ResultStore
from customs_engine.service.runs import Validator
from customs_engine.service.watch import NAMES_LOCK, DropFolder

from .conftest import AUTHORISATION, BOE, IGM, bill

ICES_BE = "synthetic_cachi01_steel_be.be"


def _watch(
    url: str, inbox: Path, out: Path, *args: str, runner: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """``customs watch`` in a process of its own (``runner``: a command it runs under)."""
    return subprocess.Popen(
        [
            *runner,
            sys.executable,
            "-m",
            "customs_engine.cli",
            "watch",
            str(inbox),
            "--out",
            str(out),
            "--db",
            url,
            "--settle",
            "0.2",
            *args,
        ],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _old(path: Path) -> None:
    """Written long ago: complete, taken at once."""
    os.utime(path, (time.time() - 60, time.time() - 60))


def _count(folder: Path) -> int:
    return len(list(folder.iterdir())) if folder.exists() else 0


def _in_hand(inbox: Path) -> list[Path]:
    """What is left in ``.processing/`` (its names lock file aside)."""
    return [p for p in (inbox / ".processing").iterdir() if p.name != NAMES_LOCK]


def _wait_for(condition, timeout: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_only_complete_files_are_taken(tmp_path: Path, registry_url: str, host: PluginHost) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    store = SqlRegistry.open(registry_url)
    folder = DropFolder(inbox, tmp_path / "out", Validator(host, store), settle=1.0)
    folder.prepare()
    for name in ("done.xml", "growing.xml", ".hidden.xml", "upload.xml.part", "SMB.XML.PART"):
        (inbox / name).write_bytes(IGM.read_bytes())
    _old(inbox / "done.xml")
    _old(inbox / ".hidden.xml")
    _old(inbox / "upload.xml.part")
    _old(inbox / "SMB.XML.PART")  # (a share that is not case-sensitive writes it so)
    now = time.monotonic()
    assert folder.complete_files(now) == []  # seen once: nothing is known to be complete yet
    with open(inbox / "growing.xml", "ab") as handle:
        handle.write(b"\n")  # still written, whatever its clock says of the time
    os.utime(inbox / "growing.xml", (time.time() - 60, time.time() - 60))
    assert folder.complete_files(now + 0.6) == []
    assert folder.complete_files(now + 1.2) == [inbox / "done.xml"]
    assert folder.complete_files(now + 1.7) == [inbox / "done.xml", inbox / "growing.xml"]
    future = inbox / "future.xml"  # a writer whose clock is an hour ahead
    future.write_bytes(IGM.read_bytes())
    os.utime(future, (time.time() + 3600, time.time() + 3600))
    assert future not in folder.complete_files(now + 2)
    assert future in folder.complete_files(now + 3.1)
    claimed = folder.claim(inbox / "done.xml")
    assert claimed == inbox / ".processing" / folder.token / "done.xml" and claimed.exists()
    assert folder.claim(inbox / "done.xml") is None  # taken already (another watcher, a rename)
    folder.close()
    store.close()


def test_answers_and_ack_and_moves(tmp_path: Path, registry_url: str, samples_dir: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "igm.xml").write_bytes(IGM.read_bytes())
    (inbox / ICES_BE).write_bytes((samples_dir / "icegate" / ICES_BE).read_bytes())
    (inbox / "junk.txt").write_bytes(b"not a message")
    for path in inbox.iterdir():
        _old(path)
    watcher = _watch(registry_url, inbox, out, "--poll")
    try:
        _wait_for(lambda: _count(inbox / ".done") + _count(inbox / ".failed") == 3)
        # a file dropped while it runs (polling: no file events needed)
        (inbox / "later.xml").write_bytes(IGM.read_bytes())
        _wait_for(lambda: (out / "later.xml.json").exists())
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert b"SIGTERM: stopping" in err
    assert sorted(p.name for p in (inbox / ".done").iterdir()) == ["igm.xml", "later.xml"]
    assert sorted(p.name for p in (inbox / ".failed").iterdir()) == sorted([ICES_BE, "junk.txt"])
    assert [p.name for p in inbox.iterdir() if not p.name.startswith(".")] == []
    assert json.loads((out / "igm.xml.json").read_text())["status"] == "accepted"
    assert (
        json.loads((out / "junk.txt.json").read_text())["findings"][0]["rule"] == "CORE-SYNTAX-001"
    )
    ack = (out / f"{ICES_BE}.ack").read_bytes()
    assert b"CHCAI02" in ack and ack.startswith(b"HREC")
    assert not (out / "igm.xml.ack").exists()  # no ICEGATE reply format for the XML rendering
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_restart_finishes_what_was_left_in_processing(tmp_path: Path, registry_url: str) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    (inbox / ".processing").mkdir(parents=True)
    (inbox / ".processing" / "igm.xml").write_bytes(IGM.read_bytes())
    out.mkdir()
    (out / ".igm.xml.json.partial").write_bytes(b'{"half": ')  # a reply cut short by a kill
    watcher = _watch(registry_url, inbox, out)
    try:
        _wait_for(lambda: (inbox / ".done" / "igm.xml").exists())
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.communicate(timeout=30)
    assert json.loads((out / "igm.xml.json").read_text())["status"] == "accepted"
    assert not (out / ".igm.xml.json.partial").exists()


def test_forty_files_killed_twice_answer_once_and_debit_once(
    tmp_path: Path, registry_url: str
) -> None:
    """kill -9 twice mid-run, restart: all 40 answered, the inbox empty, nothing debited twice
    (40 bills of 2 units against IMS-2026-00042's 100 units: 80 debited, each bill once)."""
    CliRunner().invoke(main, ["validate", "--db", registry_url, "--commit", str(IGM)])
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    total = 40
    for n in range(total):
        path = inbox / f"be-{n:02d}.xml"
        path.write_bytes(bill(f"BE-WATCH-{n:02d}", quantity=2))
        _old(path)

    def done() -> int:
        return _count(inbox / ".done")

    def kill_after(answered: int) -> None:
        watcher = _watch(registry_url, inbox, out, "--commit")
        _wait_for(lambda: done() >= answered or watcher.poll() is not None)
        assert watcher.poll() is None, "the watcher stopped before it could be killed"
        os.kill(watcher.pid, signal.SIGKILL)
        watcher.wait()
        assert done() < total, "every file was answered before the kill"

    kill_after(8)
    kill_after(22)
    watcher = _watch(registry_url, inbox, out, "--commit")
    try:
        _wait_for(lambda: done() == total)
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.communicate(timeout=30)
    assert sorted(p.name for p in inbox.iterdir()) == [".done", ".failed", ".processing"]
    assert _in_hand(inbox) == []
    assert list((inbox / ".failed").iterdir()) == []
    assert sorted(p.name for p in (inbox / ".done").iterdir()) == [
        f"be-{n:02d}.xml" for n in range(total)
    ]  # none twice (a second would be be-NN.xml.1)
    replies = sorted(p.name for p in out.iterdir())
    assert replies == [f"be-{n:02d}.xml.json" for n in range(total)]
    for n in range(total):
        response = json.loads((out / f"be-{n:02d}.xml.json").read_text())
        assert response["message"]["reference"] == f"BE-WATCH-{n:02d}"
        assert response["status"] == "accepted"
        assert response["authorisations"][0]["debited_quantity"] == "2"
    store = SqlRegistry.open(registry_url)
    debits = store.debits_of("IMS", AUTHORISATION)
    store.close()
    assert sorted(d[0] for d in debits) == [f"BE-WATCH-{n:02d}" for n in range(total)]
    assert sum(d[2] for d in debits) == 2 * total


def test_sigterm_stops_an_idle_watcher_at_once(tmp_path: Path, registry_url: str) -> None:
    (tmp_path / "in").mkdir()
    watcher = _watch(registry_url, tmp_path / "in", tmp_path / "out")
    started = time.monotonic()
    _wait_for(lambda: (tmp_path / "in" / ".processing").exists() or watcher.poll() is not None)
    time.sleep(0.5)
    watcher.send_signal(signal.SIGTERM)
    watcher.communicate(timeout=30)
    assert watcher.returncode == 0
    assert time.monotonic() - started < 30


def test_scmtr_declarations_get_their_ack(
    tmp_path: Path, registry_url: str, host: PluginHost, samples_dir: Path
) -> None:
    store = SqlRegistry.open(registry_url)
    validator = Validator(host, store)
    folder = DropFolder(tmp_path / "in", tmp_path / "out", validator)
    sce = (
        samples_dir
        / "icegate"
        / "scmtr"
        / "samples"
        / "F_SACHM22_SCE_SOMESENDER_2_190820201705_DEC.json"
    )
    responses = host_responses(host, sce.read_bytes())
    assert folder.reply_formats("scmtr_json") == ("scmtr-ack", "scmtr-sfl")
    [ack] = [json.loads(line) for line in validator.render(responses, "scmtr-ack").splitlines()]
    assert ack["master"]["decRef"]["decRefErrorCode"][0]["errorCode"] == "000"
    store.close()


@pytest.mark.parametrize(
    "data",
    [
        b'{"headerField": {"messageID": "SACHM22"',  # cannot be read: cut short
        b'{"headerField": {"messageID": "SACHM22", "reportingEvent": "SCE"}, "master": {}}',
    ],
    ids=["unreadable", "fails-the-schema"],
)
def test_an_scmtr_declaration_that_fails_structurally_gets_its_sfl_not_an_ack(
    tmp_path: Path, registry_url: str, host: PluginHost, data: bytes
) -> None:
    """ICEGATE answers a declaration that is not structurally valid with an SFL and stops: the
    drop folder's .ack holds that SFL (never an ACK, never an empty file)."""
    store = SqlRegistry.open(registry_url)
    folder = DropFolder(tmp_path / "in", tmp_path / "out", Validator(host, store))
    folder.prepare()
    name = "F_SACHM22_SCE_SOMESENDER_2_190820201705_DEC.json"
    (folder.inbox / name).write_bytes(data)
    claimed = folder.claim(folder.inbox / name)
    assert claimed is not None
    assert folder.process(claimed) == "not accepted"
    assert json.loads((tmp_path / "out" / f"{name}.json").read_text())["status"] == "rejected"
    [reply] = [
        json.loads(line) for line in (tmp_path / "out" / f"{name}.ack").read_text().splitlines()
    ]
    assert reply["errorDetails"]["status"] == "Schema validation failure"
    assert "master" not in reply  # not an ACK
    folder.close()
    store.close()


def host_responses(host: PluginHost, data: bytes) -> list:  # type: ignore[type-arg]
    from customs_engine.core.engine import Engine

    return Engine(host).validate_bytes(data, "sce.json")


def test_a_watcher_never_takes_a_live_siblings_file(
    tmp_path: Path, registry_url: str, host: PluginHost
) -> None:
    """Two watchers on one inbox: a starting one leaves the file a live one holds; once that
    one has ended without finishing it (kill -9: its lock is released), the other takes it over
    and answers it once."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    store = SqlRegistry.open(registry_url)
    first = DropFolder(inbox, out, Validator(host, store), settle=0)
    second = DropFolder(inbox, out, Validator(host, store), settle=0)
    assert first.token != second.token
    first.prepare()
    (inbox / "igm.xml").write_bytes(IGM.read_bytes())
    claimed = first.claim(inbox / "igm.xml")
    assert claimed is not None
    (first.partials / "igm.xml.json.partial").write_bytes(b'{"half": ')  # writing its reply
    stop = threading.Event()
    second.prepare()
    second.take_complete(stop)  # a restart's recovery and a pass: neither touches it
    assert claimed.exists() and not (out / "igm.xml.json").exists()
    assert (first.partials / "igm.xml.json.partial").exists()
    first.close()  # ends with the file in hand: its lock is free (as after kill -9)
    assert claimed.exists()
    second.take_complete(stop)
    assert not (inbox / ".processing" / first.token).exists()
    assert not first.partials.exists()  # its reply cut short went with it
    assert json.loads((out / "igm.xml.json").read_text())["status"] == "accepted"
    assert [p.name for p in (inbox / ".done").iterdir()] == ["igm.xml"]
    second.close()
    assert _in_hand(inbox) == []
    assert [p.name for p in out.iterdir()] == ["igm.xml.json"]
    store.close()


def test_files_of_one_name_both_kept_in_done(tmp_path: Path) -> None:
    from customs_engine.service.watch import _move_to_free_name

    done = tmp_path / "done"
    done.mkdir()
    for n in range(3):
        (tmp_path / "a.xml").write_text(str(n))
        _move_to_free_name(tmp_path / "a.xml", done)
    assert sorted(p.name for p in done.iterdir()) == ["a.xml", "a.xml.1", "a.xml.2"]
    assert (done / "a.xml.2").read_text() == "2"


def test_two_watchers_on_one_inbox_answer_each_file_once(tmp_path: Path, registry_url: str) -> None:
    """Two ``customs watch --commit`` on one inbox, one of them killed with -9 mid-run and not
    restarted: the live one takes over what the killed one held; every file is answered and
    debited exactly once (30 bills of 2 units against IMS-2026-00042's 100 units)."""
    CliRunner().invoke(main, ["validate", "--db", registry_url, "--commit", str(IGM)])
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    total = 30
    for n in range(total):
        path = inbox / f"be-{n:02d}.xml"
        path.write_bytes(bill(f"BE-PAIR-{n:02d}", quantity=2))
        _old(path)

    def done() -> int:
        return _count(inbox / ".done")

    survivor = _watch(registry_url, inbox, out, "--commit", "--poll")
    doomed = _watch(registry_url, inbox, out, "--commit", "--poll")
    try:
        _wait_for(lambda: done() >= 8 or doomed.poll() is not None)
        assert doomed.poll() is None and survivor.poll() is None
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        assert done() < total, "every file was answered before the kill"
        _wait_for(lambda: done() == total)
    finally:
        survivor.send_signal(signal.SIGTERM)
        _, err = survivor.communicate(timeout=30)
        if doomed.poll() is None:
            doomed.kill()
        doomed.communicate(timeout=30)
    assert survivor.returncode == 0, err
    assert sorted(p.name for p in inbox.iterdir()) == [".done", ".failed", ".processing"]
    assert _in_hand(inbox) == []
    assert list((inbox / ".failed").iterdir()) == []
    assert sorted(p.name for p in (inbox / ".done").iterdir()) == [
        f"be-{n:02d}.xml" for n in range(total)
    ]  # none twice
    assert sorted(p.name for p in out.iterdir()) == [f"be-{n:02d}.xml.json" for n in range(total)]
    for n in range(total):
        response = json.loads((out / f"be-{n:02d}.xml.json").read_text())
        assert response["status"] == "accepted"
        assert response["authorisations"][0]["debited_quantity"] == "2"
    store = SqlRegistry.open(registry_url)
    debits = store.debits_of("IMS", AUTHORISATION)
    store.close()
    assert sorted(d[0] for d in debits) == [f"BE-PAIR-{n:02d}" for n in range(total)]


def test_a_second_file_of_one_name_never_replaces_the_first_ones_answers(
    tmp_path: Path, registry_url: str, host: PluginHost, samples_dir: Path
) -> None:
    """Three files named batch.be, one after another: each keeps its answers (.json and ICES
    .ack) under the name it is kept under in .done/.failed."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    store = SqlRegistry.open(registry_url)
    folder = DropFolder(inbox, out, Validator(host, store), settle=0)
    folder.prepare()
    stop = threading.Event()
    ices = (samples_dir / "icegate" / ICES_BE).read_bytes()
    for body in (IGM.read_bytes(), b"not a message", ices):
        (inbox / "batch.be").write_bytes(body)
        folder.take_complete(stop)
    folder.close()
    store.close()
    assert [p.name for p in (inbox / ".done").iterdir()] == ["batch.be"]
    assert sorted(p.name for p in (inbox / ".failed").iterdir()) == ["batch.be.1", "batch.be.2"]
    assert (inbox / ".failed" / "batch.be.1").read_bytes() == b"not a message"
    assert sorted(p.name for p in out.iterdir()) == [
        "batch.be.1.json",
        "batch.be.2.ack",
        "batch.be.2.json",
        "batch.be.json",
    ]
    first = json.loads((out / "batch.be.json").read_text())
    assert first["status"] == "accepted" and first["message"]["type"] == "manifest"
    second = json.loads((out / "batch.be.1.json").read_text())
    assert second["findings"][0]["rule"] == "CORE-SYNTAX-001"
    assert second["message"]["source"] == "batch.be"  # validated under the name it was dropped with
    assert (out / "batch.be.2.ack").read_bytes().startswith(b"HREC")


def test_an_earlier_answer_keeps_its_name_when_done_was_emptied(
    tmp_path: Path, registry_url: str, host: PluginHost
) -> None:
    """An answer left in DIR (its input cleared from .done by an operator) is not replaced."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    (out / "igm.xml.json").write_text("yesterday's answer")
    store = SqlRegistry.open(registry_url)
    folder = DropFolder(inbox, out, Validator(host, store), settle=0)
    folder.prepare()
    (inbox / "igm.xml").write_bytes(IGM.read_bytes())
    folder.take_complete(threading.Event())
    folder.close()
    store.close()
    assert (out / "igm.xml.json").read_text() == "yesterday's answer"
    assert json.loads((out / "igm.xml.1.json").read_text())["status"] == "accepted"
    assert [p.name for p in (inbox / ".done").iterdir()] == ["igm.xml.1"]


def test_a_second_file_of_one_name_cut_short_is_answered_once_under_its_kept_name(
    tmp_path: Path, registry_url: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watcher dies after writing the answers of a second igm.xml but before moving it on; the
    watcher that takes it over answers it again under the same kept name (igm.xml.1), never
    under a third one, and the first file's answer is left as it was."""
    from customs_engine.service import watch

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    store = SqlRegistry.open(registry_url)
    first = DropFolder(inbox, out, Validator(host, store), settle=0)
    first.prepare()
    stop = threading.Event()
    (inbox / "igm.xml").write_bytes(IGM.read_bytes())
    first.take_complete(stop)
    answer = (out / "igm.xml.json").read_bytes()
    (inbox / "igm.xml").write_bytes(b"not a message")

    def killed(*_args: object) -> None:
        raise KeyboardInterrupt  # the process dies between the answers and the move

    with monkeypatch.context() as patch:
        patch.setattr(watch, "_move_to_free_name", killed)
        with pytest.raises(KeyboardInterrupt):
            first.take_complete(stop)
    assert (out / "igm.xml.1.json").exists()
    first.close()  # ends with the file in hand: its lock is free (as after kill -9)
    second = DropFolder(inbox, out, Validator(host, store), settle=0)
    second.prepare()
    second.take_complete(stop)
    second.close()
    store.close()
    assert sorted(p.name for p in out.iterdir()) == ["igm.xml.1.json", "igm.xml.json"]
    assert (out / "igm.xml.json").read_bytes() == answer
    assert json.loads((out / "igm.xml.1.json").read_text())["status"] == "rejected"
    assert [p.name for p in (inbox / ".done").iterdir()] == ["igm.xml"]
    assert [p.name for p in (inbox / ".failed").iterdir()] == ["igm.xml.1"]
    assert _in_hand(inbox) == []


def _folder_with(tmp_path: Path, registry_url: str, host: PluginHost, *names: str) -> DropFolder:
    """A prepared drop folder (settled at once) holding the example IGM under ``names``."""
    folder = DropFolder(
        tmp_path / "in",
        tmp_path / "out",
        Validator(host, SqlRegistry.open(registry_url)),
        settle=0,
    )
    folder.prepare()
    for name in names:
        (folder.inbox / name).write_bytes(IGM.read_bytes())
        _old(folder.inbox / name)
    return folder


@pytest.mark.parametrize("length", [250, 251, 255])
def test_a_file_that_can_never_be_answered_is_failed_and_the_next_one_answered(
    tmp_path: Path,
    registry_url: str,
    host: PluginHost,
    caplog: pytest.LogCaptureFixture,
    length: int,
) -> None:
    """A name too long for its answers' (``<name>.json.partial``; from 251 bytes even
    ``<name>.json``, which the watcher asks about before it claims the file), and a fault of
    the engine, send the file to ``.failed/`` with a log line: the watcher goes on, and a
    restart does not meet it again."""
    long_name = "L" * (length - 4) + ".xml"  # legal, but not with ".json.partial" after it
    folder = _folder_with(tmp_path, registry_url, host, long_name, "bad.xml", "zz-after.xml")
    run_path = folder.validator.run_path

    def failing(path: str, name: str, **kwargs: object) -> list:  # type: ignore[type-arg]
        if name == "bad.xml":
            raise RuntimeError("a plugin bug")
        return run_path(path, name, **kwargs)  # type: ignore[arg-type]

    folder.validator.run_path = failing  # type: ignore[method-assign]
    with caplog.at_level("ERROR", logger="customs_engine.watch"):
        folder.take_complete(threading.Event())
    failed = sorted(p.name for p in (folder.inbox / ".failed").iterdir())
    assert failed == sorted([long_name, "bad.xml"])
    answers = [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")]
    assert answers == ["zz-after.xml.json"]
    assert [p.name for p in folder.claims.iterdir()] == [".lock"]  # nothing left in hand
    said = caplog.text
    assert "not answered: its name is too long" in said
    assert "bad.xml: not answered: the engine failed on it (RuntimeError)" in said
    folder.close()
    folder.validator.registry.close()


def test_a_registry_that_refuses_the_stored_result_is_retried_not_fatal(
    tmp_path: Path, registry_url: str, host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    """The result store failing (a read-only database) keeps the file claimed and retries it,
    as a ledger failure does; once the database takes writes again, the file is answered."""
    from sqlalchemy.exc import OperationalError

    from customs_engine.service.results import ResultStore

    store = SqlRegistry.open(registry_url)
    results = ResultStore(store.engine, timedelta(days=1))
    folder = DropFolder(
        tmp_path / "in", tmp_path / "out", Validator(host, store), results, settle=0
    )
    folder.prepare()
    (folder.inbox / "igm.xml").write_bytes(IGM.read_bytes())
    claimed = folder.claim(folder.inbox / "igm.xml")
    assert claimed is not None
    save, refusals = results.save, iter([True])
    stop = threading.Event()

    def refusing(*args: object, **kwargs: object) -> str:
        if next(refusals, False):
            raise OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))
        return save(*args, **kwargs)  # type: ignore[arg-type]

    results.save = refusing  # type: ignore[method-assign]
    waited: list[float] = []
    stop.wait = lambda seconds=None: waited.append(seconds) or False  # type: ignore[assignment,func-returns-value]
    with caplog.at_level("ERROR", logger="customs_engine.watch"):
        folder._process_retrying(claimed, stop)
    assert waited == [5.0]  # one retry
    assert "igm.xml: attempt to write a readonly database; retrying in 5 s" in caplog.text
    assert [p.name for p in (folder.inbox / ".done").iterdir()] == ["igm.xml"]
    folder.close()
    store.close()


def test_links_and_folders_in_the_inbox_are_said_once_and_never_taken(
    tmp_path: Path, registry_url: str, host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder_with(tmp_path, registry_url, host, "igm.xml")
    (folder.inbox / "link.xml").symlink_to(IGM)
    (folder.inbox / "sub").mkdir()
    with caplog.at_level("WARNING", logger="customs_engine.watch"):
        assert folder.complete_files() == [folder.inbox / "igm.xml"]
        assert folder.complete_files() == [folder.inbox / "igm.xml"]  # said once, not per pass
    said = [r.getMessage() for r in caplog.records]
    assert sorted(said) == [
        "link.xml: a symbolic link, not taken (drop regular files into the inbox)",
        "sub: a folder, not taken (drop regular files into the inbox)",
    ]
    folder.close()
    folder.validator.registry.close()


@pytest.mark.parametrize("mode", [(), ("--poll",)])
def test_a_file_name_that_is_not_utf8_is_answered_and_the_watcher_goes_on(
    tmp_path: Path, registry_url: str, mode: tuple[str, ...]
) -> None:
    """watchfiles cannot tell a change of such a name (it killed the watcher), and the answer's
    source could not be written as JSON: the name is shown with a \\xNN escape."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    watcher = _watch(registry_url, inbox, out, *mode)
    try:
        time.sleep(1)  # watching
        odd = os.path.join(os.fsencode(inbox), b"be\xff\nline.xml")
        with open(odd, "wb") as handle:
            handle.write(IGM.read_bytes())
        os.utime(odd, (time.time() - 60, time.time() - 60))
        _wait_for(lambda: _count(inbox / ".done") == 1)
        (inbox / "later.xml").write_bytes(IGM.read_bytes())
        _old(inbox / "later.xml")
        _wait_for(lambda: (out / "later.xml.json").exists())
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    answered = [p for p in out.iterdir() if p.name != "later.xml.json"]
    assert len(answered) == 1
    assert json.loads(answered[0].read_bytes())["message"]["source"] == "be\\xff\\nline.xml"
    assert b"be\\xff\\nline.xml" in err and b"be\xff" not in err  # one log line, writable


# -- outside audit, ninth round ----------------------------------------------------------------


def _as_another_user() -> list[str]:
    """A command prefix under which file permissions apply (root ignores them: it is run
    without the capabilities that override them, as an ordinary service user would be)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps, "--"]


def _customs_watch(url: str, inbox: Path, out: Path, *args: str) -> subprocess.Popen[bytes]:
    """``customs watch`` as a user that file permissions apply to."""
    return _watch(url, inbox, out, *args, runner=_as_another_user())


def _ended(watcher: subprocess.Popen[bytes]) -> bytes:
    """The stderr of a watcher that should stop by itself (killed if it does not)."""
    try:
        return watcher.communicate(timeout=60)[1]
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()


def test_a_file_that_cannot_be_claimed_is_left_and_never_stops_the_files_after_it(
    tmp_path: Path,
    registry_url: str,
    host: PluginHost,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 254-character name dropped twice (the second would be kept as ``<name>.1``, too long
    for the file system) and a file the watcher may not rename (another user's, in a shared
    inbox with the sticky bit: EPERM) are left in the inbox with one log line each; the files
    after them are answered, on this pass and after a restart."""
    long_name = "x" * 250 + ".xml"
    folder = _folder_with(tmp_path, registry_url, host, long_name)
    stop = threading.Event()
    folder.take_complete(stop)
    assert [p.name for p in (folder.inbox / ".failed").iterdir()] == [long_name]  # as before
    for name in (long_name, "a-other.xml", "zz.xml"):
        (folder.inbox / name).write_bytes(IGM.read_bytes())
        _old(folder.inbox / name)
    rename = os.rename

    def sticky(source: object, target: object) -> None:
        if os.path.basename(os.fsdecode(source)) == "a-other.xml":  # type: ignore[arg-type]
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), source)
        rename(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", sticky)
    caplog.clear()
    with caplog.at_level("ERROR", logger="customs_engine.watch"):
        folder.take_complete(stop)
        folder.take_complete(stop)  # said once, not at every pass
    assert json.loads((tmp_path / "out" / "zz.xml.json").read_text())["status"] == "accepted"
    assert sorted(p.name for p in folder.inbox.iterdir() if not p.name.startswith(".")) == [
        "a-other.xml",
        long_name,
    ]
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "a-other.xml: cannot be taken (Operation not permitted); left in the inbox",
        f"{long_name}: not answered: its name is too long to be kept (and it cannot be moved "
        "to .failed/); left in the inbox",
    ]
    folder.close()
    restarted = DropFolder(folder.inbox, tmp_path / "out", folder.validator, settle=0)
    restarted.prepare()
    (folder.inbox / "zzz.xml").write_bytes(IGM.read_bytes())
    restarted.take_complete(stop)
    assert (tmp_path / "out" / "zzz.xml.json").exists()
    restarted.close()
    folder.validator.registry.close()


def _stored(results: ResultStore) -> list[str]:
    return sorted(m.source for m in results.recent())


def test_a_file_done_again_is_stored_once_and_the_failing_move_is_named(
    tmp_path: Path,
    registry_url: str,
    host: PluginHost,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The move to .done/ failing (retried) and a watcher dying between storing the result and
    that move (the file is done again by the next one) each leave one stored validation of
    the file, and the log says it is the move that failed, not the answers."""
    from customs_engine.service import watch

    store = SqlRegistry.open(registry_url)
    results = ResultStore(store.engine, timedelta(days=1))
    first = DropFolder(tmp_path / "in", tmp_path / "out", Validator(host, store), results)
    first.prepare()
    (first.inbox / "igm.xml").write_bytes(IGM.read_bytes())
    claimed = first.claim(first.inbox / "igm.xml")
    assert claimed is not None
    move, refusals = watch._move_to_free_name, iter([True, True])

    def refusing(path: Path, folder: Path, name: str | None = None) -> Path:
        if next(refusals, False):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
        return move(path, folder, name)

    stop = threading.Event()
    stop.wait = lambda seconds=None: False  # type: ignore[assignment,method-assign]
    monkeypatch.setattr(watch, "_move_to_free_name", refusing)
    with caplog.at_level("ERROR", logger="customs_engine.watch"):
        first._process_retrying(claimed, stop)
    assert [r.getMessage() for r in caplog.records] == [
        "igm.xml: cannot move it to .done/ (Permission denied); retrying in 5 s"
    ] * 2
    assert _stored(results) == ["igm.xml"]

    def killed(*_args: object) -> None:
        raise KeyboardInterrupt  # the process dies between the stored result and the move

    (first.inbox / "be.xml").write_bytes(IGM.read_bytes())
    monkeypatch.setattr(watch, "_move_to_free_name", killed)
    claimed = first.claim(first.inbox / "be.xml")
    assert claimed is not None
    with pytest.raises(KeyboardInterrupt):
        first.process(claimed)
    first.close()  # ends with the file in hand: its lock is free (as after kill -9)
    monkeypatch.setattr(watch, "_move_to_free_name", move)
    second = DropFolder(first.inbox, tmp_path / "out", Validator(host, store), results, settle=0)
    second.prepare()
    second.take_complete(threading.Event())
    second.close()
    assert sorted(p.name for p in (first.inbox / ".done").iterdir()) == ["be.xml", "igm.xml"]
    assert _stored(results) == ["be.xml", "igm.xml"]
    # another file of the same name is another validation
    (first.inbox / "igm.xml").write_bytes(IGM.read_bytes())
    second.prepare()
    second.take_complete(threading.Event())
    second.close()
    assert _stored(results) == ["be.xml", "igm.xml", "igm.xml.1"]
    store.close()


@pytest.mark.parametrize("where", [".", ".processing", ".done/answers", ".failed"])
def test_answers_where_the_watcher_would_take_or_move_them_are_refused(
    tmp_path: Path, registry_url: str, host: PluginHost, where: str
) -> None:
    """--out INBOX made the watcher answer its own answers without end."""
    from customs_engine.service.watch import WatchError

    inbox = tmp_path / "in"
    inbox.mkdir()
    store = SqlRegistry.open(registry_url)
    folder = DropFolder(inbox, inbox / where, Validator(host, store))
    with pytest.raises(WatchError, match=r"--out .* (is INBOX itself|is inside INBOX's)"):
        folder.prepare()
    store.close()
    assert list(inbox.iterdir()) == []  # nothing made
    fine = DropFolder(inbox, inbox / "answers", Validator(host, store))  # a subfolder will do
    fine.prepare()
    fine.close()


def test_out_equal_to_the_inbox_stops_the_command_with_exit_code_2(
    tmp_path: Path, registry_url: str
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "igm.xml").write_bytes(IGM.read_bytes())
    watcher = _watch(registry_url, inbox, inbox)
    err = _ended(watcher)
    assert watcher.returncode == 2
    assert err.decode().startswith("customs: --out ") and b"Traceback" not in err
    assert [p.name for p in inbox.iterdir()] == ["igm.xml"]


def _zip(path: Path, members: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _ack_records(path: Path) -> list[list[str]]:
    lines = path.read_bytes().split(b"\r\n")
    assert lines[0].startswith(b"HREC") and lines[-2].startswith(b"TREC") and lines[-1] == b""
    return [line.decode().split("\x1d") for line in lines[1:-2]]


def test_ices_members_get_their_ack_beside_members_that_cannot_be_recognised(
    tmp_path: Path, registry_url: str, host: PluginHost, samples_dir: Path
) -> None:
    """An archive of ICES Bills of Entry with a README.txt or an empty .be beside them, and a
    lone .be too damaged to be recognised, each get a CHCAI02 .ack: the bills' records, and a
    negative record (CORE-SYNTAX-001) for what could not be read."""
    be = (samples_dir / "icegate" / ICES_BE).read_bytes()
    folder = _folder_with(tmp_path, registry_url, host)
    _zip(folder.inbox / "two.zip", {"a.be": be, "b.be": be})
    _zip(folder.inbox / "readme.zip", {"a.be": be, "b.be": be, "README.txt": b"two bills\n"})
    _zip(folder.inbox / "empty.zip", {"a.be": be, "empty.be": b""})
    (folder.inbox / "damaged.be").write_bytes(b"HREC\x1dZZ\x1dgarbage")
    (folder.inbox / "junk.txt").write_bytes(b"not a message")  # nothing to say it is ICES
    folder.take_complete(threading.Event())
    out = tmp_path / "out"
    bills = _ack_records(out / "two.zip.ack")
    syntax = [r for r in bills if r[19] == "CORE-SYNTAX-001"]
    assert bills and not syntax
    for archive, extra in (("readme.zip", 1), ("empty.zip", 1)):
        records = _ack_records(out / f"{archive}.ack")
        unread = [r for r in records if r[19] == "CORE-SYNTAX-001"]
        assert len(unread) == extra and unread[0][0] == "F"
        assert len(records) - extra == len(bills) // (2 if archive == "empty.zip" else 1)
    [nak] = _ack_records(out / "damaged.be.ack")
    assert nak[19] == "CORE-SYNTAX-001"
    assert not (out / "junk.txt.ack").exists()
    folder.close()
    folder.validator.registry.close()


def test_a_file_that_cannot_be_read_is_left_not_rejected(tmp_path: Path, registry_url: str) -> None:
    """A file the watcher may not read (yet) is a local problem, not a customs rejection: it is
    left in the inbox with one log line, and answered once it can be read."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    locked = inbox / "locked.xml"
    locked.write_bytes(IGM.read_bytes())
    locked.chmod(0)
    _old(locked)
    watcher = _customs_watch(registry_url, inbox, out, "--poll")
    try:
        (inbox / "zz.xml").write_bytes(IGM.read_bytes())
        _old(inbox / "zz.xml")
        _wait_for(lambda: (out / "zz.xml.json").exists())  # (after locked.xml's turn)
        assert locked.exists() and not (out / "locked.xml.json").exists()
        assert _count(inbox / ".failed") == 0
        locked.chmod(0o644)
        _wait_for(lambda: (out / "locked.xml.json").exists())
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert json.loads((out / "locked.xml.json").read_text())["status"] == "accepted"
    said = err.decode()
    assert said.count("locked.xml: cannot be read (Permission denied); left in the inbox") == 1


@pytest.mark.parametrize("unwritable", ["out", "in"])
def test_a_folder_it_cannot_write_stops_it_at_start_with_one_line(
    tmp_path: Path, registry_url: str, unwritable: str
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    (tmp_path / unwritable).chmod(0o555)
    watcher = _customs_watch(registry_url, inbox, out)
    err = _ended(watcher)
    assert watcher.returncode == 2, err
    shown = "--out" if unwritable == "out" else "INBOX"
    assert err.decode().startswith(f"customs: {shown} {tmp_path / unwritable} cannot be written")
    assert b"Traceback" not in err
    assert [p.name for p in out.iterdir()] == []
    if (inbox / ".processing").exists():  # no claim folder left
        assert [p.name for p in (inbox / ".processing").iterdir()] == [NAMES_LOCK]


def test_a_stop_while_the_watcher_starts_ends_it_quietly(
    tmp_path: Path, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while plugins load: no traceback, no 'Aborted!', nothing made."""
    import customs_engine.cli

    load_host = customs_engine.cli.load_host

    def interrupted() -> PluginHost:
        os.kill(os.getpid(), signal.SIGINT)
        return load_host()

    monkeypatch.setattr(customs_engine.cli, "load_host", interrupted)
    (tmp_path / "in").mkdir()
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        result = CliRunner().invoke(
            main,
            ["watch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--db", registry_url],
        )
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert list((tmp_path / "in").iterdir()) == [] and not (tmp_path / "out").exists()


def test_edifact_files_get_a_cusres_ack(
    tmp_path: Path, registry_url: str, host: PluginHost
) -> None:
    """EDIFACT's response to a CUSDEC or CUSCAR is CUSRES: an .edi file gets one per message as
    its .ack (it got none), and an interchange too damaged to be read gets a rejection."""
    from pydifact.segmentcollection import Interchange

    converted = CliRunner().invoke(main, ["convert", "--to", "edifact", str(BOE)])
    assert converted.exit_code == 0, converted.output
    folder = _folder_with(tmp_path, registry_url, host)
    (folder.inbox / "be.edi").write_bytes(converted.stdout_bytes)
    (folder.inbox / "damaged.edi").write_bytes(b"UNB+UNOC:3+garbage")
    (folder.inbox / "igm.xml").write_bytes(IGM.read_bytes())
    folder.take_complete(threading.Event())
    out = tmp_path / "out"
    answer = json.loads((out / "be.edi.json").read_text())
    reply = Interchange.from_str((out / "be.edi.ack").read_text())
    [message] = list(reply.get_messages())
    bgm = message.get_segment("BGM")
    assert bgm is not None and bgm.elements[0] == "962"
    assert bgm.elements[2] == {"accepted": "AP", "rejected": "RE"}.get(answer["status"], "CA")
    damaged = (out / "damaged.edi.ack").read_text()
    assert "BGM+962" in damaged and "+RE'" in damaged
    assert not (out / "igm.xml.ack").exists()  # the XML rendering has no reply format
    folder.close()
    folder.validator.registry.close()


def test_a_files_answers_are_written_as_its_messages_complete(
    tmp_path: Path,
    registry_url: str,
    host: PluginHost,
    samples_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file's responses go to its answers as each message completes, not once the whole file
    is done (every response of a large interchange was held in memory until then); the answers
    are what rendering them all at the end wrote, byte for byte: a .ack whose first member
    could not be recognised (answered from what was kept on disk), and none for a file of two
    input formats."""
    from customs_engine.core.engine import Engine
    from customs_engine.service import watch

    be = (samples_dir / "icegate" / ICES_BE).read_bytes()
    store = SqlRegistry.open(registry_url)
    results = ResultStore(store.engine, timedelta(days=1))
    validator = Validator(host, store)
    folder = DropFolder(tmp_path / "in", tmp_path / "out", validator, results, settle=0)
    folder.prepare()
    members = {"README.txt": b"two bills\n", "a.be": be, "b.be": be}
    _zip(folder.inbox / "bills.zip", members)
    _zip(folder.inbox / "mixed.zip", {"a.be": be, "igm.xml": IGM.read_bytes()})
    _zip(tmp_path / "bills.zip", members)  # rendered the old way below
    expected = validator.run_path(str(tmp_path / "bills.zip"), "bills.zip")
    events: list[str] = []
    complete, write = Engine.complete, watch.Answers.write

    def completing(self: Engine, *args: object, **kwargs: object) -> object:
        events.append("complete")
        return complete(self, *args, **kwargs)  # type: ignore[arg-type]

    def writing(self: watch.Answers, response: object) -> None:
        events.append("write")
        write(self, response)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "complete", completing)
    monkeypatch.setattr(watch.Answers, "write", writing)
    for name in ("bills.zip", "mixed.zip"):
        claimed = folder.claim(folder.inbox / name)
        assert claimed is not None
        folder.process(claimed)
    assert events == ["complete", "write"] * 5
    out = tmp_path / "out"
    assert (out / "bills.zip.json").read_bytes() == validator.render(expected, "json")
    assert [r.message.format for r in expected] == ["unknown", "ices_flatfile", "ices_flatfile"]
    assert (out / "bills.zip.ack").read_bytes() == validator.render(expected, "ices-ack")
    assert (out / "mixed.zip.json").exists() and not (out / "mixed.zip.ack").exists()
    stored = results.get(next(m for m in results.recent() if m.source == "bills.zip").validation_id)
    assert stored is not None
    assert [r.to_json() for r in stored.responses] == [r.to_json() for r in expected]
    assert [p.name for p in folder.partials.iterdir()] == []  # no partial answer, no spool left
    folder.close()
    store.close()
