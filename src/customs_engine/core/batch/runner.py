"""A validation run: inputs through the engine, responses to a writer, a tally at the end.

With ``jobs > 1`` parsing and the stateless checks (:meth:`Engine.parse`, :meth:`Engine.assess`)
run in ``jobs - 1`` worker processes, each with its own :class:`Engine` built once from the entry
points and the run's pickled :class:`CheckContext`, and in the main process, which takes the next
batch itself whenever the next result in order is not ready — so ``jobs`` processes share the
stateless work, as ``make -j`` counts jobs (:mod:`.workers`, imported only by such a run). The
stateful half (:meth:`Engine.complete`: IGM store, noting, ledger) and writing stay in the main
process, in input order. Files travel to the workers in small batches (fewer round trips), a few
batches per worker are in flight, and results are taken back in submission order — so memory
does not grow with the number of inputs and the output is byte-identical for any ``jobs``.
``jobs == 1`` runs in-process, one message at a time: each is parsed, checked, completed and
written before the next one of its file is read (:meth:`Engine.messages`), so a large interchange
is never held parsed whole.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress

from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.progress import Progress
from customs_engine.core.batch.summary import RunSummary
from customs_engine.core.engine import Assessment, Engine
from customs_engine.core.formats import ParsedMessage, ResponseWriter, unparsable
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.response import Response

__all__ = ["RunError", "RunSummary", "responses_for", "run"]

#: young-generation collection threshold during a run (Python's default is 700). Messages are
#: hundreds of short-lived, acyclic objects each, so the default collects every few messages and
#: rescans the batches in flight (measured: benchmarks/RESULTS.md, "Figures behind design
#: choices")
GC_THRESHOLD = (50_000, 20, 100)

Pair = tuple[ParsedMessage, Assessment]
Stateless = list[Pair]


class RunError(Exception):
    """The run cannot go on (a worker process died); the output so far is incomplete."""


def streamed(engine: Engine, file: InputFile) -> Iterator[Pair]:
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
#: Set while a message is completed (perhaps committed) and its response written: a stop
#: signal then only sets :data:`STOP`, and the run stops once that response is out, so that
#: nothing is committed without its response written.
IN_HAND = threading.Event()


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
        if jobs <= 1:
            results = _in_process(engine, files)
        else:
            from customs_engine.core.batch.workers import in_workers

            results = in_workers(engine, files, jobs, host_factory)
        for name, pairs in results:
            count = 0
            for parsed, assessment in pairs:
                IN_HAND.set()
                try:
                    response = engine.complete(parsed, assessment, name)
                    writer.write(response)
                finally:
                    IN_HAND.clear()
                summary.add(response)
                count += 1
                if STOP.is_set():  # a signal came while this message was in hand
                    raise KeyboardInterrupt
            progress.update(files=1, messages=count)
            if STOP.is_set():
                # the signal's own KeyboardInterrupt can be swallowed when it lands in a
                # finaliser or a garbage-collector callback; the flag is not
                raise KeyboardInterrupt
        writer.close()
    except BaseException as exc:
        # a run that stops (lost database, dead worker, interrupt) still leaves well-formed
        # output for what was written: a JSON array is closed. If the output itself failed,
        # closing fails too and the first error is the one reported.
        with suppress(Exception):
            writer.close()
        if STOP.is_set() and not isinstance(exc, KeyboardInterrupt):
            # the signal's KeyboardInterrupt can come back as another error: pydantic-core
            # turns one raised while it serialises into a PydanticSerializationError
            raise KeyboardInterrupt from exc
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


def _in_process(engine: Engine, files: Iterable[InputFile]) -> Iterator[tuple[str, Iterable[Pair]]]:
    """Each file's messages as they are read: each is completed and written before the next one
    of the file is parsed."""
    for file in files:
        yield file.name, streamed(engine, file)
