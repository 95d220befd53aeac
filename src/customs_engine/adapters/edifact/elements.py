"""Reading pydifact's element model: a simple element is a ``str``, a composite a ``list``."""

from __future__ import annotations

from pydifact.segments import Segment


def components(segment: Segment, element: int) -> list[str]:
    """The components of element ``element`` (0-based after the tag); ``[]`` when absent."""
    if element >= len(segment.elements):
        return []
    value = segment.elements[element]
    return value if isinstance(value, list) else [value]


def component(segment: Segment, element: int, index: int) -> str:
    """One component as text; ``''`` when the element or component is absent."""
    elements = segment.elements
    if element >= len(elements):
        return ""
    value = elements[element]
    if isinstance(value, list):
        return value[index] if index < len(value) else ""
    return value if index == 0 else ""


def text_of(segment: Segment, element: int) -> str:
    """The first component of an element (the whole value of a simple element)."""
    elements = segment.elements
    if element >= len(elements):
        return ""
    value = elements[element]
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def first_components(segment: Segment, element: int) -> tuple[str, str, str]:
    """The first three components of an element (``''`` where absent)."""
    elements = segment.elements
    if element >= len(elements):
        return "", "", ""
    value = elements[element]
    if not isinstance(value, list):
        return value, "", ""
    size = len(value)
    if size >= 3:
        return value[0], value[1], value[2]
    if size == 2:
        return value[0], value[1], ""
    return (value[0] if size else ""), "", ""
