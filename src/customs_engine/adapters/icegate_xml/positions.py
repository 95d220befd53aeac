"""Where an element's start tag is, as 1-based line and column.

libxml2 tells the line of a node but not its column, and reports schema errors with column 0. A
one-line (minified) message, as integrators often send, then says "line 1" of every failure.
:func:`start_tags` finds the column by counting: a node that is the k-th element of its name to
start on its line is at the k-th ``<name`` of that line's text. The document is walked once for
all the nodes asked about, and only up to the last of them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from lxml import etree


def start_tags(
    nodes: Sequence[etree._Element], text: Callable[[], str]
) -> list[tuple[int, int] | None]:
    """(line, column) of each node's start tag in the document's ``text()`` (called at most
    once, only when there is a node to place); ``None`` where the text does not show it (a
    start tag inside a comment or CDATA section on the same line throws the count off)."""
    if not nodes:
        return []
    wanted = {id(node) for node in nodes}
    rank: dict[int, int] = {}
    seen: Counter[tuple[int | None, str]] = Counter()
    for element in nodes[0].getroottree().getroot().iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        key = (element.sourceline, element.tag)
        if id(element) in wanted:
            rank[id(element)] = seen[key]
            if len(rank) == len(wanted):
                break
        seen[key] += 1
    lines = text().split("\n")
    out: list[tuple[int, int] | None] = []
    for node in nodes:
        line = node.sourceline
        if line is None or not 0 < line <= len(lines) or id(node) not in rank:
            out.append(None)
            continue
        name = re.escape(etree.QName(node).localname)
        starts = re.finditer(rf"<(?:[^\s<>/:]+:)?{name}(?=[\s/>])", lines[line - 1])
        for k, match in enumerate(starts):
            if k == rank[id(node)]:
                out.append((line, match.start() + 1))
                break
        else:
            out.append(None)
    return out
