"""What an in-sequence hook may read of the run: a read-only view of the ledger.

``customs_check_in_sequence`` and ``customs_rate_date`` receive the run typed as :class:`RunView`:
IGMs earlier in the run or stored (by number, or a port's that have none yet), earlier uses of a
licence and the authorisation debits so far. Only the engine records messages and applies debits,
after the hook returns: the object a hook receives is a :class:`ReadOnlyRun`, which has these five
methods and nothing else.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
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

    def unnumbered_manifests(self, port_code: str) -> list[ImportGeneralManifest]:
        """IGMs of this port filed without an IGM number that have none yet (it is allotted
        later), the run's latest first, then stored ones."""
        ...

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        """Message IDs of other Bills of Entry (earlier in the run or committed) whose latest
        version quotes this licence (a cancelled one does not), ``excluding`` the asking
        message's own ID."""
        ...

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        """Quantity and INR value debited from this authorisation so far (committed + run)."""
        ...


class ReadOnlyRun:
    """The :class:`RunView` the engine hands to hooks: the five read methods, nothing else.

    The run's ledger (:class:`~customs_engine.core.ledger.run_state.RunState`) applies claims and
    commits; a plugin must not. This wrapper has no attribute a plugin can set and no method that
    changes the run, and the IGMs it returns are copies, so changing one changes nothing the run
    holds. A copy is made once per IGM and reused while it is among the last :data:`COPIES`
    handed out (a large IGM costs milliseconds to copy, and the same one is asked for by every
    Bill of Entry noted against it). Python keeps nothing truly private: the wrapper keeps the
    ledger out of the public API, and the contract test keeps plugins off ``customs_engine.core``.
    """

    __slots__ = ("__copies", "__run")
    __run: RunView
    __copies: OrderedDict[int, tuple[ImportGeneralManifest, ImportGeneralManifest]]

    def __init__(self, run: RunView) -> None:
        object.__setattr__(self, "_ReadOnlyRun__run", run)
        object.__setattr__(self, "_ReadOnlyRun__copies", OrderedDict())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the run is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"the run is read-only: cannot delete {name!r}")

    def __repr__(self) -> str:
        return "<read-only run>"

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        return [self.__copy(m) for m in self.__run.manifests_numbered(igm_number)]

    def manifest(
        self, igm_number: str, igm_date: date | None = None
    ) -> ImportGeneralManifest | None:
        found = self.__run.manifest(igm_number, igm_date)
        return None if found is None else self.__copy(found)

    def unnumbered_manifests(self, port_code: str) -> list[ImportGeneralManifest]:
        return [self.__copy(m) for m in self.__run.unnumbered_manifests(port_code)]

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        return list(self.__run.prior_uses(scheme, number, excluding=excluding))

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        return self.__run.debited(scheme, number)

    def __copy(self, manifest: ImportGeneralManifest) -> ImportGeneralManifest:
        # keyed by identity; the entry holds the original, so its id cannot be reused meanwhile
        held = self.__copies.get(id(manifest))
        if held is not None:
            self.__copies.move_to_end(id(manifest))
            return held[1]
        copy = manifest.model_copy(deep=True)
        self.__copies[id(manifest)] = (manifest, copy)
        if len(self.__copies) > COPIES:
            self.__copies.popitem(last=False)
        return copy


def dated(
    manifests: Iterable[ImportGeneralManifest], igm_date: date | None
) -> ImportGeneralManifest | None:
    """The first of ``manifests`` of this IGM date (any, without one; one of no date fits)."""
    return next((m for m in manifests if igm_date is None or m.igm_date in (None, igm_date)), None)


class AsItStood:
    """The run with one manifest as it stood before its current version (``before``, an earlier
    version of it): what a partial amendment sent again is resolved on, to tell whether it is
    the one that made the current version (the engine's ``_resent``). Everything else is the
    run's."""

    def __init__(self, run: RunView, before: ImportGeneralManifest) -> None:
        self._run, self._before = run, before

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        found = [
            m
            for m in self._run.manifests_numbered(igm_number)
            if m.message_id != self._before.message_id
        ]
        return [self._before, *found] if self._before.igm_number == igm_number else found

    def manifest(
        self, igm_number: str, igm_date: date | None = None
    ) -> ImportGeneralManifest | None:
        return dated(self.manifests_numbered(igm_number), igm_date)

    def unnumbered_manifests(self, port_code: str) -> list[ImportGeneralManifest]:
        found = [
            m
            for m in self._run.unnumbered_manifests(port_code)
            if m.message_id != self._before.message_id
        ]
        before = self._before
        unnumbered = before.igm_number is None and before.port_code == port_code
        return [before, *found] if unnumbered else found

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        return self._run.prior_uses(scheme, number, excluding=excluding)

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        return self._run.debited(scheme, number)


#: IGM copies a :class:`ReadOnlyRun` keeps for reuse
COPIES = 16


def _wrapped(run: RunView) -> RunView:
    """The run a :class:`ReadOnlyRun` wraps; any other run as it is (``run_state.ledger_of``)."""
    if isinstance(run, ReadOnlyRun):
        inner: RunView = object.__getattribute__(run, "_ReadOnlyRun__run")
        return inner
    return run
