"""Read customs-engine ICEGATE-style XML safely into the canonical model.

Safety: a DOCTYPE is refused — found in the raw bytes before parsing, or, in any other encoding
(UTF-16, UTF-32), reported by lxml after decoding; no DTD is loaded, no entity is expanded,
nothing is fetched from the network, files above :data:`MAX_BYTES` are refused, and lxml's own
limits on depth and text size stay on (``huge_tree`` off). Every message is validated against the
shipped XSD; schema errors become ``CORE-SYNTAX-003`` (structure) or ``-005`` (a value's format)
findings naming the line and column of the element they are about; XML that is not well-formed
is ``CORE-SYNTAX-001``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from lxml import etree
from pydantic import ValidationError

from customs_engine.adapters.icegate_xml import FORMAT
from customs_engine.adapters.icegate_xml.positions import StartTags
from customs_engine.core.formats import (
    ParsedMessage,
    SyntaxKind,
    refusals,
    syntax_finding,
    unparsable,
)
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.response import Finding, MessageType

NAMESPACE = "urn:customs-engine:icegate:v1"
NS = f"{{{NAMESPACE}}}"
SCHEMA_FILE = "customs-engine-icegate-v1.xsd"
MAX_BYTES = int(os.environ.get("CUSTOMS_ENGINE_MAX_XML_BYTES", 32 * 1024 * 1024))

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def schema() -> etree.XMLSchema:
    """The shipped XSD, compiled once per thread: a validator keeps its error log on itself, so
    one shared by threads (``customs serve`` checks requests in a thread pool) validated two
    documents at once into one log, and the server process died ("double free or corruption")."""
    validator: etree.XMLSchema | None = getattr(_local, "schema", None)
    if validator is None:
        document = etree.fromstring(_schema_bytes(), _safe_parser())
        validator = _local.schema = etree.XMLSchema(document)
    return validator


@cache
def _schema_bytes() -> bytes:
    """The XSD as shipped, read once per process (each thread parses and compiles its own)."""
    path = resources.files("customs_engine.adapters.icegate_xml") / "schema" / SCHEMA_FILE
    return path.read_bytes()


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        # a comment inside a value (<Quantity>6<!-- -->00</Quantity>) is not part of it: the
        # schema validates 600, and .text would stop at the comment (6)
        remove_comments=True,
    )


_local = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser, built once (an lxml parser is not shared between threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _safe_parser()
    return parser


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _decoded_position(data: bytes, encoding: str | None) -> tuple[int, int]:
    """Where the DOCTYPE starts in a document the byte scan could not read (UTF-16, UTF-32)."""
    try:
        text = data.decode(encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return 1, 1
    match = re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE)
    if match is None:
        return 1, 1
    line = text.count("\n", 0, match.start()) + 1
    return line, match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1


def read(data: bytes, source: str) -> list[ParsedMessage]:
    if len(data) > MAX_BYTES:
        return [
            unparsable(
                FORMAT,
                f"file is {len(data)} bytes, above the {MAX_BYTES}-byte bound for XML messages",
                line=1,
                column=1,
            )
        ]
    doctype = _DOCTYPE.search(data)
    if doctype:
        line, column = _position(data, doctype.start())
        return [
            unparsable(
                FORMAT,
                "DOCTYPE and ENTITY declarations are not allowed (DTDs are "
                "never loaded and entities never expanded)",
                line=line,
                column=column,
            )
        ]
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        at: tuple[int | None, int | None] = exc.position or (None, None)
        said = _PLACE_SUFFIX.sub("", str(exc.msg))  # the place leads the finding already
        return [unparsable(FORMAT, f"XML not well-formed: {said}", line=at[0], column=at[1])]
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        return [unparsable(FORMAT, f"XML not readable: {exc}", line=1, column=1)]
    # The byte scan above misses a DOCTYPE in UTF-16 or UTF-32: ask the parser, which decoded
    # the document (with no DTD loaded and no entity resolved).
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        line, column = _decoded_position(data, docinfo.encoding)
        return [
            unparsable(
                FORMAT,
                "DOCTYPE and ENTITY declarations are not allowed (DTDs are "
                "never loaded and entities never expanded)",
                line=line,
                column=column,
            )
        ]

    # where failures are: the text decoded only if a message fails, and then once
    tags = StartTags(root, lambda: data.decode(docinfo.encoding or "utf-8", "replace"))
    if root.tag == f"{NS}Messages":
        children = [child for child in root if isinstance(child.tag, str)]
        if not children:
            [place] = tags.place([root])
            where = place or (root.sourceline, None)
            return [
                unparsable(FORMAT, "<Messages> holds no message", line=where[0], column=where[1])
            ]
        return [_read_message(child, index, tags) for index, child in enumerate(children)]
    return [_read_message(root, 0, tags)]


_KINDS: dict[str, MessageType] = {
    "BillOfEntry": "bill_of_entry",
    "ImportGeneralManifest": "manifest",
}


def _read_message(element: etree._Element, index: int, tags: StartTags) -> ParsedMessage:
    reference = element.get("messageId")
    name = etree.QName(element).localname if isinstance(element.tag, str) else "?"
    kind: MessageType | None = _KINDS.get(name)
    if etree.QName(element).namespace != NAMESPACE or kind is None:
        [place] = tags.place([element])
        line, column = place or (element.sourceline, None)
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=reference,
            findings=[
                syntax_finding(
                    f"<{element.tag}> is not a message of {NAMESPACE} (expected "
                    "BillOfEntry or ImportGeneralManifest)",
                    kind="version",
                    line=line,
                    column=column,
                )
            ],
        )
    validator = schema()
    if not validator.validate(element):
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=reference,
            findings=_schema_findings(element, validator.error_log, tags),
        )
    missing = _goods_missing(element, tags) if kind == "bill_of_entry" else []
    if missing:
        return ParsedMessage(
            index=index, format=FORMAT, type="unknown", reference=reference, findings=missing
        )
    try:
        message = _to_bill_of_entry(element) if kind == "bill_of_entry" else _to_manifest(element)
    except (ValidationError, ValueError) as exc:
        [place] = tags.place([element])
        line, column = place or (element.sourceline, None)
        why = refusals(exc) if isinstance(exc, ValidationError) else str(exc)
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=reference,
            findings=[
                syntax_finding(f"not a valid {name}: {why}", kind="value", line=line, column=column)
            ],
        )
    return ParsedMessage(
        index=index, format=FORMAT, type=kind, reference=reference, message=message
    )


def _goods_missing(element: etree._Element, tags: StartTags) -> list[Finding]:
    """An original Bill of Entry declares goods: at least one ``Item``, each with its ``Value``
    or its ``ForeignValue``. (The schema lets both go, for the amendments and cancellations of
    ICES flat files, which carry only the records they change.)"""
    if (element.get("function") or "original") != "original":
        return []
    items = element.find(f"{NS}Items")
    lines = [] if items is None else items.findall(f"{NS}Item")
    if items is not None and not lines:
        [place] = tags.place([items])
        line, column = place or (items.sourceline, None)
        return [
            syntax_finding(
                "<Items> holds no <Item>: an original Bill of Entry declares at least one item",
                kind="structure",
                line=line,
                column=column,
            )
        ]
    unvalued = [
        (index, item)
        for index, item in enumerate(lines)
        if item.find(f"{NS}Value") is None and item.find(f"{NS}ForeignValue") is None
    ]
    places = tags.place([item for _, item in unvalued]) if unvalued else []
    findings = []
    for (index, item), place in zip(unvalued, places, strict=True):
        line, column = place or (item.sourceline, None)
        number = item.get("number")
        findings.append(
            syntax_finding(
                f'<Item number="{number}"> has neither <Value> nor <ForeignValue>: an item '
                "of an original Bill of Entry states its value",
                kind="structure",
                line=line,
                column=column,
                item=int(number) if number and number.isdigit() else None,
                field=f"items[{index}].value_inr",
            )
        )
    return findings


#: libxml2 schema errors about a value (datatype, facet, enumeration), not the tree's structure
_VALUE_ERRORS = (
    "DATATYPE",
    "FACET",
    "ENUMERATION",
    "PATTERN",
    "LENGTH",
    "INCLUSIVE",
    "EXCLUSIVE",
    "DIGITS",
    "VALUE",
)


#: lxml's ", line L, column C" at the end of a parse error's message
_PLACE_SUFFIX = re.compile(r",? line \d+, column \d+$")
#: schema errors reported per message
MAX_SCHEMA_ERRORS = 50
#: libxml2's note on a uniqueness constraint whose field failed its type: not a fault of its own
_FOLLOW_ON = "No precomputed value available"


def _schema_findings(
    element: etree._Element, errors: Iterable[Any], tags: StartTags
) -> list[Finding]:
    """One finding per schema error, placed at the start tag of the element it is about
    (libxml2 names its line and path, not its column), else at the line libxml2 names."""
    # an identity constraint (one item per number) on a value already refused for its type
    # warns that it has no value to compare: the value's own error says it all
    errors = [error for error in errors if _FOLLOW_ON not in str(error.message)][:MAX_SCHEMA_ERRORS]
    nodes = [_node_at(element, str(error.path or "")) for error in errors]
    found = [node for node in nodes if node is not None]
    places = dict(zip(map(id, found), tags.place(found), strict=True))
    findings = []
    for error, node in zip(errors, nodes, strict=True):
        place = places.get(id(node)) if node is not None else None
        line, column = place or (error.line or None, error.column or None)
        findings.append(
            syntax_finding(
                f"schema: {error.message}", kind=_schema_kind(error), line=line, column=column
            )
        )
    return findings


def _node_at(element: etree._Element, path: str) -> etree._Element | None:
    """The element a libxml2 node path names (``/*/*[2]``: lxml validates a message as the root
    of a document of its own, so the path's first step is ``element`` itself)."""
    if not path.startswith("/"):
        return None
    below = path.split("/")[2:]
    if not below:
        return element
    namespaces = tuple((prefix, uri) for prefix, uri in element.nsmap.items() if prefix)
    try:
        found = _xpath("./" + "/".join(below), namespaces, threading.get_ident())(element)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


@lru_cache(maxsize=256)
def _xpath(path: str, namespaces: tuple[tuple[str, str], ...], thread: int) -> etree.XPath:
    """A node path compiled once per thread (the messages of one file fail at the same paths;
    a compiled XPath, like a schema, is not evaluated by two threads at once)."""
    return etree.XPath(path, namespaces=dict(namespaces))


def _schema_kind(error: Any) -> SyntaxKind:
    """A schema error about a value's format (CORE-SYNTAX-005) or the structure (-003)."""
    name = str(getattr(error, "type_name", ""))
    return "value" if any(part in name for part in _VALUE_ERRORS) else "structure"


# -- element → model ---------------------------------------------------------------------------
#
# Only elements the schema accepted get here. Each element's children are read in one pass against
# a table of the children wanted (the first of each tag counts, as ``find`` would return; a
# repeated one such as Licence is collected in order); values are converted afterwards in the
# order of the model's fields, so the first value that cannot be converted is the one reported.

#: XML's white space, which the schema's tokens collapse (a no-break space is text)
_SPACE = " \t\n\r"

#: how a child is taken: its text stripped (``None`` when it has no text), the element itself,
#: every child of that tag, in order, or its text as written (free text, ``xs:string``: spaces at
#: its ends are part of it, as EDIFACT and the writer keep them)
_TEXT, _NODE, _EACH, _FREE = 0, 1, 2, 3

#: child tag (namespaced) → (key, how it is taken)
Fields = dict[Any, tuple[str, int]]


def _table(**children: int) -> Fields:
    """``Name=how`` for each child wanted; the key is the child's name."""
    return {NS + name: (name, how) for name, how in children.items()}


def _fields(element: etree._Element, table: Fields) -> dict[str, Any]:
    """The children of ``element`` that ``table`` names, by name, in one pass over them."""
    found: dict[str, Any] = {}
    for child in element:
        wanted = table.get(child.tag)
        if wanted is None:
            continue  # a comment, or a child not mapped
        key, how = wanted
        if how == _EACH:
            if key in found:
                found[key].append(child)
            else:
                found[key] = [child]
        elif key in found:
            continue
        elif how == _NODE:
            found[key] = child
        else:
            text = child.text
            found[key] = text if text is None or how == _FREE else text.strip(_SPACE)
    return found


def _typed(value: str | None, convert: Callable[[str], Any]) -> Any:
    return None if value is None else convert(value)


def _xs_date(text: str) -> date:
    """An ``xs:date``: its calendar date; a timezone it may carry (``Z``, ``+05:30``) does not
    move the day it names."""
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "Z+-" else text)
    except ValueError:
        raise ValueError(f"{text!r} is no date the engine reads: {_YEARS}") from None


def _xs_datetime(text: str) -> datetime:
    """An ``xs:dateTime``; ``24:00:00`` is the first instant of the next day (XML Schema 1.0)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if "T24:00:00" not in text:
            raise ValueError(f"{text!r} is no date-time the engine reads: {_YEARS}") from None
        return datetime.fromisoformat(text.replace("T24:00:00", "T00:00:00")) + timedelta(days=1)


#: what the schema's dates allow and the engine does not (a year of five digits, a negative one)
_YEARS = "its year must have four digits, from 1950 to 2199"


def _bool(text: str) -> bool:
    return text.strip(_SPACE) in ("true", "1")


def _attr(element: etree._Element, name: str, convert: Callable[[str], Any] = str) -> Any:
    """An attribute's value without the white space around it (every attribute is a token or a
    code, whose value the schema reads that way)."""
    value = element.get(name)
    return None if value is None else convert(value.strip(_SPACE))


_BOE = _table(
    PortCode=_TEXT,
    Type=_TEXT,
    Number=_TEXT,
    PresentedAt=_TEXT,
    Prior=_TEXT,
    Mode=_TEXT,
    Importer=_NODE,
    Broker=_TEXT,
    Manifest=_NODE,
    ExpectedArrival=_TEXT,
    ArrivedAt=_TEXT,
    ConsignedFrom=_TEXT,
    PortOfLoading=_TEXT,
    ExBondOf=_TEXT,
    Items=_EACH,
)
_IMPORTER = _table(IEC=_TEXT, GSTIN=_TEXT, PAN=_TEXT, Name=_FREE, Category=_TEXT, UnitType=_TEXT)
_MANIFEST_REFERENCE = _table(
    IGMNumber=_TEXT, IGMDate=_TEXT, Line=_TEXT, SubLine=_TEXT, BLNumber=_TEXT, BLDate=_TEXT
)
_ITEMS = _table(Item=_EACH)
_ITEM = _table(
    HSCode=_TEXT,
    Description=_FREE,
    ProductCategory=_TEXT,
    Purpose=_TEXT,
    Quantity=_NODE,
    Value=_TEXT,
    ForeignValue=_NODE,
    CountryOfOrigin=_TEXT,
    ScrapForm=_TEXT,
    SelfCertified=_TEXT,
    Licence=_EACH,
    Certificate=_EACH,
)


def _to_bill_of_entry(element: etree._Element) -> BillOfEntry:
    root = _fields(element, _BOE)
    importer_node = root.get("Importer")
    assert importer_node is not None  # the schema requires it
    importer = _fields(importer_node, _IMPORTER)
    manifest_node = root.get("Manifest")
    manifest = None if manifest_node is None else _fields(manifest_node, _MANIFEST_REFERENCE)
    return BillOfEntry.model_validate(
        dict(  # raw text: the model converts and checks it
            message_id=element.get("messageId"),
            function=element.get("function", "original"),
            port_code=root.get("PortCode"),
            type=root.get("Type"),
            number=root.get("Number"),
            presented_at=_typed(root.get("PresentedAt"), _xs_datetime),
            prior=_typed(root.get("Prior"), _bool) or False,
            mode=root.get("Mode"),
            importer={
                "iec": importer.get("IEC"),
                "gstin": importer.get("GSTIN"),
                "pan": importer.get("PAN"),
                "name": importer.get("Name"),
                "category": importer.get("Category"),
                "unit_type": importer.get("UnitType"),
            },
            broker=root.get("Broker"),
            manifest=None
            if manifest is None
            else {
                "igm_number": manifest.get("IGMNumber"),
                "igm_date": _typed(manifest.get("IGMDate"), _xs_date),
                "line": _typed(manifest.get("Line"), int),
                "subline": _typed(manifest.get("SubLine"), int),
                "bl_number": manifest.get("BLNumber"),
                "bl_date": _typed(manifest.get("BLDate"), _xs_date),
            },
            expected_arrival=_typed(root.get("ExpectedArrival"), _xs_date),
            arrived_at=_typed(root.get("ArrivedAt"), _xs_datetime),
            consigned_from=root.get("ConsignedFrom"),
            port_of_loading=root.get("PortOfLoading"),
            ex_bond_of=root.get("ExBondOf"),
            items=[
                _to_item(item)
                for items in root.get("Items", ())
                for item in _fields(items, _ITEMS).get("Item", ())
            ],
        )
    )


def _to_item(element: etree._Element) -> dict[str, Any]:
    item = _fields(element, _ITEM)
    quantity = item.get("Quantity")
    foreign = item.get("ForeignValue")
    assert quantity is not None
    return {
        "number": int(element.get("number")),
        "hs_code": item.get("HSCode"),
        "description": item.get("Description"),
        "product_category": item.get("ProductCategory"),
        "purpose": item.get("Purpose") or "COMMERCIAL",
        "quantity": Decimal((quantity.text or "").strip(_SPACE)),
        "unit": _attr(quantity, "unit"),
        "value_inr": _typed(item.get("Value"), Decimal),
        "foreign_value": None
        if foreign is None
        else {
            "amount": Decimal((foreign.text or "").strip(_SPACE)),
            "currency": _attr(foreign, "currency"),
            "rate": _attr(foreign, "rate", Decimal),
        },
        "country_of_origin": item.get("CountryOfOrigin"),
        "scrap_form": item.get("ScrapForm"),
        "self_certified": _typed(item.get("SelfCertified"), _bool) or False,
        "licences": [
            {
                "scheme": _attr(lic, "scheme"),
                "number": _attr(lic, "number"),
                "issued_on": _attr(lic, "issuedOn", _xs_date),
                "expires_on": _attr(lic, "expiresOn", _xs_date),
            }
            for lic in item.get("Licence", ())
        ],
        "certificates": [
            {
                "type": _attr(cert, "type"),
                "number": _attr(cert, "number"),
                "issued_on": _attr(cert, "issuedOn", _xs_date),
                "agency": _attr(cert, "agency"),
                "background_usvh": _attr(cert, "backgroundUsvh", Decimal),
                "max_usvh": _attr(cert, "maxUsvh", Decimal),
                "no_radioactive": _attr(cert, "noRadioactive", _bool),
                "no_explosives": _attr(cert, "noExplosives", _bool),
            }
            for cert in item.get("Certificate", ())
        ],
    }


_IGM = _table(
    PortCode=_TEXT,
    IGMNumber=_TEXT,
    IGMDate=_TEXT,
    FiledAt=_TEXT,
    Conveyance=_TEXT,
    Voyage=_TEXT,
    VesselName=_FREE,
    Carrier=_TEXT,
    ExpectedArrival=_TEXT,
    ArrivedAt=_TEXT,
    EntryInwardsAt=_TEXT,
    LastPortOfCall=_TEXT,
    Lines=_EACH,
)
_LINES = _table(Line=_EACH)
_LINE = _table(
    BLNumber=_TEXT,
    BLDate=_TEXT,
    ConsigneeName=_FREE,
    ConsigneeIEC=_TEXT,
    Packages=_NODE,
    GrossWeightKg=_TEXT,
    Description=_FREE,
    CargoMovement=_TEXT,
    GoodsItems=_EACH,
)
_GOODS_ITEMS = _table(GoodsItem=_EACH)
_GOODS_ITEM = _table(Packages=_NODE, GrossWeightKg=_TEXT, Description=_FREE, HSCode=_TEXT)


def _goods_fields(node: dict[str, Any]) -> dict[str, Any]:
    """Packages (count and kind), gross weight and description of a line or goods item."""
    packages = node.get("Packages")
    count = None if packages is None else (packages.text or "").strip(_SPACE)
    return {
        "packages": int(count) if count else None,
        "package_kind": None if packages is None else _attr(packages, "kind"),
        "gross_weight_kg": _typed(node.get("GrossWeightKg"), Decimal),
        "description": node.get("Description"),
    }


def _to_manifest(element: etree._Element) -> ImportGeneralManifest:
    root = _fields(element, _IGM)
    lines = []
    for lines_node in root.get("Lines", ()):
        for line_node in _fields(lines_node, _LINES).get("Line", ()):
            line = _fields(line_node, _LINE)
            goods = [
                _fields(goods_node, _GOODS_ITEM)
                for goods_items in line.get("GoodsItems", ())
                for goods_node in _fields(goods_items, _GOODS_ITEMS).get("GoodsItem", ())
            ]
            lines.append(
                {
                    "line": int(line_node.get("number")),
                    "subline": int(line_node.get("subline", "0")),
                    "bl_number": line.get("BLNumber"),
                    "bl_date": _typed(line.get("BLDate"), _xs_date),
                    "consignee_name": line.get("ConsigneeName"),
                    "consignee_iec": line.get("ConsigneeIEC"),
                    **_goods_fields(line),
                    "cargo_movement": line.get("CargoMovement"),
                    "goods_items": [
                        {**_goods_fields(goods_item), "hs_code": goods_item.get("HSCode")}
                        for goods_item in goods
                    ],
                }
            )
    return ImportGeneralManifest.model_validate(
        dict(
            message_id=element.get("messageId"),
            function=element.get("function", "original"),
            port_code=root.get("PortCode"),
            igm_number=root.get("IGMNumber"),
            igm_date=_typed(root.get("IGMDate"), _xs_date),
            filed_at=_typed(root.get("FiledAt"), _xs_datetime),
            conveyance=root.get("Conveyance"),
            voyage=root.get("Voyage"),
            vessel_name=root.get("VesselName"),
            carrier=root.get("Carrier"),
            expected_arrival=_typed(root.get("ExpectedArrival"), _xs_datetime),
            arrived_at=_typed(root.get("ArrivedAt"), _xs_datetime),
            entry_inwards_at=_typed(root.get("EntryInwardsAt"), _xs_datetime),
            last_port_of_call=root.get("LastPortOfCall"),
            lines=lines,
        )
    )
