"""A count on one line of stderr (``\\r导入 1200/10000``) while a long command works."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Plain text with a carriage return and no escape codes: a terminal shows one line that moves.

    Updates come at most ten times a second, and the last one always shows; a new label (the next
    stage) starts a new line.
    """

    def __init__(self, stream: TextIO | None = None, interval: float = 0.1) -> None:
        self._stream = stream or sys.stderr
        self._interval = interval
        self._shown_at: float | None = None
        self._label = ""

    def show(self, label: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        last = total is not None and done >= total
        if label != self._label:
            self.end()
            self._label = label
        elif self._shown_at is not None and now - self._shown_at < self._interval and not last:
            return
        self._shown_at = now
        self._stream.write(f"\r{label} {done}" + ("" if total is None else f"/{total}"))
        self._stream.flush()

    def end(self) -> None:
        """Leave the line, so what is printed next starts on its own."""
        if self._shown_at is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._shown_at = None
