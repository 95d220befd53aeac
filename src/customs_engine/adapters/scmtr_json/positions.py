"""Where a JSON pointer's value starts in a declaration's text, as 1-based line and column.

A schema failure is found on the decoded document and named by its JSON pointer (RFC 6901);
the user's editor wants a line and a column. :func:`locate` finds every pointer of one
declaration in a single pass over the text: the members on the way to a pointer are walked, the
others skipped whole by the standard library's JSON scanner, so a declaration with a hundred
failures is still read once. A pointer that leads past what the text holds (a missing member)
is placed at the nearest value it names that exists: for ``required`` that is the object that
lacks the member.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from contextlib import suppress

_BLANK = re.compile(r"[ \t\n\r]*")
#: skips a value whole: numbers are kept as their text (an integer of 5000 digits is no error)
_SKIP = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)

#: one step of a pointer → the steps below it that some wanted pointer takes
_Tree = dict[str, "_Tree"]


def locate(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Each pointer → (line, column) where its value (or the nearest value on its way) starts
    in ``text``, a JSON text that decodes. Columns count characters, not bytes."""
    return _lines_and_columns(text, _offsets(text, pointers))


def repeated(text: str, pointer: str) -> tuple[int, int]:
    """(line, column) of the second member named by the last step of ``pointer`` in the object
    the rest of it names: where a key an object already has is written again (else, as
    :func:`locate`, the nearest value on the way)."""
    steps = _steps(pointer)
    parent = "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in steps[:-1])
    at = _offsets(text, [parent])[parent]
    if steps and text.startswith("{", at):
        with suppress(ValueError, IndexError):
            at = _member(text, at, steps[-1], at)
    return _lines_and_columns(text, {pointer: at})[pointer]


def _member(text: str, index: int, name: str, fallback: int) -> int:
    """Where the second member called ``name`` of the object at ``index`` starts."""
    at = _blank(text, index + 1)
    seen = False
    while not text.startswith("}", at):
        step, end = _SKIP.raw_decode(text, at)
        if step == name:
            if seen:
                return at
            seen = True
        at = _blank(text, _SKIP.raw_decode(text, _blank(text, _blank(text, end) + 1))[1])
        if text.startswith(",", at):
            at = _blank(text, at + 1)
    return fallback


def _offsets(text: str, pointers: Iterable[str]) -> dict[str, int]:
    wanted = {pointer: _steps(pointer) for pointer in pointers}
    tree: _Tree = {}
    for steps in wanted.values():
        node = tree
        for step in steps:
            node = node.setdefault(step, {})
    offsets: dict[tuple[str, ...], int] = {}
    with suppress(ValueError, IndexError):  # not JSON after all: what was placed stays placed
        _walk(text, _blank(text, 0), tree, (), offsets)
    found: dict[str, int] = {}
    for pointer, steps in wanted.items():
        while steps not in offsets and steps:
            steps = steps[:-1]
        found[pointer] = offsets.get(steps, 0)
    return found


def _steps(pointer: str) -> tuple[str, ...]:
    if not pointer or pointer == "/":
        return ()
    return tuple(step.replace("~1", "/").replace("~0", "~") for step in pointer.split("/")[1:])


def _walk(
    text: str,
    index: int,
    tree: _Tree,
    path: tuple[str, ...],
    offsets: dict[tuple[str, ...], int],
) -> int:
    """Note where the value at ``index`` starts and return where it ends; descend only into
    the members ``tree`` names."""
    offsets[path] = index
    opening = text[index : index + 1]
    if not tree or opening not in ("{", "["):
        return _SKIP.raw_decode(text, index)[1]
    closing = "}" if opening == "{" else "]"
    at = _blank(text, index + 1)
    position = 0
    while not text.startswith(closing, at):
        if opening == "{":
            step, at = _SKIP.raw_decode(text, at)  # a member's name is a JSON string
            at = _blank(text, _blank(text, at) + 1)  # past ':'
        else:
            step = str(position)
            position += 1
        below = tree.get(step)
        if below is None:
            at = _SKIP.raw_decode(text, at)[1]
        else:
            at = _walk(text, at, below, (*path, step), offsets)
        at = _blank(text, at)
        if text.startswith(",", at):
            at = _blank(text, at + 1)
    return at + 1


def _blank(text: str, at: int) -> int:
    """Where the first character at or after ``at`` that is not JSON whitespace is."""
    match = _BLANK.match(text, at)
    return match.end() if match else at


def _lines_and_columns(text: str, offsets: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Offsets → (line, column), counting the newlines once over the text in offset order."""
    out: dict[str, tuple[int, int]] = {}
    line, counted = 1, 0
    for pointer, offset in sorted(offsets.items(), key=lambda item: item[1]):
        line += text.count("\n", counted, offset)
        counted = offset
        out[pointer] = (line, offset - text.rfind("\n", 0, offset))
    return out
