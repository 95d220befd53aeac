"""Where an element's start tag is, as 1-based line and column.

libxml2 tells the line of a node but not its column, and reports schema errors with column 0. A
one-line (minified) message, as integrators often send, then says "line 1" of every failure.
:class:`StartTags` finds the column by counting: a node that is the k-th element of its tag to
start on its line is at the k-th ``<name`` of that line's text.

One :class:`StartTags` serves one document, and is asked about its messages in document order:
its walk over the elements of a tag goes on from where the last question left it, and each
line's start tags of one name are searched once, so placing the failures of every message of a large
``<Messages>`` file reads it once, not once per message.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from lxml import etree


class StartTags:
    """The start tags of one document's elements, found on demand."""

    def __init__(self, root: etree._Element, text: Callable[[], str]):
        self._root = root
        self._text = text
        self._lines: list[str] | None = None
        self._walks: dict[str, Iterator[etree._Element]] = {}  # tag → its elements, in order
        self._seen: Counter[tuple[str, int | None]] = Counter()  # (tag, line) → elements
        self._starts: dict[tuple[int, str], list[int]] = {}  # (line, name) → columns of '<'

    def place(self, nodes: Sequence[etree._Element]) -> list[tuple[int, int] | None]:
        """(line, column) of each node's start tag; ``None`` where the text does not show it
        (a start tag inside a comment or CDATA section on the same line throws the count off)
        or a node comes before those of an earlier question."""
        rank: dict[int, int] = {}  # id of a node asked about → its k on its line
        wanted: dict[str, set[int]] = {}
        for node in nodes:
            wanted.setdefault(node.tag, set()).add(id(node))
        for tag, ids in wanted.items():
            walk = self._walks.get(tag)
            if walk is None:
                walk = self._walks[tag] = self._root.iter(tag)
            for element in walk:  # only the elements of this name: counted in C, not here
                key = (tag, element.sourceline)
                if id(element) in ids:
                    rank[id(element)] = self._seen[key]
                    ids.discard(id(element))
                self._seen[key] += 1
                if not ids:
                    break
        return [self._column(node, rank.get(id(node))) for node in nodes]

    def _column(self, node: etree._Element, rank: int | None) -> tuple[int, int] | None:
        line = node.sourceline
        if self._lines is None:
            self._lines = self._text().split("\n")
        if line is None or rank is None or not 0 < line <= len(self._lines):
            return None
        name = etree.QName(node).localname
        starts = self._starts.get((line, name))
        if starts is None:
            pattern = rf"<(?:[^\s<>/:]+:)?{re.escape(name)}(?=[\s/>])"
            found = re.finditer(pattern, self._lines[line - 1])
            starts = self._starts[(line, name)] = [match.start() + 1 for match in found]
        return (line, starts[rank]) if rank < len(starts) else None
