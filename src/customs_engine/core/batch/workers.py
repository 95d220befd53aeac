"""The worker processes of a run with ``jobs > 1`` (see :mod:`.runner`).

Parsing and the stateless checks run in ``jobs - 1`` worker processes and in the main process,
which takes the next batch itself whenever the next result in order is not ready. Imported only
by a run with more than one job: a one-job run does not load :mod:`concurrent.futures` and
:mod:`multiprocessing` (about 1.3 MiB).
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.runner import (
    GC_THRESHOLD,
    Pair,
    RunError,
    Stateless,
    stateless,
    streamed,
)
from customs_engine.core.batch.wire import Packed, compress, decompress, pack, unpack
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.plugin_host import PluginHost

#: a batch closes at this many files or bytes, whichever comes first
BATCH_FILES = 32
BATCH_BYTES = 1024 * 1024
#: a file this large is not sent to a worker: the main process reads, checks and completes it one
#: message at a time, as with one job (a large interchange is never held parsed whole)
STREAM_BYTES = BATCH_BYTES
#: batches in flight per worker: enough to keep workers busy while the main process writes
WINDOW_PER_JOB = 4
#: exit status of a worker that outlived its main process
EXIT_ORPHANED = 70

# -- the worker processes' side --------------------------------------------------------------------

_worker: Engine | None = None


def _start_worker(ctx: CheckContext, host_factory: Callable[[], PluginHost] | None) -> None:
    global _worker
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the main process's handler is not ours
    _die_with_parent(os.getppid())
    host = host_factory() if host_factory is not None else PluginHost.from_entry_points(trace=False)
    _worker = Engine(host, ctx)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def _die_with_parent(parent: int, every: float = 0.5) -> None:
    """A worker whose main process is gone (killed with ``kill -9``) exits at once, whatever it
    was doing: nothing would read its results, and it must not run on for ever. A daemon thread
    watches the parent process id (re-parenting changes it)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="customs-parent-watch", daemon=True).start()


def _ready() -> None:
    """Nothing: submitted first so the worker processes start (and load plugins) at once."""


def _work(batch: bytes) -> bytes:
    """Check a compressed batch of files; their results, packed and compressed (see wire.py)."""
    assert _worker is not None, "worker not initialised"
    files: list[InputFile] = decompress(batch)
    return compress([[pack(*pair) for pair in stateless(_worker, file)] for file in files])


def _batches(files: Iterable[InputFile]) -> Iterator[list[InputFile] | InputFile]:
    """Small files in batches; a file of :data:`STREAM_BYTES` or more alone, as itself (it is
    read in the main process, one message at a time: never held parsed whole, nor sent)."""
    batch: list[InputFile] = []
    size = 0
    for file in files:
        if len(file.data) >= STREAM_BYTES:
            if batch:
                yield batch
                batch, size = [], 0
            yield file
            continue
        batch.append(file)
        size += len(file.data)
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Queue:
    """The batches of :func:`in_workers` in input order: sent to a worker (a future), checked in
    the main process (results), or a large file waiting for its turn in the main process. A
    second large file waits in ``held`` until the first is done, so that at most one is read
    ahead."""

    def __init__(self, engine: Engine, files: Iterable[InputFile]):
        self.engine = engine
        self.batches = _batches(files)
        self.pending: deque[tuple[list[str], Future[bytes] | list[Stateless] | InputFile]] = deque()
        self.in_flight = 0
        self.exhausted = False
        self.large = False
        self.held: list[InputFile] | InputFile | None = None

    def take(self) -> list[InputFile] | InputFile | None:
        """The next batch; ``None`` when none is left or a second large file must wait."""
        if self.held is None:
            self.held = next(self.batches, None)
            if self.held is None:
                self.exhausted = True
                return None
        if isinstance(self.held, InputFile):
            if self.large:
                return None
            self.large = True
        batch, self.held = self.held, None
        return batch

    def put(self, batch: list[InputFile] | InputFile, pool: ProcessPoolExecutor | None) -> None:
        """Queue a batch: small files go to a worker, or with no ``pool`` are checked here."""
        engine = self.engine
        if isinstance(batch, InputFile):
            self.pending.append(([batch.name], batch))
        elif pool is None:
            self.pending.append(
                ([file.name for file in batch], [stateless(engine, file) for file in batch])
            )
        else:
            self.pending.append(
                ([file.name for file in batch], pool.submit(_work, compress(batch)))
            )
            self.in_flight += 1

    def pop(self) -> Iterator[tuple[str, Iterable[Pair]]]:
        """The results of the first batch, file by file (waiting for its worker if need be)."""
        names, head = self.pending.popleft()
        if isinstance(head, Future):
            self.in_flight -= 1
            packed: list[list[Packed]] = decompress(head.result())
            # rebuilt file by file, just before completion: fewer objects alive at once
            for name, file in zip(names, packed, strict=True):
                yield name, [unpack(pair) for pair in file]
        elif isinstance(head, InputFile):
            self.large = False
            yield head.name, streamed(self.engine, head)
        else:
            yield from zip(names, head, strict=True)


def in_workers(
    engine: Engine,
    files: Iterable[InputFile],
    jobs: int,
    host_factory: Callable[[], PluginHost] | None,
) -> Iterator[tuple[str, Iterable[Pair]]]:
    """Results of every batch in input order, from ``jobs - 1`` workers and the main process.

    The main process steals: whenever the next result in order is not ready, it takes the next
    batch itself instead of waiting. It would otherwise compete with the workers for the cores
    while blocked on the pipe, and every batch it keeps saves the trip through
    :mod:`~customs_engine.core.batch.wire` (batches travel compressed, results packed).
    """
    workers = jobs - 1
    worker_window = workers * WINDOW_PER_JOB
    max_pending = worker_window + WINDOW_PER_JOB
    queue = _Queue(engine, files)
    names: list[str] = []
    # the first batch is checked here, before the workers fork: what the checks set up on first
    # use (schemas, calendars, caches) is then inherited instead of built again in every worker
    first = queue.take()
    if first is None:
        return
    queue.put(first, None)
    pending = queue.pending
    try:
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker, initargs=(engine.ctx, host_factory)
        ) as pool:
            pool.submit(_ready)  # start the workers now: they load plugins while the main reads
            while True:
                while (
                    not queue.exhausted
                    and queue.in_flight < worker_window
                    and len(pending) < max_pending
                ):
                    batch = queue.take()
                    if batch is None:
                        break
                    queue.put(batch, pool)
                if not pending:
                    return
                names, head = pending[0]
                if (
                    isinstance(head, Future)
                    and not head.done()
                    and not queue.exhausted
                    and (len(pending) < max_pending)
                ):
                    batch = queue.take()
                    if batch is not None:
                        queue.put(batch, None)
                        continue
                yield from queue.pop()
    except BrokenProcessPool as exc:
        where = f" while checking {names[0]} … {names[-1]}" if names else ""
        raise RunError(
            f"a worker process died{where} ({exc}); run again with -j1 to find the "
            "input that causes it"
        ) from exc
