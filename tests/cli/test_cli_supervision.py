"""``sortes up`` supervises: an instance that exits is started again after a backoff, said and counted,
while the others keep running; ports are chosen with --ports or --base-port; each instance's log
rotates at a size, keeping a count of files."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from sortes_cli.local_system import _pump, supervise
from sortes_cli.up import PortsError, choose_ports


class FakeSystem:
    """Processes that sleep, standing for instances: what supervise needs of a LocalSystem."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.started: list[str] = []

    def instance_port(self, instance: str) -> tuple[str, int]:
        return instance.split("-", 1)[0], 1

    def start_one(self, service: str, env: dict[str, str], *, instance: str, port: int) -> None:
        self.started.append(instance)
        self.processes[instance] = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()
            process.wait()


def test_a_dead_instance_is_started_again_after_a_backoff_and_the_rest_keep_running() -> None:
    system = FakeSystem()
    for name in ("experts", "experts-2", "gateway"):
        system.start_one(name.split("-")[0], {}, instance=name, port=1)
    try:
        untouched = system.processes["experts"], system.processes["gateway"]
        system.processes["experts-2"].kill()
        system.processes["experts-2"].wait()
        said: list[str] = []
        now = [0.0]

        def clock() -> float:
            now[0] += 0.6  # each round 0.6 s later
            return now[0]

        def say(text: str) -> None:
            said.append(text)
            if text.startswith("sortes: experts-2 started again") and len(said) == 2:
                assert system.processes["experts-2"].poll() is None  # running again, the others untouched
                assert (system.processes["experts"], system.processes["gateway"]) == untouched
                assert all(process.poll() is None for process in untouched)
                system.processes["experts-2"].kill()  # and dying again at once: the wait doubles
                system.processes["experts-2"].wait()

        supervise(system, {}, poll=0, clock=clock, say=say, rounds=10)  # type: ignore[arg-type]
        assert system.started[3:] == ["experts-2", "experts-2"]
        assert said[0] == "sortes: experts-2 exited with code -9; starting it again in 1 s (restart 1)"
        assert "restarts of experts-2: 1" in said[1]
        assert said[2] == "sortes: experts-2 exited with code -9; starting it again in 2 s (restart 2)"
        assert "restarts of experts-2: 2; all instances: 2" in said[3]
        assert all(process.poll() is None for process in system.processes.values())
    finally:
        system.stop()


def test_ports_from_a_base_port_or_listed_per_service() -> None:
    assert choose_ports(2, None, 9100, []) == {"gateway": [9100], "experts": [9101, 9102], "vendors": [9103, 9104]}
    listed = choose_ports(2, 9000, None, ["experts=9001,9011", "vendors=9002,9012"])
    assert listed == {"gateway": [9000], "experts": [9001, 9011], "vendors": [9002, 9012]}
    with pytest.raises(PortsError, match="3 ports for 2 replicas"):
        choose_ports(2, 9000, None, ["experts=9001,9011,9021"])
    with pytest.raises(PortsError, match="given twice"):
        choose_ports(2, 9001, None, ["experts=9001,9011"])
    with pytest.raises(PortsError, match="expected experts"):
        choose_ports(2, 9000, None, ["gateway=9001"])


def test_an_instances_log_rotates_at_its_size_keeping_the_count_given(tmp_path: Path) -> None:
    lines = b"".join(f'{{"level": "info", "message": "line {number:05d}"}}\n'.encode() for number in range(2000))
    _pump("experts-2", io.BytesIO(lines), tmp_path / "experts-2.log", 4096, 3, False)
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["experts-2.log", "experts-2.log.1", "experts-2.log.2", "experts-2.log.3"]
    assert all(path.stat().st_size <= 4096 for path in tmp_path.iterdir())
    assert (tmp_path / "experts-2.log").read_text().rstrip().endswith('"line 01999"}')


def test_sortes_up_refuses_ports_it_cannot_use(capsys: pytest.CaptureFixture[str]) -> None:
    from sortes_cli.main import main

    code = main(["up", "--database", "postgresql://postgres@127.0.0.1:5432/x", "--ports", "experts=1,2,3"])
    assert code == 2 and "3 ports for 2 replicas" in capsys.readouterr().err
