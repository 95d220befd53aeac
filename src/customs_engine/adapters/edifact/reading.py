"""Shared helpers for mapping one message's segments to the canonical model (CUSDEC, CUSCAR).

Every problem becomes a ``CORE-SYNTAX`` finding of its kind naming message, segment, line and
column; nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from pydantic import ValidationError
from pydifact.segments import Segment

from customs_engine.adapters.edifact.elements import (
    component,
    components,
    first_components,
    text_of,
)
from customs_engine.adapters.edifact.envelope import RawMessage
from customs_engine.adapters.edifact.structure import element_lengths
from customs_engine.core.dates import EARLIEST_DATE, IST, LATEST_DATE, check_in_range
from customs_engine.core.formats import MAX_REFUSALS, SyntaxKind, field_path
from customs_engine.core.models import (
    DECIMAL_PLACES,
    MAX_MAGNITUDE,
    BillOfEntry,
    ImportGeneralManifest,
)
from customs_engine.core.response import Finding

E = TypeVar("E", bound=StrEnum)

#: a segment that gives a field: (tag, qualifier — its first component, ``None``: any) or, for
#: an attribute, ``("FTX", "ZZZ", <attribute name>)``
Spot = tuple[str, str | None] | tuple[str, str | None, str]
#: where the value at a model location was read: (segment index, the number of its item or line)
Place = Callable[[tuple[int | str, ...]], tuple[int, int | None]]
#: the model's refusals reported per message (it names every bad value; ten show the pattern)

#: ASCII digits only: ``\d`` and ``str.isdigit`` also take Arabic-Indic or superscript digits
_NUMBER = re.compile(r"-?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")
DATE_LENGTHS = {"102": 8, "203": 12}  # CCYYMMDD, CCYYMMDDHHMM
YES_NO = {"Y": True, "N": False}


class MessageReader:
    """Walks one message's segments and collects findings with their place."""

    def __init__(self, raw: RawMessage):
        self.raw = raw
        self.findings: list[Finding] = []
        self.index = 0  # segment being read (0-based, UNH = 0)
        #: mandatory values whose segment is there but was not read (see :meth:`missing`):
        #: (what, field, segment index)
        self.unread: list[tuple[str, str, int]] = []

    def read(self) -> BillOfEntry | ImportGeneralManifest | None:
        """The canonical message, or ``None`` when mandatory data is missing (see findings)."""
        raise NotImplementedError

    #: segments the guide gives once in their group, by (tag, qualifier) — a MEA's by (tag,
    #: qualifier, property): given again with other content, which one counts is undefined
    ONCE: frozenset[tuple[str, ...]] = frozenset()

    def scope(self, seg: Segment) -> object:
        """The group a segment of :data:`ONCE` belongs to (header, item, line ...)."""
        return None

    def dispatch(self) -> None:
        """Hand every segment to its handler ``_<tag>`` (segments without one are skipped)."""
        handlers = _handlers(type(self))  # type: ignore[arg-type]  # classes hash by identity
        once = _once_qualifiers(self.ONCE)
        given: dict[tuple[object, tuple[str, ...]], int] = {}
        for index, seg in enumerate(self.raw.segments):
            self.index = index
            tag = seg.tag
            qualifiers = once.get(tag)
            if qualifiers is not None:
                qualifier = text_of(seg, 0)
                if qualifier in qualifiers:
                    self._given_once(seg, qualifier, given)
            handler = handlers.get(seg.tag)
            if handler is not None:
                handler(self, seg)

    def _given_once(
        self, seg: Segment, qualifier: str, given: dict[tuple[object, tuple[str, ...]], int]
    ) -> None:
        """A segment of :data:`ONCE` given a second time in its group with other content is a
        repetition finding (CORE-SYNTAX-003) at the second: read on, the last would silently
        replace the first (a quantity, a value, a port)."""
        signature: tuple[str, ...] = (seg.tag, qualifier)
        if seg.tag == "MEA":
            signature = (seg.tag, qualifier, text_of(seg, 1))
            if signature not in self.ONCE:
                return
        key = (self.scope(seg), signature)
        first = given.setdefault(key, self.index)
        if first != self.index and _as_values(self.raw.segments[first].elements) != _as_values(
            seg.elements
        ):
            shown = "+".join(part for part in signature if part)
            self.problem(
                f"{shown} is given again in its group with other content (the first is segment "
                f"#{first + 1}): which one counts is undefined",
                kind="structure",
            )

    def problem(
        self,
        text: str,
        *,
        kind: SyntaxKind = "value",
        index: int | None = None,
        item: int | None = None,
        field: str | None = None,
    ) -> None:
        """A finding at the segment being read: by default a value's format (CORE-SYNTAX-005)."""
        self.findings.append(
            self.raw.finding(
                self.index if index is None else index, text, kind=kind, item=item, field=field
            )
        )

    def once(
        self,
        seen: dict[str, tuple[str, int]],
        name: str,
        value: str,
        *,
        item: int | None = None,
    ) -> None:
        """Note the attribute ``name`` = ``value`` at the segment being read, among those
        ``seen`` in its header, item or line; given again with another value, it is a repetition
        finding (CORE-SYNTAX-003) at this second segment: which value counts is undefined."""
        first = seen.get(name)
        if first is None:
            seen[name] = (value, self.index)
        elif first[0] != value:
            self.problem(
                f"attribute {name} is given again with another value: {value!r}, after "
                f"{first[0]!r} at segment FTX #{first[1] + 1}; which one counts is undefined",
                kind="structure",
                item=item,
            )

    def missing(
        self,
        what: str,
        field: str,
        tag: str,
        qualifier: str | None = None,
        *,
        mandatory_segment: bool = False,
    ) -> None:
        """A mandatory field the message does not give. When its segment is there, the value
        was unreadable and already has a finding at that segment; when a segment the branching
        diagram makes mandatory is absent, the structure check already said so. Otherwise the
        finding goes to the header (BGM)."""
        if mandatory_segment:
            return
        present = next(
            (
                k
                for k, seg in enumerate(self.raw.segments)
                if seg.tag == tag and (qualifier is None or text_of(seg, 0) == qualifier)
            ),
            None,
        )
        if present is not None:
            self.unread.append((what, field, present))  # said only if nothing else is
            return
        header = next((k for k, seg in enumerate(self.raw.segments) if seg.tag == "BGM"), 0)
        self.problem(f"mandatory {what} is missing", kind="structure", index=header, field=field)

    def number(
        self, text: str, what: str, *, item: int | None = None, positive: bool = False
    ) -> Decimal | None:
        """A numeric data element; either decimal mark is read (ISO 9735), UNA's first.

        Never negative (a negative quantity or value would credit an authorisation); above zero
        when ``positive`` (quantities, weights, rates: zero is meaningless there).
        """
        value = text.strip(" \t\r\n")  # layout, as XML's reader trims; a no-break space is text
        if _NUMBER.fullmatch(value) is None:
            self.problem(f"{what} must be a number, got {text!r}", item=item)
            return None
        try:
            amount = Decimal(value.replace(self.raw.decimal_mark, ".").replace(",", "."))
        except InvalidOperation:
            self.problem(f"{what} must be a number, got {text!r}", item=item)
            return None
        if value[0] == "-" or (positive and not amount):  # the pattern allows no other sign
            self.problem(
                f"{what} must be {'above zero' if positive else 'zero or more'}, got {text!r}",
                item=item,
            )
            return None
        if amount >= MAX_MAGNITUDE:
            # 19 digits or more: every number read here has a directory length of at most
            # n..18, so the length check has already named this segment
            return None
        exponent = amount.as_tuple().exponent  # as written; normalized only when it may be over
        if (
            isinstance(exponent, int)
            and exponent < -DECIMAL_PLACES
            and int(amount.normalize().as_tuple().exponent) < -DECIMAL_PLACES
        ):
            self.problem(
                f"{what} may have at most {DECIMAL_PLACES} decimal places, got {text!r}",
                item=item,
            )
            return None
        return amount

    def integer(
        self,
        text: str,
        what: str,
        *,
        item: int | None = None,
        bounds: tuple[int, int] | None = None,
    ) -> int | None:
        """A whole number; within ``bounds`` (inclusive) when given."""
        if not (text.isascii() and text.isdigit()):
            self.problem(f"{what} must be a whole number, got {text!r}", item=item)
            return None
        number = int(text)
        if bounds is not None and not bounds[0] <= number <= bounds[1]:
            self.problem(f"{what} must be from {bounds[0]} to {bounds[1]}, got {text!r}", item=item)
            return None
        return number

    def dtm(self, seg: Segment, *, item: int | None = None) -> tuple[str, date | datetime | None]:
        """DTM C507 → (qualifier, value): 102 gives a date, 203 an India-time date-time."""
        qualifier, value, fmt = first_components(seg, 0)
        if not fmt:
            fmt = {8: "102", 12: "203"}.get(len(value), "")
        parsed = _DTM_VALUES.get((value, fmt), _UNKNOWN)
        if parsed is _UNKNOWN:
            parsed = _dtm_value(value, fmt)
        if parsed is None:
            if fmt in DATE_LENGTHS:
                self.problem(
                    f"DTM+{qualifier} value {value!r} is not a valid date in format {fmt}",
                    item=item,
                )
            else:
                self.problem(
                    f"DTM+{qualifier} date format {fmt!r} is not 102 (CCYYMMDD) or 203 "
                    "(CCYYMMDDHHMM)",
                    item=item,
                )
            return qualifier, None
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        try:
            if not EARLIEST_DATE <= day <= LATEST_DATE:  # type: ignore[operator]
                check_in_range(day)  # type: ignore[arg-type]  # raises, naming the range
        except ValueError as exc:
            self.problem(f"DTM+{qualifier} value {value!r}: {exc}", item=item)
            return qualifier, None
        return qualifier, parsed  # type: ignore[return-value]

    def ccyymmdd(self, value: str, what: str, *, item: int | None = None) -> date | None:
        try:
            day = _digits_datetime(value, 8).date()
        except ValueError:
            self.problem(f"{what} {value!r} is not a date (CCYYMMDD)", item=item)
            return None
        try:
            check_in_range(day)
        except ValueError as exc:
            self.problem(f"{what} {value!r}: {exc}", item=item)
            return None
        return day

    def header_segment(self, loc: tuple[int | str, ...], segments: Mapping[str, Spot]) -> int:
        """Index of the segment that ``segments`` says gives the header field at ``loc`` (a
        part of a header field, ``manifest.bl_number``, before the field as a whole); BGM when
        it names none or the message lacks it (UNH when even BGM is missing)."""
        names = [part for part in loc[:2] if isinstance(part, str)]
        keys = [".".join(names[:2]), names[0]] if len(names) > 1 else names
        for spot in [segments[key] for key in keys if key in segments] + [("BGM", None)]:
            found = self.find(spot, nth=0)
            if found is not None:
                return found
        return 0

    def find(
        self, spot: Spot, start: int = 0, end: int | None = None, *, nth: int = -1
    ) -> int | None:
        """The ``nth`` segment (the last by default: the one whose value stands) that ``spot``
        names, from ``start`` to before ``end``; ``None`` when there is none."""
        segments = self.raw.segments
        found = [
            index
            for index in range(start, len(segments) if end is None else end)
            if _gives(segments[index], spot)
        ]
        return found[nth] if -len(found) <= nth < len(found) else None

    def next_of(self, start: int, tags: tuple[str, ...]) -> int:
        """Index of the first segment after ``start`` with one of ``tags`` (where the section
        that starts there ends); the number of segments when none follows."""
        segments = self.raw.segments
        return next(
            (index for index in range(start + 1, len(segments)) if segments[index].tag in tags),
            len(segments),
        )

    def refused(self, exc: ValidationError, place: Place) -> None:
        """What the model still refuses, each at the segment ``place`` gives for its location and
        with the number of its item or line (the readers check values as they read them; this
        is the net behind them).

        A value already reported is not reported again: the reader leaves ``None`` where it
        refused a value (its finding says why), and a value longer than its data element
        allows has the length check's finding at that segment.
        """
        shown = 0
        for error in exc.errors():
            value = error["input"]
            if value is None:
                continue
            index, item = place(error["loc"])
            if self.named_by_length(index, value):
                continue
            where = field_path(error["loc"])
            self.problem(f"{where}: {error['msg']}", index=index, item=item, field=where)
            shown += 1
            if shown == MAX_REFUSALS:
                return

    def named_by_length(self, index: int, value: object) -> bool:
        """Whether ``value`` holds a data element of segment ``index`` that is longer than the
        directory allows (so the length check has reported it there)."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            return False
        seg = self.raw.segments[index]
        for rule in element_lengths().get(seg.tag, ()):
            part = component(seg, rule.element, rule.component)
            size = sum(ch.isdigit() for ch in part) if rule.numeric else len(part)
            if size > rule.max and (
                part in value
                if isinstance(value, str)
                else part.isascii() and part.isdigit() and int(part) == value
            ):
                return True
        return False

    def enum(self, kind: type[E], value: str, what: str, *, item: int | None = None) -> E | None:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.problem(f"{what} {value!r} is not one of {allowed}", item=item)
            return None

    def main_carriage(self, seg: Segment, modes: dict[str, E], allowed: str) -> E | None:
        """TDT+20 (main carriage) → the mode of transport (8067) our guide allows, or a finding."""
        if text_of(seg, 0) != "20":
            self.problem(
                f"TDT transport stage (8051) must be 20 (main carriage), got {text_of(seg, 0)!r}"
            )
        mode = modes.get(text_of(seg, 2))
        if mode is None:
            self.problem(f"TDT mode of transport (8067) must be {allowed}, got {text_of(seg, 2)!r}")
        return mode

    def yes_no(self, value: str, what: str, *, item: int | None = None) -> bool | None:
        if value not in YES_NO:
            self.problem(f"{what} must be Y or N, got {value!r}", item=item)
            return None
        return YES_NO[value]


def _as_values(elements: Any) -> Any:
    """A segment's elements with every number as its value (``3000000.00`` = ``3000000``), to
    tell other content from the same content written another way."""
    if isinstance(elements, list):
        return [_as_values(element) for element in elements]
    if isinstance(elements, str) and _NUMBER.fullmatch(elements):
        try:
            return Decimal(elements.replace(",", ".")).normalize()
        except InvalidOperation:
            return elements
    return elements


@cache
def _once_qualifiers(once: frozenset[tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """The tags of :attr:`MessageReader.ONCE` and their qualifiers: a segment of another tag or
    qualifier is not looked at further."""
    out: dict[str, set[str]] = {}
    for signature in once:
        out.setdefault(signature[0], set()).add(signature[1])
    return {tag: frozenset(qualifiers) for tag, qualifiers in out.items()}


@cache
def _handlers(reader: type[MessageReader]) -> dict[str, Callable[[Any, Segment], None]]:
    """Segment tag (three capitals, as the tokenizer checks) → the reader's ``_<tag>`` method."""
    return {
        name[1:].upper(): getattr(reader, name)
        for name in dir(reader)
        if len(name) == 4
        and name[0] == "_"
        and name[1:].isalpha()
        and name[1:].islower()
        and callable(getattr(reader, name))
    }


def _gives(seg: Segment, spot: Spot) -> bool:
    """Whether ``seg`` is the segment ``spot`` names."""
    if seg.tag != spot[0]:
        return False
    if spot[1] is not None and component(seg, 0, 0) != spot[1]:
        return False
    return len(spot) < 3 or component(seg, 3, 0) == spot[-1]


#: DTM (value, format) → its date or date-time (``None``: not one), as dates repeat
_DTM_VALUES: dict[tuple[str, str], date | datetime | None] = {}
_UNKNOWN = object()


def _dtm_value(value: str, fmt: str) -> date | datetime | None:
    """A DTM value in format 102 (a date) or 203 (an India-time date-time); ``None`` when it
    is not one. Kept for the next DTM with the same value (a bounded number of them)."""
    length = DATE_LENGTHS.get(fmt)
    parsed: date | datetime | None = None
    if length is not None:
        try:
            stamp = _digits_datetime(value, length)
        except ValueError:
            pass
        else:
            parsed = stamp.date() if fmt == "102" else stamp.replace(tzinfo=IST)
    if len(value) <= 12 and len(fmt) <= 3:  # never hold a long value
        if len(_DTM_VALUES) >= 4096:
            _DTM_VALUES.clear()
        _DTM_VALUES[value, fmt] = parsed
    return parsed


def _digits_datetime(value: str, length: int) -> datetime:
    """CCYYMMDD (``length`` 8) or CCYYMMDDHHMM (12), ASCII digits only; ``ValueError`` when it
    is not a real date (the checks of ``strptime``, without its cost on every DTM)."""
    if len(value) != length or not (value.isascii() and value.isdigit()):
        raise ValueError(value)
    return datetime(
        int(value[:4]),
        int(value[4:6]),
        int(value[6:8]),
        *((int(value[8:10]), int(value[10:12])) if length == 12 else ()),
    )


def joined_text(seg: Segment, element: int) -> str:
    """A name spread over a composite's components (NAD C080, cut at 35), joined again."""
    return "".join(components(seg, element))


def free_text(seg: Segment) -> str:
    """FTX C108: each 4440 component is a line of text; lines are kept apart by a space."""
    return " ".join(filter(None, components(seg, 3)))


def more_text(text: str | None, seg: Segment) -> str:
    """``text`` continued by one more FTX segment's lines (a space between them)."""
    added = free_text(seg)
    if not text:
        return added
    return f"{text} {added}" if added else text


def attribute(seg: Segment) -> tuple[str, str]:
    """``FTX+ZZZ+++<NAME>:<value>`` → (name, value)."""
    return component(seg, 3, 0), "".join(components(seg, 3)[1:])


def as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(IST).date()
    return value


def as_datetime(value: date | datetime | None) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime(value.year, value.month, value.day, tzinfo=IST)
