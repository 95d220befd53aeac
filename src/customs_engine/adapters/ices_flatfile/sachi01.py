"""SACHI01 sea IGM → canonical :class:`ImportGeneralManifest` (layout reconstructed from files in
use: ``docs/formats/ices-flatfile.md``).

* ``message_id`` = ``SACHI01-<port>-<HREC control no>``; ``port_code`` = vesinfo custom house.
  An amendment replaces the manifest filed under its control number: one sent under a new
  control number is the amendment of an unknown manifest (documented, not guessed at).
* ``igm_number`` / ``igm_date`` = vesinfo fields 3–4; a fresh IGM leaves them empty (ICES allots
  them), so ``[ices_flatfile] igm_number`` / ``igm_date`` fill them. Without either the manifest
  still parses with ``igm_number`` ``None``: it cannot be noted against, which is the truth of a
  fresh IGM and not an error.
* ``filed_at`` = HREC date and time, IST. ``expected_arrival`` = vesinfo 18. ``carrier`` = the
  shipping line code, ``last_port_of_call`` = vesinfo 12. SACHI01 names the vessel only by IMO
  number and call sign, so ``vessel_name`` is ``"IMO 9399117 / 9V3523"`` (either part may be
  missing).
* Lines: ``bl_number`` = the house B/L when one is given, else the B/L (field 10) — the same rule as
  the BE's ``manifest.bl_number``, so noting by B/L matches. ``gross_weight_kg`` converts MTS/TNE
  tonnes; a weight in another unit, or a cargo movement other than LC/TI/TC, is left out with
  an ``ICES-VAL-002`` warning. ``consignee_iec`` stays empty: SACHI01 has no IEC field.
* Codes are read in upper case; a last port of call given as an Indian ICES location code
  (``INMAA1``) is its UN/LOCODE (``INMAA``). A value the canonical model still refuses is reported
  at the record and field that carried it (``shapes``).
* Containers are not in the canonical model; :func:`containers` returns them for callers that
  join BE ``CONTAINER`` records to IGM lines, and every ``<contain>`` record must belong to a
  cargo line of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from customs_engine.adapters.ices_flatfile import shapes
from customs_engine.adapters.ices_flatfile.catalogue import RULES
from customs_engine.adapters.ices_flatfile.records import Envelope, Record
from customs_engine.adapters.ices_flatfile.settings import Settings
from customs_engine.core.models import ImportGeneralManifest

_TONNES = {"MTS", "TNE", "MTN", "TON"}
_KILOGRAMS = {"KGS", "KGM", "KG"}
_FUNCTIONS = {"F": "original", "A": "amendment"}
#: manifest field → the vesinfo field that gives it
_VESINFO_FIELDS = {
    "port_code": "custom_house",
    "igm_number": "igm_number",
    "voyage": "voyage",
    "vessel_name": "imo_code",
    "carrier": "shipping_line",
    "expected_arrival": "expected_arrival",
    "last_port_of_call": "last_port",
}
#: manifest line (or goods item) field → the cargo field that gives it
_CARGO_FIELDS = {
    "line": "line_number",
    "subline": "subline_number",
    "bl_number": "bl_number",
    "consignee_name": "importer_name",
    "packages": "packages",
    "package_kind": "package_type",
    "gross_weight_kg": "gross_weight",
    "description": "description",
}


@dataclass(frozen=True)
class Container:
    line: int
    subline: int
    number: str
    seal: str | None
    status: str | None
    packages: Decimal | None
    weight_tonnes: Decimal | None
    record_line: int


def message_id(envelope: Envelope) -> str:
    vesinfo = envelope.table("vesinfo")
    port = (vesinfo[0].text("custom_house") if vesinfo else None) or envelope.header.receiver
    return f"SACHI01-{port.strip()}-{envelope.header.control_no}"


def containers(envelope: Envelope) -> list[Container]:
    out = []
    for record in envelope.table("contain"):
        line, sub, number = (
            record.get("line_number"),
            record.get("subline_number"),
            record.text("container_number"),
        )
        if line is None or sub is None or number is None:
            continue
        out.append(
            Container(
                int(line),
                int(sub),
                number,
                record.text("seal_number"),
                record.text("container_status"),
                record.get("packages"),
                record.get("weight_tonnes"),
                record.line,
            )
        )
    return out


def to_manifest(envelope: Envelope, settings: Settings) -> ImportGeneralManifest | None:
    ves = envelope.single(
        "vesinfo",
        missing="no <vesinfo> record: the manifest cannot be read",
        extra="second vesinfo record (one vessel per manifest)",
    )
    if ves is None:
        return None
    _same_voyage(envelope, ves)
    cargo: list[Record] = []
    lines = _lines(envelope, cargo)
    declared = ves.get("total_lines")
    if declared is not None and int(declared) != len(envelope.table("cargo")):
        envelope.problem(
            f"total number of lines is {declared} but the file has "
            f"{len(envelope.table('cargo'))} cargo records",
            table="vesinfo",
            kind="envelope",
            line=ves.line,
            position=ves.layout.position("total_lines"),
        )
    # a container's line has a cargo record even when a value of that record was refused
    with_cargo = {
        (int(record.get("line_number")), int(record.get("subline_number")))
        for record in envelope.table("cargo")
        if record.get("line_number") is not None and record.get("subline_number") is not None
    }
    _check_containers(envelope, with_cargo)
    function = envelope.function(ves, _FUNCTIONS)
    try:
        return ImportGeneralManifest.model_validate(
            {
                "message_id": message_id(envelope),
                "function": function,
                "port_code": ves.text("custom_house"),
                "igm_number": ves.text("igm_number") or settings.igm_number,
                "igm_date": ves.get("igm_date") or settings.igm_date,
                "filed_at": envelope.header.sent_at,
                "conveyance": "VESSEL",
                "voyage": ves.text("voyage"),
                "vessel_name": _vessel(ves),
                "carrier": ves.text("shipping_line"),
                "expected_arrival": ves.get("expected_arrival"),
                "last_port_of_call": shapes.location(ves.text("last_port")),
                "lines": lines,
            }
        )
    except ValidationError as exc:
        shapes.refused(envelope, exc, _places(ves, cargo))
        return None
    except (ValueError, TypeError) as exc:
        envelope.problem(
            f"the vesinfo record cannot make a manifest: {exc}"[:300],
            table="vesinfo",
            line=ves.line,
        )
        return None


def _same_voyage(envelope: Envelope, ves: Record) -> None:
    """Cargo and container records repeat the vessel's port, call sign, voyage and IGM no/date."""
    shared = ("custom_house", "call_sign", "voyage", "igm_number", "igm_date")
    for record in envelope.table("cargo") + envelope.table("contain"):
        for name in shared:
            mine, theirs = record.text(name), ves.text(name)
            if record.values.get(name) is not None and mine != theirs:
                envelope.problem(
                    f"{name} {mine!r} differs from vesinfo's {theirs!r}",
                    table=record.table,
                    line=record.line,
                    position=record.layout.position(name),
                )


def _vessel(ves: Record) -> str | None:
    imo, call_sign = ves.text("imo_code"), ves.text("call_sign")
    parts = [f"IMO {imo}" if imo else None, call_sign]
    return " / ".join(p for p in parts if p) or None


def _places(ves: Record, cargo: list[Record]) -> shapes.Place:
    """Where each field of the manifest came from (see :func:`shapes.refused`)."""

    def place(loc: tuple[int | str, ...]) -> tuple[Record | None, str | None]:
        if loc[0] == "lines" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(cargo):
            record = cargo[loc[1]]
            name = str(loc[-1]) if len(loc) > 2 else ""
            if name == "bl_number" and record.text("house_bl_number"):
                return record, "house_bl_number"
            return record, _CARGO_FIELDS.get(name)
        return ves, _VESINFO_FIELDS.get(str(loc[0]))

    return place


def _lines(envelope: Envelope, records: list[Record]) -> list[dict[str, Any]]:
    """The manifest lines (as the model reads them); ``records`` gets the cargo record of each."""
    out = []
    seen: dict[tuple[int, int], int] = {}
    for record in envelope.table("cargo"):
        line, sub = record.get("line_number"), record.get("subline_number")
        if line is None or sub is None:
            continue  # reported by the reader
        key = (int(line), int(sub))
        if key[0] < 1:
            envelope.problem(
                "line number 0: lines start at 1",
                table="cargo",
                line=record.line,
                position=record.layout.position("line_number"),
                kind="value",
            )
            continue
        if key in seen:
            envelope.problem(
                f"line {key[0]}/{key[1]} repeats the cargo record of line {seen[key]}",
                table="cargo",
                line=record.line,
                position=record.layout.position("line_number"),
            )
            continue
        seen[key] = record.line
        if record.get("gross_weight") == 0:
            envelope.problem(
                "gross weight 0 must be above zero",
                table="cargo",
                line=record.line,
                position=record.layout.position("gross_weight"),
            )
            continue
        out.append(_line(record, key))
        records.append(record)
        _unheld(envelope, record, out[-1])
    return out


def _unheld(envelope: Envelope, record: Record, line: dict[str, Any]) -> None:
    """ICES-VAL-002 for a cargo value the line cannot hold: said, not dropped in silence."""
    dropped = []
    if line["gross_weight_kg"] is None and record.get("gross_weight") is not None:
        unit = record.text("weight_unit")
        dropped.append(
            (
                "weight_unit",
                f"gross weight {record.get('gross_weight')} {unit}: the unit is neither "
                "kilograms (KGS) nor tonnes (MTS, TNE), so the line's weight is left out",
            )
        )
    movement = record.text("cargo_movement")
    if movement and line["cargo_movement"] is None:
        dropped.append(
            (
                "cargo_movement",
                f"cargo movement {movement!r} is none of LC (local cargo), TI and TC "
                "(transhipment), so the line's cargo movement is left out",
            )
        )
    for name, text in dropped:
        envelope.findings.append(
            RULES["ICES-VAL-002"].finding(
                "warn",
                f"cargo line {line['line']}/{line['subline']}: {text}",
                field=f"cargo[line {record.line}].field {record.layout.position(name)}",
            )
        )


def _line(record: Record, key: tuple[int, int]) -> dict[str, Any]:
    house = record.text("house_bl_number")
    movement = (record.text("cargo_movement") or "").upper()
    packages = record.get("packages")
    return {
        "line": key[0],
        "subline": key[1],
        "bl_number": house or record.text("bl_number"),
        "bl_date": record.get("house_bl_date") if house else record.get("bl_date"),
        "consignee_name": record.text("importer_name"),
        "packages": None if packages is None else int(packages),
        "package_kind": record.text("package_type"),
        "gross_weight_kg": _kilograms(record),
        "description": record.text("description"),
        "cargo_movement": movement if movement in ("LC", "TI", "TC") else None,
    }


def _kilograms(record: Record) -> Decimal | None:
    weight, unit = record.get("gross_weight"), (record.text("weight_unit") or "").upper()
    if weight is None:
        return None
    if unit in _KILOGRAMS:
        return weight
    return weight * 1000 if unit in _TONNES else None


def _check_containers(envelope: Envelope, known: set[tuple[int, int]]) -> None:
    for container in containers(envelope):
        if (container.line, container.subline) not in known:
            envelope.problem(
                f"container {container.number} is on line "
                f"{container.line}/{container.subline}, which has no cargo record",
                table="contain",
                line=container.record_line,
                position=8,
            )
