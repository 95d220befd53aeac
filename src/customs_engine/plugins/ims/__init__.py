"""IMS — DGFT Import Management System for restricted IT hardware (RULES.md §2)."""
