"""Branching-order and mandatory-segment validation, driven by the MIG trees in ``mig/*.txt``.

pydifact does not validate message structure (its ``Message.validate()`` is a no-op). A tree file
lists every segment and segment group of a message in branching-diagram order with its status
(``M`` mandatory / ``C`` conditional) and maximum repetitions; the validator walks a message's
segments through it the way EDIFACT defines it: a segment belongs to the innermost open group
that may still take it, groups start at their trigger segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

from pydifact.segments import Segment


@dataclass
class Node:
    """A segment (no children) or a segment group (children; the first is the trigger)."""

    name: str
    required: bool
    max: int
    children: list[Node] = field(default_factory=list)

    @cached_property  # asked once per segment walked; trees are complete before any walk
    def tag(self) -> str:
        return self.children[0].tag if self.children else self.name

    def label(self) -> str:
        return f"{self.name} ({self.tag})" if self.children else self.name


def parse_tree(text: str) -> list[Node]:
    """Parse the indented tree description (see ``mig/CUSDEC_D96B.txt``)."""
    root = Node("message", True, 1)
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        name, status = raw.split()
        node = Node(name, status[0] == "M", int(status[1:]))
        while stack[-1][0] >= indent:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root.children


@cache
def tree(name: str) -> list[Node]:
    """The tree of ``CUSDEC_D96B``, ``CUSCAR_D95B`` or ``CUSRES_D96B`` (read once)."""
    path = resources.files("customs_engine.adapters.edifact") / "mig" / f"{name}.txt"
    return parse_tree(path.read_text(encoding="utf-8"))


@dataclass
class Problem:
    """A structure problem at segment ``index`` of the message (0-based, UNH = 0)."""

    index: int
    text: str


class _Walker:
    def __init__(self, segments: list[Segment]):
        self.tags = [seg.tag for seg in segments]
        self.problems: list[Problem] = []

    def group(self, entries: list[Node], i: int, where: str) -> int:
        tags, n = self.tags, len(self.tags)
        for position, entry in enumerate(entries):
            trigger = entry.tag
            count = 0
            while i < n and tags[i] == trigger and count < entry.max:
                i = self.group(entry.children[1:], i + 1, entry.name) if entry.children else i + 1
                count += 1
            if count == 0 and entry.required:
                self.problems.append(
                    Problem(
                        min(i, n - 1),
                        f"mandatory {entry.label()} missing"
                        + (f" in {where}" if where != "message" else "")
                        + (f" before {tags[i]}" if i < n else ""),
                    )
                )
            if (
                count == entry.max
                and i < n
                and tags[i] == trigger
                and all(later.tag != trigger for later in entries[position + 1 :])
            ):
                self.problems.append(
                    Problem(i, f"{entry.label()} repeated more than the {entry.max} times allowed")
                )
        return i


def validate(segments: list[Segment], tree_name: str) -> list[Problem]:
    """Structure problems of one message (UNH…UNT included), in order; ``[]`` when it fits."""
    walker = _Walker(segments)
    end = walker.group(tree(tree_name), 0, "message")
    if end < len(segments):
        tag = segments[end].tag
        # what is "missing" from the stray segment on is a consequence, not a second problem
        walker.problems = [
            p
            for p in walker.problems
            if p.index <= end and not (p.index == end and p.text.startswith("mandatory"))
        ]
        if not any(p.index == end for p in walker.problems):
            walker.problems.append(
                Problem(
                    end,
                    f"{tag} is out of the {tree_name.replace('_', ' ')} branching order "
                    "(not allowed at this place)",
                )
            )
    return walker.problems


@dataclass(frozen=True)
class Length:
    element: int
    component: int
    numeric: bool
    max: int
    data_element: str


@cache
def element_lengths() -> dict[str, list[Length]]:
    """``mig/ELEMENT_LENGTHS.txt`` by segment tag."""
    path = resources.files("customs_engine.adapters.edifact") / "mig" / "ELEMENT_LENGTHS.txt"
    table: dict[str, list[Length]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        tag, element, component, fmt, data_element = raw.split()
        kind, _, size = fmt.partition("..")
        table.setdefault(tag, []).append(
            Length(int(element), int(component), kind == "n", int(size), data_element)
        )
    return table


@cache
def _length_table() -> dict[str, tuple[tuple[int, int, int, bool, str], ...]]:
    """``element_lengths()`` compiled: tag → (element, component, max, numeric, data element)."""
    return {
        tag: tuple((r.element, r.component, r.max, r.numeric, r.data_element) for r in rules)
        for tag, rules in element_lengths().items()
    }


def check_lengths(segments: list[Segment]) -> list[Problem]:
    """Data elements longer than the directory allows."""
    table = _length_table()
    problems = []
    for index, seg in enumerate(segments):
        rules = table.get(seg.tag)
        if rules is None:
            continue
        elements = seg.elements
        count = len(elements)
        for element, component, most, numeric, data_element in rules:
            if element >= count:
                continue
            value = elements[element]
            if isinstance(value, list):
                if component >= len(value):
                    continue
                text = value[component]
            elif component:
                continue
            else:
                text = value
            if len(text) <= most:  # never more digits than characters
                continue
            size = sum(ch.isdigit() for ch in text) if numeric else len(text)
            if size > most:
                kind = "digits" if numeric else "characters"
                problems.append(
                    Problem(
                        index,
                        f"data element {data_element} has {size} {kind}, at most {most} allowed",
                    )
                )
    return problems
