"""``customs watch INBOX --out DIR``: a drop folder for integrators whose systems write files.

The life of a file:

1. It is taken once **complete**: neither its size nor its modification time has changed for
   ``settle`` seconds (a file renamed into the inbox after being written elsewhere is complete
   at once, and taken after the same short wait). Names starting with a dot and names ending in
   ``.part``/``.tmp`` are never taken, so a writer may also write under such a name and rename.
2. It is **claimed** by an atomic rename into ``INBOX/.processing/`` (same file system).
3. It is validated as one run (:class:`~customs_engine.service.runs.Validator`: archives member by
   member with the command line's protections; with ``--commit`` each message is committed).
4. Its answers are written through a temporary file and a rename: ``DIR/<name>.json`` (what
   ``customs validate --format json`` writes) and, where its input format has an ICEGATE reply
   format, ``DIR/<name>.ack`` (CHCAI02 for ICES flat files, the ACK for SCMTR JSON).
5. It is moved to ``INBOX/.done/`` (every message accepted) or ``INBOX/.failed/``.

A crash or ``kill -9`` leaves a file in ``.processing/``; the next start finishes it first. Its
answers are then written again whole (the same name, the same content: a client never sees two
answers or half of one), and with ``--commit`` the ledger's submission keys replay what was
committed instead of debiting it twice. SIGTERM or SIGINT stops after the file in hand.

One watcher per inbox: to scale out, give each watcher its own inbox and share the registry.
Changes are noticed through the operating system's file events (watchfiles); ``poll=True`` polls
instead, for network shares where no events arrive.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.response import Response
from customs_engine.service.results import ResultStore
from customs_engine.service.runs import Validator

log = logging.getLogger("customs_engine.watch")

#: input format → the output format of its ICEGATE reply (written as DIR/<name>.ack). ICEGATE's
#: own reply formats only: the XML and EDIFACT renderings have none. An SCMTR declaration gets
#: its ACK (which also names every structural failure an SFL would).
REPLY_FORMATS = {"ices_flatfile": "ices-ack", "scmtr_json": "scmtr-ack"}
IGNORED_SUFFIXES = (".part", ".tmp", ".partial")
PARTIAL = ".partial"
LEDGER_RETRY_SECONDS = 5.0


@dataclass
class DropFolder:
    inbox: Path
    out: Path
    validator: Validator
    results: ResultStore | None = None
    commit: bool = False
    settle: float = 1.0
    poll: bool = False

    @property
    def processing(self) -> Path:
        return self.inbox / ".processing"

    @property
    def done(self) -> Path:
        return self.inbox / ".done"

    @property
    def failed(self) -> Path:
        return self.inbox / ".failed"

    def prepare(self) -> None:
        for folder in (self.processing, self.done, self.failed, self.out):
            folder.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob(f".*{PARTIAL}"):  # a reply cut short by a kill
            stale.unlink(missing_ok=True)

    # -- one pass -------------------------------------------------------------------------------

    def complete_files(self, now: float | None = None) -> list[Path]:
        """Files of the inbox untouched for ``settle`` seconds, in name order."""
        now = time.time() if now is None else now
        ready = []
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(IGNORED_SUFFIXES):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime >= self.settle:
                    ready.append(Path(entry.path))
        return sorted(ready)

    def claim(self, path: Path) -> Path | None:
        """Move ``path`` into ``.processing/`` (atomic); ``None`` if it is gone."""
        target = self.processing / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        return target

    def process(self, claimed: Path) -> str:
        """Validate a claimed file, write its answers, move it on; returns its status."""
        name = claimed.name
        responses = self.validator.run_path(str(claimed), name, commit=self.commit)
        self._reply(name, ".json", self.validator.render(responses, "json"))
        reply = self.reply_format(responses)
        if reply is not None:
            self._reply(name, ".ack", self.validator.render(responses, reply))
        if self.results is not None:
            self.results.save(name, responses, committed=self.commit)
        accepted = all(response.accepted for response in responses)
        os.replace(claimed, _free_name(self.done if accepted else self.failed, name))
        status = "accepted" if accepted else "not accepted"
        log.info(
            "answered %s: %d message%s, %s",
            name,
            len(responses),
            "" if len(responses) == 1 else "s",
            status,
        )
        return status

    def reply_format(self, responses: Sequence[Response]) -> str | None:
        """The ICEGATE reply format of the file's input format, when the plugins write one."""
        formats = {response.message.format for response in responses}
        if len(formats) != 1:
            return None
        reply = REPLY_FORMATS.get(formats.pop())
        return reply if reply in self.validator.host.output_formats() else None

    def _reply(self, name: str, suffix: str, body: bytes) -> None:
        target = self.out / f"{name}{suffix}"
        partial = self.out / f".{name}{suffix}{PARTIAL}"
        with open(partial, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)

    # -- the loop -------------------------------------------------------------------------------

    def recover(self, stop: threading.Event) -> None:
        """Finish what a previous run left in ``.processing/`` (crash, kill)."""
        for claimed in sorted(p for p in self.processing.iterdir() if p.is_file()):
            if stop.is_set():
                return
            log.info("finishing %s, left in .processing by an earlier run", claimed.name)
            self._process_retrying(claimed, stop)

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set (the file in hand is finished first)."""
        import watchfiles

        self.prepare()
        self.recover(stop)
        timeout_ms = max(50, int(self.settle * 1000))
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
        self.take_complete(stop)
        for _ in changes:
            if stop.is_set():
                break
            self.take_complete(stop)

    def take_complete(self, stop: threading.Event) -> None:
        for path in self.complete_files():
            if stop.is_set():
                return
            claimed = self.claim(path)
            if claimed is not None:
                self._process_retrying(claimed, stop)

    def _process_retrying(self, claimed: Path, stop: threading.Event) -> None:
        """A registry failure leaves the file claimed and retries it (nothing of the failed
        message was stored; what was committed before it is replayed, not debited again)."""
        while not stop.is_set():
            try:
                self.process(claimed)
                return
            except LedgerError as exc:
                log.error("%s: %s; retrying in %.0f s", claimed.name, exc, LEDGER_RETRY_SECONDS)
                stop.wait(LEDGER_RETRY_SECONDS)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name.1``, ``name.2``… when a file of that name is already there."""
    target = folder / name
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{name}.{n}"
    return target
