"""Metallic waste and scrap (HBP 2.54): form, origin, ports, PSIC, contract."""
