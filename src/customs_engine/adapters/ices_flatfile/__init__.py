"""ICES 1.5 flat files: CACHI01 Bills of Entry and SACHI01 sea IGMs in, CHCAI02 acks out.

Format name ``ices_flatfile``. Detection: an HREC header whose position 9 is ``CACHI01``,
``CACHI01_A`` or ``SACHI01``. Layouts: ``layouts.toml`` (transcribed from CBIC's BE Message
Exchange Document v2.23; SACHI01 reconstructed, see ``docs/formats/ices-flatfile.md``); code
maps: ``maps.toml``, overridable through ``--config`` (keys documented in :mod:`.settings`).
Mapping choices: :mod:`.cachi01`, :mod:`.sachi01`, :mod:`.valuation`;
acknowledgement: :mod:`.ack`.

The reader and the acknowledgement writer are imported when first used: a run that meets no
flat file does not load them.
"""

from __future__ import annotations

from typing import Literal

FORMAT = "ices_flatfile"
#: the response format of CHCAI02 acknowledgements
ACK_FORMAT = "ices-ack"
#: the field separator (ASCII group separator)
GS = "\x1d"
Dialect = Literal["cachi01", "sachi01"]
#: the most characters of a message id (the canonical model's bound)
MESSAGE_ID_LENGTH = 64
#: HREC position 9 → dialect
MESSAGE_IDS: dict[str, Dialect] = {
    "CACHI01": "cachi01",
    "CACHI01_A": "cachi01",
    "SACHI01": "sachi01",
}
#: other spellings of a message id: "CACHI01-A" is how the release history spells the amendment
_SPELLINGS = {"CACHI01-A": "CACHI01_A"}


def message_id(text: str) -> str | None:
    """HREC position 9 in the one spelling the reader uses (``cachi01-a`` is ``CACHI01_A``), or
    ``None`` when it names no message read here."""
    code = text.strip().upper()
    code = _SPELLINGS.get(code, code)
    return code if code in MESSAGE_IDS else None


#: the keys of the ``[ices_flatfile]`` table (another one is reported when a run starts)
SETTINGS = (
    "certificate_types",
    "control_certificate_types",
    "default_freight_pct",
    "default_insurance_pct",
    "igm_date",
    "igm_number",
    "licence_schemes",
    "registration_exemptions",
    "registrations",
)
