"""What an in-sequence hook may read of the run: a read-only view of the ledger.

``customs_check_in_sequence`` and ``customs_rate_date`` receive the run typed as :class:`RunView`:
IGMs earlier in the run or stored, earlier uses of a licence and the authorisation debits so far.
Only the engine records messages and applies debits, after the hook returns.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from customs_engine.core.models import ImportGeneralManifest


class RunView(Protocol):
    """The run's state as in-sequence checks see it (committed state plus the run so far)."""

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        """IGMs with this number, the run's latest first, then stored ones."""
        ...

    def manifest(
        self, igm_number: str, igm_date: date | None = None
    ) -> ImportGeneralManifest | None:
        """The IGM with this number (and date, when given), the run's latest first."""
        ...

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        """Message IDs of other Bills of Entry (earlier in the run or committed) quoting this
        licence, ``excluding`` the asking message's own ID."""
        ...

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        """Quantity and INR value debited from this authorisation so far (committed + run)."""
        ...
