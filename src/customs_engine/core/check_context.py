"""What a check can see besides the message: the run's settings and the registry.

Checks receive a :class:`CheckContext`. It is read-only and the same for every message of a run,
so stateless checks may run in worker processes. Run state (IGMs earlier in the run, ledger
balances, earlier uses of a licence) is passed separately, and only to the in-sequence hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from customs_engine.core.dates import india_date
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.registry.records import MemoryRegistry, Registry


@dataclass(frozen=True)
class CheckContext:
    """Settings of the run, shared by every check."""

    registry: Registry = field(default_factory=MemoryRegistry)
    as_of: date | None = None
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: schemes (upper case licence scheme names, e.g. "IMS") some loaded plugin handles
    handled_schemes: frozenset[str] = frozenset()
    #: the day whose CBIC-notified exchange rates value the message, when not its reference
    #: date: set by the engine for an amendment, valued as its document was first presented
    valued_on: date | None = None

    def __post_init__(self) -> None:
        # shared by every message of the run (and every worker): no check may change it for
        # the next message
        object.__setattr__(self, "config", _read_only(self.config))

    def reference_date(self, message: BillOfEntry | ImportGeneralManifest) -> date:
        """The date a rule's version is chosen by: ``--as-of``, else the message's own date."""
        if self.as_of is not None:
            return self.as_of
        if isinstance(message, BillOfEntry):
            return message.presented_on
        for moment in (message.filed_at, message.arrived_at, message.expected_arrival):
            if moment is not None:
                return india_date(moment)
        return message.igm_date or date.today()

    def valuation_date(self, boe: BillOfEntry) -> date:
        """The day whose CBIC-notified import exchange rates value ``boe`` (s.14: those in
        force when the Bill of Entry is presented): for an amendment, the day its document was
        first presented; ``--as-of`` when given; else its own date."""
        return self.valued_on or self.reference_date(boe)

    def settings(self, plugin: str) -> Mapping[str, Any]:
        """The ``--config`` table of one plugin (empty when none was given)."""
        return self.config.get(plugin, {})


class ReadOnlyTable(dict[str, Any]):
    """A ``--config`` table that cannot be changed (a dict, so it reads and pickles as one)."""

    def _refused(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the run's --config settings are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refused  # type: ignore[assignment]
    __ior__ = _refused  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return ReadOnlyTable, (dict(self),)


def _read_only(value: Any) -> Any:
    """``value`` with every table read-only and every array a tuple."""
    if isinstance(value, Mapping):
        return ReadOnlyTable({key: _read_only(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_read_only(item) for item in value)
    return value


def _plain(value: Any) -> Any:
    """A private copy of a read-only ``--config`` value: its tables as plain dicts (a tuple, and
    what it holds, cannot be changed and is shared)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


class ContextGuard:
    """What a :class:`CheckContext` held when the run began, to find out whether a plugin forced
    a change on it (``object.__setattr__(ctx, ...)``, ``dict.__setitem__(ctx.config, ...)``)
    and to put it back: the context is shared by every check and every message of the run, so a
    change would switch other plugins' rules off for the rest of it.

    :meth:`intact` is cheap enough to ask after every hook call: two dictionary comparisons,
    whose values are mostly the very objects kept (compared by identity)."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self._fields = dict(vars(ctx))
        self._config = _plain(ctx.config)

    def intact(self) -> bool:
        ctx = self.ctx
        return vars(ctx) == self._fields and ctx.config == self._config

    def restore(self) -> list[str]:
        """Put the context back as it was; what had changed (field names, ``config``)."""
        ctx = self.ctx
        now = vars(ctx)
        changed = sorted(
            name
            for name in now.keys() | self._fields.keys()
            if name not in now or name not in self._fields or now[name] != self._fields[name]
        )
        now.clear()
        now.update(self._fields)
        if ctx.config != self._config:
            # a table was changed in place: the run goes on with a new copy of what it held
            object.__setattr__(ctx, "config", _read_only(self._config))
            self._fields["config"] = ctx.config
            changed = sorted({*changed, "config"})
        return changed


T = TypeVar("T")

#: what the hooks of the message being assessed have worked out, for the others to reuse
Memo = dict[tuple[int, str, int], tuple[object, Any]]
_MESSAGE_MEMO: ContextVar[Memo | None] = ContextVar("customs_message_memo", default=None)


@contextmanager
def one_message(memo: Memo | None = None) -> Iterator[Memo]:
    """While the engine runs the hooks of one message: :func:`once_per_message` works out each
    of its values once for all of them (``memo``: what its stateless hooks worked out)."""
    memo = {} if memo is None else memo
    token = _MESSAGE_MEMO.set(memo)
    try:
        yield memo
    finally:
        _MESSAGE_MEMO.reset(token)


def once_per_message(owner: object, name: str, message: object, compute: Callable[[], T]) -> T:
    """``compute()`` — what ``owner`` calls ``name`` of this very ``message`` object — worked
    out once while the engine checks the message (a plugin whose check, fee and in-sequence
    hooks need the same scope, say). Outside the engine's hooks it is computed every time."""
    memo = _MESSAGE_MEMO.get()
    if memo is None:
        return compute()
    key = (id(owner), name, id(message))
    entry = memo.get(key)
    if entry is not None and entry[0] is message:
        return entry[1]  # type: ignore[no-any-return]
    value = compute()
    memo[key] = (message, value)
    return value


class Scheme(BaseModel):
    """A scheme a plugin handles, and the licence scheme names it answers for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    licence_schemes: tuple[str, ...] = Field(default=())
    #: the rules this scheme's authorisation claims name as ``shortfall_rule``; checked at load
    #: (declared, with the outcome ``reject``) so a shortfall can always be reported
    shortfall_rules: tuple[str, ...] = Field(default=())
    #: the keys of the plugin's ``--config`` table it reads (``None``: not said); when said,
    #: another key in that table is reported, as a misspelt setting would be ignored in silence
    settings: tuple[str, ...] | None = None
