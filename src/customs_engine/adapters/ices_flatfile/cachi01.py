"""CACHI01 / CACHI01_A Bill of Entry → canonical :class:`BillOfEntry`.

Choices the format leaves open (documented here because users see them):

* ``message_id`` = ``CACHI01-<custom house>-<user job no>`` (``CACHI01-INNSA1-4821``), under
  a ``CACHI01_A`` (or ``CACHI01-A``) header too; an amendment, which has no job number, uses the
  BE number (``CACHI01-INNSA1-BE1234567``); with neither, the HREC control number.
* The function is BE field 1's (``F`` original, ``A``/``S`` amendment, ``D`` cancellation; an
  original under a ``CACHI01_A`` header is an amendment). Only an original must carry the tables
  of a fresh Bill of Entry, whichever header it came under.
* ``presented_at`` = the User Job Date (BE field 4, the date ICES keys the BE by and echoes in its
  acknowledgement) at the HREC transmission time when the file was sent that day, else at 00:00;
  IST. An amendment (no job date) uses the HREC date and time.
* Item numbers: the item serial (ITEMS field 8) when every item is on invoice 1, the usual case;
  otherwise ``invoice serial × 10000 + item serial`` (20003 = invoice 2, item 3), so a number
  always leads back to its ITEMS record and the CHCAI02 acknowledgement can name it.
* ``hs_code`` = CTH (field 22), else the RITC (field 11). BE type H/W/X → HOME_CONSUMPTION /
  WAREHOUSING / EX_BOND; the SEZ types Z/T/M/V/S → HOME_CONSUMPTION with ``unit_type`` SEZ. Mode
  L (land) → ROAD.
* ``manifest``: the first IGMS record. ``bl_number`` is the house B/L when one is given (the IGM
  line of a house B/L carries it), else the master B/L; no line number (the core finds the line
  by B/L, CORE-BOE-NOTE-003). ``arrived_at`` = the IGMS inward date.
* Registrations from BE_ITEM_SW_INFO_TYPE per ``maps.toml`` ``registrations`` (SIMS:
  ``PNM/SIU/SIUNAPL`` ``STL<n>/<DDMMYYYY>`` → licence ``STL<n>`` expiring that day). ``SIUNRR``
  (returnable racks) sets the item's purpose to PACKAGING_REIMPORT; ``SIUNAF`` (air shipment) on a
  BE whose mode is not AIR is a syntax finding.
* Certificates from SUPPORTING_DOCS (document type → type via ``certificate_types``; number = the
  document reference, else the IRN; issuing party = agency) and BE_ITEM_SW_CTRL (control type →
  type via ``control_certificate_types``; number = result code; start date = issue date;
  location = agency). Item serial 0 means every item of the invoice, invoice serial 0 every item.
  An issuing party's name longer than the 35 characters an agency holds gives way to its code.
* Codes are read in upper case; an Indian port of shipment given as its ICES location code
  (``INMAA1``) is its UN/LOCODE (``INMAA``). A value the canonical model still refuses is reported
  at the record and field that carried it (``shapes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from customs_engine.adapters.ices_flatfile import shapes, valuation
from customs_engine.adapters.ices_flatfile.layouts import layouts
from customs_engine.adapters.ices_flatfile.records import Envelope, Record
from customs_engine.adapters.ices_flatfile.settings import Settings
from customs_engine.core.models import BillOfEntry, Purpose

_BE_TYPES = {
    "H": ("HOME_CONSUMPTION", None),
    "W": ("WAREHOUSING", None),
    "X": ("EX_BOND", None),
} | {code: ("HOME_CONSUMPTION", "SEZ") for code in "ZTMVS"}
_MODES = {"S": "SEA", "A": "AIR", "L": "ROAD"}
_FUNCTIONS = {"F": "original", "A": "amendment", "S": "amendment", "D": "cancellation"}
_CATEGORIES = {"G": "GOVERNMENT"}
ITEM_BASE = 10000
#: the most characters of an agency (a certificate's issuing party)
AGENCY_LENGTH = 35


@dataclass
class _Sources:
    """The records an item's values came from (for a value the model refuses): the ITEMS record,
    and per licence and certificate its record and the field that gave its number."""

    item: Record
    licences: list[tuple[Record, str]] = field(default_factory=list)
    certificates: list[tuple[Record, str]] = field(default_factory=list)


#: item field → the ITEMS field that gives it
_ITEM_FIELDS = {
    "hs_code": "cth",
    "description": "description1",
    "quantity": "quantity",
    "unit": "unit",
    "value_inr": "unit_price",
    "foreign_value": "unit_price",
    "country_of_origin": "country_of_origin",
}
#: Bill of Entry field → the BE field that gives it
_BE_FIELDS = {
    "port_code": "custom_house",
    "type": "be_type",
    "number": "be_number",
    "mode": "mode",
    "broker": "cha_code",
    "consigned_from": "country_of_consignment",
    "port_of_loading": "port_of_shipment",
    "ex_bond_of": "warehouse_be_no",
}
#: importer field → (table, field) that gives it
_IMPORTER_FIELDS = {
    "iec": ("BE", "iec"),
    "name": ("BE", "importer_name"),
    "gstin": ("CTX", "registration_number"),
    "pan": ("CTX", "registration_number"),
}


def item_number(invoice: Decimal | int, item: Decimal | int, single_invoice: bool) -> int:
    return int(item) if single_invoice else int(invoice) * ITEM_BASE + int(item)


def decode_item_number(number: int) -> tuple[int, int]:
    """(invoice serial, item serial) of a canonical item number (see the module docstring)."""
    return (1, number) if number < ITEM_BASE else divmod(number, ITEM_BASE)


def to_bill_of_entry(envelope: Envelope, settings: Settings) -> BillOfEntry | None:
    """The canonical BE, or ``None`` when its mandatory parts are unusable (see the findings)."""
    amendment = envelope.header.message_id != "CACHI01"
    if _fresh(envelope):
        _required_tables(envelope)
    be = envelope.single(
        "BE",
        missing="no <TABLE>BE record: the Bill of Entry cannot be read"
        + (" (an amendment without BE main is not checked)" if amendment else ""),
        extra="second BE record (a file carries one Bill of Entry)",
    )
    if be is None:
        return None
    _same_keys(envelope, be)
    numbers = _item_numbers(envelope)
    values = valuation.value_items(envelope, settings)
    sources: dict[int, _Sources] = {}
    items = _items(envelope, settings, numbers, values, sources, mode=be.text("mode"))
    _left_out(envelope, numbers, items)
    for line, finding in values.findings:
        envelope.findings.append(finding.model_copy(update={"item": numbers.get(line)}))
    try:
        return BillOfEntry.model_validate({**_main(envelope, be), "items": items})
    except ValidationError as exc:
        shapes.refused(envelope, exc, _places(envelope, be, items, sources))
        return None
    except (ValueError, TypeError) as exc:
        envelope.problem(
            f"the BE main record cannot make a Bill of Entry: {exc}", table="BE", line=be.line
        )
        return None
    finally:
        _tag_items(envelope, numbers)


def _left_out(envelope: Envelope, numbers: dict[int, int], items: list[dict[str, Any]]) -> None:
    """Say which ITEMS records the Bill of Entry is made without (each has its own finding)
    when that shifts the ``items[N]`` of the findings: they count the items read, so after a
    record left out ``items[0]`` need not be the file's first item."""
    line_of = {number: line for line, number in numbers.items()}
    made = [line_of[item["number"]] for item in items]
    dropped = [r.line for r in envelope.table("ITEMS") if r.line not in made]
    if not dropped:
        return
    shifted = next(
        ((index, item["number"]) for index, item in enumerate(items) if made[index] > dropped[0]),
        None,
    )
    if shifted is None:
        return  # left out only after the last item read: no index moves
    named = [
        f"item {numbers[line]} (line {line})" if line in numbers else f"line {line}"
        for line in dropped
    ]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    read = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    envelope.problem(
        f"{listed} cannot be read and {'is' if len(named) == 1 else 'are'} left out of the "
        f"Bill of Entry: items[N] in the findings counts the {read} read, in item order, "
        f"so items[{shifted[0]}] is item {shifted[1]}",
        table="ITEMS",
    )


def _places(
    envelope: Envelope, be: Record, items: list[dict[str, Any]], sources: dict[int, _Sources]
) -> shapes.Place:
    """Where each field of the Bill of Entry came from (see :func:`shapes.refused`)."""

    def place(loc: tuple[int | str, ...]) -> tuple[Record | None, str | None]:
        head = loc[0]
        if head == "items" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(items):
            source = sources[items[loc[1]]["number"]]
            name = loc[2] if len(loc) > 2 else None
            if name in ("licences", "certificates") and len(loc) > 3:
                found = source.licences if name == "licences" else source.certificates
                index = loc[3]
                if isinstance(index, int) and index < len(found):
                    return found[index]
            if name == "hs_code" and source.item.text("cth") is None:
                return source.item, "ritc"
            return source.item, _ITEM_FIELDS.get(str(name))
        if head == "importer" and len(loc) > 1 and str(loc[1]) in _IMPORTER_FIELDS:
            table, name = _IMPORTER_FIELDS[str(loc[1])]
            records = [be] if table == "BE" else envelope.table(table)
            return (records[0], name) if records else (be, None)
        if head == "manifest":
            igms = envelope.table("IGMS")
            wanted = str(loc[1]) if len(loc) > 1 else ""
            if igms and wanted == "bl_number" and igms[0].text("house_bl_number"):
                return igms[0], "house_bl_number"
            if igms:
                return igms[0], wanted if wanted in ("igm_number", "bl_number") else None
        return be, _BE_FIELDS.get(str(head))

    return place


def _fresh(envelope: Envelope) -> bool:
    """A fresh Bill of Entry: a ``CACHI01`` header whose BE record is no amendment or
    cancellation (an unknown code is refused at the field, and checked as an original)."""
    if envelope.header.message_id != "CACHI01":
        return False
    be = envelope.table("BE")
    code = (be[0].text("message_type") or "").upper() if be else ""
    return _FUNCTIONS.get(code, "original") == "original"


def _required_tables(envelope: Envelope) -> None:
    present = {record.table for record in envelope.records}
    air = any((record.text("mode") or "").upper() == "A" for record in envelope.table("BE"))
    # an ex-bond Bill of Entry clears goods from a warehouse: it quotes no IGM line, and the
    # goods are no longer in the containers they arrived in
    ex_bond = any((record.text("be_type") or "").upper() == "X" for record in envelope.table("BE"))
    for name, layout in layouts("cachi01").items():
        if name != layout.name or not layout.fresh_required or name in present:
            continue
        if name == "CONTAINER" and air:
            continue  # "Segment <Container> is not required for Air consignments" (p.12)
        if name in ("IGMS", "CONTAINER") and ex_bond:
            continue
        envelope.problem(
            f"<TABLE>{name} is mandatory for a fresh Bill of Entry but absent", table=name
        )


def _same_keys(envelope: Envelope, be: Record) -> None:
    """Every record repeats the BE's custom house, job number and job date (positions 2–4)."""
    for record in envelope.records:
        for position, name in ((2, "custom_house"), (3, "job_no"), (4, "job_date")):
            mine, theirs = record.raw[position - 1], be.raw[position - 1]
            if record is not be and mine != theirs:
                envelope.problem(
                    f"{name} {mine[:20]!r} differs from the BE record's {theirs[:20]!r}",
                    table=record.table,
                    line=record.line,
                    position=position,
                )


def _item_numbers(envelope: Envelope) -> dict[int, int]:
    """ITEMS record line → canonical item number; duplicates and serial 0 are reported."""
    keyed = [(r, r.get("invoice_sr"), r.get("item_sr")) for r in envelope.table("ITEMS")]
    keyed = [(r, inv, item) for r, inv, item in keyed if inv is not None and item is not None]
    single = all(inv == 1 for _, inv, _ in keyed)
    numbers: dict[int, int] = {}
    seen: dict[tuple[Decimal, Decimal], int] = {}
    for record, inv, item in keyed:
        if item < 1 or inv < 1 or item >= ITEM_BASE:
            envelope.problem(
                f"invoice/item serial {inv}/{item}: serials start at 1",
                table="ITEMS",
                line=record.line,
                position=record.layout.position("item_sr"),
            )
            continue
        if (inv, item) in seen:
            envelope.problem(
                f"item {inv}/{item} repeats the ITEMS record of line {seen[(inv, item)]}",
                table="ITEMS",
                line=record.line,
                position=record.layout.position("item_sr"),
            )
            continue
        seen[(inv, item)] = record.line
        numbers[record.line] = item_number(inv, item, single)
    return numbers


def _tag_items(envelope: Envelope, numbers: dict[int, int]) -> None:
    """Give item-keyed syntax findings their item number (the acknowledgement needs it)."""
    keys = {
        (r.get("invoice_sr"), r.get("item_sr")): n
        for r in envelope.table("ITEMS")
        if (n := numbers.get(r.line)) is not None
    }
    by_line = {}
    for record in envelope.records:
        if "item_sr" in record.values and "invoice_sr" in record.values:
            number = keys.get((record.get("invoice_sr"), record.get("item_sr")))
            if number is not None:
                by_line[(record.table, record.line)] = number
    tagged = []
    for finding in envelope.findings:
        match = re.match(r"^(\w+)\[line (\d+)\]", finding.field or "")
        number = by_line.get((match[1], int(match[2]))) if match else None
        if finding.item is None and number is not None:
            finding = finding.model_copy(update={"item": number})
        tagged.append(finding)
    envelope.findings[:] = tagged


def _for_items(
    envelope: Envelope, record: Record, numbers: dict[tuple[Any, Any], int]
) -> list[int]:
    """The item numbers a keyed record applies to (serial 0 = every item of the invoice/BE)."""
    inv, item = record.get("invoice_sr"), record.get("item_sr")
    if inv is None or item is None:
        return []
    if inv == 0:
        return sorted(numbers.values())
    if item == 0:
        return sorted(n for (i, _), n in numbers.items() if i == inv)
    number = numbers.get((inv, item))
    if number is None:
        envelope.problem(
            f"invoice/item {inv}/{item} has no ITEMS record",
            table=record.table,
            line=record.line,
            position=record.layout.position("item_sr"),
        )
        return []
    return [number]


def _items(
    envelope: Envelope,
    settings: Settings,
    numbers: dict[int, int],
    values: valuation.Valuation,
    sources: dict[int, _Sources],
    *,
    mode: str | None,
) -> list[dict[str, Any]]:
    """The items (as the model reads them), and in ``sources`` the records each came from."""
    items: dict[int, dict[str, Any]] = {}
    # every numbered ITEMS record, usable or not, so a bad item does not orphan its licences
    by_key = {
        (r.get("invoice_sr"), r.get("item_sr")): numbers[r.line]
        for r in envelope.table("ITEMS")
        if r.line in numbers
    }
    for record in envelope.table("ITEMS"):
        number = numbers.get(record.line)
        hs_code = record.text("cth") or record.text("ritc")
        quantity, unit = record.get("quantity"), record.text("unit")
        if number is None or hs_code is None or quantity is None or unit is None:
            continue  # the reader has reported why
        if quantity <= 0:  # the layout admits no sign: zero is what is left to refuse
            envelope.problem(
                f"quantity {quantity} must be above zero",
                table="ITEMS",
                line=record.line,
                position=record.layout.position("quantity"),
            )
            continue
        description = " ".join(
            filter(None, (record.text("description1"), record.text("description2")))
        )
        items[number] = {
            "number": number,
            "hs_code": hs_code,
            "description": description or None,
            "quantity": quantity,
            "unit": shapes.code(unit),
            "value_inr": values.inr.get(record.line),
            "foreign_value": values.foreign.get(record.line),
            "country_of_origin": shapes.code(record.text("country_of_origin")),
            "licences": [],
            "certificates": [],
        }
        sources[number] = _Sources(record)
    for record in envelope.table("LICENCE"):
        number_text = record.text("registration_number")
        code = (record.text("licence_code") or "").upper()
        if number_text is None or not code:
            continue
        for n in _usable(items, _for_items(envelope, record, by_key)):
            items[n]["licences"].append(
                {
                    "scheme": settings.licence_schemes.get(code, code),
                    "number": number_text,
                    "issued_on": record.get("registration_date"),
                }
            )
            sources[n].licences.append((record, "registration_number"))
    for record in envelope.table("BE_ITEM_SW_INFO_TYPE"):
        targets = _usable(items, _for_items(envelope, record, by_key))
        if _single_window_info(envelope, settings, record, [items[n] for n in targets], mode):
            for n in targets:
                sources[n].licences.append((record, "info_text"))
    _certificates(envelope, settings, items, by_key, sources)
    return [items[n] for n in sorted(items)]


def _usable(items: dict[int, dict[str, Any]], numbers: list[int]) -> list[int]:
    return [n for n in numbers if n in items]


_REGISTRATION_TEXT = re.compile(r"^(?P<number>[A-Z]+\d+)/(?P<expiry>\d{8})$")


def _single_window_info(
    envelope: Envelope,
    settings: Settings,
    record: Record,
    items: list[dict[str, Any]],
    mode: str | None,
) -> bool:
    """Apply a single-window information record to its items; ``True`` when it added a licence
    to each."""
    info_type = (record.text("info_type") or "").upper()
    qualifier = (record.text("info_qualifier") or "").upper()
    code = (record.text("info_code") or "").upper()
    text = (record.text("info_text") or "").upper()
    for recipe in settings.registrations:
        if (info_type, qualifier, code) != (recipe.info_type, recipe.qualifier, recipe.code):
            continue
        match = _REGISTRATION_TEXT.match(text)
        expiry = _ddmmyyyy(match["expiry"]) if match else None
        if match is None or expiry is None or not match["number"].startswith(recipe.prefix):
            envelope.problem(
                f"info_text {text[:40]!r} is not {recipe.prefix}<number>/<DDMMYYYY> "
                f"({recipe.scheme} registration and expiry)",
                table=record.table,
                line=record.line,
                position=record.layout.position("info_text"),
                kind="value",
            )
            return False
        for item in items:
            item["licences"].append(
                {"scheme": recipe.scheme, "number": match["number"], "expires_on": expiry}
            )
        return True
    exemption = settings.exemptions.get(code)
    if exemption == "returnable_racks":
        for item in items:
            item["purpose"] = Purpose.PACKAGING_REIMPORT
    elif exemption == "air" and (mode or "").upper() != "A":
        envelope.problem(
            f"{code} declares an air shipment but the BE mode is {mode!r}",
            table=record.table,
            line=record.line,
            position=record.layout.position("info_code"),
        )
    return False


def _ddmmyyyy(text: str) -> date | None:
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def _certificates(
    envelope: Envelope,
    settings: Settings,
    items: dict[int, dict[str, Any]],
    by_key: dict[tuple[Any, Any], int],
    sources: dict[int, _Sources],
) -> None:
    """Certificates from e-Sanchit documents and single-window control records, by code map."""
    tables = (
        # table, code map, code field, number fields (first present wins), issued, agency
        # fields (the first that fits an agency wins)
        (
            "SUPPORTING_DOCS",
            settings.certificate_types,
            "document_type",
            ("document_reference", "irn"),
            "issued_on",
            ("issuer_name", "issuer_code"),
        ),
        (
            "BE_ITEM_SW_CTRL",
            settings.control_certificate_types,
            "control_type",
            ("result_code",),
            "control_start",
            ("control_location",),
        ),
    )
    for table, kinds, code, numbers, issued, agencies in tables:
        for record in envelope.table(table):
            kind = kinds.get((record.text(code) or "").upper())
            given = next((f for f in numbers if record.text(f)), None)
            if kind is None or given is None:
                continue
            cert = {
                "type": kind,
                "number": record.text(given),
                "issued_on": record.get(issued),
                "agency": _agency(record, agencies),
            }
            for n in _usable(items, _for_items(envelope, record, by_key)):
                items[n]["certificates"].append(dict(cert))
                sources[n].certificates.append((record, given))


def _agency(record: Record, fields: tuple[str, ...]) -> str | None:
    """The first of ``fields`` that is given and fits an agency (a long name gives way to the
    party's code)."""
    given = [text for name in fields if (text := record.text(name))]
    return next((text for text in given if len(text) <= AGENCY_LENGTH), None)


def message_id(envelope: Envelope) -> str:
    """``CACHI01-INNSA1-4821`` — readable even when the BE record is unusable.

    The document's identity for its whole life: an amendment (``CACHI01_A``, or ``CACHI01-A``)
    of job 4821 at INNSA1 has the same id as the original, so it replaces it (the BE number
    stands in for the job number when the amendment gives only that). An id longer than the
    model holds is refused by the reader, never cut (a cut id could be another document's)."""
    header = envelope.header
    first = envelope.records[0] if envelope.records else None
    custom_house = (first.text("custom_house") if first else None) or header.receiver.strip()
    key = None
    if first is not None:
        key = first.text("job_no") or (
            f"BE{first.text('be_number')}" if first.text("be_number") else None
        )
    key = key or header.control_no
    return f"CACHI01-{custom_house}-{key}"


def _presented_at(envelope: Envelope, be: Record) -> datetime | None:
    sent = envelope.header.sent_at
    job_date = be.get("job_date")
    if job_date is None:
        return sent
    if sent is not None and sent.date() == job_date:
        return sent
    return datetime.combine(job_date, time())


def _main(envelope: Envelope, be: Record) -> dict[str, Any]:
    be_type, unit_type = _BE_TYPES.get((be.text("be_type") or "").upper(), (None, None))
    if be.text("be_type") and be_type is None:
        envelope.problem(
            f"BE type {be.text('be_type')!r} is not H, W, X, Z, T, M, V or S",
            kind="value",
            table="BE",
            line=be.line,
            position=be.layout.position("be_type"),
        )
    mode = _MODES.get((be.text("mode") or "").upper())
    if be.text("mode") and mode is None:
        envelope.problem(
            f"mode of transport {be.text('mode')!r} is not S, A or L",
            table="BE",
            line=be.line,
            position=be.layout.position("mode"),
            kind="value",
        )
    importer: dict[str, Any] = {
        "iec": be.text("iec"),
        "name": be.text("importer_name"),
        "category": _CATEGORIES.get((be.text("importer_type") or "").upper()),
        "unit_type": unit_type,
    }
    ctx = envelope.table("CTX")
    for extra in ctx[1:]:
        envelope.problem(
            "a second CTX record (there should be only one per document)",
            table="CTX",
            line=extra.line,
        )
    for record in ctx[:1]:
        tax_type = (record.text("tax_type") or "").upper()
        if tax_type == "G":
            importer["gstin"] = (record.text("registration_number") or "").upper() or None
        elif tax_type == "I":
            importer["pan"] = (record.text("registration_number") or "").upper() or None
    igms = envelope.table("IGMS")
    manifest = None
    arrived = None
    if igms:
        igm = igms[0]
        house = igm.text("house_bl_number")
        manifest = {
            "igm_number": igm.text("igm_number"),
            "igm_date": igm.get("igm_date"),
            "bl_number": house or igm.text("bl_number"),
            "bl_date": igm.get("house_bl_date") if house else igm.get("bl_date"),
        }
        inward = igm.get("inward_date")
        arrived = datetime.combine(inward, time()) if inward else None
    function = envelope.function(be, _FUNCTIONS)
    if envelope.header.message_id != "CACHI01" and function == "original":
        function = "amendment"
    return {
        "message_id": message_id(envelope),
        "function": function,
        "port_code": be.text("custom_house"),
        "type": be_type,
        "number": be.text("be_number"),
        "presented_at": _presented_at(envelope, be),
        "prior": be.get("prior_be") == "Y",  # a Y/N flag, read upper-case
        "mode": mode,
        "importer": importer,
        "broker": be.text("cha_code"),
        "manifest": manifest,
        "arrived_at": arrived,
        "consigned_from": shapes.code(be.text("country_of_consignment")),
        "port_of_loading": shapes.location(be.text("port_of_shipment")),
        "ex_bond_of": be.text("warehouse_be_no"),
    }
