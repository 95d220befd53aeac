"""The ``aims`` plugin: aluminium monitoring registrations (the aluminium half of NFMIMS).

Everything common to monitoring registrations is :class:`MonitoringPlugin` with this folder's
``data.toml`` (which also holds the ``fee_model`` switch); what is AIMS's own is the air-freight
exemption. Any number of Bills of Entry may use one registration within its validity, so there
is no one-per-Bill check.
"""

from __future__ import annotations

from customs_engine import (
    BillOfEntry,
    Item,
    MonitoringPlugin,
    MonitoringScheme,
    read_toml,
    station_type,
)

PACKAGE = "customs_engine.plugins.aims"
AIMS = MonitoringScheme.load(PACKAGE, plugin="aims")
AIR_FREIGHT = read_toml(PACKAGE, "data.toml")["air_freight"]


class AimsPlugin(MonitoringPlugin):
    title = "Aluminium Import Monitoring System (DGFT NFMIMS)"

    def exemption(self, boe: BillOfEntry, item: Item) -> str | None:
        if boe.mode.value in AIR_FREIGHT["modes"]:
            return f"air freight (mode {boe.mode.value})"
        if station_type(boe.port_code) in AIR_FREIGHT["station_types"]:
            return f"air freight ({boe.port_code} is an air cargo station)"
        return None


plugin = AimsPlugin(AIMS)
