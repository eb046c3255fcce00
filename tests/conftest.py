"""Fixtures every test directory shares: database backends, identity assertions, service apps."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.databases import POSTGRES_DSN, TestDatabases, drop_stale_databases, postgres_admin
from tests.support.identity import AssertionMinter

IN_CI = os.environ.get("CI", "").lower() == "true"
# The real system of the end-to-end and browser tests: one per run and backend, whichever asks first.
pytest_plugins = ["tests.support.system"]


def pytest_configure(config: pytest.Config) -> None:
    # Keys that services create on first use go to a throwaway folder, never the developer's ./data.
    if "SORTES_DATA_DIR" not in os.environ:
        os.environ["SORTES_DATA_DIR"] = tempfile.mkdtemp(prefix="sortes-test-data-")
    # Most tests draw small panels to test something else; the panel-size rules of the purposes
    # (services/experts/settings.py, at least 3 and odd by default) are tested on their own
    # (tests/experts/test_panel_purposes.py), with the defaults.
    os.environ.setdefault("SORTES_EXPERTS_PANEL_SIZES", "research=1")


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(workdir=tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_postgres()


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """PostgreSQL at 127.0.0.1:5432; under CI=true its absence fails the run instead of skipping."""
    try:
        asyncio.run(postgres_admin("SELECT 1"))
        asyncio.run(drop_stale_databases())
    except Exception as error:  # any failure to connect means "not available here"
        message = f"PostgreSQL is not reachable at {POSTGRES_DSN} ({type(error).__name__}: {error})"
        if IN_CI:
            pytest.fail(message + "; CI=true requires the PostgreSQL tests to run", pytrace=False)
        pytest.skip(message)
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
    return request.param


@pytest.fixture(scope="session")
def minter() -> AssertionMinter:
    return AssertionMinter()


def build_service_app(service: str, database_url: str, public_key: str) -> Litestar:
    if service == "experts":
        from services.experts.app import create_app as create_experts
        from services.experts.domain.messaging import NotifySettings
        from services.experts.settings import ExpertsSettings

        # The notification sender does not run in the background here: a test sends when it means to.
        return create_experts(ExpertsSettings(database_url=database_url, identity_public_keys=[public_key],
                                              notify=NotifySettings(interval_seconds=0)))
    from services.vendors.app import create_app as create_vendors
    from services.vendors.settings import VendorsSettings

    return create_vendors(VendorsSettings(database_url=database_url, identity_public_keys=[public_key]))


async def _client(test_databases: TestDatabases, service: str, backend: str,
                  minter: AssertionMinter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    url = await asyncio.to_thread(test_databases.fresh, service, backend)
    async with AsyncTestClient(build_service_app(service, url, minter.public_key)) as client:
        yield client


@pytest.fixture
async def experts_client(test_databases: TestDatabases, backend: str,
                         minter: AssertionMinter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async for client in _client(test_databases, "experts", backend, minter):
        yield client


@pytest.fixture
async def vendors_client(test_databases: TestDatabases, backend: str,
                         minter: AssertionMinter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async for client in _client(test_databases, "vendors", backend, minter):
        yield client


@pytest.fixture(params=["experts", "vendors"])
async def any_service(request: pytest.FixtureRequest, test_databases: TestDatabases, backend: str,
                      minter: AssertionMinter) -> AsyncIterator[tuple[str, AsyncTestClient[Litestar]]]:
    """Either service behind the gateway, for behaviour both must share."""
    async for client in _client(test_databases, request.param, backend, minter):
        yield request.param, client


ADMIN_API_KEY = "sortes_test-admin-key-0123456789abcdefghijklmnop"


@pytest.fixture
def gateway_overrides() -> dict[str, object]:
    """Settings a test module changes in ``gateway_client`` (override this fixture in the module)."""
    return {}


@pytest.fixture
async def gateway_client(test_databases: TestDatabases, backend: str, tmp_path: Path,
                         gateway_overrides: dict[str, object]) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The gateway alone, on its own database; its upstream services point at closed ports."""
    from services.gateway.app import create_app
    from services.gateway.settings import GatewaySettings
    from tests.support.ports import free_port

    url = await asyncio.to_thread(test_databases.fresh, "gateway", backend)
    settings = GatewaySettings(**{  # type: ignore[arg-type]
        "database_url": url, "experts_urls": [f"http://127.0.0.1:{free_port()}"],
        "vendors_urls": [f"http://127.0.0.1:{free_port()}"], "identity_key_file": tmp_path / "identity.pem",
        "api_key_secret_file": tmp_path / "api-key-secret", "admin_api_key": ADMIN_API_KEY, "sign_in_max_failures": 3,
        "rate_limit_per_minute": 40, "sign_in_rate_limit_per_minute": 12, **gateway_overrides})
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def output_dir() -> Path:
    """Where tests leave artefacts worth looking at (screenshots, logs)."""
    path = Path(os.environ.get("SORTES_TEST_OUTPUT", "test-output")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
