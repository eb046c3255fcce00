"""Who may import whom (.importlinter): no service imports another, shared/ imports no service,
the console is imported by the gateway's app factory only and itself imports only the identity API
and the clients, and domain modules import no routes. Checked by import-linter's ``lint-imports``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"{lint_imports} is missing: install the dev dependencies (pip install -e '.[dev]')"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, f"an import contract is broken:\n{result.stdout}\n{result.stderr}"
