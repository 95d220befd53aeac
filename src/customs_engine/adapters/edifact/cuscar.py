"""CUSCAR D:95B (our MIG) → :class:`ImportGeneralManifest`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from customs_engine.adapters.edifact.elements import component, text_of
from customs_engine.adapters.edifact.reading import (
    MessageReader,
    Spot,
    as_date,
    as_datetime,
    attribute,
    joined_text,
    more_text,
)
from customs_engine.adapters.edifact.references import message_id
from customs_engine.core.models import CargoMovement, Conveyance, Function, ImportGeneralManifest

FUNCTIONS = {"9": Function.ORIGINAL, "4": Function.AMENDMENT, "1": Function.CANCELLATION}
CONVEYANCES = {"1": Conveyance.VESSEL, "4": Conveyance.AIRCRAFT, "3": Conveyance.VEHICLE}
MANIFEST_CODES = ("85",)
#: a manifest line's own totals, as attributes: packages, their kind, gross weight (kg)
LINE_TOTALS = ("LPKG", "LKND", "LGWT")
HEADER_DATES = {"132": "expected_arrival", "178": "arrived_at", "151": "entry_inwards_at"}
#: header field → the segment (tag, qualifier) that gives it
HEADER_SEGMENTS: dict[str, Spot] = {
    **{field: ("DTM", qualifier) for qualifier, field in HEADER_DATES.items()},
    "message_id": ("RFF", "ABE"),
    "filed_at": ("DTM", "137"),
    "igm_date": ("DTM", "137"),
    "port_code": ("LOC", "60"),
    "last_port_of_call": ("LOC", "125"),
    "conveyance": ("TDT", "20"),
    "voyage": ("TDT", "20"),
    "carrier": ("TDT", "20"),
    "vessel_name": ("TDT", "20"),
}

#: line field → the segment (tag, qualifier) of the line that gives it (its CNI gives the number)
LINE_SEGMENTS: dict[str, Spot] = {
    "bl_number": ("RFF", "BM"),
    "subline": ("RFF", "BM"),
    "consignee_iec": ("NAD", "CN"),
    "consignee_name": ("NAD", "CN"),
    "cargo_movement": ("FTX", "ZZZ", "CMOV"),
    "bl_date": ("FTX", "ZZZ", "BLDT"),
    "description": ("FTX", "ZZZ", "LDSC"),
    "packages": ("FTX", "ZZZ", "LPKG"),
    "package_kind": ("FTX", "ZZZ", "LKND"),
    "gross_weight_kg": ("FTX", "ZZZ", "LGWT"),
}
#: goods item field → the segment of the goods item that gives it (its GID gives the packages)
GOODS_SEGMENTS: dict[str, Spot] = {
    "description": ("FTX", "AAA"),
    "gross_weight_kg": ("MEA", "AAE"),
    "hs_code": ("CST", None),
}
#: the segments that open a goods item when the line has none yet (data before any GID)
GOODS_DATA = ("FTX", "MEA", "CST")


class CuscarReader(MessageReader):
    ONCE = frozenset(
        {
            *(("DTM", qualifier) for qualifier in ("137", "132", "178", "151")),
            ("TDT", "20"),
            ("LOC", "60"),
            ("LOC", "125"),
            ("RFF", "BM"),
            ("NAD", "CN"),
            ("MEA", "AAE", "G"),
        }
    )

    def scope(self, seg: Any) -> object:
        """Where a segment of :attr:`ONCE` is read once: the header's dates, conveyance and
        places; a line's B/L and consignee; a goods item's weight. A segment the guide does not
        read where it stands (a line's dates, a container's weight in its EQD group) is in a
        scope of its own: never compared."""
        if seg.tag == "MEA":
            if self.line is None or self.in_equipment:
                return self.index  # a container's (EQD group), not a goods item's
            return ("goods", self.line_at, len(self.line["goods_items"]))
        if self.line is None:
            return "header"
        if seg.tag in ("RFF", "NAD"):
            return ("line", self.line_at)
        return self.index  # a line's DTM, TDT, LOC: passed over by the reader

    def read(self) -> ImportGeneralManifest | None:
        self.igm: dict[str, Any] = {"message_id": self.raw.reference, "lines": []}
        self.line: dict[str, Any] | None = None
        #: the attributes given so far in the line being read
        self.line_attributes: dict[str, tuple[str, int]] = {}
        self.declarant_reference: str | None = None
        #: where each line's CNI is, once the model has refused a value
        self.cnis: list[int] | None = None
        #: (line, sub-line) → the segment of its CNI; the CNI of the line being read
        self.line_numbers: dict[tuple[int, int], int] = {}
        self.line_at = 0
        #: whether the segments being read are a container's (its EQD group), not a goods item's
        self.in_equipment = False
        self.dispatch()
        self._close_line()
        self.igm["message_id"] = message_id(self.raw.reference, self.declarant_reference)
        return self._build()

    def _line_number(self) -> int | None:
        return None if self.line is None else self.line.get("line")

    def _bgm(self, seg: Any) -> None:
        code = text_of(seg, 0)
        if code not in MANIFEST_CODES:
            self.problem(f"BGM document code (1001) must be 85 (customs manifest), got {code!r}")
        self.igm["igm_number"] = text_of(seg, 1) or None
        function = FUNCTIONS.get(text_of(seg, 2))
        if function is None:
            self.problem(f"BGM message function (1225) must be 9, 4 or 1, got {text_of(seg, 2)!r}")
        else:
            self.igm["function"] = function

    def _dtm(self, seg: Any) -> None:
        qualifier, value = self.dtm(seg, item=self._line_number())
        if value is None or self.line is not None:
            return
        if qualifier == "137":
            if self.igm.get("igm_number"):  # a fresh manifest has neither number nor date
                self.igm["igm_date"] = as_date(value)
            if isinstance(value, datetime):
                self.igm["filed_at"] = value
        elif qualifier in HEADER_DATES:
            self.igm[HEADER_DATES[qualifier]] = as_datetime(value)

    def _tdt(self, seg: Any) -> None:
        if self.line is not None:
            return
        self.igm["conveyance"] = self.main_carriage(
            seg, CONVEYANCES, "1 (sea), 4 (air) or 3 (road)"
        )
        self.igm["voyage"] = text_of(seg, 1) or None
        self.igm["carrier"] = text_of(seg, 4) or None
        self.igm["vessel_name"] = component(seg, 7, 3) or None

    def _loc(self, seg: Any) -> None:
        if self.line is not None:
            return
        qualifier, place = text_of(seg, 0), text_of(seg, 1)
        if qualifier == "60":
            self.igm["port_code"] = place
        elif qualifier == "125":
            self.igm["last_port_of_call"] = place

    def _cni(self, seg: Any) -> None:
        self._close_line()
        number = self.integer(text_of(seg, 0), "CNI consolidation item number (1490)")
        self.line = {"line": number, "goods_items": []}
        self.line_at = self.index
        self.line_attributes = {}
        self.in_equipment = False

    def _eqd(self, seg: Any) -> None:
        """A container's group (not read: the canonical model holds no equipment)."""
        self.in_equipment = True

    def _rff(self, seg: Any) -> None:
        line = self.line
        if line is None and component(seg, 0, 0) == "ABE":
            self.declarant_reference = component(seg, 0, 1) or None
        if line is None or component(seg, 0, 0) != "BM":
            return
        line["bl_number"] = component(seg, 0, 1) or None
        subline = component(seg, 0, 3)
        if subline:
            line["subline"] = self.integer(subline, "B/L subline (4000)", item=line.get("line"))

    def _nad(self, seg: Any) -> None:
        if self.line is None or text_of(seg, 0) != "CN":
            return
        self.line["consignee_iec"] = text_of(seg, 1) or None
        self.line["consignee_name"] = joined_text(seg, 3) or None

    def _gid(self, seg: Any) -> None:
        """Each GID opens a goods item of the current line (SG10 repeats per line)."""
        self.in_equipment = False
        line = self.line
        if line is None:
            return
        goods: dict[str, Any] = {}
        line["goods_items"].append(goods)
        count, kind = component(seg, 1, 0), component(seg, 1, 1)
        if count:
            goods["packages"] = self.integer(
                count, "GID number of packages (7224)", item=line.get("line")
            )
        goods["package_kind"] = kind or None

    def _goods(self) -> dict[str, Any] | None:
        """The goods item being read (one is opened when data comes before any GID)."""
        if self.line is None:
            return None
        if not self.line["goods_items"]:
            self.line["goods_items"].append({})
        goods: dict[str, Any] = self.line["goods_items"][-1]
        return goods

    def _ftx(self, seg: Any) -> None:
        line = self.line
        if line is None:
            return
        qualifier = text_of(seg, 0)
        if qualifier == "AAA":
            goods = self._goods()
            assert goods is not None
            goods["description"] = more_text(goods.get("description"), seg) or None
        elif qualifier == "ZZZ":
            name, value = attribute(seg)
            if name != "LDSC":  # a long line description takes several segments
                self.once(self.line_attributes, name, value, item=line.get("line"))
            if name == "CMOV":
                line["cargo_movement"] = self.enum(
                    CargoMovement, value, "CMOV", item=line.get("line")
                )
            elif name == "LDSC":  # the line's own description, beside its goods items'
                line["description"] = (line.get("description") or "") + value
            elif name == "BLDT":
                line["bl_date"] = self.ccyymmdd(value, "BLDT", item=line.get("line"))
            elif name in LINE_TOTALS:
                self._line_total(name, value)
            else:
                self.problem(
                    f"unknown line attribute {name!r} (expected CMOV, BLDT, LDSC, "
                    f"{', '.join(LINE_TOTALS)})",
                    item=line.get("line"),
                )

    def _line_total(self, name: str, value: str) -> None:
        """The line's own packages (LPKG), package kind (LKND) or gross weight in kg (LGWT),
        beside its goods items' (which give the line's totals when it has none of its own)."""
        line = self.line
        assert line is not None
        number = line.get("line")
        if name == "LPKG":
            line["packages"] = self.integer(value, "LPKG number of packages", item=number)
        elif name == "LKND":
            line["package_kind"] = value or None
        else:
            line["gross_weight_kg"] = self.number(
                value, "LGWT gross weight", item=number, positive=True
            )

    def _mea(self, seg: Any) -> None:
        goods = self._goods()
        if goods is None or self.line is None:
            return
        if text_of(seg, 0) == "AAE" and text_of(seg, 1) == "G":
            if component(seg, 2, 0) != "KGM":
                self.problem(
                    f"gross weight unit must be KGM, got {component(seg, 2, 0)!r}",
                    item=self.line.get("line"),
                )
            goods["gross_weight_kg"] = self.number(
                component(seg, 2, 1), "gross weight", item=self.line.get("line"), positive=True
            )

    def _cst(self, seg: Any) -> None:
        """``CST++<hs code>:122`` in a goods item: its tariff heading."""
        goods = self._goods()
        if goods is not None:
            goods["hs_code"] = component(seg, 1, 0) or None

    def _close_line(self) -> None:
        if self.line is not None:
            line = {k: v for k, v in self.line.items() if v is not None or k == "line"}
            number = (line["line"], line.get("subline") or 0)
            if line["line"] is not None and number in self.line_numbers:
                self.problem(
                    f"line {number[0]}/{number[1]} is given twice (the first CNI is segment "
                    f"#{self.line_numbers[number] + 1}): a line and sub-line number name one B/L "
                    "line",
                    kind="structure",
                    index=self.line_at,
                    item=number[0],
                )
            elif line["line"] is not None:
                self.line_numbers[number] = self.line_at
            line["goods_items"] = [
                {k: v for k, v in goods.items() if v is not None} for goods in line["goods_items"]
            ]
            self.igm["lines"].append(line)
            self.line = None

    def _build(self) -> ImportGeneralManifest | None:
        igm = self.igm
        missing = [
            (what, field, tag, qualifier)
            for what, field, tag, qualifier in (
                ("LOC+60 (port_code)", "port_code", "LOC", "60"),
                ("TDT+20 (conveyance)", "conveyance", "TDT", "20"),
            )
            if igm.get(field) is None
        ]
        for what, field, tag, qualifier in missing:
            self.missing(what, field, tag, qualifier)
        if missing or any(line.get("line") is None for line in igm["lines"]):
            return None
        try:
            return ImportGeneralManifest.model_validate(igm)
        except ValidationError as exc:
            self.refused(exc, self._place)
            return None

    def _place(self, loc: tuple[int | str, ...]) -> tuple[int, int | None]:
        """The segment that gave the field at ``loc``, and its line's number: a line field at its
        line's segment (see :meth:`_line_segment`), a header field at its header segment, else
        BGM."""
        if loc[0] == "lines" and len(loc) > 1 and isinstance(loc[1], int):
            if self.cnis is None:  # asked per refusal: found once
                self.cnis = [k for k, seg in enumerate(self.raw.segments) if seg.tag == "CNI"]
            cnis = self.cnis
            if loc[1] < len(cnis):
                number = self.igm["lines"][loc[1]].get("line")
                return self._line_segment(cnis[loc[1]], loc[2:]), number
        return self.header_segment(loc, HEADER_SEGMENTS), None

    def _line_segment(self, start: int, loc: tuple[int | str, ...]) -> int:
        """The segment of the line whose CNI is at ``start`` that gave its field at ``loc``: a
        goods item's GID, FTX+AAA, MEA or CST, the RFF, NAD or attribute ``LINE_SEGMENTS``
        names, else the CNI."""
        end = self.next_of(start, ("CNI", "AUT", "UNT"))
        field = loc[0] if loc and isinstance(loc[0], str) else ""
        if field == "goods_items" and len(loc) > 1 and isinstance(loc[1], int):
            # as the reader opened them: at each GID, and at the first data before any GID
            segments = self.raw.segments
            starts: list[int] = []
            for index in range(start + 1, end):
                seg = segments[index]
                if seg.tag == "GID" or (
                    not starts
                    and seg.tag in GOODS_DATA
                    and (seg.tag != "FTX" or text_of(seg, 0) == "AAA")
                ):
                    starts.append(index)
            if loc[1] >= len(starts):
                return start
            goods = starts[loc[1]]
            spot = GOODS_SEGMENTS.get(str(loc[2])) if len(loc) > 2 else None
            goods_end = starts[loc[1] + 1] if loc[1] + 1 < len(starts) else end
            # a description is the text of all its FTX+AAA: placed at the first
            nth = 0 if loc[2:3] == ("description",) else -1
            found = None if spot is None else self.find(spot, goods, goods_end, nth=nth)
            return goods if found is None else found
        spot = LINE_SEGMENTS.get(field)
        found = (
            None
            if spot is None
            else self.find(spot, start, end, nth=0 if field == "description" else -1)
        )
        return start if found is None else found
