"""``customs watch INBOX --out DIR``: a drop folder for integrators whose systems write files.

The life of a file:

1. It is taken once **complete**: neither its size nor its modification time has changed for
   ``settle`` seconds (a file renamed into the inbox after being written elsewhere is complete
   at once, and taken after the same short wait). Names starting with a dot and names ending in
   ``.part``/``.tmp`` are never taken, so a writer may also write under such a name and rename.
2. It is **claimed** by an atomic rename into this watcher's own claim folder,
   ``INBOX/.processing/<host>-<pid>-<random>/`` (same file system): a rename succeeds for one
   process only, so two watchers never take the same file. The claim also fixes the name the
   file is **kept** under: ``<name>``, or ``<name>.1``, ``<name>.2``… when an earlier file of that
   name is in ``.done/`` or ``.failed/``, has answers in ``DIR``, or is in hand (in any claim
   folder). A file kept under another name than its own is claimed as ``.<kept name>`` (an inbox
   file never starts with a dot), so the kept name survives a crash and a takeover.
3. It is validated as one run (:class:`~customs_engine.service.runs.Validator`: archives member by
   member with the command line's protections; with ``--commit`` each message is committed).
4. Its answers are written message by message as it is validated (:class:`Answers`: nothing
   of the file is held in memory), through a temporary file and a rename: ``DIR/<kept>.json`` (what
   ``customs validate --format json`` writes) and, where its input format has an ICEGATE reply
   format, ``DIR/<kept>.ack`` (CHCAI02 for ICES flat files; for SCMTR JSON the SFL of a
   declaration that fails structurally, else its ACK). A second
   file of one name therefore never replaces the first one's answers.
5. It is moved to ``INBOX/.done/<kept>`` (every message accepted) or ``INBOX/.failed/<kept>``.

Choosing a kept name, and every move that could change the answer (a claim, a takeover, the move
to ``.done/``/``.failed/``), happens under an exclusive ``flock`` on ``INBOX/.processing/.names``
(held for a few renames, never while a file is validated), so two watchers never pick one name.

A watcher holds an exclusive ``flock`` on ``<claim folder>/.lock`` while it runs; the kernel
releases it when the process ends, however it ends. A crash or ``kill -9`` leaves a file in a
claim folder whose lock is free: the next watcher to look (a restart, or a live sibling on the
same inbox, at every pass) takes that lock, moves the files into its own claim folder and
finishes them first; a folder whose lock is held belongs to a live watcher and is never touched.
The answers of an adopted file are written again whole (the same kept name, the same content: a
client never sees two answers or half of one), and with ``--commit`` the ledger's submission keys
replay what was committed instead of debiting it twice. SIGTERM or SIGINT stops after the file in
hand.

Several watchers may share one inbox (each file is answered by exactly one); files are then no
longer answered strictly in name order, so an IGM and the Bills of Entry noted against it belong
in one archive, or in one watcher's inbox.
Changes are noticed through the operating system's file events (watchfiles); ``poll=True`` polls
instead, for network shares where no events arrive.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from customs_engine.core.batch.inputs import shown_name
from customs_engine.core.formats import ResponseWriter
from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.registry.database import database_reason
from customs_engine.core.response import Response
from customs_engine.service.results import ResultStore, Spool
from customs_engine.service.runs import Validator

log = logging.getLogger("customs_engine.watch")


class _ShownNames(logging.Filter):
    """File names in the watcher's log lines as answers show them (``shown_name``): a name holding
    a line feed or bytes that are not UTF-8 stays on one line and can be written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                shown_name(str(arg)) if isinstance(arg, str | os.PathLike) else arg
                for arg in record.args
            )
        return True


log.addFilter(_ShownNames())

#: input format → the output format of its reply (written as DIR/<name>.ack): ICEGATE's own
#: acknowledgements, and EDIFACT's response message (CUSRES) to a CUSDEC or CUSCAR; the
#: ICEGATE-style XML has none.
REPLY_FORMATS = {"ices_flatfile": "ices-ack", "scmtr_json": "scmtr-ack", "edifact": "cusres"}
#: input format → the reply ICEGATE sends instead to a message that fails structurally: an
#: SCMTR declaration that fails the schema, or cannot be read, gets its SFL and no ACK, as
#: ICEGATE stops there
STRUCTURAL_REPLIES = {"scmtr_json": "scmtr-sfl"}
IGNORED_SUFFIXES = (".part", ".tmp", ".partial")
PARTIAL = ".partial"
LEDGER_RETRY_SECONDS = 5.0
#: the lock file of a claim folder (held, with flock, by the watcher that owns the folder)
LOCK = ".lock"
#: where a watcher writes its replies before renaming them: ``DIR/.partial-<token>/``
PARTIAL_FOLDER = ".partial-"
#: the lock file in ``.processing/`` held while a kept name is chosen or a file moved
NAMES_LOCK = ".names"
#: the answers a file may have in ``DIR``: ``<kept>.json``, ``<kept>.ack``
ANSWER_SUFFIXES = (".json", ".ack")
#: the step of writing a file's answers (a name too long for them: the file is given up)
ANSWERS_STEP = "cannot write its answers in"
#: the format of a message the engine could not recognise (empty, damaged, not customs at all)
UNRECOGNISED = "unknown"
#: how the envelope of an input format starts: a file none of whose messages was recognised
#: but which starts so (a damaged ICES flat file) is answered in that format's reply too
ENVELOPES = ((b"HREC", "ices_flatfile"), (b"UNA", "edifact"), (b"UNB", "edifact"))
#: how many bytes of a file :data:`ENVELOPES` are looked for in
HEAD_BYTES = 64


class WatchError(Exception):
    """The watcher cannot start (``customs watch`` says why and exits with code 2)."""


class StepFailed(Exception):
    """A local file operation of one step failed: the file stays claimed and is retried (a full
    disk, a permission), and the log names the step."""

    def __init__(self, step: str, error: OSError) -> None:
        super().__init__(step, error)
        self.step = step
        self.error = error

    def __str__(self) -> str:
        return f"{self.step} ({self.error.strerror or self.error})"


@contextlib.contextmanager
def _step(what: str) -> Iterator[None]:
    """Name the step an :class:`OSError` of the block happened in (:class:`StepFailed`)."""
    try:
        yield
    except OSError as exc:
        raise StepFailed(what, exc) from exc


def kept_name(claimed: str) -> str:
    """The name a claimed file is answered and kept under (see the module's step 2)."""
    return claimed[1:] if claimed.startswith(".") else claimed


def input_name(claimed: str) -> str:
    """The name the file had in the inbox (``.batch.xml.1`` was ``batch.xml``)."""
    return claimed[1:].rsplit(".", 1)[0] if claimed.startswith(".") else claimed


def new_token() -> str:
    """A watcher's name for its claim folder: host, pid and a random part (pids are reused)."""
    host = re.sub(r"[^A-Za-z0-9_]+", "_", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on ``path``; ``None`` when another
    process holds it (or the file is gone: its folder is being taken over right now)."""
    try:
        handle = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    except BaseException:
        os.close(handle)
        raise
    return handle


@dataclass
class DropFolder:
    inbox: Path
    out: Path
    validator: Validator
    results: ResultStore | None = None
    commit: bool = False
    settle: float = 1.0
    poll: bool = False
    #: names this watcher's claim folder and reply folder (see :func:`new_token`)
    token: str = field(default_factory=new_token)
    _lock: int | None = field(default=None, init=False, repr=False)
    #: inbox entries that are not files (said once each in the log, never taken)
    _passed_over: set[str] = field(default_factory=set, init=False, repr=False)
    #: inbox name → (size, modification time, when this watcher first saw that pair)
    _looks: dict[str, tuple[int, int, float]] = field(default_factory=dict, init=False, repr=False)
    #: inbox name → why it is left in the inbox for now (said once while it stays so)
    _left: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def processing(self) -> Path:
        return self.inbox / ".processing"

    @property
    def claims(self) -> Path:
        """This watcher's claim folder (its lock held while it runs)."""
        return self.processing / self.token

    @property
    def partials(self) -> Path:
        """Where this watcher writes replies before renaming them into ``out``."""
        return self.out / f"{PARTIAL_FOLDER}{self.token}"

    @property
    def done(self) -> Path:
        return self.inbox / ".done"

    @property
    def failed(self) -> Path:
        return self.inbox / ".failed"

    @contextlib.contextmanager
    def _names(self) -> Iterator[None]:
        """Hold the inbox's names lock (see the module's docstring)."""
        handle = os.open(self.processing / NAMES_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # releases the lock

    def _kept_name_free(self, kept: str) -> bool:
        """No earlier file was kept, answered or is in hand under ``kept`` (names lock held)."""
        if _exists(self.done / kept) or _exists(self.failed / kept):
            return False
        if any(_exists(self.out / f"{kept}{suffix}") for suffix in ANSWER_SUFFIXES):
            return False
        if _exists(self.processing / kept):  # left there by an earlier version
            return False
        for entry in os.scandir(self.processing):
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            folder = Path(entry.path)
            if _exists(folder / kept) or _exists(folder / f".{kept}"):
                return False
        return True

    def prepare(self) -> None:
        """Create the folders and this watcher's locked claim folder, and take over what dead
        watchers left (see :meth:`adopt`). :class:`WatchError` when the watcher cannot work
        here: ``out`` where it would take its own answers, or a folder it cannot write to
        (nothing of this watcher is then left behind)."""
        self._check_out()
        try:
            with _step(f"--out {self.out} cannot be written to"):
                self.out.mkdir(parents=True, exist_ok=True)
                self.partials.mkdir(exist_ok=True)
            with _step(f"INBOX {self.inbox} cannot be written to"):
                self.inbox.mkdir(parents=True, exist_ok=True)
                self._probe_inbox()
                for folder in (self.processing, self.done, self.failed):
                    folder.mkdir(exist_ok=True)
                self._claim_folder()
            with _step(f"cannot take over what earlier watchers left in {self.processing}"):
                for stale in self.out.glob(f".*{PARTIAL}"):  # an earlier version's reply
                    if stale.is_file():
                        stale.unlink(missing_ok=True)
                self.adopt()
        except StepFailed as exc:
            self._unprepare()
            where = f": {exc.error.filename}" if exc.error.filename else ""
            raise WatchError(f"{exc.step}{where}: {exc.error.strerror or exc.error}") from exc

    def _check_out(self) -> None:
        """Refuse an answer folder the watcher would take its own answers from (INBOX itself)
        or that it moves files through (``.processing``, ``.done``, ``.failed``)."""
        out = os.path.realpath(self.out)
        if out == os.path.realpath(self.inbox):
            raise WatchError(
                f"--out {self.out} is INBOX itself: the answers would be taken as new files; "
                "give another folder (a subfolder of INBOX will do)"
            )
        for folder in (self.processing, self.done, self.failed):
            if os.path.commonpath([out, os.path.realpath(folder)]) == os.path.realpath(folder):
                raise WatchError(
                    f"--out {self.out} is inside INBOX's {folder.name}/, which the watcher "
                    "moves files through; give another folder"
                )

    def _probe_inbox(self) -> None:
        """A file is claimed by renaming it out of INBOX: INBOX must take a new name."""
        probe = self.inbox / f".probe-{self.token}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()

    def _claim_folder(self) -> None:
        if self._lock is None:
            # locked before it gets its name: a sibling never sees it unlocked
            staging = self.processing / f".new-{self.token}"
            staging.mkdir()
            (staging / LOCK).touch()
            self._lock = try_lock(staging / LOCK)
            assert self._lock is not None, "a folder nobody else knows of"
            os.rename(staging, self.claims)

    def _unprepare(self) -> None:
        """Remove what :meth:`prepare` made of this watcher's own before it failed."""
        shutil.rmtree(self.partials, ignore_errors=True)
        shutil.rmtree(self.processing / f".new-{self.token}", ignore_errors=True)
        if self._lock is not None:
            with contextlib.suppress(OSError):
                (self.claims / LOCK).unlink(missing_ok=True)
                self.claims.rmdir()  # (a file it adopted stays, for the next watcher)
            os.close(self._lock)
            self._lock = None

    def adopt(self) -> list[str]:
        """Move into this watcher's claim folder the files of every claim folder whose lock is
        free (its watcher ended: a crash, kill -9), and files left directly in ``.processing/``
        (by an earlier version); returns their names. A folder whose lock is held belongs to a
        live watcher and is left alone."""
        with self._names():
            return self._adopt()

    def _adopt(self) -> list[str]:
        taken: list[str] = []
        for entry in sorted(os.scandir(self.processing), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue  # a sibling's folder before it is named, or a hidden file
            if entry.is_file(follow_symlinks=False):
                if self._take(Path(entry.path)):
                    taken.append(entry.name)
                continue
            if entry.name == self.token or not entry.is_dir(follow_symlinks=False):
                continue
            folder = Path(entry.path)
            handle = try_lock(folder / LOCK)
            if handle is None:
                continue  # a live watcher's, or being taken over by another one right now
            try:
                for left in sorted(folder.iterdir()):
                    if left.name != LOCK and self._take(left):
                        taken.append(left.name)
                        log.info(
                            "taking over %s, left by the watcher %s (it ended)",
                            left.name,
                            entry.name,
                        )
                shutil.rmtree(self.out / f"{PARTIAL_FOLDER}{entry.name}", ignore_errors=True)
                (folder / LOCK).unlink(missing_ok=True)
                with contextlib.suppress(OSError):  # something new in it: the next pass
                    folder.rmdir()
            finally:
                os.close(handle)
        return taken

    def _take(self, path: Path) -> bool:
        target = self.claims / path.name
        if target.exists():  # the same name already in hand: take it on a later pass
            return False
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return False  # another watcher took it first
        return True

    def close(self) -> None:
        """Leave the inbox: take over ended watchers' folders, remove the claim folder when it
        is empty (a file still in it — stopped while the registry was down, or just taken
        over — is taken over by the next watcher), release the lock."""
        if self._lock is None:
            return
        # a watcher that ended since the last pass leaves an empty folder (or a file, kept in
        # this folder for the next watcher): not left behind by a clean stop
        with contextlib.suppress(OSError):
            self.adopt()
        shutil.rmtree(self.partials, ignore_errors=True)
        if not [p for p in self.claims.iterdir() if p.name != LOCK]:
            (self.claims / LOCK).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.claims.rmdir()
        os.close(self._lock)
        self._lock = None

    # -- one pass -------------------------------------------------------------------------------

    def complete_files(self, now: float | None = None) -> list[Path]:
        """Files of the inbox whose size and modification time this watcher has seen unchanged
        for ``settle`` seconds (of its own clock: a writer's clock, on a share, may be behind or
        ahead), in name order."""
        now = time.monotonic() if now is None else now
        ready = []
        looks: dict[str, tuple[int, int, float]] = {}
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.lower().endswith(IGNORED_SUFFIXES):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    self._pass_over(entry)
                    continue
                try:
                    status = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # taken meanwhile
                size, modified = status.st_size, status.st_mtime_ns
                earlier = self._looks.get(entry.name)
                since = earlier[2] if earlier and earlier[:2] == (size, modified) else now
                looks[entry.name] = (size, modified, since)
                if now - since >= self.settle:
                    ready.append(Path(entry.path))
        self._looks = looks  # (names gone from the inbox are forgotten)
        return sorted(ready)

    def _pass_over(self, entry: os.DirEntry[str]) -> None:
        """A symbolic link or a folder is never taken (a link could name any file of the
        machine; the inbox is read flat): said once, so that nobody waits for its answer."""
        if entry.name in self._passed_over:
            return
        self._passed_over.add(entry.name)
        kind = (
            "a symbolic link"
            if entry.is_symlink()
            else "a folder"
            if entry.is_dir()
            else "not a file"
        )
        log.warning("%s: %s, not taken (drop regular files into the inbox)", entry.name, kind)

    def claim(self, path: Path) -> Path | None:
        """Move ``path`` into this watcher's claim folder (atomic) under the kept name it is
        given (see the module's step 2); ``None`` if it is gone (another watcher took it)."""
        with self._names():
            n = 0
            while not self._kept_name_free(path.name if n == 0 else f"{path.name}.{n}"):
                n += 1
            target = self.claims / (path.name if n == 0 else f".{path.name}.{n}")
            try:
                os.rename(path, target)
            except FileNotFoundError:
                return None
            return target

    def process(self, claimed: Path) -> str:
        """Validate a claimed file, write its answers under its kept name, move it on; returns
        its status. A local file operation that fails raises :class:`StepFailed` naming it."""
        kept = kept_name(claimed.name)
        with _step("cannot read it"):
            head, result_id = self._look_at(claimed)
        answers = Answers(self, kept, head)
        try:
            self.validator.run_path(
                str(claimed), input_name(claimed.name), commit=self.commit, writer=answers
            )
            answers.publish()
            if self.results is not None:
                # stored under the file's own id: a file done again (a kill before the move
                # below, a move retried) replaces its stored validation, never adds a second one
                self.results.save(
                    shown_name(kept), answers.spool, committed=self.commit, validation_id=result_id
                )
        finally:
            answers.discard()
        folder = self.done if answers.accepted else self.failed
        with _step(f"cannot move it to {folder.name}/"), self._names():
            moved = _move_to_free_name(claimed, folder, kept)
        if moved.name != kept:  # only a file put there by hand, or left by an earlier version
            log.warning("%s: kept as %s, its answers are %s.*", kept, moved.name, kept)
        status = "accepted" if answers.accepted else "not accepted"
        log.info(
            "answered %s: %d message%s, %s",
            kept,
            answers.count,
            "" if answers.count == 1 else "s",
            status,
        )
        return status

    def _look_at(self, claimed: Path) -> tuple[bytes, str]:
        """The first bytes of a claimed file (see :data:`ENVELOPES`), and the id its validation
        is stored under: the same for the same file however often it is done (its inbox, kept
        name, inode, size and modification time), another for any other file."""
        with open(claimed, "rb") as handle:
            head = handle.read(HEAD_BYTES)
            status = os.fstat(handle.fileno())
        key = b"\0".join(
            [
                os.fsencode(os.path.realpath(self.inbox)),
                os.fsencode(kept_name(claimed.name)),
                *(str(n).encode() for n in (status.st_ino, status.st_size, status.st_mtime_ns)),
            ]
        )
        return head, hashlib.sha256(key).hexdigest()[:32]

    def reply_formats(self, input_format: str | None) -> tuple[str, str | None] | None:
        """The ICEGATE reply format of files of ``input_format`` (written as ``DIR/<kept>.ack``)
        when the plugins write one, and where that input format has a reply of its own for
        structural failures (SCMTR's SFL, which its writer writes only for a message that fails
        so) the plugins write too, that one."""
        formats = self.validator.host.output_formats()
        reply = REPLY_FORMATS.get(input_format or "")
        if reply is None or reply not in formats:
            return None
        structural = STRUCTURAL_REPLIES.get(input_format or "")
        return reply, structural if structural in formats else None

    # -- the loop -------------------------------------------------------------------------------

    def recover(self, stop: threading.Event) -> None:
        """Finish what ended watchers left in ``.processing/`` (crash, kill): take it over,
        then answer everything in this watcher's claim folder."""
        self.adopt()
        for claimed in sorted(self.claims.iterdir()):
            if stop.is_set():
                return
            if claimed.name == LOCK or not claimed.is_file():
                continue
            log.info("finishing %s, left in .processing by an earlier run", claimed.name)
            self._process_retrying(claimed, stop)

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set (the file in hand is finished first)."""
        self.prepare()
        try:
            self._watch(stop)
        finally:
            self.close()

    def _watch(self, stop: threading.Event) -> None:
        import watchfiles

        self.recover(stop)
        timeout_ms = max(50, int(self.settle * 1000))
        self.take_complete(stop)
        while not stop.is_set():
            changes = watchfiles.watch(
                self.inbox,
                stop_event=stop,
                yield_on_timeout=True,
                rust_timeout=timeout_ms,
                debounce=timeout_ms,
                force_polling=self.poll,
                poll_delay_ms=timeout_ms,
                recursive=False,
                raise_interrupt=False,
                watch_filter=None,
            )
            try:
                for _ in changes:
                    if stop.is_set():
                        return
                    self.take_complete(stop)
                return
            except RuntimeError as exc:
                # watchfiles cannot tell a change whose file name is not UTF-8: watch again (the
                # inbox is read by listing it, so that file is taken like any other)
                log.warning("watching the inbox again: %s", exc)
                stop.wait(max(self.settle, 0.5))  # (never a busy loop, whatever keeps failing)
                self.take_complete(stop)

    def take_complete(self, stop: threading.Event) -> None:
        self.recover(stop)  # a sibling watcher on this inbox may have ended since
        for path in self.complete_files():
            if stop.is_set():
                return
            if not self._readable(path):
                continue
            try:
                claimed = self.claim(path)
            except OSError as exc:
                self._not_claimed(path, exc)
                continue
            self._left.pop(path.name, None)
            if claimed is not None:
                self._process_retrying(claimed, stop)
        self._left = {name: why for name, why in self._left.items() if name in self._looks}

    def _readable(self, path: Path) -> bool:
        """Whether this watcher can read an inbox file. One it cannot (a permission: a writer
        that makes its files readable once written, a watcher run as the wrong user) is a
        local problem, not a customs rejection: it is left in the inbox, said once, and taken
        on a later pass once it can be read."""
        try:
            with open(path, "rb"):
                return True
        except FileNotFoundError:
            return False  # taken meanwhile
        except OSError as exc:
            self._leave(path.name, f"cannot be read ({exc.strerror or exc}); left in the inbox")
            return False

    def _not_claimed(self, path: Path, exc: OSError) -> None:
        """A file the rename into the claim folder fails for (other than its being gone): never
        the end of the watcher, nor of the files after it. A name too long to be kept (a
        second file of a name at the file system's limit is kept as ``<name>.1``) can never be
        answered: it goes to ``.failed/`` when a name there is free. Anything else (the file
        of another user in a shared inbox with the sticky bit) is left in the inbox, said
        once."""
        if exc.errno == errno.ENAMETOOLONG:
            try:
                with self._names():
                    moved = _move_to_free_name(path, self.failed)
            except FileNotFoundError:
                return
            except OSError:
                pass
            else:
                log.error(
                    "%s: not answered: its name is too long to be kept; moved to %s",
                    path.name,
                    moved,
                )
                return
            self._leave(
                path.name,
                "not answered: its name is too long to be kept (and it cannot be moved to "
                ".failed/); left in the inbox",
            )
            return
        self._leave(path.name, f"cannot be taken ({exc.strerror or exc}); left in the inbox")

    def _leave(self, name: str, why: str) -> None:
        """Say once why an inbox file is left where it is (again if the reason changes)."""
        if self._left.get(name) != why:
            self._left[name] = why
            log.error("%s: %s", name, why)

    def _process_retrying(self, claimed: Path, stop: threading.Event) -> None:
        """A failure that may pass leaves the file claimed and retries it: the registry database
        (the ledger or the stored results: nothing of the failed message was stored, and what
        was committed before it is replayed, not debited again), or the answer folder (a full
        disk, a permission). A file that can never be answered — its name too long for an
        answer's, or a fault of the engine itself — goes to ``.failed/`` with a log line, so
        that it cannot stop the files after it (nor the next start, which would adopt it)."""
        from sqlalchemy.exc import SQLAlchemyError

        while not stop.is_set():
            try:
                self.process(claimed)
                return
            except (LedgerError, SQLAlchemyError) as exc:
                reason = database_reason(exc)
                log.error("%s: %s; retrying in %.0f s", claimed.name, reason, LEDGER_RETRY_SECONDS)
            except StepFailed as exc:
                if exc.error.errno == errno.ENAMETOOLONG and exc.step.startswith(ANSWERS_STEP):
                    if self._give_up(claimed, "its name is too long for the names of its answers"):
                        return
                else:
                    log.error("%s: %s; retrying in %.0f s", claimed.name, exc, LEDGER_RETRY_SECONDS)
            except OSError as exc:
                log.error(
                    "%s: %s; retrying in %.0f s",
                    claimed.name,
                    exc.strerror or exc,
                    LEDGER_RETRY_SECONDS,
                )
            except Exception as exc:  # a fault of the engine or a plugin: never a poison pill
                log.error("%s: %s: %s", claimed.name, type(exc).__name__, exc, exc_info=exc)
                if self._give_up(claimed, f"the engine failed on it ({type(exc).__name__})"):
                    return
            stop.wait(LEDGER_RETRY_SECONDS)

    def _give_up(self, claimed: Path, why: str) -> bool:
        """Move a file that can never be answered to ``.failed/``; ``False`` (said, and left
        claimed to be tried again) when even that move fails."""
        kept = kept_name(claimed.name)
        try:
            with self._names():
                moved = _move_to_free_name(claimed, self.failed, kept)
        except OSError as exc:
            log.error(
                "%s: not answered: %s; cannot move it to .failed/ (%s); retrying in %.0f s",
                kept,
                why,
                exc.strerror or exc,
                LEDGER_RETRY_SECONDS,
            )
            return False
        log.error("%s: not answered: %s; moved to %s", kept, why, moved)
        return True


def envelope_format(head: bytes) -> str | None:
    """The input format whose envelope the first bytes of a file start with (:data:`ENVELOPES`),
    for a file none of whose messages was recognised (a damaged ICES flat file)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    formats = {fmt for envelope, fmt in ENVELOPES if start.startswith(envelope)}
    return formats.pop() if len(formats) == 1 else None


class Answers:
    """A claimed file's answers, written as its responses complete (a response writer), so that
    a file of any size is never held in memory: ``<kept>.json`` (what ``customs validate
    --format json`` writes) and ``<kept>.ack`` in the watcher's reply folder, renamed into
    ``out`` by :meth:`publish` once the run is over (a client never sees half an answer), and
    the responses kept on disk for the result store (:attr:`spool`). A local file operation that
    fails raises :class:`StepFailed` naming it.

    The .ack answers the file's one input format, those of the messages the engine could not
    recognise aside (they are answered in it as rejections): it is written from the first
    recognised message on (the unrecognised ones before it read back from the spool), and
    dropped when a message of another input format comes. A file none of whose messages was
    recognised is answered in the format its envelope starts (:func:`envelope_format`). Where
    the input format has a reply of its own for structural failures, each message gets that one
    when it is written, else the ordinary reply, in input order. No .ack when there is nothing
    to acknowledge."""

    def __init__(self, folder: DropFolder, kept: str, head: bytes) -> None:
        self.folder, self.kept, self.head = folder, kept, head
        self.count = 0
        self.accepted = True
        self._files: dict[str, BinaryIO] = {}
        #: the input format of the file's first recognised message (``None``: none yet)
        self._format: str | None = None
        #: how many messages came before it (none of them recognised)
        self._before = 0
        self._ack: ResponseWriter | None = None
        self._mixed = False
        with self._step():
            self.spool = Spool(str(folder.partials))
        try:
            with self._step():
                self._json = folder.validator.writer("json", self._open(".json"))
        except BaseException:
            self.discard()
            raise

    def _step(self) -> contextlib.AbstractContextManager[None]:
        return _step(f"{ANSWERS_STEP} {self.folder.out}")

    def _partial(self, suffix: str) -> Path:
        return self.folder.partials / f"{self.kept}{suffix}{PARTIAL}"

    def _open(self, suffix: str) -> BinaryIO:
        handle = open(self._partial(suffix), "wb")  # noqa: SIM115 - closed by publish or discard
        self._files[suffix] = handle
        return handle

    def write(self, response: Response) -> None:
        with self._step():
            self.spool.write(response)
            self._json.write(response)
            self.count += 1
            self.accepted = self.accepted and response.accepted
            fmt = response.message.format
            if self._mixed:
                return
            if fmt == UNRECOGNISED:
                if self._format is None:
                    self._before += 1
                    return
            elif self._format is None:
                self._acknowledge(fmt)
            elif fmt != self._format:
                self._mixed, self._ack = True, None  # several input formats: no reply
                return
            if self._ack is not None:
                self._ack.write(response)

    def _acknowledge(self, fmt: str | None) -> None:
        """Start the .ack in the reply format of ``fmt``, with the messages before it."""
        self._format = fmt
        replies = self.folder.reply_formats(fmt)
        if replies is None:
            return
        reply, structural = replies
        stream = self._open(".ack")
        validator = self.folder.validator
        self._ack = (
            validator.writer(reply, stream)
            if structural is None
            else _EachReplied(validator, reply, structural, stream)
        )
        for earlier in self.spool.responses(self._before):
            self._ack.write(earlier)

    def close(self) -> None:
        """The end of the run (of a run that failed too: what was written is then discarded)."""
        with self._step():
            self._json.close()
            if self._ack is not None:
                self._ack.close()

    def publish(self) -> None:
        """Rename the answers into ``out`` (after the run)."""
        with self._step():
            if self._format is None:  # none of its messages was recognised
                self._acknowledge(envelope_format(self.head))
                if self._ack is not None:
                    self._ack.close()
            self._rename(".json")
            if self._ack is not None and self._files[".ack"].tell():
                self._rename(".ack")

    def _rename(self, suffix: str) -> None:
        handle = self._files.pop(suffix)
        with handle:
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(self._partial(suffix), self.folder.out / f"{self.kept}{suffix}")

    def discard(self) -> None:
        """Remove what was not published, and the spool."""
        for suffix, handle in self._files.items():
            with contextlib.suppress(OSError):
                handle.close()
                self._partial(suffix).unlink(missing_ok=True)
        self._files.clear()
        self.spool.discard()


class _EachReplied:
    """A reply written message by message: a message's structural reply when its writer writes
    one, else its ordinary reply."""

    def __init__(self, validator: Validator, reply: str, structural: str, stream: BinaryIO):
        self.validator = validator
        self.reply, self.structural = reply, structural
        self.stream = stream

    def write(self, response: Response) -> None:
        render = self.validator.render
        self.stream.write(render([response], self.structural) or render([response], self.reply))

    def close(self) -> None:
        pass


def _move_to_free_name(path: Path, folder: Path, name: str | None = None) -> Path:
    """Move ``path`` to ``folder/<name>`` (``name`` defaults to the file's own), or ``<name>.1``,
    ``<name>.2``… when that name is taken. The rename never replaces a file (Linux
    ``renameat2(RENAME_NOREPLACE)``), so two watchers moving files of one name at once both keep
    theirs; where the kernel or file system lacks it, the first name free at the time of the
    rename."""
    name = path.name if name is None else name
    n = 0
    while True:
        target = folder / (name if n == 0 else f"{name}.{n}")
        try:
            moved = _rename_noreplace(path, target)
        except FileExistsError:
            n += 1
            continue
        if moved:
            return target
        if target.exists():
            n += 1
            continue
        os.replace(path, target)
        return target


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_renameat2: Any = None


def _rename_noreplace(source: Path, target: Path) -> bool:
    """Rename unless ``target`` exists (:class:`FileExistsError`); ``False`` when this kernel,
    C library or file system cannot say (then nothing was done)."""
    global _renameat2
    if _renameat2 is None:
        function: Any
        try:
            function = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):
            function = False
        else:
            function.argtypes = [
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_uint,
            ]
            function.restype = ctypes.c_int
        _renameat2 = function
    if _renameat2 is False:
        return False
    if (
        _renameat2(
            _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
        )
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(source))


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a name longer than the file system allows never does (asking
    raises ``ENAMETOOLONG``: a file whose answers' names would be too long is given up later,
    with a log line, and must not stop the watcher first)."""
    try:
        return path.exists()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise
