"""Build ICES 1.5 flat files from field dicts laid out by the adapter's own table layouts.

Tests describe a message as ``{table: [{field name: value}, …]}``; the builder puts every value at
its layout position, fills the common key prefix and wraps the records in HREC/TREC. Nothing is
copied from the samples.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from customs_engine.adapters.ices_flatfile import Dialect
from customs_engine.adapters.ices_flatfile.layouts import layouts

GS = "\x1d"
BE_KEY = {"message_type": "F", "custom_house": "INNSA1", "job_no": "7001", "job_date": "20260310"}
IGM_KEY = {
    "message_type": "F",
    "custom_house": "INNSA1",
    "imo_code": "9876543",
    "call_sign": "QABC1",
    "voyage": "101E",
}


def record(dialect: Dialect, table: str, values: Mapping[str, Any]) -> str:
    layout = layouts(dialect)[table]
    names = [spec.name for spec in layout.fields]
    unknown = set(values) - set(names)
    assert not unknown, f"{table} has no fields {unknown}"
    return GS.join("" if values.get(n) is None else str(values[n]) for n in names)


def flat_file(
    dialect: Dialect,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    message_id: str | None = None,
    control: str = "7001",
    newline: str = "\r\n",
    trailing_gs: bool = False,
    table_names: Mapping[str, str] | None = None,
    header_date: str = "20260310",
    header_time: str = "1100",
) -> bytes:
    """A whole file; ``table_names`` renames markers (e.g. SUPPORTING_DOCS → SUPPORTINGDOCS)."""
    message_id = message_id or dialect.upper()
    lines = [
        GS.join(
            [
                "HREC",
                "ZZ",
                "TESTCB0001",
                "ZZ",
                "INNSA1",
                "ICES1_5",
                "T",
                "",
                message_id,
                control,
                header_date,
                header_time,
            ]
        )
    ]
    names = table_names or {}
    for table, rows in tables.items():
        marker = names.get(table, table)
        if dialect == "cachi01":
            lines.append(f"<TABLE>{marker}")
        else:
            lines.append(f"<{marker}>")
        for row in rows:
            key = BE_KEY if dialect == "cachi01" else (IGM_KEY if table != "vesinfo" else {})
            text = record(dialect, table, {**key, **row})
            lines.append(text + (GS if trailing_gs else ""))
        if dialect == "sachi01":
            lines.append(f"<END-{marker}>")
    if dialect == "sachi01":
        lines.insert(1, "<manifest>")
        lines.append("<END-manifest>")
    lines.append(f"TREC{GS}{control}")
    return (newline.join(lines) + newline).encode("ascii")


def steel_be() -> dict[str, list[dict[str, Any]]]:
    """A fresh home-consumption BE: two steel items on one USD invoice, SIMS-registered."""
    item = {
        "invoice_sr": 1,
        "unit": "KGS",
        "ritc": "72085110",
        "cth": "72085110",
        "description1": "HR STEEL PLATES",
        "brand": "N.A.",
        "model": "E250",
        "end_use": "GNX200",
        "country_of_origin": "JP",
        "preferential": "S",
        "ceth": "NOEXCISE",
        "rsp_applicability": "N",
        "reimport": "N",
        "accessory_status": "0",
    }
    sims = {
        "invoice_sr": 1,
        "info_type": "PNM",
        "info_qualifier": "SIU",
        "info_code": "SIUNAPL",
        "info_text": "STL2026030100099/15052026",
    }
    return copy.deepcopy(
        {
            "BE": [
                {
                    "be_type": "H",
                    "iec": "ZZZAB1234C",
                    "branch_sr": 1,
                    "class": "N",
                    "mode": "S",
                    "importer_name": "ZETA TEST IMPORTS",
                    "importer_type": "P",
                    "kachcha": "N",
                    "high_sea_sale": "N",
                    "port_of_origin": "JPYOK",
                    "cha_code": "ZZZCB1234CCH001",
                    "country_of_origin": "JP",
                    "country_of_consignment": "JP",
                    "port_of_shipment": "JPYOK",
                    "green_channel": "N",
                    "section_48": "N",
                    "prior_be": "N",
                    "ad_code": "0990001",
                    "first_check": "N",
                    "payment_method": "T",
                }
            ],
            "EXCHANGE": [{"currency": "USD", "standard_currency": "Y", "rate": "88.5000"}],
            "INVOICE": [
                {
                    "invoice_sr": 1,
                    "supplier_name": "EXAMPLE STEEL KK",
                    "invoice_value": "3000.00",
                    "terms": "CIF",
                    "currency": "USD",
                    "nature_of_transaction": "S",
                    "payment_terms": "LC",
                    "actual_invoice_number": "INV-1",
                    "buyer_seller_related": "N",
                }
            ],
            "ITEMS": [
                {**item, "item_sr": 1, "quantity": "1000", "unit_price": "1.5"},
                {**item, "item_sr": 2, "quantity": "2000", "unit_price": "0.75"},
            ],
            "IGMS": [
                {
                    "igm_number": "0012345",
                    "igm_date": "20260305",
                    "inward_date": "20260306",
                    "bl_number": "MBL0001",
                    "bl_date": "20260201",
                    "packages": 5,
                    "gross_weight": "3000.000",
                    "weight_unit": "KGS",
                    "package_code": "PKG",
                    "marks1": "NM",
                }
            ],
            "CONTAINER": [
                {
                    "igm_number": "0012345",
                    "igm_date": "20260305",
                    "lcl_fcl": "F",
                    "container_number": "ZZZU1234564",
                    "seal_number": "S1",
                }
            ],
            "CTX": [
                {"state_code": "27", "tax_type": "G", "registration_number": "27ZZZAB1234C1ZQ"}
            ],
            "BE_ITEM_SW_INFO_TYPE": [{**sims, "item_sr": 1}, {**sims, "item_sr": 2}],
        }
    )


def igm() -> dict[str, list[dict[str, Any]]]:
    """A fresh sea IGM: two lines, three containers, IGM number left for ICES to allot."""
    cargo = {
        "bl_date": "01022026",
        "port_of_loading": "JPYOK",
        "port_of_destination": "INNSA1",
        "importer_name": "ZETA TEST",
        "nature_of_cargo": "C",
        "item_type": "OT",
        "cargo_movement": "LC",
        "packages": 5,
        "package_type": "PKG",
        "gross_weight": "3000.000",
        "weight_unit": "KGS",
        "description": "STEEL",
    }
    contain = {
        "container_status": "FCL",
        "packages": 5,
        "weight_tonnes": "3.00",
        "iso_code": "2200",
        "soc_flag": "N",
    }
    return copy.deepcopy(
        {
            "vesinfo": [
                {
                    "message_type": "F",
                    "custom_house": "INNSA1",
                    "imo_code": "9876543",
                    "call_sign": "QABC1",
                    "voyage": "101E",
                    "shipping_line": "EXLN",
                    "agent_code": "ZZZCA1234M",
                    "port_of_arrival": "INNSA1",
                    "last_port": "JPYOK",
                    "vessel_type": "C",
                    "total_lines": 2,
                    "expected_arrival": "06032026 08:00",
                }
            ],
            "cargo": [
                {**cargo, "line_number": 1, "subline_number": 0, "bl_number": "MBL0001"},
                {
                    **cargo,
                    "line_number": 2,
                    "subline_number": 0,
                    "bl_number": "MBL0002",
                    "gross_weight": "4.500",
                    "weight_unit": "MTS",
                },
            ],
            "contain": [
                {
                    **contain,
                    "line_number": 1,
                    "subline_number": 0,
                    "container_number": "ZZZU1234564",
                },
                {
                    **contain,
                    "line_number": 2,
                    "subline_number": 0,
                    "container_number": "ZZZU7654321",
                },
                {
                    **contain,
                    "line_number": 2,
                    "subline_number": 0,
                    "container_number": "ZZZU1111111",
                },
            ],
        }
    )
