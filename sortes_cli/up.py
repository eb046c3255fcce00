"""``sortes up``: the production topology on this machine, without containers, until Ctrl-C.

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
from sortes_cli.local_system import READY_SECONDS, LocalSystem, free_port
from sortes_cli.postgres import create_database_if_missing, is_postgres, service_database_url, shown
from sortes_cli.run import STOP_SIGNALS, _raise_stop, _Stop

REPLICATED = ("experts", "vendors")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("up", help="experts and vendors replicated behind the gateway, on PostgreSQL")
    parser.add_argument("--database", required=True, metavar="postgresql://USER@HOST:PORT/NAME",
                        help="the server, and NAME the prefix of the databases <NAME>_experts, <NAME>_vendors "
                             "and <NAME>_gateway (created when missing)")
    parser.add_argument("--replicas", type=int, default=2, help="instances of experts and of vendors (default 2)")
    parser.add_argument("--port", type=int, default=env_int("SORTES_GATEWAY_PORT", 8000),
                        help="gateway port (default $SORTES_GATEWAY_PORT or 8000)")
    parser.set_defaults(func=run_up)



def build_system(database: str, replicas: int, port: int) -> LocalSystem:
    urls = {service: service_database_url(database, service) for service in SERVICES}
    return LocalSystem(
        data_dir=data_dir(), database_urls=urls, log_dir=data_dir() / "logs",
        ports={"gateway": port, **{service: free_port() for service in REPLICATED}},
        replica_ports={service: [free_port() for _ in range(replicas - 1)] for service in REPLICATED},
        admin_api_key=env_str("SORTES_ADMIN_API_KEY", "") or None,
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
    system = build_system(args.database, args.replicas, args.port)
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
        dead = system.wait_for_a_stop()
        print(f"sortes: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
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
  Logs              {system.log_dir}/<instance>.log

  Press Ctrl-C to stop.
""", flush=True)
