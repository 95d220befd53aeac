"""NFMIMS copper: Chapter 74 lines need a registration valid 75 days, ₹500 per registration.

Written only against customs-engine's public API: the checks are the monitoring-registration
base (:class:`customs_engine.MonitoringScheme`), driven by this folder's ``data.toml`` (coverage,
validity, the air-freight exemption, the fee listed once per registration) and ``rules.toml``.
"""

from __future__ import annotations

from customs_engine import MonitoringPlugin, MonitoringScheme

#: the entry-point name, the scheme name and the ``--config`` table (``[copper] hs_prefixes``)
NAME = "copper"
COPPER = MonitoringScheme.load("customs_engine_copper", plugin=NAME)


class CopperPlugin(MonitoringPlugin):
    title = "NFMIMS copper (Non-Ferrous Metal Import Monitoring System, Chapter 74)"


plugin = CopperPlugin(COPPER)
