"""Progress of a long run on standard error: messages done, rate and, when known, ETA.

On by default only when standard error is a terminal and ``CI`` is not set; ``--progress`` /
``--no-progress`` force it. It redraws one line at most a few times a second and never writes to
standard output.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

REDRAW_SECONDS = 0.25


def progress_wanted(
    forced: bool | None, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    if forced is not None:
        return forced
    env = os.environ if environ is None else environ
    if env.get("CI"):
        return False
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """Counts files and messages; ``total_files`` (if known) gives the ETA."""

    def __init__(self, stream: TextIO | None, *, total_files: int | None = None):
        self.stream = stream
        self.total_files = total_files
        self.files = 0
        self.messages = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    @classmethod
    def disabled(cls) -> Progress:
        return cls(None)

    def update(self, *, files: int = 0, messages: int = 0) -> None:
        self.files += files
        self.messages += messages
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self._drawn >= REDRAW_SECONDS:
            self._drawn = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.messages / elapsed
        text = f"customs: {self.messages} message{'s' if self.messages != 1 else ''}, {rate:.0f}/s"
        if self.total_files and self.files:
            left = (self.total_files - self.files) * elapsed / self.files
            text += (
                f", {self.files}/{self.total_files} files, "
                f"ETA {int(left) // 60}:{int(left) % 60:02d}"
            )
        else:
            text += f", {self.files} files"
        return text

    def close(self) -> None:
        if self.stream is not None and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
