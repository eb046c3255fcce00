"""The three services as real uvicorn processes on free loopback ports, started once per run and
backend, for the end-to-end and the browser tests alike; tests that stop a service start it again
before they end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sortes_cli.local_system import LocalSystem
from tests.support.databases import TestDatabases
from tests.support.ports import free_port


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def local_system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 test_databases: TestDatabases) -> Iterator[LocalSystem]:
    database_urls: dict[str, str] = {}
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
        database_urls = {service: test_databases.dedicated(service, "system")
                         for service in ("experts", "vendors", "gateway")}
    with running_system(tmp_path_factory.mktemp(f"system-{request.param}"), database_urls) as system:
        yield system


@contextmanager
def running_system(data_dir: Path, database_urls: dict[str, str]) -> Iterator[LocalSystem]:
    """A system started in ``data_dir`` (SQLite there unless ``database_urls`` name other databases),
    stopped when the block ends."""
    # Every test signs in from 127.0.0.1: the per-address sign-in limit (10 a minute by default, its
    # own tests use an in-process gateway) is raised so that a whole run's sign-ins fit, and so is the
    # public application page's (5 a minute; tests/gateway/test_public_applications.py). Webhooks are
    # received on 127.0.0.1, which only SORTES_WEBHOOK_ALLOW_PRIVATE lets the gateway deliver to.
    system = LocalSystem(data_dir=data_dir, database_urls=database_urls, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         extra_env={"SORTES_GATEWAY_SIGN_IN_RATE_LIMIT_PER_MINUTE": "1000",
                                    "SORTES_GATEWAY_APPLICATION_RATE_LIMIT_PER_MINUTE": "1000",
                                    "SORTES_WEBHOOK_ALLOW_PRIVATE": "true"})
    system.prepare()
    try:
        system.start()
        yield system
    finally:
        system.stop()
