"""The integrator service: ``customs serve`` (HTTP API and web console), ``customs watch`` (drop
folder) and ``customs tokens``, on the same engine, plugins and registry as ``customs validate``."""
