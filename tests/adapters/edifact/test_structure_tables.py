"""The compiled structure walk and length checks find exactly what the plain definitions find:
every entry of the tree asked in turn, every rule of ``ELEMENT_LENGTHS.txt`` in turn."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydifact.segments import Segment

from customs_engine.adapters.edifact import structure
from customs_engine.adapters.edifact.structure import Node, Problem, check_lengths, tree
from customs_engine.adapters.edifact.tokenizer import _new_segment

from .interchanges import cuscar_segments, cusdec_segments

TREES = ["CUSDEC_D96B", "CUSCAR_D95B", "CUSRES_D96B"]


def walk(tags: list[str], entries: list[Node], i: int, where: str, out: list[Problem]) -> int:
    """Every entry asked in turn (the walk before it was compiled)."""
    n = len(tags)
    for position, entry in enumerate(entries):
        trigger = entry.tag
        count = 0
        while i < n and tags[i] == trigger and count < entry.max:
            i = walk(tags, entry.children[1:], i + 1, entry.name, out) if entry.children else i + 1
            count += 1
        if count == 0 and entry.required:
            out.append(
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
            out.append(
                Problem(i, f"{entry.label()} repeated more than the {entry.max} times allowed")
            )
    return i


def expected_validate(tags: list[str], name: str) -> list[Problem]:
    problems: list[Problem] = []
    end = walk(tags, tree(name), 0, "message", problems)
    if end < len(tags):
        problems = [
            p
            for p in problems
            if p.index <= end and not (p.index == end and p.text.startswith("mandatory"))
        ]
        if not any(p.index == end for p in problems):
            problems.append(
                Problem(
                    end,
                    f"{tags[end]} is out of the {name.replace('_', ' ')} branching order "
                    "(not allowed at this place)",
                )
            )
    return problems


def tags_of(nodes: list[Node]) -> set[str]:
    return {node.name for node in nodes if not node.children} | {
        tag for node in nodes if node.children for tag in tags_of(node.children)
    }


ALL_TAGS = sorted(set().union(*(tags_of(tree(name)) for name in TREES)) | {"XYZ"})
VALID = {
    "CUSDEC_D96B": ["UNH", *(s[:3] for s in cusdec_segments()), "UNT"],
    "CUSCAR_D95B": ["UNH", *(s[:3] for s in cuscar_segments()), "UNT"],
    "CUSRES_D96B": ["UNH", "BGM", "UNT"],
}


@st.composite
def tag_sequences(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(TREES))
    tags = list(VALID[name])
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(tags)))
        action = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if action == "insert":
            tags.insert(at, draw(st.sampled_from(ALL_TAGS)))
        elif tags and at < len(tags):
            if action == "delete":
                del tags[at]
            else:
                tags[at:at] = [tags[at]] * draw(st.integers(1, 12))
    return name, tags


@given(tag_sequences())
@settings(max_examples=500, deadline=None)
def test_compiled_walk_finds_what_asking_every_entry_finds(case) -> None:
    name, tags = case
    segments = [_new_segment(tag, []) for tag in tags]
    assert structure.validate(segments, name) == expected_validate(tags, name)


def expected_lengths(segments: list[Segment], directory: str | None = None) -> list[Problem]:
    """Every rule asked in turn (the check before it was compiled): the segment's count of data
    elements, then each element's count of components and its length rules."""
    where = (
        f"UNTDID D.{directory[1:]} segment directory"
        if directory
        else "UNTDID D.96B / D.95B segment directory"
    )
    problems = []
    for index, seg in enumerate(segments):
        layout = structure.segment_layouts(directory).get(seg.tag)
        rules = structure.element_lengths().get(seg.tag, [])
        if layout is not None and any(seg.elements[len(layout) :]):
            count = max(k + 1 for k, value in enumerate(seg.elements) if value)
            problems.append(
                Problem(
                    index,
                    f"{seg.tag} has {count} data elements, at most {len(layout)} allowed ({where})",
                    "structure",
                )
            )
        for element in sorted({rule.element for rule in rules} | set(range(len(layout or ())))):
            if element >= len(seg.elements):
                continue
            value = seg.elements[element]
            part = layout[element] if layout is not None and element < len(layout) else None
            if part is not None and isinstance(value, list) and len(value) > part.components:
                if part.components == 1:
                    text = (
                        f"data element {part.name} ({seg.tag} element {element + 1}) is "
                        f"simple, got {len(value)} components"
                    )
                else:
                    text = (
                        f"composite {part.name} ({seg.tag} element {element + 1}) has "
                        f"{len(value)} components, at most {part.components} allowed"
                    )
                problems.append(Problem(index, f"{text} ({where})", "structure"))
            for rule in (rule for rule in rules if rule.element == element):
                if isinstance(value, list):
                    if rule.component >= len(value):
                        continue
                    text = value[rule.component]
                elif rule.component:
                    continue
                else:
                    text = value
                size = sum(ch.isdigit() for ch in text) if rule.numeric else len(text)
                if size > rule.max:
                    kind = "digits" if rule.numeric else "characters"
                    problems.append(
                        Problem(
                            index,
                            f"data element {rule.data_element} has {size} {kind}, "
                            f"at most {rule.max} allowed",
                        )
                    )
    return problems


values = st.text(st.sampled_from("A9.-٣"), max_size=90)
elements = st.one_of(values, st.lists(values, max_size=9))
segments = st.builds(
    lambda tag, parts: _new_segment(tag, parts),
    st.sampled_from([*sorted({*structure.element_lengths(), *structure.segment_layouts()}), "XYZ"]),
    st.lists(elements, max_size=9),
)


@given(st.lists(segments, max_size=12), st.sampled_from([None, *structure.DIRECTORIES]))
@settings(max_examples=500, deadline=None)
def test_compiled_length_checks_find_what_every_rule_finds(
    segs: list[Segment], directory: str | None
) -> None:
    assert check_lengths(segs, directory) == expected_lengths(segs, directory)
