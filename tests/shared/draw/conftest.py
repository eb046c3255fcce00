"""Fixtures for the sortes-draw/1 tests: the worked records of docs/draw-vectors.json and the test key.

The tests read the published vectors themselves (docs/draw-protocol.md, "The public vectors"), so the
file a verifier downloads is the one the implementation reproduces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.draw import KeySet, Signer

VECTORS_PATH = Path(__file__).resolve().parents[3] / "docs" / "draw-vectors.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``vector`` runs once per worked record."""
    if "vector" in metafunc.fixturenames:
        records = VECTORS["records"]
        metafunc.parametrize("vector", records, ids=[f"{r['purpose']}-{r['draw_id'][:8]}" for r in records])


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return VECTORS


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer.from_seed(bytes.fromhex(VECTORS["test_private_key_seed"]))


@pytest.fixture(scope="session")
def keyset() -> KeySet:
    return KeySet.from_json(VECTORS["keys"])
