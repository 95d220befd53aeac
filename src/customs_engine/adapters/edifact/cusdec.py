"""CUSDEC D:96B (our MIG) → :class:`BillOfEntry`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from customs_engine.adapters.edifact.elements import component, first_components, text_of
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
from customs_engine.core.models import (
    MAX_ITEM_NUMBER,
    BillOfEntry,
    BillOfEntryType,
    CertificateType,
    Function,
    ImporterCategory,
    Mode,
    ProductCategory,
    Purpose,
    ScrapForm,
    UnitType,
)

BE_TYPES = {
    "H": BillOfEntryType.HOME_CONSUMPTION,
    "W": BillOfEntryType.WAREHOUSING,
    "X": BillOfEntryType.EX_BOND,
}
FUNCTIONS = {"9": Function.ORIGINAL, "4": Function.AMENDMENT, "1": Function.CANCELLATION}
MODES = {"1": Mode.SEA, "2": Mode.RAIL, "3": Mode.ROAD, "4": Mode.AIR}
HS_LISTS = ("122", "108")
#: the DTM that dates a header reference: group → (DTM qualifier, manifest field)
RFF_DATES = {"RFF:AFB": ("171", "igm_date"), "RFF:BM": ("95", "bl_date")}
HEADER_LOCATIONS = {"22": "port_code", "35": "consigned_from", "9": "port_of_loading"}
#: the header's dates: qualifier → field
HEADER_DATES = {"137": "presented_at", "132": "expected_arrival", "178": "arrived_at"}
#: header field (or part of one) → the segment (tag, qualifier) that gives it
HEADER_SEGMENTS: dict[str, Spot] = {
    **{field: ("LOC", qualifier) for qualifier, field in HEADER_LOCATIONS.items()},
    "presented_at": ("DTM", "137"),
    "expected_arrival": ("DTM", "132"),
    "arrived_at": ("DTM", "178"),
    "prior": ("FTX", "ZZZ", "PRIOR"),
    "manifest": ("RFF", "AFB"),
    "manifest.igm_date": ("DTM", "171"),
    "manifest.bl_number": ("RFF", "BM"),
    "manifest.bl_date": ("DTM", "95"),
    "number": ("RFF", "ABT"),
    "ex_bond_of": ("RFF", "ACE"),
    "mode": ("TDT", "20"),
    "importer": ("NAD", "IM"),
    "importer.gstin": ("RFF", "VA"),
    "importer.pan": ("RFF", "AHP"),
    "importer.category": ("FTX", "ZZZ", "ICAT"),
    "importer.unit_type": ("FTX", "ZZZ", "UNIT"),
    "broker": ("NAD", "CB"),
}
#: RFF qualifiers under NAD+IM → importer field (1153 VA: VAT/GST registration, AHP: tax
#: registration number, for the PAN)
IMPORTER_REFERENCES = {"VA": "gstin", "AHP": "pan"}
#: item field → the segment (tag, qualifier) of the item that gives it (its CST gives the
#: number and HS code; the quantity MEA the quantity and unit)
ITEM_SEGMENTS: dict[str, Spot] = {
    "description": ("FTX", "AAA"),
    "product_category": ("FTX", "ZZZ", "PCAT"),
    "purpose": ("FTX", "ZZZ", "PURP"),
    "scrap_form": ("FTX", "ZZZ", "SFRM"),
    "self_certified": ("FTX", "ZZZ", "SELF"),
    "country_of_origin": ("LOC", "27"),
    "value_inr": ("MOA", "40"),
    "foreign_value": ("MOA", "38"),
    "foreign_value.rate": ("CUX", None),
    "licences": ("DOC", "911"),
    "certificates": ("DOC", "ZZZ"),
    "certificates.agency": ("NAD", "AM"),
}
ITEM_FLAGS = {
    "PNOR": (CertificateType.PSIC, "no_radioactive"),
    "PNOE": (CertificateType.PSIC, "no_explosives"),
    "CNOR": (CertificateType.CONTRACT, "no_radioactive"),
    "CNOE": (CertificateType.CONTRACT, "no_explosives"),
}


class CusdecReader(MessageReader):
    ONCE = frozenset(
        {
            *(("LOC", qualifier) for qualifier in ("22", "35", "9", "27")),
            *(("DTM", qualifier) for qualifier in ("137", "132", "178", "171", "95", "182", "36")),
            *(("RFF", qualifier) for qualifier in ("AFB", "BM", "ABT", "ACE", "VA", "AHP")),
            ("TDT", "20"),
            ("NAD", "IM"),
            ("NAD", "CB"),
            ("MEA", "AAE", ""),
            ("MEA", "AAE", "BGR"),
            ("MEA", "AAE", "MXR"),
            ("MOA", "40"),
            ("MOA", "38"),
            ("CNT", "5"),
        }
    )

    def scope(self, seg: Any) -> object:
        """Where a segment of :attr:`ONCE` is read once: a licence's or certificate's dates in
        its DOC group, the importer's references in its NAD+IM group, the rest in its item or
        the header. A segment in a group the guide does not read there (another document's
        date, the broker's GSTIN) is in a scope of its own: never compared."""
        tag = seg.tag
        if tag == "DTM" or tag == "RFF":
            kind, target = self.group
            qualifier = text_of(seg, 0)
            if tag == "DTM" and qualifier in ("182", "36"):
                return ("DOC", id(target)) if kind == "DOC" and target is not None else self.index
            if tag == "RFF" and qualifier in ("VA", "AHP"):
                return "importer" if kind == "NAD:IM" else self.index
        return "header" if self.item is None else ("item", self.item["_at"])

    def read(self) -> BillOfEntry | None:
        self.boe: dict[str, Any] = {"message_id": self.raw.reference, "importer": {}, "items": []}
        self.item: dict[str, Any] | None = None
        self.group: tuple[str, Any] = ("", None)  # last group trigger and what it filled
        #: the item's certificate flags: (attribute, certificate field, value, its segment)
        self.flags: list[tuple[str, str, bool, int]] = []
        self.radiation: dict[str, Any] = {}
        #: the segment of the item's first radiation MEA (a finding about it is placed there)
        self.radiation_at: int | None = None
        #: the item numbers read so far, and the CST of each
        self.item_numbers: dict[int, int] = {}
        #: the attributes given so far in the header and in the item being read
        self.header_attributes: dict[str, tuple[str, int]] = {}
        self.item_attributes: dict[str, tuple[str, int]] = {}
        self.count_items: tuple[int, int] | None = None
        self.declarant_reference: str | None = None
        #: items start after UNS+D; before it a CST is the header's (position 0030). A message
        #: without UNS+D (already a structure finding) has its items read from the first CST.
        self.detail = not any(
            seg.tag == "UNS" and text_of(seg, 0) == "D" for seg in self.raw.segments
        )
        self.dispatch()
        self._close_item()
        self.boe["message_id"] = message_id(self.raw.reference, self.declarant_reference)
        return self._build()

    # -- header ---------------------------------------------------------------------------------

    def _bgm(self, seg: Any) -> None:
        code, subtype = component(seg, 0, 0), component(seg, 0, 3)
        self.declarant_reference = text_of(seg, 1) or None
        if code != "929":
            self.problem(
                f"BGM document code (1001) must be 929 (goods declaration for "
                f"importation), got {code!r}"
            )
        be_type = BE_TYPES.get(subtype)
        if be_type is None:
            self.problem(f"BGM declaration type (1000) must be H, W or X, got {subtype!r}")
        self.boe["type"] = be_type
        function = FUNCTIONS.get(text_of(seg, 2))
        if function is None:
            self.problem(f"BGM message function (1225) must be 9, 4 or 1, got {text_of(seg, 2)!r}")
        else:
            self.boe["function"] = function

    def _loc(self, seg: Any) -> None:
        qualifier, place = text_of(seg, 0), text_of(seg, 1)
        if self.item is not None:
            if qualifier == "27":
                self.item["country_of_origin"] = place
            return
        field = HEADER_LOCATIONS.get(qualifier)
        if field:
            self.boe[field] = place

    def _dtm(self, seg: Any) -> None:
        qualifier, value = self.dtm(
            seg, item=None if self.item is None else self.item.get("number")
        )
        kind, target = self.group
        if value is None:
            return
        if kind == "DOC" and target is not None:
            if qualifier == "182":
                target["issued_on"] = as_date(value)
            elif qualifier == "36" and "expires_on" in target:
                target["expires_on"] = as_date(value)
        elif kind in RFF_DATES and qualifier == RFF_DATES[kind][0]:
            target[RFF_DATES[kind][1]] = as_date(value)
        elif kind == "" and self.item is None:
            if qualifier == "137":
                self.boe["presented_at"] = as_datetime(value)
            elif qualifier == "132":
                self.boe["expected_arrival"] = as_date(value)
            elif qualifier == "178":
                self.boe["arrived_at"] = as_datetime(value)
        elif qualifier in HEADER_DATES:
            # a header's date inside a group (the branching diagram lets SG3's RFF take a
            # DTM of any qualifier): read nowhere, so say so rather than lose it
            self.problem(
                f"DTM+{qualifier} ({HEADER_DATES[qualifier]}) is inside the "
                f"{'item' if self.item is not None else kind.replace(':', '+')} group: it belongs "
                "to the message header, before the first RFF group, and is not read here",
                kind="structure",
                item=None if self.item is None else self.item.get("number"),
                field=HEADER_DATES[qualifier],
            )

    def _ftx(self, seg: Any) -> None:
        qualifier = text_of(seg, 0)
        if qualifier == "AAA" and self.item is not None:
            self.item["description"] = more_text(self.item.get("description"), seg)
        elif qualifier == "ZZZ":
            name, value = attribute(seg)
            if self.item is None:
                self._header_attribute(name, value)
            else:
                self._item_attribute(name, value)

    def _header_attribute(self, name: str, value: str) -> None:
        self.once(self.header_attributes, name, value)
        if name == "PRIOR":
            self.boe["prior"] = self.yes_no(value, "attribute PRIOR")
        elif name == "ICAT":
            self.boe["importer"]["category"] = self.enum(
                ImporterCategory, value, "importer category ICAT"
            )
        elif name == "UNIT":
            self.boe["importer"]["unit_type"] = self.enum(UnitType, value, "unit type UNIT")
        else:
            self.problem(f"unknown header attribute {name!r} (expected PRIOR, ICAT or UNIT)")

    def _item_attribute(self, name: str, value: str) -> None:
        item = self.item
        assert item is not None
        number = item.get("number")
        self.once(self.item_attributes, name, value, item=number)
        if name == "PCAT":
            item["product_category"] = self.enum(ProductCategory, value, "PCAT", item=number)
        elif name == "PURP":
            item["purpose"] = self.enum(Purpose, value, "PURP", item=number)
        elif name == "SFRM":
            item["scrap_form"] = self.enum(ScrapForm, value, "SFRM", item=number)
        elif name == "SELF":
            item["self_certified"] = self.yes_no(value, "SELF", item=number)
        elif name in ITEM_FLAGS:
            flag = self.yes_no(value, name, item=number)
            if flag is not None:
                self.flags.append((name, ITEM_FLAGS[name][1], flag, self.index))
        else:
            self.problem(f"unknown item attribute {name!r}", item=number)

    def _rff(self, seg: Any) -> None:
        if self.item is not None:
            self.group = ("RFF", None)
            return
        qualifier, value, _ = first_components(seg, 0)
        if qualifier == "AFB":
            manifest = self.boe.setdefault("manifest", {})
            manifest["igm_number"] = value or None
            line, subline = component(seg, 0, 2), component(seg, 0, 3)
            manifest["line"] = self.integer(line, "IGM line (1156)") if line else None
            manifest["subline"] = self.integer(subline, "IGM subline (4000)") if subline else None
            self.group = ("RFF:AFB", manifest)
            return
        if qualifier == "BM":
            manifest = self.boe.setdefault("manifest", {})
            manifest["bl_number"] = value or None
            self.group = ("RFF:BM", manifest)
            return
        if qualifier == "ABT":
            self.boe["number"] = value
        elif qualifier == "ACE":
            self.boe["ex_bond_of"] = value
        elif qualifier in IMPORTER_REFERENCES and self.group[0] == "NAD:IM":
            self.boe["importer"][IMPORTER_REFERENCES[qualifier]] = value
            return  # still the importer's group: VA and AHP may both follow NAD+IM
        self.group = ("RFF", None)

    def _tdt(self, seg: Any) -> None:
        if self.item is not None:
            return
        self.boe["mode"] = self.main_carriage(seg, MODES, "1, 2, 3 or 4")
        self.group = ("TDT", None)

    def _nad(self, seg: Any) -> None:
        qualifier = text_of(seg, 0)
        if qualifier == "AM" and self.group[0] == "DOC":
            document = self.group[1]
            if document is not None and "type" in document:
                document["agency"] = text_of(seg, 1)
            else:
                self.problem(
                    "NAD+AM (certifying agency) must follow a certificate DOC+ZZZ",
                    item=self._item_number(),
                )
            return
        if self.item is not None:
            return
        if qualifier == "IM":
            importer = self.boe["importer"]
            importer["iec"] = text_of(seg, 1) or None
            importer["name"] = joined_text(seg, 3) or None
            self.group = ("NAD:IM", None)
            return
        if qualifier == "CB":
            self.boe["broker"] = text_of(seg, 1) or None
        self.group = ("NAD", None)

    def _uns(self, seg: Any) -> None:
        if text_of(seg, 0) == "D":
            self.detail = True
        if text_of(seg, 0) == "S":
            self._close_item()
        elif text_of(seg, 0) != "D":
            self.problem(f"UNS section (0081) must be D or S, got {text_of(seg, 0)!r}")
        self.group = ("", None)

    def _cnt(self, seg: Any) -> None:
        if component(seg, 0, 0) == "5":
            count = self.integer(component(seg, 0, 1), "CNT+5 number of items")
            if count is not None:
                self.count_items = (count, self.index)

    # -- items -------------------------------------------------------------------------------

    def _item_number(self) -> int | None:
        return None if self.item is None else self.item.get("number")

    def _cst(self, seg: Any) -> None:
        if not self.detail:
            return  # the header's customs status of goods: not part of our guide, no item
        self._close_item()
        self.group = ("", None)
        number = self.integer(
            text_of(seg, 0), "CST goods item number (1496)", bounds=(1, MAX_ITEM_NUMBER)
        )
        self.item = {
            "number": number,
            "licences": [],
            "certificates": [],
            "_at": self.index,
            "_mea": [],
        }  # where it starts, its quantity MEAs
        self.flags = []
        self.radiation = {}
        self.radiation_at = None
        self.item_attributes = {}
        if number is not None:
            if number in self.item_numbers:
                self.problem(
                    f"goods item number {number} is given twice (the first CST is segment "
                    f"#{self.item_numbers[number] + 1}): an item number names one item",
                    kind="structure",
                    item=number,
                )
            else:
                self.item_numbers[number] = self.index
        code, listed, _ = first_components(seg, 1)
        if listed not in HS_LISTS:
            self.problem(f"CST code list (1131) must be 122 or 108, got {listed!r}", item=number)
        if code.isascii() and code.isdigit() and len(code) == 8:
            self.item["hs_code"] = code
        else:  # None: reported here, not again by the model
            self.problem(f"CST commodity code must be 8 digits, got {code!r}", item=number)
            self.item["hs_code"] = None

    def _mea(self, seg: Any) -> None:
        item = self.item
        if item is None:
            return
        number = item.get("number")
        purpose = text_of(seg, 0)
        if purpose != "AAE":
            self.problem(f"MEA purpose (6311) must be AAE, got {purpose!r}", item=number)
            return
        prop = text_of(seg, 1)
        unit, value, _ = first_components(seg, 2)
        amount = self.number(
            value, f"MEA {prop or 'quantity'} value", item=number, positive=prop == ""
        )
        if prop == "":
            item["unit"], item["quantity"] = unit, amount
            item["_mea"].append(self.index)
        elif prop in ("BGR", "MXR"):
            if unit != "USH":
                self.problem(f"MEA {prop} unit must be USH (µSv/h), got {unit!r}", item=number)
            self.radiation["background_usvh" if prop == "BGR" else "max_usvh"] = amount
            if self.radiation_at is None:
                self.radiation_at = self.index
        else:
            self.problem(f"MEA property (6313) {prop!r} is not part of the MIG", item=number)

    def _moa(self, seg: Any) -> None:
        item = self.item
        if item is None:
            return
        number = item.get("number")
        qualifier, value, currency = first_components(seg, 0)
        amount = self.number(value, f"MOA+{qualifier} amount", item=number)
        if qualifier == "40":
            if currency != "INR":
                self.problem(f"MOA+40 customs value must be in INR, got {currency!r}", item=number)
            item["value_inr"] = amount
        elif qualifier == "38":
            item["foreign_value"] = {"amount": amount, "currency": currency}
        self.group = ("MOA", None)

    def _cux(self, seg: Any) -> None:
        foreign = (self.item or {}).get("foreign_value")
        number = self._item_number()
        if foreign is None:
            return
        if component(seg, 0, 1) != foreign["currency"] or component(seg, 1, 1) != "INR":
            self.problem(
                "CUX must convert the MOA+38 currency (2:<currency>) to INR (3:INR)", item=number
            )
        rate = text_of(seg, 2)
        if rate:
            foreign["rate"] = self.number(
                rate, "CUX exchange rate (5402)", item=number, positive=True
            )

    def _doc(self, seg: Any) -> None:
        item = self.item
        if item is None:
            self.group = ("DOC", None)
            return
        code, kind, doc_number = component(seg, 0, 0), component(seg, 0, 3), text_of(seg, 1)
        if code == "911":
            target = {"scheme": kind, "number": doc_number, "expires_on": None}
            item["licences"].append(target)
        elif code == "ZZZ":
            target = {
                "type": self.enum(
                    CertificateType, kind, "certificate type", item=item.get("number")
                ),
                "number": doc_number,
            }
            item["certificates"].append(target)
        else:
            target = None
        self.group = ("DOC", target)

    def _close_item(self) -> None:
        item = self.item
        if item is None:
            return
        certificates = item["certificates"]
        # a certificate whose type did not read (already reported) may be the one wanted: no
        # second finding that it is missing
        untyped = any(c["type"] is None for c in certificates)
        for name, field, flag, at in self.flags:
            kind = ITEM_FLAGS[name][0]
            holder = next((c for c in certificates if c["type"] == kind), None)
            if holder is not None:
                holder.setdefault(field, flag)
            elif not untyped:
                self.problem(
                    f"attribute {name} needs a {kind.value} certificate (DOC+ZZZ)",
                    index=at,
                    item=item.get("number"),
                )
        if self.radiation:
            psic = next((c for c in certificates if c["type"] == CertificateType.PSIC), None)
            if psic is None and not untyped:
                self.problem(
                    "MEA BGR/MXR radiation levels need a PSIC certificate (DOC+ZZZ)",
                    index=self.radiation_at,
                    item=item.get("number"),
                )
            elif psic is not None:
                psic.update(self.radiation)
        for field in ("product_category", "purpose", "scrap_form", "self_certified"):
            if field in item and item[field] is None:
                del item[field]
        self.boe["items"].append(item)
        self.item = None

    # -- the model ------------------------------------------------------------------------------

    def _build(self) -> BillOfEntry | None:
        boe = self.boe
        #: each item's CST and quantity MEAs, for what the model refuses
        self.item_places: list[tuple[int, list[int]]] = []
        if self.count_items is not None and self.count_items[0] != len(boe["items"]):
            self.problem(
                f"CNT+5 says {self.count_items[0]} items, the message has {len(boe['items'])}",
                kind="envelope",
                index=self.count_items[1],
            )
        missing = [
            (what, field, tag, qualifier)
            for what, field, tag, qualifier in (
                ("LOC+22 (port_code)", "port_code", "LOC", "22"),
                ("BGM (type)", "type", "BGM", None),
                ("DTM+137 (presented_at)", "presented_at", "DTM", "137"),
                ("TDT+20 (mode)", "mode", "TDT", "20"),
            )
            if boe.get(field) is None
        ]
        for what, field, tag, qualifier in missing:
            self.missing(what, field, tag, qualifier, mandatory_segment=tag == "BGM")
        for item in boe["items"]:
            if item.get("quantity") is None and not item.get("unit") and not item["_mea"]:
                self.problem(
                    "item quantity (MEA+AAE++<unit>:<quantity>) is missing",
                    kind="structure",
                    index=item["_at"],
                    item=item.get("number"),
                )
            elif not item.get("unit") and item.get("quantity") is not None:
                self.problem(
                    "item quantity (MEA+AAE++<unit>:<quantity>) has no unit",
                    index=item["_mea"][0],
                    item=item.get("number"),
                )
            self.item_places.append((item.pop("_at"), item.pop("_mea")))
        self._goods_required()
        if missing or any(
            i.get("number") is None or i.get("quantity") is None or not i.get("unit")
            for i in boe["items"]
        ):
            return None
        for key in [k for k, v in boe["importer"].items() if v is None]:
            del boe["importer"][key]
        if boe.get("prior") is None:
            boe.pop("prior", None)
        try:
            return BillOfEntry.model_validate(boe)
        except ValidationError as exc:
            self.refused(exc, self._place)
            return None

    def _goods_required(self) -> None:
        """An original Bill of Entry declares goods: at least one item (segment group 30, CST)
        and, for each, its value (MOA+40 customs value in INR, MOA+38 foreign value, or both).
        An amendment or a cancellation may leave them out (it amends or withdraws a filed
        document: an ICES 1.5 amendment file carries only the records it changes), as every
        other adapter reads them."""
        if self.boe.get("function", Function.ORIGINAL) != Function.ORIGINAL:
            return
        items, places = self.boe["items"], self.item_places
        if not items:
            segments = self.raw.segments
            # where the group belongs: before the summary section's UNS+S (else before UNT)
            summary = next(
                (
                    k
                    for k, seg in enumerate(segments)
                    if seg.tag == "UNS" and text_of(seg, 0) == "S"
                ),
                len(segments) - 1,
            )
            self.problem(
                f"mandatory SG30 (CST) missing before {segments[summary].tag}: a Bill of Entry "
                "declares at least one goods item",
                kind="structure",
                index=summary,
                field="items",
            )
        for position, (item, (start, _)) in enumerate(zip(items, places, strict=True)):
            # absent, not refused: a value the reader refused has its own finding at its MOA
            if "value_inr" not in item and "foreign_value" not in item:
                self.problem(
                    "item value (MOA+40 customs value in INR, or MOA+38 foreign value) is missing",
                    kind="structure",
                    index=start,
                    item=item.get("number"),
                    field=f"items[{position}].value_inr",
                )

    def _place(self, loc: tuple[int | str, ...]) -> tuple[int, int | None]:
        """The segment that gave the field at ``loc``, and its item's number: an item field at
        its item's segment (see :meth:`_item_segment`), a header field at its header segment,
        else BGM."""
        if (
            loc[0] == "items"
            and len(loc) > 1
            and isinstance(loc[1], int)
            and loc[1] < len(self.item_places)
        ):
            start, quantities = self.item_places[loc[1]]
            number = self.boe["items"][loc[1]].get("number")
            return self._item_segment(start, quantities, loc[2:]), number
        return self.header_segment(loc, HEADER_SEGMENTS), None

    def _item_segment(self, start: int, quantities: list[int], loc: tuple[int | str, ...]) -> int:
        """The segment of the item whose CST is at ``start`` that gave its field at ``loc``: the
        quantity MEA, the n-th licence's or certificate's DOC (a certificate's agency at its NAD
        +AM), the FTX, LOC, MOA or CUX ``ITEM_SEGMENTS`` names, else the CST."""
        field = loc[0] if loc and isinstance(loc[0], str) else ""
        if field in ("quantity", "unit"):
            return quantities[-1] if quantities else start
        end = self.next_of(start, ("CST", "UNS"))
        if field in ("licences", "certificates") and len(loc) > 1 and isinstance(loc[1], int):
            doc = self.find(ITEM_SEGMENTS[field], start, end, nth=loc[1])
            if doc is None:
                return start
            if field == "certificates" and loc[2:3] == ("agency",):
                group_end = self.next_of(doc, ("DOC", "CST", "UNS"))
                agency = self.find(ITEM_SEGMENTS["certificates.agency"], doc, group_end)
                return doc if agency is None else agency
            return doc
        spot = ITEM_SEGMENTS.get(".".join(map(str, loc[:2])), ITEM_SEGMENTS.get(field))
        # a description is the text of all its FTX+AAA: placed at the first
        found = (
            None
            if spot is None
            else self.find(spot, start, end, nth=0 if field == "description" else -1)
        )
        return start if found is None else found
