"""``sortes up``: the production topology on this machine, without containers, until Ctrl-C.

It supervises what it starts: an instance that exits (killed, crashed) is started again after a
backoff while the others go on serving, each restart logged with its count; each instance's output
goes to its own rotating log file under the data folder and to the terminal.

One database per service on the PostgreSQL server given (``<name>_experts``, ``<name>_vendors`` and
``<name>_gateway``, created when missing and migrated), several instances each of experts and vendors
on free loopback ports, and the gateway in front of them balancing across the instances. Keys are
kept in the data folder (``SORTES_DATA_DIR``), as ``sortes run`` keeps them.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import asyncpg

from shared.migrations import SERVICES
from shared.settings import data_dir, env_int, env_str
from sortes_cli.local_system import READY_SECONDS, LocalSystem, free_port, supervise
from sortes_cli.postgres import create_database_if_missing, is_postgres, service_database_url, shown
from sortes_cli.run import STOP_SIGNALS, _raise_stop, _Stop

REPLICATED = ("experts", "vendors")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("up", help="experts and vendors replicated behind the gateway, on PostgreSQL")
    parser.add_argument("--database", required=True, metavar="postgresql://USER@HOST:PORT/NAME",
                        help="the server, and NAME the prefix of the databases <NAME>_experts, <NAME>_vendors "
                             "and <NAME>_gateway (created when missing)")
    parser.add_argument("--replicas", type=int, default=2, help="instances of experts and of vendors (default 2)")
    parser.add_argument("--port", type=int, default=None,
                        help="gateway port (default $SORTES_GATEWAY_PORT or 8000; with --base-port, the base)")
    parser.add_argument("--base-port", type=int, default=None, metavar="PORT",
                        help="consecutive ports from PORT: the gateway on PORT, then each experts instance, then "
                             "each vendors instance (default: free ports chosen for the instances)")
    parser.add_argument("--ports", action="append", default=[], metavar="SERVICE=PORT[,PORT…]",
                        help="the ports of a service's instances, one per replica, e.g. experts=8001,8011 "
                             "(repeat for vendors)")
    parser.add_argument("--log-max-bytes", type=int, default=env_int("SORTES_LOG_MAX_BYTES", 10 * 1024 * 1024),
                        help="rotate each instance's log file at this size (default $SORTES_LOG_MAX_BYTES or 10 MiB)")
    parser.add_argument("--log-backups", type=int, default=env_int("SORTES_LOG_BACKUPS", 10),
                        help="rotated log files kept per instance (default $SORTES_LOG_BACKUPS or 10)")
    parser.add_argument("--quiet", action="store_true", help="log to the files only, not to the terminal")
    parser.set_defaults(func=run_up)


class PortsError(ValueError):
    """--ports, --base-port or --port cannot be used as given; the message says why."""


def choose_ports(replicas: int, port: int | None, base_port: int | None, given: list[str]) -> dict[str, list[int]]:
    """The gateway's port and each replicated service's instance ports, from the options."""
    explicit: dict[str, list[int]] = {}
    for item in given:
        service, equals, listed = item.partition("=")
        if not equals or service not in REPLICATED:
            raise PortsError(f"--ports {item!r}: expected experts=PORT[,PORT…] or vendors=PORT[,PORT…]")
        try:
            ports = [int(value) for value in listed.split(",") if value.strip()]
        except ValueError:
            raise PortsError(f"--ports {item!r}: ports are numbers") from None
        if len(ports) != replicas:
            raise PortsError(f"--ports {item!r}: {len(ports)} ports for {replicas} replicas")
        explicit[service] = ports
    chosen: dict[str, list[int]] = {}
    if base_port is not None:
        chosen["gateway"] = [base_port]
        for offset, service in enumerate(REPLICATED):
            chosen[service] = [base_port + 1 + offset * replicas + index for index in range(replicas)]
    else:
        chosen["gateway"] = [port if port is not None else env_int("SORTES_GATEWAY_PORT", 8000)]
    if port is not None:
        chosen["gateway"] = [port]
    for service in REPLICATED:
        chosen[service] = explicit.get(service) or chosen.get(service) or [free_port() for _ in range(replicas)]
    every = [number for ports in chosen.values() for number in ports]
    if len(set(every)) != len(every):
        raise PortsError(f"a port is given twice: {', '.join(map(str, every))}")
    if not all(0 < number < 65536 for number in every):
        raise PortsError("ports are between 1 and 65535")
    return chosen



def build_system(database: str, ports: dict[str, list[int]], *, log_max_bytes: int = 0, log_backups: int = 5,
                 echo: bool = False) -> LocalSystem:
    urls = {service: service_database_url(database, service) for service in SERVICES}
    return LocalSystem(
        data_dir=data_dir(), database_urls=urls, log_dir=data_dir() / "logs",
        ports={service: service_ports[0] for service, service_ports in ports.items()},
        replica_ports={service: ports[service][1:] for service in REPLICATED},
        admin_api_key=env_str("SORTES_ADMIN_API_KEY", "") or None,
        log_max_bytes=log_max_bytes, log_backups=log_backups, echo=echo,
    )


def start(system: LocalSystem, timeout: float) -> None:
    """The first instance of each service before its replicas: the first creates the service's keys."""
    env = system.environment()
    for service in REPLICATED:
        system.start_one(service, env)
    system.wait_ready(REPLICATED, timeout)
    replicas = [(service, instance, port) for service in REPLICATED
                for instance, port in system.instances(service)[1:]]
    for service, instance, port in replicas:
        system.start_one(service, env, instance=instance, port=port)
    system.start_one("gateway", env)
    system.wait_ready((*(instance for _, instance, _ in replicas), "gateway"), timeout)


def run_up(args: argparse.Namespace) -> int:
    if not is_postgres(args.database):
        print("sortes up: --database must be a postgresql:// URL (sortes run is the embedded SQLite set-up)",
              file=sys.stderr)
        return 2
    if args.replicas < 1:
        print("sortes up: --replicas must be at least 1", file=sys.stderr)
        return 2
    try:
        ports = choose_ports(args.replicas, args.port, args.base_port, args.ports)
    except PortsError as error:
        print(f"sortes up: {error}", file=sys.stderr)
        return 2
    if args.log_max_bytes < 0 or args.log_backups < 0:
        print("sortes up: --log-max-bytes and --log-backups cannot be negative", file=sys.stderr)
        return 2
    system = build_system(args.database, ports, log_max_bytes=args.log_max_bytes, log_backups=args.log_backups,
                          echo=not args.quiet)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    try:
        for url in system.database_urls.values():
            if asyncio.run(create_database_if_missing(url)):
                print(f"sortes: created database {shown(url)}", flush=True)
        print(f"sortes: preparing {system.data_dir} (keys, migrations) …", flush=True)
        system.prepare()
        print(f"sortes: starting {args.replicas} × experts, {args.replicas} × vendors and the gateway …", flush=True)
        start(system, timeout=READY_SECONDS)
        _print_banner(system)
        supervise(system, system.environment())  # until Ctrl-C: an instance that exits is started again
        return 0
    except _Stop:
        print("\nsortes: stopping …", flush=True)
        return 0
    except (RuntimeError, OSError, asyncpg.PostgresError) as error:
        print(f"sortes: {error}", file=sys.stderr)
        return 1
    finally:
        for signum in STOP_SIGNALS:  # the stop is bounded; a second Ctrl-C must not cut it short
            signal.signal(signum, signal.SIG_IGN)
        system.stop()
        print("sortes: all processes stopped", flush=True)


def _print_banner(system: LocalSystem) -> None:
    url = system.url()
    instances = "\n".join(f"  {service:<8}          {' · '.join(system.instance_urls(service))}"
                          for service in REPLICATED)
    databases = "\n".join(f"  {service:<8}          {shown(system.database_urls[service])}" for service in SERVICES)
    print(f"""
  sortes is up — gateway in front of {len(system.instances('experts'))} experts and \
{len(system.instances('vendors'))} vendors instances

  Console and API   {url}/
  API docs          {url}/api/docs
  API key           {system.admin_api_key}   (bureau admin)
{instances}
  Databases
{databases}
  Keys              {system.data_dir / 'keys'}
  Logs              {system.log_dir}/<instance>.log (rotated at {system.log_max_bytes:,} bytes, \
{system.log_backups} kept)
  Supervision       an instance that exits is started again (1 s, doubling to 60 s)

  Press Ctrl-C to stop.
""", flush=True)
