"""Branching-order and mandatory-segment validation, driven by the MIG trees in ``mig/*.txt``.

pydifact does not validate message structure (its ``Message.validate()`` is a no-op). A tree file
lists every segment and segment group of a message in branching-diagram order with its status
(``M`` mandatory / ``C`` conditional) and maximum repetitions; the validator walks a message's
segments through it the way EDIFACT defines it: a segment belongs to the innermost open group
that may still take it, groups start at their trigger segment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from itertools import groupby

from pydifact.segments import Segment

from customs_engine.core.formats import SyntaxKind


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
    """A problem at segment ``index`` of the message (0-based, UNH = 0)."""

    index: int
    text: str
    #: what :func:`check_lengths` found: a value too long, or a segment or composite with more
    #: parts than its directory layout (:func:`validate` finds only structure problems)
    kind: SyntaxKind = "value"


@dataclass(slots=True)
class _Entry:
    """A tree node compiled for the walk (see :class:`_Group`)."""

    trigger: str
    required: bool
    max: int
    name: str
    label: str
    #: the group it opens (``None`` for a segment)
    children: _Group | None
    #: no later entry of its group starts with the same segment
    last_of_its_tag: bool = True


@dataclass(slots=True)
class _Group:
    """The entries of a group with, for each place in it, where each segment tag is next
    taken: a walk jumps there instead of asking every entry in between."""

    entries: list[_Entry]
    #: ``next_at[p][tag]``: the first entry from ``p`` on that starts with ``tag``
    next_at: list[dict[str, int]]
    #: ``first_required[p]``: the first mandatory entry from ``p`` on (the number of entries if
    #: none)
    first_required: list[int]


def _compile(nodes: list[Node]) -> _Group:
    entries = [
        _Entry(
            node.tag,
            node.required,
            node.max,
            node.name,
            node.label(),
            _compile(node.children[1:]) if node.children else None,
        )
        for node in nodes
    ]
    next_at: list[dict[str, int]] = [{}] * (len(entries) + 1)
    first_required = [len(entries)] * (len(entries) + 1)
    for position in reversed(range(len(entries))):
        entry = entries[position]
        entry.last_of_its_tag = entry.trigger not in next_at[position + 1]
        next_at[position] = {**next_at[position + 1], entry.trigger: position}
        first_required[position] = position if entry.required else first_required[position + 1]
    return _Group(entries, next_at, first_required)


@cache
def _compiled(name: str) -> _Group:
    return _compile(tree(name))


class _Walker:
    def __init__(self, segments: list[Segment]):
        self.tags = [seg.tag for seg in segments]
        self.problems: list[Problem] = []

    def group(self, group: _Group, i: int, where: str) -> int:
        tags, n = self.tags, len(self.tags)
        entries, next_at = group.entries, group.next_at
        end = len(entries)
        position = 0
        while position < end:
            found = next_at[position].get(tags[i], end) if i < n else end
            if group.first_required[position] < found:
                for missing in range(position, found):
                    if entries[missing].required:
                        self._missing(entries[missing], i, where)
            if found == end:
                break
            entry = entries[found]
            trigger, most, children = entry.trigger, entry.max, entry.children
            count = 0
            while i < n and tags[i] == trigger and count < most:
                i = self.group(children, i + 1, entry.name) if children else i + 1
                count += 1
            if count == most and i < n and tags[i] == trigger and entry.last_of_its_tag:
                self.problems.append(
                    Problem(i, f"{entry.label} repeated more than the {most} times allowed")
                )
            position = found + 1
        return i

    def _missing(self, entry: _Entry, i: int, where: str) -> None:
        tags, n = self.tags, len(self.tags)
        self.problems.append(
            Problem(
                min(i, n - 1),
                f"mandatory {entry.label} missing"
                + (f" in {where}" if where != "message" else "")
                + (f" before {tags[i]}" if i < n else ""),
            )
        )


def validate(segments: list[Segment], tree_name: str) -> list[Problem]:
    """Structure problems of one message (UNH…UNT included), in order; ``[]`` when it fits."""
    walker = _Walker(segments)
    end = walker.group(_compiled(tree_name), 0, "message")
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
    """``mig/ELEMENT_LENGTHS.txt`` by segment tag, each tag's rules by element and component."""
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
    for rules in table.values():  # in element and component order, wherever the file lists them
        rules.sort(key=lambda rule: (rule.element, rule.component))
    return table


#: the segment directories of our guides (``CUSDEC_D96B`` → ``D96B``)
DIRECTORIES = ("D96B", "D95B")


@dataclass(frozen=True)
class Part:
    """A data element of a segment's layout: a simple one (``components`` 1) or a composite."""

    name: str
    components: int


@cache
def segment_layouts(directory: str | None = None) -> dict[str, list[Part]]:
    """``mig/SEGMENT_LAYOUTS.txt`` by segment tag for one directory (``None``: each element at
    the widest either directory gives it, for a message of either)."""
    path = resources.files("customs_engine.adapters.edifact") / "mig" / "SEGMENT_LAYOUTS.txt"
    found: dict[str, dict[str, list[Part]]] = {name: {} for name in DIRECTORIES}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        tag, *parts = raw.split()
        tag, _, only = tag.partition("/")
        layout = [
            Part(name, int(count or 1))
            for name, _, count in (part.partition(":") for part in parts)
        ]
        for name in (only,) if only else DIRECTORIES:
            found[name][tag] = layout
    if directory is not None:
        return found[directory]
    widest: dict[str, list[Part]] = {}
    for layouts in found.values():
        for tag, layout in layouts.items():
            known = widest.setdefault(tag, layout)
            if known is not layout:
                longer, shorter = (known, layout) if len(known) >= len(layout) else (layout, known)
                widest[tag] = [
                    max(part, *shorter[at : at + 1], key=lambda p: p.components)
                    for at, part in enumerate(longer)
                ]
    return widest


#: checks the elements of one segment: (elements, index of the segment, problems found)
_Check = Callable[[list, int, list[Problem]], None]


@cache
def _length_checks(directory: str | None = None) -> dict[str, _Check]:
    """``element_lengths()`` and ``segment_layouts()`` compiled: segment tag → a function
    checking exactly that tag's rules, in their order, with the element and component places
    written into its code (no per-rule loop, unpacking and tests of what the tag never has).
    The count of data elements and components is checked in the same walk."""
    lengths = element_lengths()
    layouts = segment_layouts(directory)
    checks: dict[str, _Check] = {}
    for tag in sorted({*lengths, *layouts}):
        rules = {
            element: list(group)
            for element, group in groupby(lengths.get(tag, []), key=lambda rule: rule.element)
        }
        layout = layouts.get(tag)
        where = _directory_name(directory)
        lines = ["def check(elements, index, problems):", "    count = len(elements)"]
        if layout is not None:
            lines += [
                f"    if count > {len(layout)} and any(elements[{len(layout)}:]):",
                f"        too_many(elements, index, problems, {tag!r}, {len(layout)}, {where!r})",
            ]
        places = sorted({*rules, *range(len(layout or ()))})
        for element in places:
            same = rules.get(element, [])
            part = layout[element] if layout is not None and element < len(layout) else None
            lines += [f"    if count > {element}:", f"        value = elements[{element}]"]
            lines += ["        if isinstance(value, list):", "            size = len(value)"]
            if part is not None:
                lines += [
                    f"            if size > {part.components}:",
                    f"                too_wide(index, problems, {tag!r}, {element}, "
                    f"{part.name!r}, size, {part.components}, {where!r})",
                ]
            for rule in same:
                place = f"{rule.max}, {rule.numeric}, {rule.data_element!r}"
                lines += [
                    f"            if size > {rule.component} and "
                    f"len(value[{rule.component}]) > {rule.max}:",
                    f"                too_long(value[{rule.component}], index, problems, {place})",
                ]
            simple = [rule for rule in same if rule.component == 0]
            if simple:
                lines.append("        else:")
            for rule in simple:
                place = f"{rule.max}, {rule.numeric}, {rule.data_element!r}"
                lines += [
                    f"            if len(value) > {rule.max}:",
                    f"                too_long(value, index, problems, {place})",
                ]
            if part is None and not same:
                lines.append("            pass")
        namespace: dict[str, object] = {
            "too_long": _too_long,
            "too_many": _too_many,
            "too_wide": _too_wide,
        }
        exec("\n".join(lines), namespace)
        checks[tag] = namespace["check"]  # type: ignore[assignment]
    return checks


def _directory_name(directory: str | None) -> str:
    name = f"D.{directory[1:]}" if directory else "D.96B / D.95B"
    return f"UNTDID {name} segment directory"


def _too_many(
    elements: list, index: int, problems: list[Problem], tag: str, most: int, where: str
) -> None:
    """The problem of a segment with more data elements than its layout (trailing empty ones
    beyond it carry nothing and are let through)."""
    count = len(elements)
    while not elements[count - 1]:
        count -= 1
    problems.append(
        Problem(
            index,
            f"{tag} has {count} data elements, at most {most} allowed ({where})",
            kind="structure",
        )
    )


def _too_wide(
    index: int,
    problems: list[Problem],
    tag: str,
    element: int,
    name: str,
    size: int,
    most: int,
    where: str,
) -> None:
    """The problem of a composite with more components than its layout, or of a simple data
    element given as a composite."""
    if most == 1:
        text = f"data element {name} ({tag} element {element + 1}) is simple, got {size} components"
    else:
        text = (
            f"composite {name} ({tag} element {element + 1}) has {size} components, "
            f"at most {most} allowed"
        )
    problems.append(Problem(index, f"{text} ({where})", kind="structure"))


def _too_long(
    text: str,
    index: int,
    problems: list[Problem],
    most: int,
    numeric: bool,
    data_element: str,
) -> None:
    """The problem of a value longer than ``most`` characters, if it has more than ``most``
    digits (``numeric``) or characters."""
    size = sum(ch.isdigit() for ch in text) if numeric else len(text)
    if size > most:
        kind = "digits" if numeric else "characters"
        problems.append(
            Problem(index, f"data element {data_element} has {size} {kind}, at most {most} allowed")
        )


def check_lengths(segments: list[Segment], directory: str | None = None) -> list[Problem]:
    """Data elements longer than the directory allows, and segments or composites with more
    parts than its layout (``directory``: ``D96B`` or ``D95B``; ``None``: either)."""
    checks = _length_checks(directory)
    problems: list[Problem] = []
    for index, seg in enumerate(segments):
        check = checks.get(seg.tag)
        if check is not None:
            check(seg.elements, index, problems)
    return problems
