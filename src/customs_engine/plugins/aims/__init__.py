"""AIMS — Aluminium Import Monitoring System: registration for Chapter 76."""
