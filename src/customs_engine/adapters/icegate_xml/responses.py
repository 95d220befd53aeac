"""``--format xml``: customs responses as XML (schema ``schema/customs-engine-response-v1.xsd``).

One ``<Responses>`` document per run, one ``<Response>`` per message in input order, written as
each response arrives so memory does not grow with the run. Attribute and element names follow
the JSON response in camelCase; money keeps its two decimals. What an amendment or a
cancellation credited back (JSON ``credited``) is ``<Credited>``, after ``<Engine>`` as in the
JSON, and only when there is something: a response without it is written as before.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from lxml import etree

from customs_engine.core.response import Response
from customs_engine.core.writers.printable import xml_safe

RESPONSE_NAMESPACE = "urn:customs-engine:response:v1"
_NS = f"{{{RESPONSE_NAMESPACE}}}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _set(node: etree._Element, values: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    for key, value in values.items():
        if key in skip or value is None:
            continue
        node.set(_camel(key), xml_safe(str(value)))


def response_element(response: Response) -> etree._Element:
    data = response.to_json_dict()
    root = etree.Element(f"{_NS}Response", nsmap={None: RESPONSE_NAMESPACE})
    root.set("status", data["status"])
    _set(etree.SubElement(root, f"{_NS}Message"), data["message"])
    _set(etree.SubElement(root, f"{_NS}Document"), data["document"])
    findings = etree.SubElement(root, f"{_NS}Findings")
    for finding in data["findings"]:
        node = etree.SubElement(findings, f"{_NS}Finding")
        _set(node, finding, skip=("message", "reference"))
        etree.SubElement(node, f"{_NS}Text").text = xml_safe(finding["message"])
        etree.SubElement(node, f"{_NS}Reference").text = xml_safe(finding["reference"])
    fees = etree.SubElement(root, f"{_NS}Fees")
    for fee in data["fees"]:
        _set(etree.SubElement(fees, f"{_NS}Fee"), fee)
    uses = etree.SubElement(root, f"{_NS}Authorisations")
    for use in data["authorisations"]:
        _set(etree.SubElement(uses, f"{_NS}Authorisation"), use)
    if data["routing"] is not None:
        _set(etree.SubElement(root, f"{_NS}Routing"), data["routing"])
    if data["rate_date"] is not None:
        etree.SubElement(root, f"{_NS}RateDate").text = data["rate_date"]
    engine = etree.SubElement(root, f"{_NS}Engine")
    _set(engine, data["engine"], skip=("plugins",))
    for name, version in data["engine"]["plugins"].items():
        etree.SubElement(engine, f"{_NS}Plugin", name=name, version=version)
    if data["credited"]:  # only an amendment or a cancellation credits anything back
        credited = etree.SubElement(root, f"{_NS}Credited")
        for credit in data["credited"]:
            _set(etree.SubElement(credited, f"{_NS}Credit"), credit)
    return root


class XmlResponseWriter:
    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.stream.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<Responses xmlns="' + RESPONSE_NAMESPACE.encode() + b'">\n'
        )

    def write(self, response: Response) -> None:
        text = etree.tostring(response_element(response), encoding="UTF-8", pretty_print=True)
        # the wrapper declares the namespace once; drop the repeated declaration
        text = text.replace(b' xmlns="' + RESPONSE_NAMESPACE.encode() + b'"', b"", 1)
        self.stream.write(text)

    def close(self) -> None:
        self.stream.write(b"</Responses>\n")
