"""Canonical model → CUSDEC D:96B / CUSCAR D:95B interchange text, for ``convert``.

Segments are built as pydifact ``Segment`` objects and written by pydifact's serializer, so
release characters are applied the one standard way. Output is deterministic: the UNB date is
the document's own date, the control reference is derived from the message id.

Nothing is cut to fit: each message's segments go through the reader's own checks (branching
order, repetitions, element lengths) before anything is serialized, and a value that does not fit
— also one too long for the components and segments long text is spread over — is refused with a
``ValueError`` naming the message, the field and the limit, as is a control character (EDIFACT
text cannot carry one). Free text (``FTX+AAA``) is cut into lines of 70 only at a space, which the
reader puts back when it joins the lines; text with a longer run, which could only be cut
elsewhere, is refused rather than changed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from pydifact.control import Characters
from pydifact.segments import Segment
from pydifact.serializer import Serializer

from customs_engine.adapters.edifact.charset import LATIN_1, encoded
from customs_engine.adapters.edifact.references import message_reference
from customs_engine.adapters.edifact.structure import check_lengths, validate
from customs_engine.core.dates import IST, india_date
from customs_engine.core.formats import written_each
from customs_engine.core.models import (
    BillOfEntry,
    BillOfEntryType,
    Certificate,
    CertificateType,
    Conveyance,
    Function,
    GoodsItem,
    ImportGeneralManifest,
    Item,
    ManifestLine,
    Mode,
)

#: UNA with a point as decimal mark: the numbers we write use ``.``
CHARACTERS = Characters.from_str("UNA:+.? '")
SENDER = "CUSTOMS-ENGINE"
RECIPIENT = "ICEGATE"
FUNCTION_CODES = {Function.ORIGINAL: "9", Function.AMENDMENT: "4", Function.CANCELLATION: "1"}
TYPE_CODES = {
    BillOfEntryType.HOME_CONSUMPTION: "H",
    BillOfEntryType.WAREHOUSING: "W",
    BillOfEntryType.EX_BOND: "X",
}
MODE_CODES = {Mode.SEA: "1", Mode.RAIL: "2", Mode.ROAD: "3", Mode.AIR: "4"}
CONVEYANCE_CODES = {Conveyance.VESSEL: "1", Conveyance.AIRCRAFT: "4", Conveyance.VEHICLE: "3"}
FREE_TEXT_WIDTH = 70  # 4440 an..70, five per C108
NAME_WIDTH = 35  # 3036 an..35, five per C080
NAME_PARTS = 5
#: C0 controls, DEL and the C1 controls (U+0080 to U+009F): no EDIFACT repertoire we write
#: carries them as text (UNOC is ISO 8859-1's graphic characters), and our reader refuses C0
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: what a segment carries, by tag and qualifier (``None``: any qualifier), to name it in refusals
FIELDS = {
    ("BGM", "929"): "message id (declarant's reference)",
    ("BGM", "85"): "IGM number",
    ("LOC", "22"): "port code",
    ("LOC", "60"): "port code",
    ("LOC", "35"): "consigned from",
    ("LOC", "9"): "port of loading",
    ("LOC", "27"): "country of origin",
    ("LOC", "125"): "last port of call",
    ("RFF", "AFB"): "manifest IGM number, line and subline",
    ("RFF", "BM"): "B/L number",
    ("RFF", "ABT"): "Bill of Entry number",
    ("RFF", "ACE"): "ex-bond of",
    ("RFF", "VA"): "importer GSTIN",
    ("RFF", "AHP"): "importer PAN",
    ("RFF", "ABE"): "message id",
    ("NAD", "IM"): "importer",
    ("NAD", "CB"): "broker",
    ("NAD", "CN"): "consignee",
    ("NAD", "AM"): "certificate agency",
    ("FTX", "AAA"): "description",
    ("FTX", "ZZZ"): "attribute",
    ("MOA", "40"): "value (INR)",
    ("MOA", "38"): "foreign value",
    ("DOC", "911"): "licence",
    ("DOC", "ZZZ"): "certificate",
    ("CST", None): "item number and HS code",
    ("MEA", None): "quantity or weight and its unit",
    ("CUX", None): "currency and exchange rate",
    ("TDT", None): "voyage, carrier or vessel name",
    ("GID", None): "packages and their kind",
    ("CNI", None): "line number",
    ("DTM", None): "date",
}


def chunks(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def number(value: Decimal | int) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def dtm(qualifier: str, value: date | datetime) -> Segment:
    if isinstance(value, datetime):
        local = value.astimezone(IST)
        return Segment("DTM", [qualifier, local.strftime("%Y%m%d%H%M"), "203"])
    return Segment("DTM", [qualifier, value.strftime("%Y%m%d"), "102"])


def lines_of(text: str, width: int) -> list[str]:
    """``text`` cut at spaces into lines of at most ``width`` characters, none empty, each cut
    space dropped: joining the lines with one space gives the text back, as the reader does.
    Never cut inside a run of characters: where no space allows a cut (a run longer than a line,
    or a space that would leave an empty line), the line is left longer than ``width`` and
    :func:`refusals` refuses the message (see :func:`uncut`)."""
    parts: list[str] = []
    rest = text
    while len(rest) > width:
        # the latest space that leaves both sides non-empty: the line holds 1 to ``width``
        cut = rest.rfind(" ", 1, min(width, len(rest) - 2) + 1)
        if cut < 0:  # no space to cut at within a line: keep the run whole, refused later
            cut = rest.find(" ", width + 1, len(rest) - 1)
            if cut < 0:
                break
        parts.append(rest[:cut])
        rest = rest[cut + 1 :]
    return [*parts, rest]


def uncut(line: str, width: int = FREE_TEXT_WIDTH) -> str | None:
    """Why a line of free text is longer than ``width`` (``None`` when it is not)."""
    if len(line) <= width:
        return None
    shown = line if len(line) <= 40 else f"{line[:37]}…"
    return (
        f"free text is written in lines of at most {width} characters (4440 an..{width}) cut "
        f"only at a space, and {shown!r} ({len(line)} characters) has no space to cut at "
        "with text on both sides; cut elsewhere, the text would not read back as it is (the "
        "lines are joined by one space)"
    )


def free_text(qualifier: str, text: str) -> Iterator[Segment]:
    """FTX segments with the text in lines of 70 (five per C108), read back joined by spaces."""
    parts = lines_of(text, FREE_TEXT_WIDTH)
    for start in range(0, len(parts), 5):
        yield Segment("FTX", qualifier, "", "", _composite(parts[start : start + 5]))


def attribute(name: str, value: object) -> Segment:
    text = (
        ("Y" if value else "N") if isinstance(value, bool) else str(getattr(value, "value", value))
    )
    return Segment("FTX", "ZZZ", "", "", [name, text])


def party(qualifier: str, code: str | None, name: str | None) -> Segment:
    elements: list[str | list[str]] = [qualifier, [code or "", "", "ZZZ"]]
    if name:
        # every part, also beyond the fifth: ``refusals`` names a name too long for C080
        elements += ["", _composite(chunks(name, NAME_WIDTH))]
    return Segment("NAD", *elements)


def _composite(parts: list[str]) -> str | list[str]:
    return parts[0] if len(parts) == 1 else parts


# -- Bill of Entry --------------------------------------------------------------------------------


def cusdec_body(boe: BillOfEntry) -> list[Segment]:
    segs = [
        Segment(
            "BGM",
            ["929", "", "", TYPE_CODES[boe.type]],
            boe.message_id,
            FUNCTION_CODES[boe.function],
        ),
        Segment("LOC", "22", boe.port_code),
    ]
    if boe.consigned_from:
        segs.append(Segment("LOC", "35", boe.consigned_from))
    if boe.port_of_loading:
        segs.append(Segment("LOC", "9", boe.port_of_loading))
    segs.append(dtm("137", boe.presented_at))
    if boe.expected_arrival:
        segs.append(dtm("132", boe.expected_arrival))
    if boe.arrived_at:
        segs.append(dtm("178", boe.arrived_at))
    segs += _boe_attributes(boe)
    segs += _boe_references(boe)
    segs.append(Segment("TDT", "20", "", MODE_CODES[boe.mode]))
    segs += _boe_parties(boe)
    segs.append(Segment("UNS", "D"))
    for item in boe.items:
        segs += item_segments(item)
    segs += [Segment("UNS", "S"), Segment("CNT", ["5", str(len(boe.items))])]
    return segs


def _boe_attributes(boe: BillOfEntry) -> list[Segment]:
    """The prior flag and the importer's category and unit type, as attributes."""
    segs = []
    if boe.prior:
        segs.append(attribute("PRIOR", True))
    if boe.importer.category:
        segs.append(attribute("ICAT", boe.importer.category))
    if boe.importer.unit_type:
        segs.append(attribute("UNIT", boe.importer.unit_type))
    return segs


def _boe_references(boe: BillOfEntry) -> list[Segment]:
    """The IGM and B/L the Bill of Entry is noted against, its own number, the warehousing
    entry it clears."""
    segs = []
    ref = boe.manifest
    if ref is not None:
        if ref.igm_number or ref.igm_date or ref.line is not None or ref.subline is not None:
            segs.append(
                Segment(
                    "RFF",
                    [
                        "AFB",
                        ref.igm_number or "",
                        "" if ref.line is None else str(ref.line),
                        "" if ref.subline is None else str(ref.subline),
                    ],
                )
            )
            if ref.igm_date:
                segs.append(dtm("171", ref.igm_date))
        if ref.bl_number or ref.bl_date:
            segs.append(Segment("RFF", ["BM", ref.bl_number or ""]))
            if ref.bl_date:
                segs.append(dtm("95", ref.bl_date))
    if boe.number:
        segs.append(Segment("RFF", ["ABT", boe.number]))
    if boe.ex_bond_of:
        segs.append(Segment("RFF", ["ACE", boe.ex_bond_of]))
    return segs


def _boe_parties(boe: BillOfEntry) -> list[Segment]:
    """The importer (with its GSTIN and PAN) and the customs broker."""
    segs = []
    imp = boe.importer
    if imp.iec or imp.name or imp.gstin or imp.pan:
        segs.append(party("IM", imp.iec, imp.name))
        if imp.gstin:
            segs.append(Segment("RFF", ["VA", imp.gstin]))
        if imp.pan:
            segs.append(Segment("RFF", ["AHP", imp.pan]))  # 1153 AHP: tax registration number
    if boe.broker:
        segs.append(party("CB", boe.broker, None))
    return segs


def item_segments(item: Item) -> list[Segment]:
    segs = [Segment("CST", str(item.number), [item.hs_code, "122"])]
    if item.description:
        segs += free_text("AAA", item.description)
    psic = next(iter(item.certificates_of(CertificateType.PSIC)), None)
    segs += _item_attributes(item, psic)
    if item.country_of_origin:
        segs.append(Segment("LOC", "27", item.country_of_origin))
    segs.append(Segment("MEA", "AAE", "", [item.unit, number(item.quantity)]))
    if psic is not None:
        for prop, value in (("BGR", psic.background_usvh), ("MXR", psic.max_usvh)):
            if value is not None:
                segs.append(Segment("MEA", "AAE", prop, ["USH", number(value)]))
    segs += _item_values(item)
    segs += _item_documents(item)
    return segs


def _item_attributes(item: Item, psic: Certificate | None) -> list[Segment]:
    """Category, purpose, scrap form, self-certification and the certificates' declarations."""
    segs = []
    if item.product_category:
        segs.append(attribute("PCAT", item.product_category))
    segs.append(attribute("PURP", item.purpose))
    if item.scrap_form:
        segs.append(attribute("SFRM", item.scrap_form))
    if item.self_certified:
        segs.append(attribute("SELF", True))
    contract = next(iter(item.certificates_of(CertificateType.CONTRACT)), None)
    for name, cert, field in (
        ("PNOR", psic, "no_radioactive"),
        ("PNOE", psic, "no_explosives"),
        ("CNOR", contract, "no_radioactive"),
        ("CNOE", contract, "no_explosives"),
    ):
        if cert is not None and getattr(cert, field) is not None:
            segs.append(attribute(name, getattr(cert, field)))
    return segs


def _item_values(item: Item) -> list[Segment]:
    """The INR value, and the foreign value with its currency and rate."""
    segs = []
    if item.value_inr is not None:
        segs.append(Segment("MOA", ["40", number(item.value_inr), "INR"]))
    if item.foreign_value is not None:
        fv = item.foreign_value
        segs.append(Segment("MOA", ["38", number(fv.amount), fv.currency]))
        cux: list[str | list[str]] = [["2", fv.currency], ["3", "INR"]]
        if fv.rate is not None:
            cux.append(number(fv.rate))
        segs.append(Segment("CUX", *cux))
    return segs


def _item_documents(item: Item) -> list[Segment]:
    """Licences and certificates, each with its dates (and a certificate's agency)."""
    segs = []
    for lic in item.licences:
        segs.append(Segment("DOC", ["911", "", "", lic.scheme], lic.number))
        if lic.issued_on:
            segs.append(dtm("182", lic.issued_on))
        if lic.expires_on:
            segs.append(dtm("36", lic.expires_on))
    for cert in item.certificates:
        segs.append(Segment("DOC", ["ZZZ", "", "", cert.type.value], cert.number))
        if cert.issued_on:
            segs.append(dtm("182", cert.issued_on))
        if cert.agency:
            segs.append(Segment("NAD", "AM", cert.agency))
    return segs


# -- Import General Manifest ---------------------------------------------------------------------


def cuscar_body(igm: ImportGeneralManifest, reference: str | None = None) -> list[Segment]:
    """The CUSCAR body; ``reference``: its UNH reference (the message id's, by default)."""
    if reference is None:
        reference = message_reference(igm.message_id)
    segs = [Segment("BGM", "85", igm.igm_number or "", FUNCTION_CODES[igm.function])]
    if igm.filed_at:
        segs.append(dtm("137", igm.filed_at))
    elif igm.igm_date:
        segs.append(dtm("137", igm.igm_date))
    if reference != igm.message_id:
        segs.append(Segment("RFF", ["ABE", igm.message_id]))
    tdt: list[str | list[str]] = [
        "20",
        igm.voyage or "",
        CONVEYANCE_CODES[igm.conveyance],
        "",
        igm.carrier or "",
    ]
    if igm.vessel_name:
        tdt += ["", "", ["", "", "", igm.vessel_name]]
    segs.append(Segment("TDT", *tdt))
    segs.append(Segment("LOC", "60", igm.port_code))
    if igm.last_port_of_call:
        segs.append(Segment("LOC", "125", igm.last_port_of_call))
    for qualifier, value in (
        ("132", igm.expected_arrival),
        ("178", igm.arrived_at),
        ("151", igm.entry_inwards_at),
    ):
        if value is not None:
            segs.append(dtm(qualifier, value))
    for line in igm.lines:
        segs.append(Segment("CNI", str(line.line)))
        segs.append(Segment("RFF", ["BM", line.bl_number or "", "", str(line.subline)]))
        if line.consignee_iec or line.consignee_name:
            segs.append(party("CN", line.consignee_iec, line.consignee_name))
        segs += goods_segments(line)
    return segs


def goods_segments(line: ManifestLine) -> list[Segment]:
    """One GID group per goods item; the line's attributes ride in the first (SG10 is
    mandatory, so a line without goods data still gets a bare GID)."""
    segs: list[Segment] = []
    attributes = []
    if line.cargo_movement:
        attributes.append(attribute("CMOV", line.cargo_movement))
    if line.bl_date:
        attributes.append(attribute("BLDT", line.bl_date.strftime("%Y%m%d")))
    derived = ManifestLine.model_validate({"line": line.line, "goods_items": line.goods_items})
    # the line's own totals where its goods items do not give them (a kind of its own, a count
    # or weight that is not their sum): written as attributes, or they would be lost
    for name, value, implied in (
        ("LPKG", line.packages, derived.packages),
        ("LKND", line.package_kind, derived.package_kind),
        ("LGWT", line.gross_weight_kg, derived.gross_weight_kg),
    ):
        if value is not None and value != implied:
            attributes.append(
                attribute(name, number(value) if isinstance(value, Decimal) else value)
            )
    if line.description and line.description != derived.description:
        # the line's own description (marks and numbers) beside its goods items' ones
        parts = chunks(line.description, FREE_TEXT_WIDTH)
        attributes += [
            Segment("FTX", "ZZZ", "", "", ["LDSC", *parts[start : start + 4]])
            for start in range(0, len(parts), 4)
        ]
    for number_, goods in enumerate(line.goods_items or [GoodsItem()], start=1):
        packages = "" if goods.packages is None else str(goods.packages)
        if goods.package_kind:
            segs.append(Segment("GID", str(number_), [packages, goods.package_kind]))
        elif packages:
            segs.append(Segment("GID", str(number_), packages))
        else:
            segs.append(Segment("GID", str(number_)))
        if goods.description:
            segs += free_text("AAA", goods.description)
        segs += attributes
        attributes = []
        if goods.gross_weight_kg is not None:
            segs.append(Segment("MEA", "AAE", "G", ["KGM", number(goods.gross_weight_kg)]))
        if goods.hs_code:
            segs.append(Segment("CST", "", [goods.hs_code, "122"]))
    return segs


# -- envelope ------------------------------------------------------------------------------------


def control_reference(message_id: str) -> str:
    return hashlib.sha1(message_id.encode()).hexdigest()[:14].upper()


def interchange(
    messages: list[tuple[str, list[str], list[Segment]]], when: date | datetime, reference: str
) -> bytes:
    """UNA/UNB, one UNH…UNT per (reference, identifier, body), UNZ — serialized by pydifact."""
    if isinstance(when, datetime):
        when = when.astimezone(IST)
        stamp = [when.strftime("%y%m%d"), when.strftime("%H%M")]
    else:
        stamp = [when.strftime("%y%m%d"), "0000"]
    segs = [Segment("UNB", LATIN_1, SENDER, RECIPIENT, stamp, reference)]
    for ref, identifier, body in messages:
        segs += _enveloped(ref, identifier, body)
    segs.append(Segment("UNZ", str(len(messages)), reference))
    serializer = Serializer(CHARACTERS)
    syntax, data = encoded(serializer.serialize(segs, with_una_header=True, break_lines=True))
    if syntax != LATIN_1:  # text beyond Latin-1: declared as UTF-8, which it is written in
        segs[0] = Segment("UNB", syntax, SENDER, RECIPIENT, stamp, reference)
        data = serializer.serialize(segs, with_una_header=True, break_lines=True).encode()
    return data


def _enveloped(ref: str, identifier: list[str], body: list[Segment]) -> list[Segment]:
    return [Segment("UNH", ref, identifier), *body, Segment("UNT", str(len(body) + 2), ref)]


def _rendered(
    message: BillOfEntry | ImportGeneralManifest, ref: str, name: str | None = None
) -> tuple[tuple[str, list[str], list[Segment]], date | datetime]:
    """The message's reference (``ref``), identifier and body, checked (``ValueError`` naming
    what cannot be written, the message by ``name`` when given, else by its id)."""
    if isinstance(message, BillOfEntry):
        body = cusdec_body(message)  # BGM 1004 carries the whole message id
        identifier, tree = ["CUSDEC", "D", "96B", "UN"], "CUSDEC_D96B"
        when: date | datetime = message.presented_at
    else:
        body = cuscar_body(message, ref)
        identifier, tree = ["CUSCAR", "D", "95B", "UN"], "CUSCAR_D95B"
        when = message.filed_at or message.igm_date or date(2000, 1, 1)
    problems = refusals(_enveloped(ref, identifier, body), tree)
    problems += _time_refusals(message)
    if isinstance(message, ImportGeneralManifest):
        problems += _igm_date_refusal(message)
    else:
        problems += _certificate_refusals(message)
    if problems:
        raise ValueError("\n".join(f"message {name or message.message_id}: {p}" for p in problems))
    return (ref, identifier, body), when


#: the date-times of each message type, with their DTM qualifier
DATE_TIMES = {
    BillOfEntry: (("presented_at", "137"), ("arrived_at", "178")),
    ImportGeneralManifest: (
        ("filed_at", "137"),
        ("expected_arrival", "132"),
        ("arrived_at", "178"),
        ("entry_inwards_at", "151"),
    ),
}


def _time_refusals(message: BillOfEntry | ImportGeneralManifest) -> list[str]:
    """The guide writes a date-time as DTM format 203, CCYYMMDDHHMM in India time: a time with
    seconds or a fraction of one would read back a different instant (to the minute), and the
    checks that compare times to the second (CORE-IGM-001) would answer otherwise. Refused, not
    cut; the offset is moved to India time, which keeps the instant."""
    problems = []
    for field, qualifier in DATE_TIMES[type(message)]:
        value = getattr(message, field)
        if not isinstance(value, datetime):
            continue
        local = value.astimezone(IST)
        if local.second or local.microsecond:
            problems.append(
                f"{field} (DTM+{qualifier}): {value.isoformat()} has seconds, which DTM format 203 "
                "(CCYYMMDDHHMM, India time) cannot hold: written to the minute, it would read "
                f"back as {local.replace(second=0, microsecond=0).isoformat()}, a different time"
            )
    return problems


#: what CUSDEC carries of an item's certificates, by type: only the first of its type, and only
#: these fields (beside type, number, issue date and agency, which every certificate keeps):
#: ``MEA+AAE+BGR``/``MXR`` and ``PNOR``/``PNOE`` for the PSIC, ``CNOR``/``CNOE`` for the contract
CARRIED = {
    CertificateType.PSIC: ("background_usvh", "max_usvh", "no_radioactive", "no_explosives"),
    CertificateType.CONTRACT: ("no_radioactive", "no_explosives"),
}
#: the certificate fields the guide carries for some certificates only
DECLARED = ("background_usvh", "max_usvh", "no_radioactive", "no_explosives")


def _certificate_refusals(boe: BillOfEntry) -> list[str]:
    """The guide gives an item one set of radiation levels (``MEA+AAE+BGR/MXR``, the PSIC's) and
    one of each declaration (``PNOR``/``PNOE`` for the PSIC, ``CNOR``/``CNOE`` for the contract):
    any other value of these fields — a contract's radiation levels, a supplier's or defence
    declaration's, or what a second PSIC or contract gives beyond the first — would be lost (a
    radioactive reading dropped, a reject read back as a hold), so the item is refused."""
    problems = []
    for item in boe.items:
        first: dict[CertificateType, Certificate] = {}
        for cert in item.certificates:
            leader = first.setdefault(cert.type, cert)
            kept = CARRIED.get(cert.type, ())
            lost = [
                name
                for name in DECLARED
                if getattr(cert, name) is not None
                and (
                    name not in kept
                    # a later certificate's value is lost unless the first already says it
                    or (leader is not cert and getattr(cert, name) != getattr(leader, name))
                )
            ]
            if not lost:
                continue
            if cert.type in CARRIED and leader is not cert:
                why = f"which CUSDEC carries for one {cert.type.value} of an item only (the first)"
            elif cert.type in CARRIED:
                why = f"which CUSDEC does not carry for a {cert.type.value}"
            else:
                why = f"which CUSDEC does not carry for a {cert.type.value} certificate"
            problems.append(
                f"item {item.number}: {cert.type.value} {cert.number} gives {', '.join(lost)}, "
                f"{why} (only the first PSIC's {', '.join(CARRIED[CertificateType.PSIC])} and "
                f"the first CONTRACT's {', '.join(CARRIED[CertificateType.CONTRACT])})"
            )
    return problems


def _igm_date_refusal(igm: ImportGeneralManifest) -> list[str]:
    """The guide gives a manifest one date, ``DTM+137``: the filing time, whose India date is
    read as the IGM date of a numbered manifest (a manifest without number has none). An IGM
    date that would read back otherwise (an amendment filed after the IGM, a declaration quoting
    its CSN's date) is refused: Bills of Entry quoting it would no longer be noted against it."""
    if igm.igm_date is None:
        if igm.igm_number and igm.filed_at is not None:
            return [
                f"IGM {igm.igm_number} has no IGM date, which CUSCAR cannot say: its filing "
                f"time (DTM+137) would be read back as the IGM date {india_date(igm.filed_at)}"
            ]
        return []
    if not igm.igm_number:
        return [
            f"the IGM date {igm.igm_date} cannot be written without an IGM number: a CUSCAR "
            "without one is read as a fresh manifest, which has no IGM date"
        ]
    if igm.filed_at is not None and india_date(igm.filed_at) != igm.igm_date:
        return [
            f"the IGM date {igm.igm_date} cannot be written: CUSCAR carries one date, the "
            f"filing time (DTM+137), which is read back as the IGM date, and this manifest was "
            f"filed on {india_date(igm.filed_at)}"
        ]
    return []


def refusals(segments: list[Segment], tree: str) -> list[str]:
    """Why ``segments`` (one message, UNH…UNT) cannot be written: what our reader would refuse
    (branching order, repetitions, element lengths) and control characters."""
    found = [(p.index, p.text) for p in validate(segments, tree)]
    texts = {index: _uncut(seg) for index, seg in enumerate(segments)}
    found += [
        (p.index, p.text)
        for p in check_lengths(segments)
        if not (texts[p.index] and p.text.startswith("data element 4440 "))  # said below
    ]
    found += [(index, text) for index, text in texts.items() if text]
    for index, seg in enumerate(segments):
        name = seg.elements[3] if seg.tag == "NAD" and len(seg.elements) > 3 else ""
        if isinstance(name, list) and len(name) > NAME_PARTS:
            size = len("".join(name))
            found.append(
                (
                    index,
                    f"the name has {size} characters, at most {NAME_PARTS * NAME_WIDTH} fit "
                    f"(C080: {NAME_PARTS} × {NAME_WIDTH})",
                )
            )
        for element in seg.elements:
            for text in element if isinstance(element, list) else [element]:
                control = _CONTROL.search(text)
                if control is not None:
                    code = f"U+{ord(control.group()):04X}"
                    found.append((index, f"{text!r} holds the control character {code}"))
    return [f"{_field(segments, index)}: {text}" for index, text in sorted(found)]


def _uncut(seg: Segment) -> str | None:
    """Why free text (``FTX+AAA``) could not be cut into lines that read back as it was."""
    if seg.tag != "FTX" or len(seg.elements) < 4 or seg.elements[0] != "AAA":
        return None
    lines = seg.elements[3] if isinstance(seg.elements[3], list) else [seg.elements[3]]
    return next(filter(None, map(uncut, lines)), None)


def _field(segments: list[Segment], index: int) -> str:
    """The field segment ``index`` carries, its item or line, and the segment as written."""
    seg = segments[index]
    qualifier = seg.elements[0] if seg.elements else ""
    if isinstance(qualifier, list):
        qualifier = qualifier[0] if qualifier else ""
    name = FIELDS.get((seg.tag, qualifier)) or FIELDS.get((seg.tag, None)) or seg.tag
    owner = next((s for s in reversed(segments[: index + 1]) if s.tag in ("CST", "CNI")), None)
    if owner is not None and owner.elements and owner.elements[0]:
        first = owner.elements[0]
        name = f"{'item' if owner.tag == 'CST' else 'line'} {first}: {name}"
    written = Serializer(CHARACTERS).serialize([seg], with_una_header=False).rstrip("'\n")
    shown = _CONTROL.sub(lambda control: f"\\x{ord(control.group()):02x}", written)
    return f"{name} ({shown[:60]}{'…' if len(shown) > 60 else ''})"


def _references(messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> list[str]:
    """Each message's UNH reference, none repeated in the interchange: a message whose id (or
    its short form) an earlier one has gets the next free ``#<n>`` form of it."""
    used: set[str] = set()
    out: list[str] = []
    for message in messages:
        repeat = 0
        while (ref := message_reference(message.message_id, repeat)) in used:
            repeat += 1
        used.add(ref)
        out.append(ref)
    return out


def _names(messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> list[str | None]:
    """How a refusal names each message: by its id, and where messages share an id, also by its
    place among them (``BE-1 (message 2 of 3)``), so that the one meant is clear."""
    counts = Counter(message.message_id for message in messages)
    return [
        f"{message.message_id} (message {place} of {len(messages)})"
        if counts[message.message_id] > 1
        else None
        for place, message in enumerate(messages, start=1)
    ]


def write(message: BillOfEntry | ImportGeneralManifest) -> bytes:
    """One interchange holding the message as CUSDEC D:96B or CUSCAR D:95B."""
    return write_all([message])


def write_all(messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> bytes:
    """One interchange holding every message; dated and referenced by the first. A message that
    cannot be written is a ``ValueError`` naming every such message and why."""
    references = iter(_references(messages))
    names = iter(_names(messages))
    rendered = written_each(
        messages, lambda message: _rendered(message, next(references), next(names))
    )
    return interchange(
        [body for body, _ in rendered], rendered[0][1], control_reference(messages[0].message_id)
    )
