"""A validation run: inputs through the engine, responses to a writer, a tally at the end.

With ``jobs > 1`` parsing and the stateless checks (:meth:`Engine.parse`, :meth:`Engine.assess`)
run in ``jobs - 1`` worker processes, each with its own :class:`Engine` built once from the entry
points and the run's pickled :class:`CheckContext`, and in the main process, which takes the next
batch itself whenever the next result in order is not ready — so ``jobs`` processes share the
stateless work, as ``make -j`` counts jobs. The stateful half (:meth:`Engine.complete`: IGM store,
noting, ledger) and writing stay in the main process, in input order. Files travel to the workers
in small batches (fewer round trips), at most :data:`WINDOW_PER_JOB` batches per worker are in
flight, and results are taken back in submission order — so memory does not grow with the number
of inputs and the output is byte-identical for any ``jobs``. ``jobs == 1`` runs in-process, one
message at a time: each is parsed, checked, completed and written before the next one of its file
is read (:meth:`Engine.messages`), so a large interchange is never held parsed whole.
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
from contextlib import suppress

from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.progress import Progress
from customs_engine.core.batch.summary import RunSummary
from customs_engine.core.batch.wire import Packed, compress, decompress, pack, unpack
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Assessment, Engine
from customs_engine.core.formats import ParsedMessage, ResponseWriter, unparsable
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.response import Response

__all__ = ["RunError", "RunSummary", "responses_for", "run"]

#: a batch closes at this many files or bytes, whichever comes first
BATCH_FILES = 32
BATCH_BYTES = 1024 * 1024
#: a file this large is not sent to a worker: the main process reads, checks and completes it one
#: message at a time, as with one job (a large interchange is never held parsed whole)
STREAM_BYTES = BATCH_BYTES
#: batches in flight per worker: enough to keep workers busy while the main process writes
WINDOW_PER_JOB = 4
#: young-generation collection threshold during a run (Python's default is 700). Messages are
#: hundreds of short-lived, acyclic objects each, so the default collects every few messages and
#: rescans the batches in flight (measured: benchmarks/RESULTS.md, "Figures behind design
#: choices")
GC_THRESHOLD = (50_000, 20, 100)

Pair = tuple[ParsedMessage, Assessment]
Stateless = list[Pair]
#: exit status of a worker that outlived its main process
EXIT_ORPHANED = 70


class RunError(Exception):
    """The run cannot go on (a worker process died); the output so far is incomplete."""


def streamed(engine: Engine, file: InputFile) -> Iterator[tuple[ParsedMessage, Assessment]]:
    """Parse one input file and run the stateless checks on each of its messages, one message
    at a time (see :meth:`Engine.messages`)."""
    if file.problem is not None:
        parsed: Iterable[ParsedMessage] = [unparsable("unknown", file.problem, line=1, column=1)]
    else:
        parsed = engine.messages(file.data, file.name)
    for message in parsed:
        yield message, engine.assess(message)


def stateless(engine: Engine, file: InputFile) -> Stateless:
    """Parse one input file and run the stateless checks on each of its messages."""
    return list(streamed(engine, file))


def responses_for(engine: Engine, file: InputFile) -> list[Response]:
    return [engine.complete(p, a, file.name) for p, a in stateless(engine, file)]


#: Set by a signal handler to stop the run after the file in hand (see ``customs validate``).
STOP = threading.Event()


def run(
    engine: Engine,
    files: Iterable[InputFile],
    writer: ResponseWriter,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    host_factory: Callable[[], PluginHost] | None = None,
) -> RunSummary:
    """Validate ``files`` and write every response; ``jobs`` worker processes when above 1.

    ``host_factory`` builds each worker's plugins (default: every entry point, less those blocked
    by ``CUSTOMS_ENGINE_BLOCK_PLUGINS``); it must be picklable.
    """
    summary = RunSummary()
    progress = progress or Progress.disabled()
    STOP.clear()
    gc.freeze()  # start-up objects (plugins, schemas) need no more cyclic collection passes
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        files = _without_skipped(files, summary)
        results = (
            _in_process(engine, files)
            if jobs <= 1
            else _in_workers(engine, files, jobs, host_factory)
        )
        for name, pairs in results:
            count = 0
            for parsed, assessment in pairs:
                response = engine.complete(parsed, assessment, name)
                writer.write(response)
                summary.add(response)
                count += 1
            progress.update(files=1, messages=count)
            if STOP.is_set():
                # the signal's own KeyboardInterrupt can be swallowed when it lands in a
                # finaliser or a garbage-collector callback; the flag is not
                raise KeyboardInterrupt
        writer.close()
    except BaseException:
        # a run that stops (lost database, dead worker, interrupt) still leaves well-formed
        # output for what was written: a JSON array is closed. If the output itself failed,
        # closing fails too and the first error is the one reported.
        with suppress(Exception):
            writer.close()
        raise
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        progress.close()
    summary.finish()
    return summary


def _without_skipped(files: Iterable[InputFile], summary: RunSummary) -> Iterator[InputFile]:
    """Entries that are not read (dot-files, links, special files) go to the summary only."""
    for file in files:
        if file.skipped is None:
            yield file
        else:
            summary.skip(file.name, file.skipped)


def _in_process(
    engine: Engine, files: Iterable[InputFile]
) -> Iterator[tuple[str, Iterable[tuple[ParsedMessage, Assessment]]]]:
    """Each file's messages as they are read: each is completed and written before the next one
    of the file is parsed."""
    for file in files:
        yield file.name, streamed(engine, file)


# -- worker processes --------------------------------------------------------------------------

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
    """The batches of :func:`_in_workers` in input order: sent to a worker (a future), checked in
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


def _in_workers(
    engine: Engine,
    files: Iterable[InputFile],
    jobs: int,
    host_factory: Callable[[], PluginHost] | None,
) -> Iterator[tuple[str, Iterable[tuple[ParsedMessage, Assessment]]]]:
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
