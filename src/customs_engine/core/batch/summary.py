"""The tally of a run: messages by status, findings by rule and scheme, fees by kind, speed.

Counters only — nothing is kept per message — so a run over millions of messages stays small.
:meth:`RunSummary.render` is the closing summary ``customs validate`` writes to standard error.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from customs_engine.core.response import Response, money
from customs_engine.core.writers.printable import printable

STATUSES = ("accepted", "query", "hold", "rejected")
SKIPPED_SHOWN = 20


@dataclass
class RunSummary:
    messages: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    findings_by_scheme: Counter[str] = field(default_factory=Counter)
    fee_count: Counter[str] = field(default_factory=Counter)
    fee_total: dict[str, Decimal] = field(default_factory=dict)
    #: directory entries not read (dot-files, links, special files): count by reason, and the
    #: first :data:`SKIPPED_SHOWN` by name
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_names: list[tuple[str, str]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float | None = None

    def add(self, response: Response) -> None:
        self.messages += 1
        self.by_status[response.status] += 1
        for finding in response.findings:
            self.findings_by_rule[finding.rule] += 1
            self.findings_by_scheme[finding.scheme] += 1
        for fee in response.fees:
            self.fee_count[fee.kind] += 1
            self.fee_total[fee.kind] = self.fee_total.get(fee.kind, Decimal(0)) + fee.amount

    def skip(self, name: str, why: str) -> None:
        self.skipped[why] += 1
        if len(self.skipped_names) < SKIPPED_SHOWN:
            self.skipped_names.append((name, why))

    def finish(self) -> None:
        self.elapsed = time.perf_counter() - self.started

    @property
    def all_accepted(self) -> bool:
        return self.by_status["accepted"] == self.messages

    @property
    def seconds(self) -> float:
        return self.elapsed if self.elapsed is not None else time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def render(self) -> str:
        """Human-readable summary lines (for standard error; stdout stays machine-readable)."""
        lines = [
            f"customs: {self.messages} message{'s' if self.messages != 1 else ''} in "
            f"{self.seconds:.2f} s ({self.rate:.1f} messages/s)",
            "  status:  " + ", ".join(f"{s} {self.by_status[s]}" for s in STATUSES),
        ]
        lines.append("  findings by rule:   " + _counts(self.findings_by_rule))
        lines.append("  findings by scheme: " + _counts(self.findings_by_scheme))
        fees = ", ".join(
            f"{kind} {self.fee_count[kind]} (INR {money(self.fee_total[kind])})"
            for kind in sorted(self.fee_count)
        )
        lines.append("  fees by kind:       " + (fees or "none"))
        if self.skipped:
            total = sum(self.skipped.values())
            lines.append(f"  skipped, not read:  {total} ({_counts(self.skipped)})")
            lines += [f"    {printable(name)}: {why}" for name, why in self.skipped_names]
            if total > len(self.skipped_names):
                lines.append(f"    … and {total - len(self.skipped_names)} more")
        return "\n".join(lines) + "\n"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {counter[key]}" for key in sorted(counter)) or "none"
