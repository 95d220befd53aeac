"""Message ids ↔ UNH references (0062 holds at most 14 characters)."""

from __future__ import annotations

import hashlib

MAX_REFERENCE = 14  # UNH 0062 an..14
#: the longest UNH reference a reply names as written (a message id's length): an over-long one
#: is refused, and named as the input wrote it
MAX_SHOWN_REFERENCE = 64


def message_reference(message_id: str, repeat: int = 0) -> str:
    """The UNH reference for a message id; a longer id gets a stable 14-character short form.

    The full id then travels as the declarant's reference (CUSDEC BGM 1004, CUSCAR RFF+ABE) and
    :func:`message_id` restores it from there. A reference names one message of an interchange:
    the ``repeat``-th further message with the same id (or short form) ends in ``#<repeat + 1>``
    instead, its full id travelling the same way.
    """
    reference = message_id
    if len(message_id) > MAX_REFERENCE:
        reference = message_id[:4] + hashlib.sha1(message_id.encode()).hexdigest()[:10].upper()
    if repeat:
        tag = f"#{repeat + 1}"
        reference = reference[: MAX_REFERENCE - len(tag)] + tag
    return reference


def message_id(unh_reference: str, declarant_reference: str | None) -> str:
    """The canonical message id: the UNH reference, or the declarant's reference it stands for."""
    if declarant_reference:
        if message_reference(declarant_reference) == unh_reference:
            return declarant_reference
        _, tag, number = unh_reference.rpartition("#")
        if (
            tag
            and number.isascii()
            and number.isdigit()
            and len(number) <= 6
            and int(number) >= 2
            and message_reference(declarant_reference, int(number) - 1) == unh_reference
        ):
            return declarant_reference
    return unh_reference
