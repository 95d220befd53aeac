"""The icegate_xml adapter: XSD, safe parsing, mapping to the model, writing back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from customs_engine.adapters.icegate_xml import reader, writer
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from tests.conftest import MESSAGES

BOE = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
IGM = (MESSAGES / "01-igm-innsa1-2234567.xml").read_bytes()


def only(data: bytes):  # type: ignore[no-untyped-def]
    parsed = reader.read(data, "test.xml")
    assert len(parsed) == 1
    return parsed[0]


def test_every_example_message_is_valid_against_the_shipped_xsd() -> None:
    schema = reader.schema()
    for path in sorted(MESSAGES.glob("*.xml")):
        doc = etree.parse(str(path))
        assert schema.validate(doc), (path.name, schema.error_log)


def test_bill_of_entry_maps_to_the_canonical_model() -> None:
    parsed = only(BOE)
    assert parsed.findings == [] and parsed.type == "bill_of_entry"
    boe = parsed.message
    assert isinstance(boe, BillOfEntry)
    assert boe.message_id == "BE-INNSA1-000123" and boe.port_code == "INNSA1"
    assert boe.importer.gstin == "27AAPFU0939F1ZV"
    assert boe.manifest is not None and boe.manifest.line == 10
    item = boe.items[0]
    assert item.hs_code == "84713010" and item.quantity == Decimal("60")
    assert item.foreign_value is not None and item.foreign_value.rate == Decimal("83.25")
    assert item.licences[0].number == "IMS-2026-00042"
    assert str(item.licences[0].expires_on) == "2026-12-31"


def test_manifest_maps_to_the_canonical_model() -> None:
    igm = only(IGM).message
    assert isinstance(igm, ImportGeneralManifest)
    assert igm.igm_number == "2234567" and len(igm.lines) == 6
    assert igm.lines[0].packages == 120 and igm.lines[0].package_kind == "PKG"
    assert igm.lines[0].gross_weight_kg == Decimal("4200.5")


@pytest.mark.parametrize("name", sorted(p.name for p in MESSAGES.glob("*.xml")))
def test_writing_and_reading_back_gives_the_same_model(name: str) -> None:
    for parsed in reader.read((MESSAGES / name).read_bytes(), name):
        assert parsed.message is not None
        again = only(writer.write(parsed.message))
        assert again.findings == []
        assert again.message == parsed.message


def test_several_messages_under_messages_each_get_their_own_answer() -> None:
    data = (MESSAGES / "05-be-scrap-and-aluminium.xml").read_bytes()
    bad = data.replace(b"<Type>HOME_CONSUMPTION</Type>", b"<Type>NOPE</Type>", 1)
    parsed = reader.read(bad, "x.xml")
    assert [p.type for p in parsed] == ["unknown", "bill_of_entry"]
    assert [p.index for p in parsed] == [0, 1]
    assert parsed[0].reference == "BE-INNSA1-000126"
    assert "NOPE" in parsed[0].findings[0].message


def place(data: bytes, fragment: bytes) -> str:
    """``line L, column C`` of where ``fragment`` starts in ``data``."""
    offset = data.index(fragment)
    line = data.count(b"\n", 0, offset) + 1
    column = offset - data.rfind(b"\n", 0, offset)
    return f"line {line}, column {column}"


def test_schema_errors_name_the_line_and_column_of_their_element() -> None:
    bad = BOE.replace(b"<HSCode>84713010</HSCode>", b"<HSCode>8471301</HSCode>")
    parsed = only(bad)
    assert parsed.message is None and parsed.type == "unknown"
    assert parsed.findings[0].rule == "CORE-SYNTAX-005"  # a value's format (the HS pattern)
    assert parsed.findings[0].message.startswith(place(bad, b"<HSCode>8471301<") + ": schema:")


def test_a_one_line_message_places_each_failure_by_column() -> None:
    """Minified XML is one line: the column tells the failures apart, the k-th element of its
    name on that line at the k-th start tag of that name."""
    one_line = b"".join(line.strip() for line in BOE.split(b"?>", 1)[1].splitlines())
    bad = one_line.replace(b'<Quantity unit="NOS">', b'<Quantity unit="NOS">x')
    [finding] = only(bad).findings
    assert finding.message.startswith(place(bad, b'<Quantity unit="NOS">x') + ": schema:")
    wrapped = (
        b'<Messages xmlns="urn:customs-engine:icegate:v1">'
        + one_line.replace(b"<HSCode>84713010<", b"<HSCode>1<")
        + one_line
        + one_line.replace(b"<HSCode>84713010<", b"<HSCode>3<")
        + b"</Messages>"
    )
    first, second, third = reader.read(wrapped, "wrapped.xml")
    assert first.findings[0].message.startswith(place(wrapped, b"<HSCode>1<") + ": schema:")
    assert second.findings == []
    assert third.findings[0].message.startswith(place(wrapped, b"<HSCode>3<") + ": schema:")


def test_values_the_schema_allows_are_read() -> None:
    """An ``xs:date`` with a timezone names its calendar day; ``24:00:00`` is the next day's
    first instant (XML Schema 1.0)."""
    dated = BOE.replace(b"<IGMDate>2026-03-08<", b"<IGMDate>2026-03-08+05:30<")
    dated = dated.replace(b'issuedOn="2026-01-05"', b'issuedOn="2026-01-05Z"')
    boe = only(dated).message
    assert isinstance(boe, BillOfEntry) and boe.manifest is not None
    assert boe.manifest.igm_date.isoformat() == "2026-03-08"
    assert boe.items[0].licences[0].issued_on is not None
    assert boe.items[0].licences[0].issued_on.isoformat() == "2026-01-05"
    midnight = BOE.replace(b"2026-03-09T11:30:00+05:30", b"2026-03-08T24:00:00+05:30")
    boe = only(midnight).message
    assert isinstance(boe, BillOfEntry)
    assert boe.presented_at.isoformat() == "2026-03-09T00:00:00+05:30"


def test_a_value_the_model_refuses_is_placed_at_its_message() -> None:
    """After the schema: the message's start tag, with the field the model names."""
    bad = BOE.replace(b"<ExpectedArrival>2026-03-10<", b"<ExpectedArrival>1800-03-10<")
    [finding] = only(bad).findings
    assert finding.message.startswith(place(bad, b"<BillOfEntry") + ": not a valid BillOfEntry")
    assert "expected_arrival" in finding.message


def test_missing_required_element_is_a_schema_finding() -> None:
    bad = BOE.replace(b"<Mode>SEA</Mode>", b"")
    finding = only(bad).findings[0]
    assert "Mode" in finding.message and finding.outcome == "reject"


def test_an_original_bill_of_entry_declares_an_item_and_each_items_value() -> None:
    """The schema lets both go (an ICES amendment or cancellation carries only what it changes);
    an original does not: CORE-SYNTAX-003 at the element."""
    start = BOE.index(b"<Items>") + len(b"<Items>")
    no_items = BOE[:start] + BOE[BOE.index(b"</Items>") :]
    [finding] = only(no_items).findings
    assert finding.rule == "CORE-SYNTAX-003" and finding.outcome == "reject"
    assert finding.message.startswith(place(no_items, b"<Items>") + ": <Items> holds no <Item>")
    unvalued = BOE.replace(b'<Value currency="INR">3000000.00</Value>', b"").replace(
        b'<ForeignValue currency="USD" rate="83.25">36036.04</ForeignValue>', b""
    )
    [finding] = only(unvalued).findings
    assert finding.rule == "CORE-SYNTAX-003" and finding.field == "items[0].value_inr"
    assert finding.message.startswith(place(unvalued, b'<Item number="1">'))
    foreign_only = BOE.replace(b'<Value currency="INR">3000000.00</Value>', b"")
    assert only(foreign_only).message is not None
    for function in (b"amendment", b"cancellation"):
        partial = no_items.replace(b'function="original"', b'function="' + function + b'"')
        assert only(partial).message is not None, function


def test_free_text_is_read_as_written_spaces_at_its_ends_included() -> None:
    """Descriptions and names are ``xs:string``: EDIFACT keeps their end spaces and the writer
    writes them, so reading them back must too (EDIFACT -> XML -> EDIFACT changed nothing);
    codes and numbers are still read without the spaces around them."""
    padded = BOE.replace(
        b"<Description>LAPTOP COMPUTERS 14 INCH</Description>",
        b"<Description>  LAPTOP COMPUTERS 14 INCH </Description>",
    ).replace(b"<HSCode>84713010</HSCode>", b"<HSCode> 84713010 </HSCode>")
    message = only(padded).message
    assert message.items[0].description == "  LAPTOP COMPUTERS 14 INCH "
    assert message.items[0].hs_code == "84713010"
    assert only(writer.write(message)).message == message


def test_an_empty_messages_wrapper_names_line_and_column() -> None:
    [finding] = only(b'<Messages xmlns="urn:customs-engine:icegate:v1"></Messages>').findings
    assert finding.rule == "CORE-SYNTAX-001" and "line 1, column 1:" in finding.message


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [' + "".join(entities) + "]>\n"
        '<BillOfEntry xmlns="urn:customs-engine:icegate:v1">&lol9;</BillOfEntry>\n'
    ).encode()


def test_entity_bomb_is_refused_before_parsing() -> None:
    parsed = only(billion_laughs())
    assert parsed.message is None
    assert "DOCTYPE" in parsed.findings[0].message
    assert parsed.findings[0].message.startswith("line 2, column 1:")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_doctype_is_refused_in_any_encoding(encoding: str) -> None:
    good = (MESSAGES / "02-be-laptops-ims.xml").read_text()
    document = good.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        '<!DOCTYPE BillOfEntry [<!ENTITY who "EVIL CORP">]>',
        1,
    )
    document = document.replace("ACME", "&who;", 1)
    assert "&who;" in document
    data = document.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    parsed = only(data)
    assert parsed.message is None and "EVIL" not in parsed.model_dump_json()
    assert parsed.findings[0].message.startswith("line 2, column 1: DOCTYPE")


def test_external_entities_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<BillOfEntry xmlns="urn:customs-engine:icegate:v1">&s;</BillOfEntry>'
    ).encode()
    parsed = only(xxe)
    assert "TOP SECRET" not in parsed.model_dump_json()
    assert parsed.findings[0].rule == "CORE-SYNTAX-001"


def test_not_well_formed_names_line_and_column() -> None:
    parsed = only(b"<BillOfEntry xmlns='urn:customs-engine:icegate:v1'>\n  <PortCode>INNSA1\n")
    assert parsed.findings[0].message.startswith("line 3")
    assert "not well-formed" in parsed.findings[0].message
    (cut,) = only(b"<BillOfEntry").findings
    # the place is said once, where every finding says it (lxml also appends it to its text)
    assert cut.message == (
        "line 1, column 13: XML not well-formed: Couldn't find end of Start Tag BillOfEntry line 1"
    )


def test_oversized_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    parsed = only(BOE)
    assert "bound" in parsed.findings[0].message


def test_foreign_root_element_is_a_syntax_finding() -> None:
    parsed = only(b'<Invoice xmlns="urn:other"/>')
    assert "not a message of" in parsed.findings[0].message
    assert parsed.findings[0].rule == "CORE-SYNTAX-004"  # message type not supported
    # placed by line and column, like every other syntax finding
    wrapped = only(b'<Invoice xmlns="urn:other">\n  <Total>1</Total>\n</Invoice>')
    assert wrapped.findings[0].message.startswith("line 1, column 1: ")
    nested = reader.read(
        b'<Messages xmlns="urn:customs-engine:icegate:v1">\n  <x:Other xmlns:x="urn:v2"/>'
        b"</Messages>",
        "m.xml",
    )
    assert nested[0].findings[0].message.startswith("line 2, column 3: ")


def test_impossible_dates_that_pass_the_schema_are_findings_not_crashes() -> None:
    bad = BOE.replace(b"2026-03-09T11:30:00+05:30", b"99999-03-09T11:30:00+05:30")
    parsed = only(bad)
    assert parsed.message is None and parsed.findings[0].rule == "CORE-SYNTAX-005"
    # said in the engine's words, not Python's ("Invalid isoformat string")
    assert parsed.findings[0].message.endswith(
        "'99999-03-09T11:30:00+05:30' is no date-time the engine reads: its year must have four "
        "digits, from 1950 to 2199"
    )
    negative = only(BOE.replace(b"<ExpectedArrival>2026-03-10<", b"<ExpectedArrival>-2026-03-10<"))
    assert "'-2026-03-10' is no date the engine reads" in negative.findings[0].message


def test_content_wins_over_a_xml_extension() -> None:
    from customs_engine.testing import make_engine

    edifact = (
        b"UNA:+.? 'UNB+UNOC:3+A+B+260101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929'UNT+2+1'UNZ+1+1'"
    )
    engine = make_engine()
    assert engine.detect(edifact, "inbox/be-0001.xml") == "edifact"
    (parsed,) = engine.parse(edifact, "inbox/be-0001.xml")
    assert parsed.format == "edifact"
    assert not any("XML" in f.message for f in parsed.findings)
    # a .xml file that is not recognisable content is still answered as (broken) XML
    (broken,) = engine.parse(b"garbage", "inbox/be-0002.xml")
    assert broken.format == "icegate_xml" and "not well-formed" in broken.findings[0].message


def test_comments_between_and_inside_elements_change_nothing() -> None:
    commented = (
        BOE.replace(b"<Items>", b"<!-- the goods --><Items><!-- first -->")
        .replace(b"</HSCode>", b"</HSCode><!-- after the code -->")
        .replace(b"<IEC>", b"<!-- importer --><IEC>")
        # inside a value: the schema validates the whole text (60), and so must the reader
        .replace(b'<Quantity unit="NOS">60<', b'<Quantity unit="NOS">6<!-- -->0<')
        .replace(b"<HSCode>84713010<", b"<HSCode>8471<!-- laptops -->3010<")
    )
    assert commented.count(b"<!-- -->") == 1 and b"8471<!--" in commented
    assert only(commented).message == only(BOE).message


def test_repeated_licences_and_certificates_keep_their_order() -> None:
    data = (MESSAGES / "07-be-scrap-safe-country.xml").read_bytes()
    licence = b'<Licence scheme="SIMS" number="STL2026021800777"'
    second = b'<Licence scheme="SIMS" number="STL2026021800999" issuedOn="2026-02-18"/>\n      '
    assert licence in data
    data = data.replace(licence, second + licence, 1)
    (parsed,) = reader.read(data, "x.xml")
    boe = parsed.message
    assert isinstance(boe, BillOfEntry), parsed.findings
    item = next(item for item in boe.items if len(item.licences) == 2)
    assert [lic.number for lic in item.licences] == ["STL2026021800999", "STL2026021800777"]
    assert [cert.type.value for cert in item.certificates] == ["SUPPLIER_DECLARATION", "CONTRACT"]


def test_of_two_values_the_schema_takes_but_python_does_not_the_first_in_model_order_is_named() -> (
    None
):
    # xs:date allows a five-digit year, date does not; the manifest reference comes before the
    # expected arrival in the model (and in the document)
    bad = BOE.replace(b"<IGMDate>2026-03-08</IGMDate>", b"<IGMDate>12026-03-08</IGMDate>").replace(
        b"<ExpectedArrival>2026-03-10</ExpectedArrival>",
        b"<ExpectedArrival>12026-03-10</ExpectedArrival>",
    )
    parsed = only(bad)
    assert parsed.message is None and parsed.findings[0].rule == "CORE-SYNTAX-005"
    assert "12026-03-08" in parsed.findings[0].message
    assert "12026-03-10" not in parsed.findings[0].message


def test_one_parser_per_thread_reads_any_sequence_of_files() -> None:
    import threading

    assert reader._parser() is reader._parser()
    others: list[object] = []
    thread = threading.Thread(target=lambda: others.append(reader._parser()))
    thread.start()
    thread.join()
    assert others[0] is not reader._parser()
    utf16 = BOE.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    broken = BOE[:-40]
    for data, readable in [
        (broken, False),
        (BOE, True),
        (utf16, True),
        (broken, False),
        (BOE, True),
    ]:
        parsed = only(data)
        assert (parsed.message is not None) is readable, parsed.findings
        if readable:
            assert parsed.message == only(BOE).message
        else:
            assert "not well-formed" in parsed.findings[0].message


def test_a_line_or_item_number_given_twice_is_refused_by_the_schema() -> None:
    """A line and sub-line number name one B/L line (a Bill of Entry is noted against it), an
    item number one item: given twice, the second is refused where it is written."""
    lines = IGM.replace(b'<Line number="20" subline="0">', b'<Line number="10">')
    (finding,) = only(lines).findings
    assert finding.rule == "CORE-SYNTAX-003" and "OneLinePerNumber" in finding.message
    second = IGM[: IGM.index(b'<Line number="20"')].count(b"\n") + 1
    assert finding.message.startswith(f"line {second}, column 5: ")
    assert (
        only(
            IGM.replace(b'<Line number="20" subline="0">', b'<Line number="10" subline="1">')
        ).findings
        == []
    )
    start, end = BOE.index(b"<Item "), BOE.index(b"</Item>") + len(b"</Item>")
    items = BOE[:end] + BOE[start:end] + BOE[end:]
    (finding,) = only(items).findings
    assert finding.rule == "CORE-SYNTAX-003" and "OneItemPerNumber" in finding.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_wide_xml_is_known_by_content_whatever_its_name(encoding: str) -> None:
    """UTF-16 XML was read when named ``*.xml`` and refused as "format not recognised" when
    named otherwise, sent on standard input or to the service; a UTF-16 manifest was not known
    as one, so it was processed after the Bills of Entry noted against it."""
    from customs_engine.adapters.icegate_xml.plugin import customs_message_kind, detect

    for document, kind in ((BOE, "bill_of_entry"), (IGM, "manifest")):
        text = document.decode().replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
        data = text.encode(encoding)
        assert detect(data[:4096], ""), encoding
        assert customs_message_kind("icegate_xml", data[:4096]) == kind


def test_a_comment_naming_another_root_does_not_change_the_kind() -> None:
    from customs_engine.adapters.icegate_xml.plugin import customs_message_kind

    commented = IGM.replace(
        b"<ImportGeneralManifest", b"<!-- see <BillOfEntry> below -->\n<ImportGeneralManifest", 1
    )
    assert customs_message_kind("icegate_xml", commented[:4096]) == "manifest"
    processed = b'<?xml version="1.0"?><?note <BillOfEntry>?>' + IGM[IGM.index(b"<Import") :]
    assert customs_message_kind("icegate_xml", processed[:4096]) == "manifest"


def test_each_thread_validates_with_its_own_schema() -> None:
    """``customs serve`` reads requests in a thread pool: one validator shared by two threads
    kept both documents' errors in one log, and the server process died ("double free or
    corruption") under eight concurrent clients. A thread keeps its own, compiled once."""
    import threading

    from customs_engine.adapters.icegate_xml.reader import schema

    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.extend([schema(), schema()]))
    thread.start()
    thread.join()
    assert seen[0] is seen[1]  # compiled once in its thread
    assert seen[0] is not schema()  # not the one this thread validates with
    assert [parsed.message is not None for parsed in reader.read(BOE, "a.xml")] == [True]
