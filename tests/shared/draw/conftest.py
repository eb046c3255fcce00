"""Fixtures for the sortes-draw/1 tests: the spec's worked records and the test key.

``draw-vectors.json`` is a copy of the spec's vectors, so the suite does not depend on the spec folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.draw import KeySet, Signer

VECTORS_PATH = Path(__file__).with_name("draw-vectors.json")
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
