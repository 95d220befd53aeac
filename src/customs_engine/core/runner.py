"""A validation run: inputs through the engine, responses to a writer, a tally at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from customs_engine.core.engine import Engine
from customs_engine.core.inputs import InputFile
from customs_engine.core.parsing import ResponseWriter, unparsable
from customs_engine.core.response import Response


@dataclass
class RunSummary:
    messages: int = 0
    by_status: Counter[str] = field(default_factory=Counter)

    def add(self, response: Response) -> None:
        self.messages += 1
        self.by_status[response.status] += 1

    @property
    def all_accepted(self) -> bool:
        return self.by_status["accepted"] == self.messages


def responses_for(engine: Engine, file: InputFile) -> list[Response]:
    if file.problem is not None:
        parsed = unparsable("unknown", file.problem, line=1, column=1)
        return [engine.complete(parsed, engine.assess(parsed), file.name)]
    return engine.validate_bytes(file.data, file.name)


def run(engine: Engine, files: Iterable[InputFile], writer: ResponseWriter) -> RunSummary:
    summary = RunSummary()
    for file in files:
        for response in responses_for(engine, file):
            writer.write(response)
            summary.add(response)
    writer.close()
    return summary
