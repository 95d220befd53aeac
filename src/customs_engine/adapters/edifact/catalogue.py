"""The edifact adapter's own rules (``rules.toml`` beside this module), loaded once."""

from __future__ import annotations

from customs_engine.core.rules import load_rules

RULES = load_rules("customs_engine.adapters.edifact")
