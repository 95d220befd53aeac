"""Envelope and record reading: the format's quirks are tolerated, every other break is named."""

from __future__ import annotations

import pytest

from customs_engine.adapters.ices_flatfile.reader import parse, read
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.testing import make_engine

from .flat_files import GS, flat_file, igm, steel_be


def _syntax(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.message for p in parsed for f in p.findings if f.rule.startswith("CORE-SYNTAX-")]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("trailing_gs", [False, True])
def test_line_ends_and_trailing_delimiter_are_tolerated(newline: str, trailing_gs: bool) -> None:
    for dialect, tables in (("cachi01", steel_be()), ("sachi01", igm())):
        data = flat_file(dialect, tables, newline=newline, trailing_gs=trailing_gs)
        parsed = parse(data, {})
        assert _syntax(parsed) == []
        assert parsed[0].message is not None


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_blanks_around_fields_and_at_line_ends_are_padding(newline: str) -> None:
    """Fixed-width exporters pad values and editors leave blanks at line ends: every field is
    read without the blanks around it (a padded IGM number, date or one-letter code was refused,
    a padded name or quantity read; blanks before the line end broke the HREC time)."""
    for dialect, tables in (("cachi01", steel_be()), ("sachi01", igm())):
        clean = parse(flat_file(dialect, tables, newline=newline), {})
        padded_data = flat_file(dialect, tables, newline=newline)
        lines = padded_data.decode().split(newline)
        padded = newline.join(
            GS.join(
                f" {field}  " if field and position else field  # the record's tag is not padded
                for position, field in enumerate(line.split(GS))
            )
            + "   "
            if line and not line.startswith("<")
            else line
            for line in lines
        )
        parsed = parse(padded.encode(), {})
        assert _syntax(parsed) == [], dialect
        assert parsed[0].message == clean[0].message


def test_supportingdocs_spelling_is_one_table() -> None:
    tables = steel_be()
    tables["SUPPORTING_DOCS"] = [
        {
            "declaration_type": "B",
            "invoice_sr": 1,
            "item_sr": 0,
            "icegate_user": "TESTCB0001",
            "irn": "2026031000000001",
            "document_type": "861000",
            "issuer_name": "INSPECTION CO",
            "document_reference": "PSIC-77",
            "place_of_issue": "YOKOHAMA",
            "issued_on": "20260220",
            "beneficiary_name": "ZETA",
            "file_type": "pdf",
        }
    ]
    config = {"ices_flatfile": {"certificate_types": {"861000": "PSIC"}}}
    for spelling in ("SUPPORTING_DOCS", "SUPPORTINGDOCS"):
        data = flat_file("cachi01", tables, table_names={"SUPPORTING_DOCS": spelling})
        [parsed] = parse(data, config)
        assert _syntax([parsed]) == []
        assert isinstance(parsed.message, BillOfEntry)
        assert [c.number for i in parsed.message.items for c in i.certificates] == [
            "PSIC-77",
            "PSIC-77",
        ]


def test_fresh_igm_with_empty_igm_number_parses() -> None:
    [parsed] = parse(flat_file("sachi01", igm()), {})
    assert isinstance(parsed.message, ImportGeneralManifest)
    assert parsed.message.igm_number is None and _syntax([parsed]) == []
    weights = [ln.gross_weight_kg for ln in parsed.message.lines]
    assert [str(w) for w in weights] == ["3000.000", "4500.000"]


def test_wrong_field_count_names_table_and_line() -> None:
    data = flat_file("cachi01", steel_be())
    lines = data.split(b"\r\n")
    row = next(
        i
        for i, ln in enumerate(lines)
        if ln.startswith(b"F" + GS.encode() + b"INNSA1") and i > lines.index(b"<TABLE>ITEMS")
    )
    lines[row] = lines[row] + (GS + "X" + GS + "Y").encode()
    [parsed] = parse(b"\r\n".join(lines), {})
    assert f"table ITEMS, line {row + 1}: 94 fields, the layout has 92" in _syntax([parsed])
    assert parsed.findings[0].field == f"ITEMS[line {row + 1}]"


@pytest.mark.parametrize(
    ("table", "field", "value", "position", "expected"),
    [
        ("ITEMS", "quantity", "12,5", 9, "not a number"),
        ("ITEMS", "unit_price", "1.1234567", 59, "7 decimals"),
        ("ITEMS", "description1", "X" * 61, 12, "61 characters, longer than C60"),
        ("IGMS", "igm_date", "20260231", 8, "not a valid date YYYYMMDD"),
        ("IGMS", "igm_number", "12345678", 7, "too many digits for N7"),
        ("BE", "iec", "", 8, "mandatory on a fresh record but empty"),
    ],
)
def test_bad_fields_are_named_by_table_line_and_position(
    table: str, field: str, value: str, position: int, expected: str
) -> None:
    tables = steel_be()
    tables[table][0][field] = value
    data = flat_file("cachi01", tables)
    line = data.split(b"\r\n").index(f"<TABLE>{table}".encode()) + 2
    [parsed] = parse(data, {})
    messages = [
        m
        for m in _syntax([parsed])
        if m.startswith(f"table {table}, line {line}, field {position}:")
    ]
    assert messages and expected in messages[0], _syntax([parsed])
    assert any(f.field == f"{table}[line {line}].field {position}" for f in parsed.findings)


def test_several_bad_records_are_all_reported_and_the_rest_still_read() -> None:
    tables = steel_be()
    tables["ITEMS"][0]["quantity"] = "abc"
    tables["ITEMS"][1]["country_of_origin"] = "JPN"
    tables["CTX"][0]["registration_number"] = "X" * 21
    [parsed] = parse(flat_file("cachi01", tables), {})
    places = {f.field.split(".")[0] for f in parsed.findings if f.field}
    assert {p.split("[")[0] for p in places} == {"ITEMS", "CTX"}
    assert len(places - {"ITEMS"}) == 3  # "ITEMS": item 1 is left out (below)
    assert isinstance(parsed.message, BillOfEntry)
    # item 1 has no usable quantity; item 2 is still there, with its finding tagged
    assert [i.number for i in parsed.message.items] == [2]
    assert {f.item for f in parsed.findings if f.field and f.field.startswith("ITEMS[")} == {1, 2}


def test_an_item_left_out_is_said_with_what_items_n_then_counts() -> None:
    """With item 1 of two unreadable, the Bill of Entry is item 2 alone, and the findings on it
    said ``item=2 field=items[0]…`` with nothing telling that items[0] was no longer item 1."""
    tables = steel_be()
    tables["ITEMS"][0]["quantity"] = "1.1234567"
    data = flat_file("cachi01", tables)
    line = data.split(b"\r\n").index(b"<TABLE>ITEMS") + 2
    [parsed] = parse(data, {})
    assert isinstance(parsed.message, BillOfEntry)
    [said] = [f for f in parsed.findings if f.field == "ITEMS"]
    assert (said.rule, said.item) == ("CORE-SYNTAX-003", None)
    assert said.message == (
        f"table ITEMS: item 1 (line {line}) cannot be read and is left out of the Bill of "
        "Entry: items[N] in the findings counts the 1 item read, in item order, so items[0] "
        "is item 2"
    )
    # through the engine: the business findings on item 2 are the ones items[0] names
    [response] = make_engine().validate_bytes(data, "x.be")
    assert said.message in [f.message for f in response.findings]
    assert {f.field.split(".")[0] for f in response.findings if f.item == 2 and f.field} >= {
        "items[0]"
    }


def test_an_item_left_out_after_the_last_one_read_moves_no_index() -> None:
    tables = steel_be()
    tables["ITEMS"][1]["quantity"] = "abc"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert isinstance(parsed.message, BillOfEntry)
    assert [i.number for i in parsed.message.items] == [1]
    assert not [f for f in parsed.findings if f.field == "ITEMS"]


def test_a_short_record_is_said_once_not_once_per_missing_field() -> None:
    """A record cut short got "N fields, the layout has M" and then one "mandatory on a fresh
    record but empty" finding for every mandatory position past its end."""
    data = flat_file("cachi01", steel_be())
    lines = data.split(b"\r\n")
    row = lines.index(b"<TABLE>ITEMS") + 2
    lines[row] = GS.encode().join(lines[row].split(GS.encode())[:34])
    [parsed] = parse(b"\r\n".join(lines), {})
    mine = [
        f.message for f in parsed.findings if (f.field or "").startswith(f"ITEMS[line {row + 1}]")
    ]
    assert mine == [f"table ITEMS, line {row + 1}: 34 fields, the layout has 92"]
    # an empty mandatory field inside the record is still said at its position
    lines[row] = lines[row].replace(GS.encode() + b"KGS" + GS.encode(), GS.encode() * 2, 1)
    [parsed] = parse(b"\r\n".join(lines), {})
    mine = [
        f.message for f in parsed.findings if (f.field or "").startswith(f"ITEMS[line {row + 1}]")
    ]
    assert mine == [
        f"table ITEMS, line {row + 1}: 34 fields, the layout has 92",
        f"table ITEMS, line {row + 1}, field 10: unit is mandatory on a fresh record but empty",
    ]


def test_unusable_be_main_makes_an_unknown_message() -> None:
    tables = steel_be()
    tables["BE"][0]["mode"] = "Q"
    tables["BE"][0]["job_date"] = "2026-03-10"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert parsed.type == "unknown" and parsed.message is None
    assert parsed.reference == "CACHI01-INNSA1-7001"
    assert any("mode of transport 'Q'" in m for m in _syntax([parsed]))


def test_missing_mandatory_table_and_trailer() -> None:
    tables = steel_be()
    del tables["CTX"]
    data = flat_file("cachi01", tables).replace(f"TREC{GS}7001".encode(), b"")
    [parsed] = parse(data, {})
    messages = _syntax([parsed])
    assert "table CTX: <TABLE>CTX is mandatory for a fresh Bill of Entry but absent" in messages
    assert any("does not end in a TREC trailer" in m for m in messages)


@pytest.mark.parametrize("be_type, required", [("X", False), ("W", True), ("H", True)])
def test_an_ex_bond_bill_needs_no_igm_or_container_table(be_type: str, required: bool) -> None:
    """An ex-bond Bill of Entry (type X) quotes no IGM line and clears goods out of a
    warehouse, not out of containers: its IGMS and CONTAINER tables were demanded."""
    tables = steel_be()
    tables["BE"][0]["be_type"] = be_type
    del tables["IGMS"], tables["CONTAINER"]
    messages = _syntax(parse(flat_file("cachi01", tables), {}))
    for table in ("IGMS", "CONTAINER"):
        said = f"table {table}: <TABLE>{table} is mandatory for a fresh Bill of Entry but absent"
        assert (said in messages) is required


def test_mismatched_trailer_and_unknown_table() -> None:
    tables = steel_be()
    data = flat_file("cachi01", tables).replace(f"TREC{GS}7001".encode(), f"TREC{GS}7002".encode())
    data = data.replace(b"<TABLE>CTX", b"<TABLE>CTXX")
    messages = _syntax(parse(data, {}))
    assert any("TREC control number '7002' differs from HREC's '7001'" in m for m in messages)
    assert any("unknown table 'CTXX'" in m for m in messages)
    assert any("<TABLE>CTX is mandatory" in m for m in messages)


def test_sachi01_structure_errors() -> None:
    tables = igm()
    tables["contain"][0]["line_number"] = 9
    tables["vesinfo"][0]["total_lines"] = 3
    tables["cargo"][1]["line_number"] = 1
    tables["contain"][1]["voyage"] = "102E"
    [parsed] = parse(flat_file("sachi01", tables), {})
    messages = _syntax([parsed])
    assert any(
        "container ZZZU1234564 is on line 9/0, which has no cargo record" in m for m in messages
    )
    assert any("total number of lines is 3 but the file has 2 cargo records" in m for m in messages)
    assert any("line 1/0 repeats the cargo record" in m for m in messages)
    assert any("field 5: voyage '102E' differs from vesinfo's '101E'" in m for m in messages)


def test_vesinfo_extension_fields_are_ignored_but_short_records_are_not() -> None:
    data = flat_file("sachi01", igm())
    lines = data.split(b"\r\n")
    ves = lines.index(b"<vesinfo>") + 1
    lines[ves] += (GS + "EXTRA" + GS + "MORE").encode()
    assert _syntax(parse(b"\r\n".join(lines), {})) == []
    cargo = lines.index(b"<cargo>") + 1
    lines[cargo] = lines[cargo].rsplit(GS.encode(), 1)[0]
    assert f"table cargo, line {cargo + 1}: 40 fields, the layout has 41" in _syntax(
        parse(b"\r\n".join(lines), {})
    )


def test_garbage_never_raises() -> None:
    for data in (
        b"",
        b"HREC",
        b"\x00\xff" * 50,
        b"HREC" + GS.encode() * 8 + b"SACHI01\n<cargo>",
        b"<TABLE>BE\nTREC",
    ):
        parsed = read(data, "x")
        assert parsed and all(p.type == "unknown" for p in parsed)


def test_bad_config_is_reported_not_raised() -> None:
    config = {"ices_flatfile": {"igm_date": "18.10.2025", "certificate_types": {"1": "NOPE"}}}
    [parsed] = parse(flat_file("sachi01", igm()), config)
    messages = _syntax([parsed])
    assert any("igm_date" in m for m in messages) and any("NOPE" in m for m in messages)


def test_section_markers_are_checked() -> None:
    data = flat_file("sachi01", igm()).replace(b"<END-cargo>\r\n", b"")
    messages = _syntax(parse(data, {}))
    assert any("<contain> opens before <END-cargo>" in m for m in messages)
    assert any("<END-contain> closes" not in m for m in messages)
    data = flat_file("cachi01", steel_be()).replace(b"<TABLE>BE\r\n", b"<BE>\r\n", 1)
    [parsed] = parse(data, {})
    assert parsed.type == "unknown"
    assert "line 2: '<BE>' is not a <TABLE> marker" in _syntax([parsed])
    data = flat_file("sachi01", igm()).replace(b"<vesinfo>\r\n", b"")
    messages = _syntax(parse(data, {}))
    assert "line 3: data record outside any table section" in messages
    assert any("<END-vesinfo> closes no open section" in m for m in messages)


def test_an_end_marker_of_another_section_names_the_open_one() -> None:
    """``<END-contain>`` closing an open ``<cargo>`` was "closes no open section"."""
    data = flat_file("sachi01", igm())
    line = data.split(b"\r\n").index(b"<END-cargo>") + 1
    data = data.replace(b"<END-cargo>", b"<END-contain>", 1)
    messages = _syntax(parse(data, {}))
    assert messages[0] == (
        f"line {line}: <END-contain> does not close the open section <cargo>, which "
        "<END-cargo> closes"
    )
    assert not any("closes no open section" in m for m in messages)


_UNWRAPPED = (
    "line 2: <vesinfo> opens before <manifest>: the sections of a SACHI01 file are wrapped in "
    "<manifest> … <END-manifest>"
)


@pytest.mark.parametrize(
    ("dropped", "said"),
    [
        ([b"<manifest>"], _UNWRAPPED),
        ([b"<END-manifest>"], "line 2: <manifest> is never closed by <END-manifest>"),
        ([b"<manifest>", b"<END-manifest>"], _UNWRAPPED),
    ],
)
def test_the_manifest_wrapper_is_mandatory(dropped: list[bytes], said: str) -> None:
    """A SACHI01 file without its ``<manifest>`` … ``<END-manifest>`` wrapper was accepted
    without a word; a fault in the wrapper is one finding."""
    lines = flat_file("sachi01", igm()).split(b"\r\n")
    lines = [line for line in lines if line not in dropped]
    [parsed] = parse(b"\r\n".join(lines), {})
    assert [(f.rule, f.message) for f in parsed.findings] == [("CORE-SYNTAX-003", said)]


def test_a_section_after_the_wrapper_and_a_second_wrapper_are_said() -> None:
    lines = flat_file("sachi01", igm()).split(b"\r\n")
    lines.remove(b"<END-manifest>")
    contain = lines.index(b"<contain>")
    lines.insert(contain, b"<END-manifest>")
    messages = _syntax(parse(b"\r\n".join(lines), {}))
    assert messages == [
        f"line {contain + 2}: <contain> opens after <END-manifest>: the sections of a SACHI01 "
        "file are wrapped in <manifest> … <END-manifest>"
    ]
    lines = flat_file("sachi01", igm()).split(b"\r\n")
    twice = [lines[0], lines[1], *lines[1:]]
    assert _syntax(parse(b"\r\n".join(twice), {})) == [
        "line 3: a second <manifest> (a file carries one manifest)"
    ]


@pytest.mark.parametrize("dialect", ["cachi01", "sachi01"])
@pytest.mark.parametrize(
    "block",
    [
        "<START-SIGNATURE>QUJD</START-SIGNATURE>\r\n<START-CERTIFICATE>TUlJ</START-CERTIFICATE>"
        "\r\n<SIGNER-VERSION>1.0</SIGNER-VERSION>\r\n",
        "<START-SIGNATURE>\r\nQUJD\r\nQUJD\r\n</START-SIGNATURE>\r\n<START-CERTIFICATE>\r\n"
        "TUlJ\r\n</START-CERTIFICATE>\r\n<SIGNER-VERSION>1.0\r\n",
    ],
    ids=["one-line-parts", "multi-line-parts"],
)
def test_a_signature_block_before_trec_is_said_as_one(dialect: str, block: str) -> None:
    """A signature block placed before TREC was read as broken records of the open table (three
    malformed SUPPORTING_DOCS records and nine key mismatches), with no word of a signature."""
    tables = steel_be() if dialect == "cachi01" else igm()
    # before TREC, or inside SACHI01's last section
    before = b"<END-contain>" if dialect == "sachi01" else f"TREC{GS}".encode()
    data = flat_file(dialect, tables).replace(before, block.encode() + before)
    lines = data.split(b"\r\n")
    first = next(n for n, line in enumerate(lines, 1) if line.startswith(b"<START-SIGNATURE>"))
    [parsed] = parse(data, {})
    assert parsed.message is not None
    assert [(f.rule, f.message) for f in parsed.findings] == [
        (
            "CORE-SYNTAX-002",
            f"line {first}: a digital-signature block (<START-SIGNATURE>) out of place, "
            "before TREC: the block follows the TREC trailer",
        )
    ]


def test_a_container_on_a_line_whose_cargo_value_was_refused_has_its_cargo_record() -> None:
    """A cargo record refused for its weight is still the line's record: its container is not
    said to be on a line without one."""
    tables = igm()
    line = tables["contain"][0]["line_number"]
    next(c for c in tables["cargo"] if c["line_number"] == line)["gross_weight"] = "0"
    [parsed] = parse(flat_file("sachi01", tables), {})
    messages = _syntax([parsed])
    assert any("gross weight 0 must be above zero" in m for m in messages)
    assert not any("which has no cargo record" in m for m in messages)


@pytest.mark.parametrize(
    ("dialect", "tables", "code", "table", "said"),
    [
        ("cachi01", steel_be, "X", "BE", "is not F, A, S or D"),
        ("sachi01", igm, "Q", "vesinfo", "is not F or A"),
    ],
)
def test_an_unknown_message_type_is_refused_not_read_as_an_original(  # type: ignore[no-untyped-def]
    dialect, tables, code, table, said
) -> None:
    """Field 1 (the message type) of every record holds an unknown code: a mistyped
    cancellation or amendment is a finding at the BE / vesinfo record, never a fresh filing."""
    data = tables()
    for records in data.values():
        for values in records:
            values["message_type"] = code
    [parsed] = parse(flat_file(dialect, data), {})
    [finding] = [f for f in parsed.findings if "message type" in f.message]
    assert finding.rule == "CORE-SYNTAX-005" and finding.outcome == "reject"
    assert f"message type {code!r} {said}" in finding.message
    assert finding.field is not None and finding.field.startswith(f"{table}[line ")
    assert finding.field.endswith(".field 1")
    assert len([f for f in parsed.findings if f.field and f.field.endswith(".field 1")]) == 1


def test_a_be_of_unknown_message_type_is_not_filed() -> None:
    from customs_engine.testing import make_engine

    data = steel_be()
    for records in data.values():
        for values in records:
            values["message_type"] = "X"
    engine = make_engine()
    [response] = engine.validate_bytes(flat_file("cachi01", data), "x.be")
    assert response.status == "rejected"
    assert engine.run.document(response.message.reference) is None
