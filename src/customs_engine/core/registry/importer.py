"""``customs registry import``: CSV or JSON Lines files of registry rows, all-or-nothing per file.

Every row is read and validated before anything is written; a bad row is reported with its file
and line, and nothing of that file is imported.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from customs_engine.core.context import RegistryRecord

COLUMNS = tuple(RegistryRecord.model_fields)
#: what each kind cannot do without
REQUIRED: dict[str, tuple[str, ...]] = {
    "authorisation": ("scheme", "number"),
    "registration": ("scheme", "number"),
    "agency": ("number",),
    "exchange_rate": ("number", "currency", "rate", "issued_on"),
}


class ImportFileError(Exception):
    """A file that cannot be imported; ``errors`` name its lines."""

    def __init__(self, path: str, errors: list[str]):
        super().__init__(f"{path}: {len(errors)} problem(s)")
        self.path = path
        self.errors = errors


def read_file(path: str) -> list[RegistryRecord]:
    """Every row of one import file as records, or :class:`ImportFileError` naming the lines."""
    suffix = Path(path).suffix.lower()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(path, [f"{path}: cannot read: {exc}"]) from exc
    if suffix == ".csv":
        rows = _csv_rows(path, text)
    elif suffix == ".jsonl":
        rows = _jsonl_rows(path, text)
    else:
        raise ImportFileError(path, [f"{path}: unknown extension {suffix!r} (use .csv or .jsonl)"])
    errors: list[str] = []
    records: list[RegistryRecord] = []
    for line, row in rows:
        if isinstance(row, str):
            errors.append(f"{path}:{line}: {row}")
            continue
        try:
            records.append(_record(row))
        except (ValidationError, ValueError) as exc:
            errors.append(f"{path}:{line}: {_describe(exc)}")
    if errors:
        raise ImportFileError(path, errors)
    return records


def _csv_rows(path: str, text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or "kind" not in header:
        problem = f"unknown column(s) {unknown}" if unknown else "no 'kind' column"
        raise ImportFileError(path, [f"{path}:1: header: {problem}; columns are {list(COLUMNS)}"])
    rows: list[tuple[int, dict[str, Any] | str]] = []
    line = reader.line_num
    for row in reader:
        if None in row:
            rows.append((line + 1, f"more fields than the {len(header)} header columns"))
        else:
            rows.append((reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}))
        line = reader.line_num
    return rows


def _jsonl_rows(path: str, text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            rows.append((line, f"not JSON: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(value, dict):
            rows.append((line, "each line must be a JSON object"))
            continue
        rows.append((line, {k: v for k, v in value.items() if v not in ("", None)}))
    return rows


def _record(row: dict[str, Any]) -> RegistryRecord:
    hs_codes = row.get("hs_codes")
    if isinstance(hs_codes, str):
        row["hs_codes"] = tuple(hs_codes.split())
    for money in ("quantity", "value_inr", "fee_paid_inr", "rate"):
        if isinstance(row.get(money), float):
            raise ValueError(f"{money}: write numbers as strings or integers, not floats")
    record = RegistryRecord.model_validate(row)
    missing = [name for name in REQUIRED[record.kind] if getattr(record, name) in (None, "")]
    if missing:
        raise ValueError(f"{record.kind} row without {', '.join(missing)}")
    return record


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}"
                         for e in exc.errors())
    return str(exc)
