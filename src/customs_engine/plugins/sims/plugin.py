"""The ``sims`` plugin: steel monitoring registrations through the shared monitoring helper.

Everything common to monitoring registrations (coverage, validity, window, registry
cross-checks, fee) is :class:`~customs_engine.MonitoringScheme` with this
folder's ``data.toml``; what is SIMS's own is here: the packaging re-import exemption and one
registration per Bill of Entry.
"""

from __future__ import annotations

from customs_engine import (
    BillOfEntry,
    Finding,
    Item,
    MonitoringPlugin,
    MonitoringScheme,
    Purpose,
    RunView,
)

SIMS = MonitoringScheme.load("customs_engine.plugins.sims", plugin="sims")


class SimsPlugin(MonitoringPlugin):
    title = "Steel Import Monitoring System (DGFT)"

    def exemption(self, boe: BillOfEntry, item: Item) -> str | None:
        if item.purpose == Purpose.PACKAGING_REIMPORT:
            return "steel re-imported for packaging (purpose PACKAGING_REIMPORT)"
        return super().exemption(boe, item)

    def in_sequence(
        self, boe: BillOfEntry, run: RunView, lines: list[tuple[int, Item]]
    ) -> list[Finding]:
        return _one_per_bill(boe, run, lines)


def _one_per_bill(boe: BillOfEntry, run: RunView, lines: list[tuple[int, Item]]) -> list[Finding]:
    """A SIMS registration serves one customs entry: a second Bill of Entry is queried."""
    rule = SIMS.rule("ONE-001")
    out = []
    for number, occurrences in SIMS.by_number(lines).items():
        earlier = run.prior_uses(SIMS.scheme, number, excluding=boe.message_id)
        if earlier:
            occ = occurrences[0]
            out.append(
                rule.finding(
                    "query",
                    f"SIMS registration {number} was already quoted on Bill of Entry "
                    f"{', '.join(earlier)}; one registration serves one Bill of Entry",
                    item=occ.item.number,
                    field=occ.field,
                )
            )
    return out


plugin = SimsPlugin(SIMS)
