"""Experts, vendors and gateway as local uvicorn processes on loopback: for ``sortes run`` and tests.

Each service runs in its own process with its own database; the gateway signs identity assertions
with a key kept in the data folder, and the services are given its public half.

No process outlives the supervisor: each runs under :mod:`shared.supervised`, which ends it (SIGTERM,
then SIGKILL after a bounded wait) when the supervisor is gone, even killed outright; a stop sends
SIGTERM to all and SIGKILL to whatever still runs after :data:`STOP_SECONDS`. Start them from the
supervisor's main thread: Linux's parent-death signal follows the thread that started a process.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from shared.migrations import upgrade
from shared.signing_keys import ensure_private_key, public_key_text
from shared.supervised import SUPERVISOR_PID_VARIABLE

SERVICE_APPS = {
    "experts": "services.experts.app:create_app",
    "vendors": "services.vendors.app:create_app",
    "gateway": "services.gateway.app:create_app",
}
STOP_SECONDS = 10.0  # a service's graceful shutdown takes 5 s; one still running then is killed
# How long a start may take before it counts as failed: a service is ready in a few seconds, but on a
# busy machine (a test run beside CPU-bound work) importing and migrating can take many times that.
READY_SECONDS = 180.0



def free_port() -> int:
    """A loopback port free right now, for a service started on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalSystem:
    data_dir: Path
    ports: dict[str, int]
    host: str = "127.0.0.1"
    database_urls: dict[str, str] = field(default_factory=dict)  # per service; SQLite files otherwise
    demo_data: bool = False
    admin_api_key: str | None = None
    log_dir: Path | None = None  # where each process's stderr goes; inherited when None
    extra_env: dict[str, str] = field(default_factory=dict)
    replica_ports: dict[str, list[int]] = field(default_factory=dict)  # further instances of a service
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # With log_dir: rotate each instance's log at log_max_bytes, keeping log_backups earlier files
    # (0: one file that grows), and with echo copy every line to this process's stderr as well.
    log_max_bytes: int = 0
    log_backups: int = 5
    echo: bool = False

    def url(self, service: str = "gateway") -> str:
        return f"http://{self.host}:{self.ports[service]}"

    def instance_urls(self, service: str) -> list[str]:
        return [self.url(service), *(f"http://{self.host}:{port}" for port in self.replica_ports.get(service, []))]

    def instances(self, service: str) -> list[tuple[str, int]]:
        """(instance name, port) of every instance: ``experts``, ``experts-2``, …"""
        ports = [self.ports[service], *self.replica_ports.get(service, [])]
        return [(service if index == 0 else f"{service}-{index + 1}", port) for index, port in enumerate(ports)]

    def prepare(self) -> None:
        """Keys and an admin API key in the data folder, and every database migrated."""
        keys = self.data_dir / "keys"
        private_key = ensure_private_key(keys / "identity.pem")
        (keys / "identity.pub").write_text(public_key_text(private_key.public_key()) + "\n")
        if self.admin_api_key is None:
            self.admin_api_key = _read_or_create(keys / "admin-api-key")
        for service in SERVICE_APPS:
            upgrade(service, self.database_url(service))

    def database_url(self, service: str) -> str:
        """The database ``service`` runs on: the one given, else its SQLite file in the data directory."""
        return self.database_urls.get(service) or f"sqlite+aiosqlite:///{self.data_dir / f'{service}.db'}"

    def environment(self) -> dict[str, str]:
        keys = self.data_dir / "keys"
        env = {
            **os.environ,
            "SORTES_DATA_DIR": str(self.data_dir),
            "SORTES_IDENTITY_PUBLIC_KEYS": (keys / "identity.pub").read_text().strip(),
            "SORTES_GATEWAY_IDENTITY_KEY_FILE": str(keys / "identity.pem"),
            "SORTES_GATEWAY_API_KEY_SECRET_FILE": str(keys / "api-key-secret"),
            "SORTES_GATEWAY_EXPERTS_URLS": ",".join(self.instance_urls("experts")),
            "SORTES_GATEWAY_VENDORS_URLS": ",".join(self.instance_urls("vendors")),
            "SORTES_ADMIN_API_KEY": self.admin_api_key or "",
            "SORTES_EXPERTS_DEMO_DATA": "true" if self.demo_data else "false",
            "SORTES_VENDORS_DEMO_DATA": "true" if self.demo_data else "false",
            SUPERVISOR_PID_VARIABLE: str(os.getpid()),
            **self.extra_env,
        }
        for service in SERVICE_APPS:
            env[f"SORTES_{service.upper()}_DATABASE_URL"] = self.database_url(service)
        # The one-time links in the experts' invitations lead to this gateway's answer page.
        env.setdefault("SORTES_EXPERTS_NOTIFY_LINK_BASE", self.url() + "/answer")
        return env

    def start(self, services: tuple[str, ...] = tuple(SERVICE_APPS), ready_timeout: float = READY_SECONDS) -> None:
        env = self.environment()
        started: list[str] = []
        for service in services:
            for instance, port in self.instances(service):
                self.start_one(service, env, instance=instance, port=port)
                started.append(instance)
        self.wait_ready(tuple(started), ready_timeout)

    def start_one(self, service: str, env: dict[str, str] | None = None, *, instance: str | None = None,
                  port: int | None = None) -> None:
        """Start ``service``; a second ``instance`` name and ``port`` start another replica of it."""
        instance = instance or service
        command = [sys.executable, "-m", "shared.supervised", SERVICE_APPS[service], "--factory",
                   "--host", self.host, "--port", str(port or self.ports[service]), "--no-access-log",
                   # The gateway alone reads X-Forwarded-For, from SORTES_TRUSTED_PROXIES only.
                   "--no-proxy-headers",
                   "--timeout-graceful-shutdown", "5"]
        stderr: IO[bytes] | int | None = None
        piped = self.log_dir is not None and (self.log_max_bytes > 0 or self.echo)
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            stderr = subprocess.PIPE if piped else (self.log_dir / f"{instance}.log").open("ab")
        process = self.processes[instance] = subprocess.Popen(
            command, env=env or self.environment(), stdout=stderr, stderr=subprocess.STDOUT if piped else stderr,
            start_new_session=True,  # Ctrl-C reaches only the supervisor, which stops children in order
        )
        if piped:
            assert self.log_dir is not None and process.stdout is not None
            threading.Thread(target=_pump, args=(instance, process.stdout, self.log_dir / f"{instance}.log",
                                                 self.log_max_bytes, self.log_backups, self.echo),
                             name=f"log-{instance}", daemon=True).start()

    def instance_port(self, instance: str) -> tuple[str, int]:
        """(service, port) of an instance name (``experts-2``)."""
        service = instance.split("-", 1)[0]
        return service, dict(self.instances(service))[instance]

    def wait_ready(self, services: tuple[str, ...], timeout: float = READY_SECONDS) -> None:
        """Until each service answers its health check (an exited one fails at once, not at the deadline)."""
        deadline = time.monotonic() + timeout
        pending = list(services)
        while pending:
            service = pending[0]
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"the {service} service exited with code {process.returncode}")
            try:
                if httpx.get(self.instance_url(service) + "/healthz", timeout=5.0).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {service} service did not start within {timeout:.0f} s")
            time.sleep(0.1)

    def instance_url(self, instance: str) -> str:
        service = instance.split("-", 1)[0]
        return dict((name, f"http://{self.host}:{port}") for name, port in self.instances(service))[instance]

    def stop_one(self, service: str, timeout: float = STOP_SECONDS) -> None:
        process = self.processes.pop(service, None)
        if process is not None:
            _stop_all([process], timeout)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """The gateway first, so nothing new reaches the services while they drain; then every
        service at once, each killed if still running ``timeout`` seconds after its SIGTERM."""
        if "gateway" in self.processes:
            self.stop_one("gateway", timeout)
        processes = list(self.processes.values())
        self.processes.clear()
        _stop_all(processes, timeout)

    def dead_services(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def wait_for_a_stop(self, poll_seconds: float = 0.5) -> list[str]:
        """Block while every process runs; then the names of those that have stopped."""
        while not (dead := self.dead_services()):
            time.sleep(poll_seconds)
        return dead


def _pump(instance: str, stream: IO[bytes], path: Path, max_bytes: int, backups: int, echo: bool) -> None:
    """Each line an instance writes: into its rotating log file, and (echo) to the terminal."""
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            handler.emit(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
            if echo:
                print(f"{instance:<10}| {line}", file=sys.stderr, flush=True)
    finally:
        handler.close()
        stream.close()


@dataclass
class _Life:
    """One instance's restarts under :func:`supervise`."""

    started_at: float
    restarts: int = 0
    backoff: float = 0.0
    due: float | None = None  # when the instance, found dead, is started again


def supervise(system: LocalSystem, env: dict[str, str], *, poll: float = 0.5, first_backoff: float = 1.0,
              max_backoff: float = 60.0, stable: float = 60.0, clock: Callable[[], float] = time.monotonic,
              say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
              rounds: int | None = None) -> None:
    """Keep every instance running until stopped (Ctrl-C raises out of it): an instance that exits is
    started again after a backoff (1 s, doubling up to ``max_backoff``; back to 1 s once it has run for
    ``stable`` seconds), each restart said and counted, while the others go on serving. ``rounds``
    bounds the loop (tests). Call it from the thread that started the instances."""
    lives = {name: _Life(started_at=clock(), backoff=first_backoff) for name in system.processes}
    done = 0
    while rounds is None or done < rounds:
        done += 1
        now = clock()
        for name, process in list(system.processes.items()):
            life = lives.setdefault(name, _Life(started_at=now, backoff=first_backoff))
            if process.poll() is None:
                if life.due is None and now - life.started_at >= stable:
                    life.backoff = first_backoff
                continue
            if life.due is None:
                life.due = now + life.backoff
                say(f"sortes: {name} exited with code {process.returncode}; starting it again in "
                    f"{life.backoff:.0f} s (restart {life.restarts + 1})")
            elif now >= life.due:
                service, port = system.instance_port(name)
                system.start_one(service, env, instance=name, port=port)
                life.restarts, life.started_at, life.due = life.restarts + 1, now, None
                life.backoff = min(life.backoff * 2, max_backoff)
                say(f"sortes: {name} started again (restarts of {name}: {life.restarts}; all instances: "
                    f"{sum(other.restarts for other in lives.values())})")
        time.sleep(poll)


def _stop_all(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _read_or_create(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    value = "sortes_" + secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value
