"""The deployment files in deploy/ against the code they start: every setting they pass is one the
services read, every command they run exists, and the topology is the one deploy/README.md promises."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sortes_cli.main import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ASSIGNMENT = re.compile(r"^#?\s*(SORTES_[A-Z0-9_]+)=", re.MULTILINE)


class _RecordingEnviron(dict[str, str]):
    """os.environ that remembers every name the code asks for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


def _yaml_documents(path: Path) -> Iterator[dict[str, Any]]:
    yield from (document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document)


def _compose() -> dict[str, Any]:
    return next(_yaml_documents(DEPLOY / "compose.yaml"))


def _kubernetes() -> list[dict[str, Any]]:
    return [document for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for document in _yaml_documents(path)]


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def settings_passed_to_the_program() -> set[str]:
    """SORTES_* names that a deploy file hands to a sortes process (not those only the files themselves use)."""
    names: set[str] = set()
    for service in _compose()["services"].values():
        if "sortes" in str(service.get("image", "")):  # not PostgreSQL's or Caddy's own settings
            names |= set(service.get("environment", {}))
    for document in _kubernetes():
        if document["kind"] == "ConfigMap":
            names |= set(document["data"])
        for container in _containers(document):
            names |= {variable["name"] for variable in container.get("env", [])}
    for example in (DEPLOY / "systemd" / "sortes.env.example", DEPLOY / "env.example"):
        names |= set(ASSIGNMENT.findall(example.read_text(encoding="utf-8")))
    unit_files = "\n".join(path.read_text(encoding="utf-8") for path in (DEPLOY / "systemd").glob("*.service"))
    # Names the unit files expand in their own command lines (a backup folder, a retention) are theirs.
    return {name for name in names if name.startswith("SORTES_") and "${" + name + "}" not in unit_files}


def test_every_setting_the_deploy_files_pass_is_read_by_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.experts.settings import ExpertsSettings
    from services.gateway.settings import GatewaySettings
    from services.vendors.settings import VendorsSettings
    from sortes_cli import run

    passed = settings_passed_to_the_program()
    assert {"SORTES_EXPERTS_DATABASE_URL", "SORTES_GATEWAY_EXPERTS_URLS"} <= passed
    environ = _RecordingEnviron({key: value for key, value in os.environ.items() if not key.startswith("SORTES_")})
    monkeypatch.setattr(os, "environ", environ)
    for settings in (ExpertsSettings, VendorsSettings, GatewaySettings):
        settings.from_env()
    # Read where the engine is made, by the settings file's loader, and by the commands (backup, up).
    from shared.db import jit_setting, pool_settings
    from shared.settings import env_file_path
    from sortes_cli.backup import _default_key_file

    pool_settings(), jit_setting(), env_file_path(), _default_key_file(), build_parser()
    environ.get("SORTES_ADMIN_API_KEY")  # read by `sortes run` and the gateway's first start
    assert "SORTES_ADMIN_API_KEY" in Path(run.__file__).read_text(encoding="utf-8")
    unread = sorted(passed - environ.asked)
    assert not unread, f"deploy files set settings no service reads: {unread}"


def test_compose_runs_two_instances_of_each_service_behind_the_gateway_and_tls_in_front() -> None:
    services = _compose()["services"]
    gateway = services["gateway"]["environment"]
    for name, port in (("experts", 8001), ("vendors", 8002)):
        instances = [f"http://{name}-{n}:{port}" for n in (1, 2)]
        assert gateway[f"SORTES_GATEWAY_{name.upper()}_URLS"].split(",") == instances
        for n in (1, 2):
            command = services[f"{name}-{n}"]["command"]
            assert f"services.{name}.app:create_app" in command and str(port) in command
            assert services[f"{name}-{n}"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published and all("443" in str(port) or "80" in str(port) for port in published), published
    proxy = next(service for service in services.values() if "caddy" in str(service.get("image", "")))
    assert any("Caddyfile" in str(volume) for volume in proxy["volumes"])
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "tls /etc/caddy/certs/" in caddyfile and "reverse_proxy {$SORTES_GATEWAY_UPSTREAM" in caddyfile
    assert proxy["environment"]["SORTES_GATEWAY_UPSTREAM"] == "gateway:8000"


def test_kubernetes_deployments_have_probes_secrets_and_a_migration_job() -> None:
    documents = _kubernetes()
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert {"gateway", "experts", "vendors"} <= set(deployments)
    for name, deployment in deployments.items():
        for container in _containers(deployment):
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"], name
    assert deployments["experts"]["spec"]["replicas"] >= 2 and deployments["vendors"]["spec"]["replicas"] >= 2
    secret_refs = [variable["valueFrom"]["secretKeyRef"] for d in deployments.values() for c in _containers(d)
                   for variable in c.get("env", []) if "valueFrom" in variable]
    assert secret_refs, "database URLs come from Secrets"
    jobs = [d for d in documents if d["kind"] == "Job"]
    assert jobs and any("upgrade" in " ".join(c.get("command", []) + c.get("args", []))
                        for job in jobs for c in _containers(job))
    ingress = next(d for d in documents if d["kind"] == "Ingress")
    assert ingress["spec"]["tls"], "the console's verifier needs HTTPS"
    listed = set(next(_yaml_documents(DEPLOY / "kubernetes" / "kustomization.yaml"))["resources"])
    # The migration Job is applied on its own, before the rollout (deploy/README.md); all else by -k.
    assert listed == {path.name for path in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml",
                                                                                      "migrate-job.yaml"}


def _sortes_commands() -> Iterator[list[str]]:
    for service in _compose()["services"].values():
        command = service.get("command") or []
        if command[:1] == ["sortes"] and "--help" not in command:
            yield command[1:]
    for document in _kubernetes():
        for container in _containers(document):
            command = container.get("command", []) + container.get("args", [])
            if command[:1] == ["sortes"]:
                yield command[1:]
    for unit in (DEPLOY / "systemd").glob("*.service"):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart=") and "/sortes " in line:
                words = shlex.split(line.removeprefix("ExecStart="))
                yield [word for word in words[1:] if "${" not in word]


def test_every_sortes_command_in_the_deploy_files_parses() -> None:
    commands = list(_sortes_commands())
    assert any(command[:2] == ["db", "upgrade"] for command in commands)
    assert any(command[:1] == ["backup"] for command in commands)
    parser = build_parser()
    for command in commands:
        if command[-1:] == ["--output"]:  # the unit's folder was a ${…} expansion
            command = [*command, "/var/backups/sortes"]
        parser.parse_args(command)


def test_the_gateway_believes_forwarded_headers_from_the_proxy_each_set_up_ships_only() -> None:
    """SORTES_TRUSTED_PROXIES names the shipped proxy, and uvicorn's own proxy headers (which
    FORWARDED_ALLOW_IPS="*" opened to everyone) are off wherever the gateway is started."""
    import ipaddress

    services = _compose()["services"]
    gateway, proxy = services["gateway"], services["proxy"]
    caddy_address = proxy["networks"]["front"]["ipv4_address"]
    assert gateway["environment"]["SORTES_TRUSTED_PROXIES"] == caddy_address
    assert "front" in gateway["networks"] and list(proxy["networks"]) == ["front"]
    subnet = _compose()["networks"]["front"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(caddy_address) in ipaddress.ip_network(subnet)
    assert "--no-proxy-headers" in gateway["command"]

    containers = [container for document in _kubernetes() for container in _containers(document)
                  if container["name"] == "gateway"]
    assert len(containers) == 1
    env = {variable["name"]: variable.get("value") for variable in containers[0]["env"]}
    assert env["SORTES_TRUSTED_PROXIES"] and "*" not in env["SORTES_TRUSTED_PROXIES"]
    assert "--no-proxy-headers" in containers[0]["command"]

    unit = (DEPLOY / "systemd" / "sortes-gateway.service").read_text(encoding="utf-8")
    assert "Environment=SORTES_TRUSTED_PROXIES=127.0.0.1,::1" in unit
    assert "--no-proxy-headers" in next(line for line in unit.splitlines() if line.startswith("ExecStart="))

    from services.gateway.edge.proxies import trusted_networks

    for value in (caddy_address, env["SORTES_TRUSTED_PROXIES"], "127.0.0.1,::1"):
        assert trusted_networks(value.split(","))  # each one the gateway accepts at start
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix not in (".crt", ".key"):
            assert "FORWARDED_ALLOW_IPS" not in path.read_text(encoding="utf-8"), path
