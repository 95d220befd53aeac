"""The core plugin's rule catalogue (``rules.toml``), shared by its check modules."""

from __future__ import annotations

from customs_engine.core.rules import load_rules

RULES = load_rules("customs_engine.core.checks")
