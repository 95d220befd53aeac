"""Metallic waste and scrap (RULES.md §5, HBP 2.54): form, origin, ports, PSIC, contract."""
