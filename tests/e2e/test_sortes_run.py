"""`make run` as a newcomer uses it: `sortes run` starts everything with demo data, Ctrl-C stops it."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from sortes_cli.local_system import READY_SECONDS
from tests.support.ports import free_port
from tests.support.processes import children, is_running

pytestmark = pytest.mark.e2e


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """Lines the process prints, up to the one holding ``marker``; a thread reads so we can time out."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (process.poll() is None or not lines.empty()):
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if marker in seen[-1]:
            return "".join(seen)
    raise AssertionError(f"'{marker}' not printed within {timeout} s; output so far:\n{''.join(seen)}")


def _port_is_closed(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
    except httpx.TransportError:
        return True
    return False


def test_sortes_run_serves_demo_data_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = {"gateway": free_port(), "experts": free_port(), "vendors": free_port()}
    env = {**os.environ, "SORTES_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    env.pop("SORTES_ADMIN_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sortes_cli.main", "run", "--port", str(ports["gateway"]),
         "--experts-port", str(ports["experts"]), "--vendors-port", str(ports["vendors"])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = _read_until(process, "Press Ctrl-C", timeout=READY_SECONDS)
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        assert f"{gateway}/" in banner
        api_key = (tmp_path / "data" / "keys" / "admin-api-key").read_text().strip()
        assert api_key in banner
        headers = {"Authorization": f"Bearer {api_key}"}

        experts = httpx.get(gateway + "/api/v1/experts", params={"page_size": 500}, headers=headers,
                            timeout=10).json()
        assert 180 <= experts["total"] <= 220
        fields_used = {field["code"] for expert in experts["items"] for field in expert["fields"]}
        assert len(fields_used) >= 8
        assert all(expert["trained_until"] for expert in experts["items"])
        vendors = httpx.get(gateway + "/api/v1/vendors", headers=headers, timeout=10).json()
        assert 45 <= vendors["total"] <= 55
        engagements = httpx.get(gateway + "/api/v1/projects/PY-2026-001/engagements", headers=headers,
                                timeout=10).json()
        assert engagements and any(e["lot_code"] is None for e in engagements)
        report = httpx.get(gateway + "/api/v1/reconciliation/projects", headers=headers, timeout=10).json()
        assert report["consistent"] and report["projects_checked"] >= 3
        assert httpx.get(gateway + "/", timeout=10).headers["location"] == "/sign-in"  # the console
        assert httpx.get(gateway + "/sign-in", timeout=10).status_code == 200
        password = (tmp_path / "data" / "keys" / "demo-password").read_text().strip()
        assert f"user admin, password {password}" in banner
        signed_in = httpx.post(gateway + "/api/v1/auth/sign-in", json={"username": "organiser", "password": password},
                               timeout=10).json()
        me = httpx.get(gateway + "/api/v1/auth/me", headers={"Authorization": f"Bearer {signed_in['token']}"},
                       timeout=10).json()
        assert me["roles"] == ["organiser"]

        def signed_in_as(username: str) -> dict[str, str]:
            response = httpx.post(gateway + "/api/v1/auth/sign-in",
                                  json={"username": username, "password": password}, timeout=10)
            assert response.status_code == 200, (username, response.text)
            return {"Authorization": f"Bearer {response.json()['token']}"}

        # Every role has a demo user to try the console with: the expert answers as a pool entry,
        # the vendor sees its own ratings only.
        own_entry = httpx.get(gateway + "/api/v1/experts/me", headers=signed_in_as("expert"), timeout=10)
        assert own_entry.status_code == 200 and own_entry.json()["code"] == "E00001"
        vendor_headers = signed_in_as("vendor")
        own_uscc = httpx.get(gateway + "/api/v1/auth/me", headers=vendor_headers, timeout=10).json()["unit"]
        assert httpx.get(f"{gateway}/api/v1/vendors/{own_uscc}/ratings", headers=vendor_headers,
                         timeout=10).status_code == 200
        assert "rating_reviewer" in httpx.get(gateway + "/api/v1/auth/me", headers=signed_in_as("reviewer"),
                                              timeout=10).json()["roles"]

        _run_the_readme_example(gateway, api_key, signed_in_as("supervisor"))

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        for port in ports.values():
            assert _port_is_closed(port)
    finally:
        # Ctrl-C even when an assertion failed: it is what stops the children (they run in their own
        # session, so killing only `sortes run` would leave them serving).
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


README = Path(__file__).resolve().parents[2] / "README.md"
REVEAL_COMMENT = "# … the supervisor reveals it in the console; then:"


def readme_python_example() -> str:
    """The README's Python example (the lifecycle system), as written."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### From Python"):]
    start = section.index("```python\n") + len("```python\n")
    return section[start:section.index("\n```", start) + 1]


def _run_the_readme_example(gateway: str, api_key: str, supervisor: dict[str, str]) -> None:
    """The example runs as written against `sortes run`, with its address and the admin key it prints;
    where it says the supervisor reveals the draw, the demo supervisor does."""
    code = readme_python_example().replace("http://127.0.0.1:8000", gateway).replace("sortes_…", api_key)
    assert REVEAL_COMMENT in code
    before, after = code.split(REVEAL_COMMENT)
    names: dict[str, object] = {}
    body = before.split("\n")
    header = [line for line in body if not line.startswith(" ")]  # imports and the `with` line
    assert header[-1].startswith("with SortesClient(")
    exec(compile(before, "README.md", "exec"), names)
    draw_id = names["draw"].id  # type: ignore[attr-defined]
    revealed = httpx.post(f"{gateway}/api/v1/draws/{draw_id}/reveal", headers=supervisor, timeout=30,
                          json={"witness": "2026年12月4日 上证指数收盘 3401.25", "confirmed_avoidances": []})
    assert revealed.status_code == 200, revealed.text
    # The rest of the example, in the same client block, with what the first part left behind.
    rest = "\n".join([header[-1], *after.split("\n")])
    exec(compile(rest, "README.md", "exec"), names)


def _large_pool_sheet(rows: int) -> bytes:
    """An import of ``rows`` new experts: seconds of work for the experts service."""
    from services.experts.domain.spreadsheets import COLUMNS
    from tests.experts.helpers import valid_id_number
    from tests.support.sheets import csv_sheet

    def row(index: int) -> list[str]:
        id_number = valid_id_number(dt.date(1970, 1, 1) + dt.timedelta(days=index // 900), index % 900 + 1)
        cells = {"姓名": f"专家{index}", "身份证号": id_number, "工作单位": "平阳县某单位",
                 "统一社会信用代码": "11330326862981311N", "职称": "高级工程师", "从业年限": "10",
                 "主专业领域": "应用系统", "手机号码": "13900001111", "银行账号": "6222020000000000001",
                 "最近培训日期": "2026-03-01"}
        return [cells.get(header, "") for header in COLUMNS.values()]

    return csv_sheet(list(COLUMNS.values()), [row(index) for index in range(rows)])


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_no_service_outlives_sortes_run_stopped_during_a_long_import(tmp_path: Path, stop: signal.Signals) -> None:
    ports = {"gateway": free_port(), "experts": free_port(), "vendors": free_port()}
    env = {**os.environ, "SORTES_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    env.pop("SORTES_ADMIN_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sortes_cli.main", "run", "--port", str(ports["gateway"]),
         "--experts-port", str(ports["experts"]), "--vendors-port", str(ports["vendors"])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    services: list[int] = []
    try:
        _read_until(process, "Press Ctrl-C", timeout=READY_SECONDS)
        services = children(process.pid)
        assert len(services) == 3, services
        api_key = (tmp_path / "data" / "keys" / "admin-api-key").read_text().strip()
        sheet = _large_pool_sheet(20_000)
        answered = threading.Event()

        def import_the_pool() -> None:
            with contextlib.suppress(httpx.TransportError):
                httpx.post(f"http://127.0.0.1:{ports['gateway']}/api/v1/experts/import", timeout=120,
                           files={"file": ("pool.csv", sheet)}, headers={"Authorization": f"Bearer {api_key}"})
            answered.set()

        threading.Thread(target=import_the_pool, daemon=True).start()
        time.sleep(2)
        assert not answered.is_set(), "the import was not slow enough to stop the system during it"
        process.send_signal(stop)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (any(map(is_running, services))
                                               or not all(map(_port_is_closed, ports.values()))):
            time.sleep(0.2)
        assert [pid for pid in services if is_running(pid)] == []
        assert all(_port_is_closed(port) for port in ports.values())
        if stop == signal.SIGINT:
            assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pid in services:  # only what this test started, by its id
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
