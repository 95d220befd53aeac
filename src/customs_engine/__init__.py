"""customs-engine: check Indian import customs messages (IGM, Bill of Entry) before filing.

A plugin author needs one import::

    from customs_engine import hookimpl
"""

from customs_engine.core.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
