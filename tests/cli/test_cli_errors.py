"""Every operator command fails with one clear line and a non-zero exit, never a traceback (unless
--debug); the commands read the deployment's settings file as the services do; the gateway starts
with its database down and becomes ready when it appears."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from sortes_cli.main import main
from tests.support.databases import postgres_url
from tests.support.ports import free_port


def one_line_failure(capsys: pytest.CaptureFixture[str], code: int) -> str:
    error = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1, error
    return error


def closed_port_url(database: str = "sortes_nowhere") -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/{database}"


def test_db_upgrade_with_postgres_down_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", closed_port_url())
    error = one_line_failure(capsys, main(["db", "upgrade", "--service", "experts"]))
    assert "experts" in error and "refused the connection" in error and "SORTES_EXPERTS_DATABASE_URL" in error


def test_db_upgrade_on_a_missing_database_names_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_VENDORS_DATABASE_URL", postgres_url("sortes_no_such_database_h25"))
    error = one_line_failure(capsys, main(["db", "upgrade", "--service", "vendors"]))
    assert "sortes_no_such_database_h25" in error and "does not exist" in error


def test_db_upgrade_waits_for_the_database_then_gives_up_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_GATEWAY_DATABASE_URL", closed_port_url())
    monkeypatch.setattr("sortes_cli.database.RETRY_SECONDS", 0.2)
    code = main(["db", "upgrade", "--service", "gateway", "--wait", "1"])
    captured = capsys.readouterr()
    assert code != 0 and "retrying" in captured.out and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_a_url_that_is_no_url_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", "not a url at all")
    error = one_line_failure(capsys, main(["db", "upgrade", "--service", "experts"]))
    assert "URL" in error


def test_audit_verify_with_postgres_down_is_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", closed_port_url())
    error = one_line_failure(capsys, main(["audit", "verify", "--service", "experts"]))
    assert "experts" in error and "refused the connection" in error


def test_rotate_data_without_a_database_creates_none_and_says_where_it_looked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SORTES_EXPERTS_DATABASE_URL", raising=False)
    monkeypatch.setenv("SORTES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert main(["keys", "init"]) == 0  # the keys are there; the database is not
    capsys.readouterr()
    error = one_line_failure(capsys, main(["keys", "rotate-data", "--service", "experts"]))
    assert "no database at" in error and "SORTES_EXPERTS_DATABASE_URL" in error
    assert not (tmp_path / "data" / "experts.db").exists()


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", closed_port_url())
    with pytest.raises(Exception):  # noqa: B017 - whichever the driver raises, it is not caught
        main(["--debug", "db", "upgrade", "--service", "experts"])


def test_commands_read_the_settings_file_the_services_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for service in ("experts", "vendors", "gateway"):
        monkeypatch.delenv(f"SORTES_{service.upper()}_DATABASE_URL", raising=False)
    settings = tmp_path / "sortes.env"
    settings.write_text(f"# the deployment's settings\nSORTES_EXPERTS_DATABASE_URL=sqlite:///{tmp_path}/e.db\n"
                        f"export SORTES_VENDORS_DATABASE_URL=\"sqlite:///{tmp_path}/v.db\"\n")
    monkeypatch.setenv("SORTES_ENV_FILE", str(settings))
    assert main(["db", "upgrade", "--service", "experts"]) == 0
    assert main(["db", "upgrade", "--service", "vendors"]) == 0
    assert (tmp_path / "e.db").is_file() and (tmp_path / "v.db").is_file()
    capsys.readouterr()


def test_an_unreadable_settings_file_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SORTES_ENV_FILE", str(tmp_path / "missing.env"))
    error = one_line_failure(capsys, main(["db", "upgrade"]))
    assert "missing.env" in error


async def test_the_gateway_starts_with_its_database_down_and_an_admin_key(tmp_path: Path) -> None:
    from services.gateway.app import create_app
    from services.gateway.settings import GatewaySettings

    settings = GatewaySettings(
        database_url=closed_port_url().replace("postgresql://", "postgresql+asyncpg://"),
        experts_urls=[f"http://127.0.0.1:{free_port()}"], vendors_urls=[f"http://127.0.0.1:{free_port()}"],
        identity_key_file=tmp_path / "identity.pem", api_key_secret_file=tmp_path / "api-key-secret",
        data_key_file=tmp_path / "gateway-data-keys", admin_api_key="sortes_admin-key-while-postgres-is-down-0123")
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
