"""``sortes run``: the whole system on this machine, with demo data, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from shared.settings import data_dir, env_int
from sortes_cli.demo_accounts import DEMO_USERS, ensure_demo_accounts
from sortes_cli.local_system import LocalSystem


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="start experts, vendors and gateway on 127.0.0.1")
    parser.add_argument("--port", type=int, default=env_int("SORTES_GATEWAY_PORT", 8000),
                        help="gateway port (default $SORTES_GATEWAY_PORT or 8000)")
    parser.add_argument("--experts-port", type=int, default=env_int("SORTES_EXPERTS_PORT", 8001))
    parser.add_argument("--vendors-port", type=int, default=env_int("SORTES_VENDORS_PORT", 8002))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data on first start")
    parser.set_defaults(func=run)


class _Stop(Exception):
    pass


# Ctrl-C, a stop from a process manager, the terminal closing. Killed outright (SIGKILL), the
# supervisor cannot stop anything: the services notice its end themselves (shared.supervised).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def run(args: argparse.Namespace) -> int:
    system = LocalSystem(
        data_dir=data_dir(),
        ports={"gateway": args.port, "experts": args.experts_port, "vendors": args.vendors_port},
        demo_data=not args.no_demo,
        admin_api_key=os.environ.get("SORTES_ADMIN_API_KEY") or None,
    )
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    try:
        print(f"sortes: preparing {system.data_dir} (keys, migrations) …", flush=True)
        system.prepare()
        print("sortes: starting experts, vendors and gateway …", flush=True)
        system.start()
        password = ensure_demo_accounts(system.url(), system.admin_api_key or "",
                                        system.data_dir / "keys" / "demo-password")
        _print_banner(system, password)
        dead = system.wait_for_a_stop()
        print(f"sortes: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
    except _Stop:
        print("\nsortes: stopping …", flush=True)
        return 0
    except RuntimeError as error:
        print(f"sortes: {error}", file=sys.stderr)
        return 1
    finally:
        for signum in STOP_SIGNALS:  # the stop is bounded; a second Ctrl-C must not cut it short
            signal.signal(signum, signal.SIG_IGN)
        system.stop()
        print("sortes: all processes stopped", flush=True)


def _print_banner(system: LocalSystem, password: str) -> None:
    url = system.url()
    users = ", ".join(username for username, *_ in DEMO_USERS[1:])
    print(f"""
  sortes is running — 平阳县专家库与供应商库

  Console and API   {url}/
  API docs          {url}/api/docs
  Demo sign-in      user admin, password {password}
                    (also {users}; same password)
  API key           {system.admin_api_key}   (bureau admin)
                    curl -H 'Authorization: Bearer {system.admin_api_key}' {url}/api/v1/experts
  Services          experts {system.url('experts')} · vendors {system.url('vendors')}
  Data              {system.data_dir}

  Press Ctrl-C to stop.
""", flush=True)
