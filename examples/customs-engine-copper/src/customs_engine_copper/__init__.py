"""NFMIMS copper: a customs-engine plugin for Chapter 74 imports (an example third-party plugin)."""

__version__ = "0.1.0"
