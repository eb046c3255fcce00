"""Helpers of the end-to-end tests; their system (``local_system``) is tests/support/system.py's,
shared with the browser tests."""

from __future__ import annotations

from pathlib import Path

from sortes_cli.local_system import LocalSystem


def service_log(system: LocalSystem, service: str) -> str:
    assert system.log_dir is not None
    return Path(system.log_dir / f"{service}.log").read_text(encoding="utf-8", errors="replace")
