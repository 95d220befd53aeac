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
from customs_engine.core.money import money
from customs_engine.core.response import Response, quantity
from customs_engine.core.writers.printable import printable


def _indented(text: bytes) -> bytes:
    """Every line of an indented JSON document indented two more spaces (an array element)."""
    if text.isascii() and not text.endswith(b"\n"):
        # JSON escapes every control character inside a string, so the only line breaks of
        # ASCII text are the serializer's own
        return b"  " + text.replace(b"\n", b"\n  ")
    # beyond ASCII, str.splitlines also breaks at U+0085, U+2028 and U+2029 (kept as they were)
    return "\n".join("  " + line for line in text.decode().splitlines()).encode()


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
            self.stream.write(b"[\n" + _indented(self._pending.to_json_bytes(indent=2)))
            self._pending = None
        self.stream.write(b",\n" + _indented(response.to_json_bytes(indent=2)))

    def close(self) -> None:
        if self._count == 0:
            self.stream.write(b"[]\n")
        elif self._count == 1 and self._pending is not None:
            self.stream.write(self._pending.to_json_bytes(indent=2) + b"\n")
        else:
            self.stream.write(b"\n]\n")


class JsonLinesWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def write(self, response: Response) -> None:
        self.stream.write(response.to_json_bytes() + b"\n")

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
                f"{money(fee.amount)} ({fee.basis})"
            )
        for use in response.authorisations:
            # as the JSON response writes them (the fields' serializers)
            left = use.remaining_quantity
            left_value = use.remaining_value
            lines.append(
                f"  debit  {use.scheme.upper()} {use.number} item {use.item}: "
                f"{quantity(use.debited_quantity)} / INR {money(use.debited_value)}, remaining "
                f"{'no limit on record' if left is None else quantity(left)} / "
                f"INR {'no limit on record' if left_value is None else money(left_value)}"
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
