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
    # Read at start-up when SORTES_EXPERTS_NOTIFY_PROVIDER=alibaba (services/experts/app.py message_provider).
    from services.experts.domain.messaging import AlibabaCredentials
    from services.experts.settings import alibaba_templates_from_env

    alibaba_templates_from_env()
    environ["SORTES_EXPERTS_ALIBABA_ACCESS_KEY_ID"] = "an id"
    with pytest.raises(RuntimeError):  # no secret set here: refused, after both were asked for
        AlibabaCredentials.from_env()
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


ROOT = DEPLOY.parent


def _pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod template in the Kubernetes files, CronJobs' included."""
    for document in _kubernetes():
        spec = document.get("spec", {})
        if document["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        template = spec.get("template", {}).get("spec")
        if template:
            yield document["metadata"]["name"], template


def test_caddy_reloads_as_deploy_readme_says() -> None:
    """`systemctl reload caddy` goes through Caddy's admin endpoint: the Caddyfile must not turn it off."""
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "systemctl reload caddy" in readme
    assert "admin off" not in caddyfile
    assert re.search(r"^\s*admin localhost:\d+\s*$", caddyfile, re.MULTILINE)


def test_kubernetes_backups_are_a_cronjob_writing_to_a_volume_within_the_restricted_policy() -> None:
    documents = _kubernetes()
    namespace = next(d for d in documents if d["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    [cronjob] = [d for d in documents if d["kind"] == "CronJob"]
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert "sortes backup --service all --output /var/backups/sortes" in " ".join(container["command"])
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    claims = {volume["name"]: volume["persistentVolumeClaim"]["claimName"] for volume in pod["volumes"]
              if "persistentVolumeClaim" in volume}
    assert mounts[next(iter(claims))] == "/var/backups/sortes"
    assert any(d["kind"] == "PersistentVolumeClaim" and d["metadata"]["name"] in claims.values() for d in documents)
    listed = set(next(_yaml_documents(DEPLOY / "kubernetes" / "kustomization.yaml"))["resources"])
    assert "backup-cronjob.yaml" in listed
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "run sortes-backup --rm" not in readme and "cronjob/sortes-backup" in readme
    # The restricted Pod Security Standard, for every pod the files make.
    for name, spec in _pod_specs():
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True and security["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("hostNetwork") is not True and spec.get("hostPID") is not True, name
        for volume in spec.get("volumes", []):
            assert "hostPath" not in volume, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add"), name
            assert context.get("privileged") is not True, name


def test_replicas_and_disruption_budgets_match_what_the_code_supports() -> None:
    """Two gateways are safe (a delivery is claimed before it is sent; tests/gateway/test_webhook_secrets.py):
    every Deployment runs two pods and a PodDisruptionBudget keeps one of each."""
    documents = _kubernetes()
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: d for d in documents
               if d["kind"] == "PodDisruptionBudget"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        assert 1 <= budgets[name]["spec"]["minAvailable"] < deployment["spec"]["replicas"], name
    gateway = (DEPLOY / "kubernetes" / "gateway.yaml").read_text(encoding="utf-8")
    assert "would each deliver" not in gateway
    from services.gateway.webhooks.deliveries import Dispatcher

    assert "a second gateway does not send the same delivery" in (Dispatcher._claim.__doc__ or "")


def test_the_gateways_readiness_does_not_follow_the_other_services() -> None:
    [gateway] = [container for document in _kubernetes() for container in _containers(document)
                 if container["name"] == "gateway"]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"  # its own database (deep=true: all)
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_resource_limits_in_compose_kubernetes_and_systemd() -> None:
    for name, service in _compose()["services"].items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("memory") and limits.get("cpus"), name
    for name, spec in _pod_specs():
        for container in spec["containers"]:
            limits = container["resources"]["limits"]
            assert limits.get("memory") and limits.get("cpu"), name
            assert container["resources"]["requests"], name
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text(encoding="utf-8")
        assert re.search(r"^MemoryMax=\d+[MG]$", text, re.MULTILINE), unit.name
        assert re.search(r"^CPUQuota=\d+%$", text, re.MULTILINE), unit.name


def test_the_migration_retries_until_the_database_answers() -> None:
    unit = (DEPLOY / "systemd" / "sortes-migrate.service").read_text(encoding="utf-8")
    assert "Restart=on-failure" in unit and "StartLimitIntervalSec=0" in unit
    assert re.search(r"^ExecStart=.*sortes db upgrade --service all --wait \d+$", unit, re.MULTILINE)
    job = next(d for d in _kubernetes() if d["kind"] == "Job")
    assert "--wait" in _containers(job)[0]["command"]
    assert "--wait" in _compose()["services"]["migrate"]["command"]


def test_log_retention_is_stated_with_the_law_quoted_exactly() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    quote = ("《中华人民共和国网络安全法》第二十一条第（三）项（2016年11月7日第十二届全国人民代表大会常务委员会"
             "第二十四次会议通过的文本）：“采取监测、记录网络运行状态、网络安全事件的技术措施，并按照规定留存相关的"
             "网络日志不少于六个月；”")
    assert quote in operations
    assert "six months" in (DEPLOY / "README.md").read_text(encoding="utf-8")


def test_an_offline_install_path_and_the_platforms_checked_are_documented() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile[makefile.index("\nwheelhouse:"):]
    assert "pip wheel --wheel-dir wheelhouse ." in target.split("\n\n")[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make wheelhouse" in readme and "pip install --no-index --find-links wheelhouse/ sortes" in readme
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "## 7. What was checked, and how" in operations
    for named in ("PostgreSQL 15", "Debian 12", "SORTES_DB_JIT=server", "Not checked"):
        assert named in operations, named
    assert "SORTES_DB_JIT" in (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert "SORTES_DB_POOL_SIZE" in (DEPLOY / "env.example").read_text(encoding="utf-8")
