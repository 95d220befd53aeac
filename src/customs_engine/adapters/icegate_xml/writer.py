"""Write canonical messages as customs-engine ICEGATE-style XML (the inverse of ``reader``).

What is written always passes the shipped XSD: each message of the document is validated against
it (as the reader does), and a message that fails — or holds a character XML cannot carry — is a
``ValueError`` naming the message and, for each schema error, its line in the document and the
schema's message (element and value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from customs_engine.adapters.icegate_xml.reader import NAMESPACE, NS, schema
from customs_engine.core.formats import written_each
from customs_engine.core.models import (
    BillOfEntry,
    GoodsItem,
    ImportGeneralManifest,
    Item,
    ManifestLine,
)


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(getattr(value, "value", value))


def _add(
    parent: etree._Element, name: str, value: object, **attrs: object
) -> etree._Element | None:
    if value is None:
        return None
    node = etree.SubElement(parent, f"{NS}{name}")
    text = _format(value)
    try:
        node.text = text
    except ValueError as exc:  # lxml refuses control characters and the like
        raise ValueError(f"<{name}> {text!r} holds a character XML cannot carry") from exc
    _attrs(node, attrs.items())
    return node


def _attrs(node: etree._Element, pairs: Iterable[tuple[str, object]]) -> None:
    for key, value in pairs:
        if value is not None:
            text = _format(value)
            try:
                node.set(key, text)
            except ValueError as exc:
                raise ValueError(
                    f"<{etree.QName(node).localname} {key}> {text!r} holds a character XML "
                    "cannot carry"
                ) from exc


def bill_of_entry_element(boe: BillOfEntry) -> etree._Element:
    root = etree.Element(f"{NS}BillOfEntry", nsmap={None: NAMESPACE})
    _attrs(root, [("messageId", boe.message_id), ("function", boe.function)])
    _add(root, "PortCode", boe.port_code)
    _add(root, "Type", boe.type)
    _add(root, "Number", boe.number)
    _add(root, "PresentedAt", boe.presented_at)
    _add(root, "Prior", boe.prior)
    _add(root, "Mode", boe.mode)
    importer = etree.SubElement(root, f"{NS}Importer")
    imp = boe.importer
    for name, value in (
        ("IEC", imp.iec),
        ("GSTIN", imp.gstin),
        ("PAN", imp.pan),
        ("Name", imp.name),
        ("Category", imp.category),
        ("UnitType", imp.unit_type),
    ):
        _add(importer, name, value)
    _add(root, "Broker", boe.broker)
    if boe.manifest is not None:
        ref = boe.manifest
        manifest = etree.SubElement(root, f"{NS}Manifest")
        fields: tuple[tuple[str, object], ...] = (
            ("IGMNumber", ref.igm_number),
            ("IGMDate", ref.igm_date),
            ("Line", ref.line),
            ("SubLine", ref.subline),
            ("BLNumber", ref.bl_number),
            ("BLDate", ref.bl_date),
        )
        for tag, content in fields:
            _add(manifest, tag, content)
    _add(root, "ExpectedArrival", boe.expected_arrival)
    _add(root, "ArrivedAt", boe.arrived_at)
    _add(root, "ConsignedFrom", boe.consigned_from)
    _add(root, "PortOfLoading", boe.port_of_loading)
    _add(root, "ExBondOf", boe.ex_bond_of)
    items = etree.SubElement(root, f"{NS}Items")
    for item in boe.items:
        _item(items, item)
    return root


def _item(parent: etree._Element, item: Item) -> None:
    node = etree.SubElement(parent, f"{NS}Item")
    node.set("number", str(item.number))
    _add(node, "HSCode", item.hs_code)
    _add(node, "Description", item.description)
    _add(node, "ProductCategory", item.product_category)
    _add(node, "Purpose", item.purpose)
    _add(node, "Quantity", item.quantity, unit=item.unit)
    _add(node, "Value", item.value_inr, currency="INR")
    if item.foreign_value is not None:
        fv = item.foreign_value
        _add(node, "ForeignValue", fv.amount, currency=fv.currency, rate=fv.rate)
    _add(node, "CountryOfOrigin", item.country_of_origin)
    _add(node, "ScrapForm", item.scrap_form)
    _add(node, "SelfCertified", item.self_certified)
    for lic in item.licences:
        el = etree.SubElement(node, f"{NS}Licence")
        _attrs(
            el,
            [
                ("scheme", lic.scheme),
                ("number", lic.number),
                ("issuedOn", lic.issued_on),
                ("expiresOn", lic.expires_on),
            ],
        )
    for cert in item.certificates:
        el = etree.SubElement(node, f"{NS}Certificate")
        _attrs(
            el,
            [
                ("type", cert.type),
                ("number", cert.number),
                ("issuedOn", cert.issued_on),
                ("agency", cert.agency),
                ("backgroundUsvh", cert.background_usvh),
                ("maxUsvh", cert.max_usvh),
                ("noRadioactive", cert.no_radioactive),
                ("noExplosives", cert.no_explosives),
            ],
        )


def manifest_element(igm: ImportGeneralManifest) -> etree._Element:
    root = etree.Element(f"{NS}ImportGeneralManifest", nsmap={None: NAMESPACE})
    _attrs(root, [("messageId", igm.message_id), ("function", igm.function)])
    for name, value in (
        ("PortCode", igm.port_code),
        ("IGMNumber", igm.igm_number),
        ("IGMDate", igm.igm_date),
        ("FiledAt", igm.filed_at),
        ("Conveyance", igm.conveyance),
        ("Voyage", igm.voyage),
        ("VesselName", igm.vessel_name),
        ("Carrier", igm.carrier),
        ("ExpectedArrival", igm.expected_arrival),
        ("ArrivedAt", igm.arrived_at),
        ("EntryInwardsAt", igm.entry_inwards_at),
        ("LastPortOfCall", igm.last_port_of_call),
    ):
        _add(root, name, value)
    lines = etree.SubElement(root, f"{NS}Lines")
    for line in igm.lines:
        node = etree.SubElement(lines, f"{NS}Line")
        _attrs(node, [("number", line.line), ("subline", line.subline)])
        _add(node, "BLNumber", line.bl_number)
        _add(node, "BLDate", line.bl_date)
        _add(node, "ConsigneeName", line.consignee_name)
        _add(node, "ConsigneeIEC", line.consignee_iec)
        _goods_fields(node, line)
        _add(node, "CargoMovement", line.cargo_movement)
        if (
            line.goods_items
            != ManifestLine.model_validate({"line": line.line, **_totals(line)}).goods_items
        ):
            goods = etree.SubElement(node, f"{NS}GoodsItems")
            for item in line.goods_items:
                _goods_fields(etree.SubElement(goods, f"{NS}GoodsItem"), item)
    return root


def _totals(line: ManifestLine) -> dict[str, object]:
    return {
        "packages": line.packages,
        "package_kind": line.package_kind,
        "gross_weight_kg": line.gross_weight_kg,
        "description": line.description,
    }


def _goods_fields(node: etree._Element, goods: ManifestLine | GoodsItem) -> None:
    """Packages (a kind without a count is an empty element), weight, description, HS code."""
    if goods.packages is not None or goods.package_kind is not None:
        packages = etree.SubElement(node, f"{NS}Packages")
        packages.text = "" if goods.packages is None else str(goods.packages)
        _attrs(packages, [("kind", goods.package_kind)])
    _add(node, "GrossWeightKg", goods.gross_weight_kg)
    _add(node, "Description", goods.description)
    if isinstance(goods, GoodsItem):
        _add(node, "HSCode", goods.hs_code)


def _element(message: BillOfEntry | ImportGeneralManifest) -> etree._Element:
    try:
        return (
            bill_of_entry_element(message)
            if isinstance(message, BillOfEntry)
            else manifest_element(message)
        )
    except ValueError as exc:
        raise ValueError(f"message {message.message_id}: {exc}") from exc


def write(message: BillOfEntry | ImportGeneralManifest) -> bytes:
    """The message as an XML document; ``ValueError`` when it would fail the XSD."""
    return write_all([message])


def write_all(messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> bytes:
    """One message as its own root; several under a ``<Messages>`` wrapper. ``ValueError``
    naming every message that cannot be written, and why, when any cannot."""
    elements = written_each(messages, _element)
    if len(elements) == 1:
        [root] = elements
    else:
        root = etree.Element(f"{NS}Messages", nsmap={None: NAMESPACE})
        root.extend(elements)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    _check(document, messages)
    return document


def _check(document: bytes, messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> None:
    """Validate each message of ``document`` against the XSD, read back as written so that
    errors carry the lines of the document."""
    root = etree.fromstring(document)
    written = [root] if len(messages) == 1 else list(root)
    validator = schema()
    refused = []
    for message, element in zip(messages, written, strict=True):
        if not validator.validate(element):
            refused += [
                f"message {message.message_id}: line {error.line}: {error.message.replace(NS, '')}"
                for error in validator.error_log
            ]
    if refused:
        raise ValueError("\n".join(refused))
