"""IMS — DGFT Import Management System for restricted IT hardware."""
