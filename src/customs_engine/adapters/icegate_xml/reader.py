"""Read customs-engine ICEGATE-style XML safely into the canonical model.

Safety: a DOCTYPE is refused — found in the raw bytes before parsing, or, in any other encoding
(UTF-16, UTF-32), reported by lxml after decoding; no DTD is loaded, no entity is expanded,
nothing is fetched from the network, files above :data:`MAX_BYTES` are refused, and lxml's own
limits on depth and text size stay on (``huge_tree`` off). Every message is validated against the
shipped XSD; schema errors become ``CORE-SYNTAX-003`` (structure) or ``-005`` (a value's format)
findings naming the line; XML that is not well-formed is ``CORE-SYNTAX-001``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree
from pydantic import ValidationError

from customs_engine.core.formats import ParsedMessage, SyntaxKind, syntax_finding, unparsable
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.response import MessageType

FORMAT = "icegate_xml"
NAMESPACE = "urn:customs-engine:icegate:v1"
NS = f"{{{NAMESPACE}}}"
SCHEMA_FILE = "customs-engine-icegate-v1.xsd"
MAX_BYTES = int(os.environ.get("CUSTOMS_ENGINE_MAX_XML_BYTES", 32 * 1024 * 1024))

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@cache
def schema() -> etree.XMLSchema:
    """The shipped XSD (read once per process)."""
    path = resources.files("customs_engine.adapters.icegate_xml") / "schema" / SCHEMA_FILE
    with path.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle, _safe_parser()))


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


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
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        at: tuple[int | None, int | None] = exc.position or (None, None)
        return [unparsable(FORMAT, f"XML not well-formed: {exc.msg}", line=at[0], column=at[1])]
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

    if root.tag == f"{NS}Messages":
        children = [child for child in root if isinstance(child.tag, str)]
        if not children:
            return [unparsable(FORMAT, "<Messages> holds no message", line=root.sourceline)]
        return [_read_message(child, index) for index, child in enumerate(children)]
    return [_read_message(root, 0)]


_KINDS: dict[str, MessageType] = {
    "BillOfEntry": "bill_of_entry",
    "ImportGeneralManifest": "manifest",
}


def _read_message(element: etree._Element, index: int) -> ParsedMessage:
    reference = element.get("messageId")
    name = etree.QName(element).localname if isinstance(element.tag, str) else "?"
    kind: MessageType | None = _KINDS.get(name)
    if etree.QName(element).namespace != NAMESPACE or kind is None:
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
                    line=element.sourceline,
                )
            ],
        )
    validator = schema()
    if not validator.validate(element):
        findings = [
            syntax_finding(
                f"schema: {error.message}",
                kind=_schema_kind(error),
                line=error.line or None,
                column=error.column or None,
            )
            for error in validator.error_log
        ]
        return ParsedMessage(
            index=index, format=FORMAT, type="unknown", reference=reference, findings=findings[:50]
        )
    try:
        message = _to_bill_of_entry(element) if kind == "bill_of_entry" else _to_manifest(element)
    except (ValidationError, ValueError) as exc:
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=reference,
            findings=[
                syntax_finding(f"not a valid {name}: {exc}", kind="value", line=element.sourceline)
            ],
        )
    return ParsedMessage(
        index=index, format=FORMAT, type=kind, reference=reference, message=message
    )


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


def _schema_kind(error: Any) -> SyntaxKind:
    """A schema error about a value's format (CORE-SYNTAX-005) or the structure (-003)."""
    name = str(getattr(error, "type_name", ""))
    return "value" if any(part in name for part in _VALUE_ERRORS) else "structure"


# -- element → model ---------------------------------------------------------------------------


#: an element's child elements by tag, the first of each tag (what ``find`` would return)
Children = dict[Any, etree._Element]


def _children(parent: etree._Element) -> Children:
    """One pass over ``parent``'s children instead of a ``find`` per field."""
    out: Children = {}
    for child in parent:
        out.setdefault(child.tag, child)
    return out


def _child(children: Children, name: str) -> etree._Element | None:
    return children.get(NS + name)


def _text(children: Children, name: str) -> str | None:
    node = children.get(NS + name)
    if node is None:
        return None
    text = node.text
    return None if text is None else text.strip()


def _typed(children: Children, name: str, convert: Callable[[str], Any]) -> Any:
    value = _text(children, name)
    return None if value is None else convert(value)


def _bool(text: str) -> bool:
    return text.strip() in ("true", "1")


def _attr(element: etree._Element, name: str, convert: Callable[[str], Any] = str) -> Any:
    value = element.get(name)
    return None if value is None else convert(value.strip())


def _to_bill_of_entry(element: etree._Element) -> BillOfEntry:
    root = _children(element)
    importer_node = _child(root, "Importer")
    assert importer_node is not None  # the schema requires it
    importer = _children(importer_node)
    manifest_node = _child(root, "Manifest")
    manifest = None if manifest_node is None else _children(manifest_node)
    return BillOfEntry.model_validate(
        dict(  # raw text: the model converts and checks it
            message_id=element.get("messageId"),
            function=element.get("function", "original"),
            port_code=_text(root, "PortCode"),
            type=_text(root, "Type"),
            number=_text(root, "Number"),
            presented_at=_typed(root, "PresentedAt", datetime.fromisoformat),
            prior=_typed(root, "Prior", _bool) or False,
            mode=_text(root, "Mode"),
            importer={
                "iec": _text(importer, "IEC"),
                "gstin": _text(importer, "GSTIN"),
                "pan": _text(importer, "PAN"),
                "name": _text(importer, "Name"),
                "category": _text(importer, "Category"),
                "unit_type": _text(importer, "UnitType"),
            },
            broker=_text(root, "Broker"),
            manifest=None
            if manifest is None
            else {
                "igm_number": _text(manifest, "IGMNumber"),
                "igm_date": _typed(manifest, "IGMDate", date.fromisoformat),
                "line": _typed(manifest, "Line", int),
                "subline": _typed(manifest, "SubLine", int),
                "bl_number": _text(manifest, "BLNumber"),
                "bl_date": _typed(manifest, "BLDate", date.fromisoformat),
            },
            expected_arrival=_typed(root, "ExpectedArrival", date.fromisoformat),
            arrived_at=_typed(root, "ArrivedAt", datetime.fromisoformat),
            consigned_from=_text(root, "ConsignedFrom"),
            port_of_loading=_text(root, "PortOfLoading"),
            ex_bond_of=_text(root, "ExBondOf"),
            items=[_to_item(item) for item in element.iterfind(f"{NS}Items/{NS}Item")],
        )
    )


def _to_item(element: etree._Element) -> dict[str, Any]:
    item = _children(element)
    quantity = _child(item, "Quantity")
    foreign = _child(item, "ForeignValue")
    assert quantity is not None
    return {
        "number": int(element.get("number")),
        "hs_code": _text(item, "HSCode"),
        "description": _text(item, "Description"),
        "product_category": _text(item, "ProductCategory"),
        "purpose": _text(item, "Purpose") or "COMMERCIAL",
        "quantity": Decimal((quantity.text or "").strip()),
        "unit": quantity.get("unit"),
        "value_inr": _typed(item, "Value", Decimal),
        "foreign_value": None
        if foreign is None
        else {
            "amount": Decimal((foreign.text or "").strip()),
            "currency": foreign.get("currency"),
            "rate": _attr(foreign, "rate", Decimal),
        },
        "country_of_origin": _text(item, "CountryOfOrigin"),
        "scrap_form": _text(item, "ScrapForm"),
        "self_certified": _typed(item, "SelfCertified", _bool) or False,
        "licences": [
            {
                "scheme": lic.get("scheme"),
                "number": lic.get("number"),
                "issued_on": _attr(lic, "issuedOn", date.fromisoformat),
                "expires_on": _attr(lic, "expiresOn", date.fromisoformat),
            }
            for lic in element.iterfind(f"{NS}Licence")
        ],
        "certificates": [
            {
                "type": cert.get("type"),
                "number": cert.get("number"),
                "issued_on": _attr(cert, "issuedOn", date.fromisoformat),
                "agency": cert.get("agency"),
                "background_usvh": _attr(cert, "backgroundUsvh", Decimal),
                "max_usvh": _attr(cert, "maxUsvh", Decimal),
                "no_radioactive": _attr(cert, "noRadioactive", _bool),
                "no_explosives": _attr(cert, "noExplosives", _bool),
            }
            for cert in element.iterfind(f"{NS}Certificate")
        ],
    }


def _goods_fields(node: Children) -> dict[str, Any]:
    """Packages (count and kind), gross weight and description of a line or goods item."""
    packages = _child(node, "Packages")
    count = None if packages is None else (packages.text or "").strip()
    return {
        "packages": int(count) if count else None,
        "package_kind": None if packages is None else packages.get("kind"),
        "gross_weight_kg": _typed(node, "GrossWeightKg", Decimal),
        "description": _text(node, "Description"),
    }


def _to_manifest(element: etree._Element) -> ImportGeneralManifest:
    root = _children(element)
    lines = []
    for line_node in element.iterfind(f"{NS}Lines/{NS}Line"):
        line = _children(line_node)
        lines.append(
            {
                "line": int(line_node.get("number")),
                "subline": int(line_node.get("subline", "0")),
                "bl_number": _text(line, "BLNumber"),
                "bl_date": _typed(line, "BLDate", date.fromisoformat),
                "consignee_name": _text(line, "ConsigneeName"),
                "consignee_iec": _text(line, "ConsigneeIEC"),
                **_goods_fields(line),
                "cargo_movement": _text(line, "CargoMovement"),
                "goods_items": [
                    {**_goods_fields(goods), "hs_code": _text(goods, "HSCode")}
                    for goods in map(_children, line_node.iterfind(f"{NS}GoodsItems/{NS}GoodsItem"))
                ],
            }
        )
    return ImportGeneralManifest.model_validate(
        dict(
            message_id=element.get("messageId"),
            function=element.get("function", "original"),
            port_code=_text(root, "PortCode"),
            igm_number=_text(root, "IGMNumber"),
            igm_date=_typed(root, "IGMDate", date.fromisoformat),
            filed_at=_typed(root, "FiledAt", datetime.fromisoformat),
            conveyance=_text(root, "Conveyance"),
            voyage=_text(root, "Voyage"),
            vessel_name=_text(root, "VesselName"),
            carrier=_text(root, "Carrier"),
            expected_arrival=_typed(root, "ExpectedArrival", datetime.fromisoformat),
            arrived_at=_typed(root, "ArrivedAt", datetime.fromisoformat),
            entry_inwards_at=_typed(root, "EntryInwardsAt", datetime.fromisoformat),
            last_port_of_call=_text(root, "LastPortOfCall"),
            lines=lines,
        )
    )
