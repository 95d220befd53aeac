"""The ``aims`` plugin: aluminium monitoring registrations (the aluminium half of NFMIMS).

Everything is :class:`MonitoringPlugin` with this folder's ``data.toml``: coverage, validity,
window, registry cross-checks, the fee (with its ``fee_model`` switch) and the air-freight
exemption (``[air_freight]``). Any number of Bills of Entry may use one registration within its
validity, so there is no one-per-Bill check.
"""

from __future__ import annotations

from customs_engine import MonitoringPlugin, MonitoringScheme

AIMS = MonitoringScheme.load("customs_engine.plugins.aims", plugin="aims")


class AimsPlugin(MonitoringPlugin):
    title = "Aluminium Import Monitoring System (DGFT NFMIMS)"


plugin = AimsPlugin(AIMS)
