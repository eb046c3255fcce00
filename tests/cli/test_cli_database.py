"""`sortes db upgrade` brings each service's database to the latest migration, and repeats safely."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sortes_cli.main import main


def test_db_upgrade_creates_every_services_tables_and_can_run_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for service in ("experts", "vendors", "gateway"):
        monkeypatch.setenv(f"SORTES_{service.upper()}_DATABASE_URL", f"sqlite:///{tmp_path / service}.db")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade", "--service", "experts"]) == 0
    output = capsys.readouterr().out
    assert output.count("database at the latest migration") == 4
    tables = {service: {row[0] for row in sqlite3.connect(tmp_path / f"{service}.db").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")} for service in ("experts", "vendors", "gateway")}
    assert {"experts", "fields", "audit_log", "projects"} <= tables["experts"]
    assert {"vendors", "engagements", "audit_log", "projects"} <= tables["vendors"]
    assert {"api_keys", "users", "audit_log"} <= tables["gateway"]
    assert "vendors" not in tables["experts"] and "experts" not in tables["vendors"]  # each owns its tables
