"""The core checks (RULES.md §1): one module per concern, wired as hooks in ``plugin``."""
