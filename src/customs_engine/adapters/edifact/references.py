"""Message ids ↔ UNH references (0062 holds at most 14 characters)."""

from __future__ import annotations

import hashlib

MAX_REFERENCE = 14  # UNH 0062 an..14


def message_reference(message_id: str) -> str:
    """The UNH reference for a message id; a longer id gets a stable 14-character short form.

    The full id then travels as the declarant's reference (CUSDEC BGM 1004, CUSCAR RFF+ABE) and
    :func:`message_id` restores it from there.
    """
    if len(message_id) <= MAX_REFERENCE:
        return message_id
    return message_id[:4] + hashlib.sha1(message_id.encode()).hexdigest()[:10].upper()


def message_id(unh_reference: str, declarant_reference: str | None) -> str:
    """The canonical message id: the UNH reference, or the declarant's reference it stands for."""
    if declarant_reference and message_reference(declarant_reference) == unh_reference:
        return declarant_reference
    return unh_reference
