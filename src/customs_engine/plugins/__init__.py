"""Scheme plugins: one folder per scheme with its code and its rule data."""
