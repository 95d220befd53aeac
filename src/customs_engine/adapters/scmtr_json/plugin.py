"""The ``scmtr_json`` adapter plugin: SACHM22 declarations in, ICEGATE's SFL and ACK out.

The reader, the amendment and the reply writers are imported when first used (see the
package)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from customs_engine.adapters.scmtr_json import ACK_FORMAT, FORMAT, SFL_FORMAT
from customs_engine.core.formats import (
    ParsedMessage,
    ResponseFormat,
    Unapplied,
    WireFormat,
    narrowed,
)
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.ledger.run_view import RunView
from customs_engine.core.models import Function, ImportGeneralManifest
from customs_engine.core.rules import Rule

if TYPE_CHECKING:
    from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter

#: ``"messageID" : "SACHM2x"`` near the start of a JSON document (the header comes first)
_MESSAGE = re.compile(rb'"messageID"\s*:\s*"SACHM2[0-9]"')
#: keys only an SCMTR declaration has: JSON keys have no order, and a declaration that writes
#: its ``master`` before its ``headerField`` may not name its message within the first 4 KiB,
#: nor one that starts with its signature (a certificate of several KiB; its first key is named
#: before it)
_KEYS = re.compile(
    rb'"(?:decRef|mastrCnsgmtDec|vesselDtls|voyageDtls)"\s*:|"digSign"\s*:\s*\{\s*"(?:startSignature|startCertificate|signerVersion)"\s*:'
)
_JSON_START = re.compile(rb"^\s*[\[{]")


def detect(head: bytes, name: str) -> bool:
    """By content, never by file name: a JSON document whose header names SACHM22 (or its
    vessel sister SACHM23, which is then reported as not supported), or that holds the keys of
    an SCMTR declaration in whatever order (the reader then checks its header)."""
    # UTF-16 or UTF-32 too: recognised, so that the reader can say the encoding is the fault
    text = narrowed(head.removeprefix(b"\xef\xbb\xbf"))
    return bool(_JSON_START.match(text) and (_MESSAGE.search(text) or _KEYS.search(text)))


def read(data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]) -> list[ParsedMessage]:
    from customs_engine.adapters.scmtr_json import reader

    return reader.read(data, source)


def sfl_writer(stream: BinaryIO) -> SflWriter:
    from customs_engine.adapters.scmtr_json import replies

    return replies.SflWriter(stream)


def ack_writer(stream: BinaryIO) -> AckWriter:
    from customs_engine.adapters.scmtr_json import replies

    return replies.AckWriter(stream)


@hookimpl
def customs_rules() -> list[Rule]:
    from customs_engine.adapters.scmtr_json.amendment import RULES

    return list(RULES.values())


@hookimpl
def customs_wire_formats() -> list[WireFormat]:
    return [WireFormat(name=FORMAT, title="SCMTR JSON (SACHM22)", detect=detect, read=read)]


@hookimpl
def customs_message_kind(format: str, head: bytes) -> str | None:
    """Cargo declarations are manifests: read before the Bills of Entry noted against them."""
    return "manifest" if format == FORMAT else None


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [
        ResponseFormat(
            name=SFL_FORMAT,
            title="ICEGATE SCMTR structural-failure replies (SFL)",
            writer=sfl_writer,
        ),
        ResponseFormat(
            name=ACK_FORMAT,
            title="ICEGATE SCMTR acknowledgements (ACK)",
            writer=ack_writer,
        ),
    ]


@hookimpl
def customs_resolve_message(
    parsed: ParsedMessage, run: RunView
) -> ImportGeneralManifest | Unapplied | None:
    """An SCA applied to the manifest of the CSN it names, when the run knows that CSN (stored,
    or earlier in the run, at the same port) — or, when no manifest of the port carries that
    CSN number yet, to the one declaration filed there before its CSN was allotted that the SCA's
    voyage and master B/Ls identify (:func:`.amendment.filed_before_csn`), which then takes the
    CSN. Else the SCA as it came, an amendment of that CSN
    holding only the lines it sends: the engine answers it as an amendment of a document it
    does not know and, as nothing of the CSN is known to replace, files none of it — its own
    lines are not a manifest. An SCA whose line actions do not fit the known manifest (guide
    errors 306, 307) is :class:`Unapplied`: answered with ``SCMTR-SCA-001``/``002``, not filed."""
    echo = parsed.echo or {}
    if parsed.format != FORMAT or echo.get("event") != "SCA" or "amendment" not in echo:
        return None
    sca = ImportGeneralManifest.model_validate(echo["amendment"])
    sca = sca.model_copy(update={"function": Function.AMENDMENT})
    if not sca.igm_number:
        return sca
    from customs_engine.adapters.scmtr_json import amendment

    steps = echo.get("actions") or []
    numbered = [m for m in run.manifests_numbered(sca.igm_number) if m.port_code == sca.port_code]
    current = next((m for m in numbered if m.igm_date in (None, sca.igm_date)), None)
    if current is None and not numbered:  # no manifest of the port has the number
        filed = amendment.filed_before_csn(sca, steps, run.unnumbered_manifests(sca.port_code))
        if filed is not None:
            current = filed.model_copy(
                update={"igm_number": sca.igm_number, "igm_date": sca.igm_date}
            )
    if current is None:
        return sca
    return amendment.apply(current, sca, steps)
