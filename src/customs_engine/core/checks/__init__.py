"""The core checks: one module per concern, wired as hooks in ``plugin``."""
