"""Formats as typed records: what a format plugin registers, and the registry the engine reads.

A wire-format plugin returns :class:`WireFormat` records from ``customs_wire_formats`` (name,
detect, read, and optionally write); a response-format plugin returns :class:`ResponseFormat`
records from ``customs_response_formats``. The host collects them at start-up and refuses a name
that two plugins register, as it refuses duplicate rule IDs. The CLI's ``--format`` and
``convert --to`` choices, and the "format not recognised" message, come from these records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.parsing import ParsedMessage, ResponseWriter

Config = Mapping[str, Mapping[str, Any]]
Messages = Sequence[BillOfEntry | ImportGeneralManifest]


@dataclass(frozen=True)
class WireFormat:
    """A message format the engine can read (and, with ``write``, that ``convert`` can write).

    * ``name`` — the format's name in responses (``message.format``) and ``validate`` output;
    * ``title`` — how messages name it for people ("ICEGATE XML");
    * ``detect(head, name)`` — whether a file is in this format, from its first 4 KiB (``head``,
      possibly with a UTF-8 BOM) and its path or archive member name;
    * ``read(data, source, config)`` — every message of the file, in order (at least one);
      malformed input becomes a message of type ``unknown`` with a ``CORE-SYNTAX-001`` finding;
      ``config`` holds the ``--config`` tables;
    * ``write(messages)`` — the messages as one document of this format (``None``: read only);
    * ``convert_name`` — the name ``customs convert --to`` knows it by (default: ``name``).
    """

    name: str
    title: str
    detect: Callable[[bytes, str], bool]
    read: Callable[[bytes, str, Config], list[ParsedMessage]]
    write: Callable[[Messages], bytes] | None = None
    convert_name: str | None = None

    @property
    def target(self) -> str:
        return self.convert_name or self.name


@dataclass(frozen=True)
class ResponseFormat:
    """A response format of ``customs validate --format``: ``writer(stream)`` is called once per
    run; the engine then calls ``write(response)`` per message in input order and ``close()``."""

    name: str
    title: str
    writer: Callable[[BinaryIO], ResponseWriter]
