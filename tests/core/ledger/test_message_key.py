"""The submission key is persisted: it must stay exactly what its recipe says, for any text."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from customs_engine.core.ledger.run_state import _canonical, message_key
from customs_engine.core.models import BillOfEntry
from customs_engine.testing import bill_of_entry, item, licence


def recipe(message: BillOfEntry) -> str:
    """The documented recipe, written the slow, obvious way."""
    canonical: Any = _canonical(message.model_dump(mode="python"))
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{message.message_id}#{hashlib.sha256(text.encode()).hexdigest()[:32]}"


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != ""))
def test_the_key_follows_its_recipe_for_any_text(text: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        return  # (lone surrogates cannot come out of a decoded file)
    boe = bill_of_entry(
        items=[item(number=1, description=text), item(number=2, licences=[licence("IMS", "X")])]
    )
    assert message_key(boe) == recipe(boe)


def test_the_key_of_a_known_message_never_changes() -> None:
    """Keys committed by earlier runs must still be recognised (computed by release 0.2)."""
    boe = bill_of_entry(
        message_id="BE-PINNED",
        items=[item(number=1, description="  ALLOY\tSTEEL  COILS ", quantity="30.0")],
    )
    assert message_key(boe) == PINNED


PINNED = "BE-PINNED#0ad14568c276d89be8922d06a6f250dc"
