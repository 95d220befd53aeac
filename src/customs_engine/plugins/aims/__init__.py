"""AIMS — Aluminium Import Monitoring System (RULES.md §4): registration for Chapter 76."""
