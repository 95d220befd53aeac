"""Response writers for ``text``, ``json`` and ``jsonl`` (a plugin like any other).

* ``json`` — one JSON document: the response object when the input held one message, else an
  array of response objects in input order.
* ``jsonl`` — one compact response object per line.
* ``text`` — a human-readable report per message.
"""

from __future__ import annotations

from typing import BinaryIO

from customs_engine.core.formats import ResponseFormat
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.response import Response
from customs_engine.core.writers.printable import printable


def _dumps(response: Response, *, indent: int | None) -> str:
    return response.to_json(indent=indent)


class JsonWriter:
    """Buffers one response so a single message is written as an object, more as an array."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self._pending: Response | None = None
        self._count = 0

    def write(self, response: Response) -> None:
        self._count += 1
        if self._count == 1:
            self._pending = response
            return
        if self._count == 2:
            assert self._pending is not None
            self.stream.write(b"[\n" + self._indented(self._pending))
            self._pending = None
        self.stream.write(b",\n" + self._indented(response))

    def close(self) -> None:
        if self._count == 0:
            self.stream.write(b"[]\n")
        elif self._count == 1 and self._pending is not None:
            self.stream.write(_dumps(self._pending, indent=2).encode() + b"\n")
        else:
            self.stream.write(b"\n]\n")

    @staticmethod
    def _indented(response: Response) -> bytes:
        text = _dumps(response, indent=2)
        return "\n".join("  " + line for line in text.splitlines()).encode()


class JsonLinesWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def write(self, response: Response) -> None:
        self.stream.write(_dumps(response, indent=None).encode() + b"\n")

    def close(self) -> None:
        pass


class TextWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def write(self, response: Response) -> None:
        msg = response.message
        function = f" ({msg.function})" if msg.function not in (None, "original") else ""
        head = (
            f"{msg.source} #{msg.index} {msg.type} {msg.reference or '-'}{function}: "
            f"{response.status.upper()}"
        )
        lines = [head]
        for f in response.findings:
            where = f" item {f.item}" if f.item is not None else ""
            lines.append(f"  {f.outcome:<6} {f.rule}{where}: {f.message} [{f.reference}]")
        for fee in response.fees:
            where = f" item {fee.item}" if fee.item is not None else ""
            lines.append(
                f"  fee    {fee.rule}{where}: {fee.kind} {fee.currency} "
                f"{fee.model_dump(mode='json')['amount']} ({fee.basis})"
            )
        for use in response.authorisations:
            data = use.model_dump(mode="json")
            lines.append(
                f"  debit  {use.scheme.upper()} {use.number} item {use.item}: "
                f"{data['debited_quantity']} / INR {data['debited_value']}, remaining "
                f"{data['remaining_quantity'] or 'no limit on record'} / "
                f"INR {data['remaining_value'] or 'no limit on record'}"
            )
        for credit in response.credited:
            lines.append(f"  credit {credit.text()} (credited back)")
        if response.routing is not None:
            lines.append(f"  route  {response.routing.nac} group {response.routing.group}")
        # names and values come from the input: no control character may reach the terminal
        # or start a line of its own (a member named "x\nok.xml #0 ...: ACCEPTED")
        self.stream.write(("\n".join(printable(line) for line in lines) + "\n").encode())

    def close(self) -> None:
        pass


_WRITERS: dict[str, type[JsonWriter] | type[JsonLinesWriter] | type[TextWriter]] = {
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "text": TextWriter,
}


#: what ``customs validate --help`` says of each format
_TITLES = {
    "json": "one JSON document",
    "jsonl": "one JSON object per line",
    "text": "a readable report",
}


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [
        ResponseFormat(name=name, title=_TITLES[name], writer=writer)
        for name, writer in sorted(_WRITERS.items())
    ]
