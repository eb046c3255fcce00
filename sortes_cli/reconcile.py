"""``sortes reconcile``: report project references that differ between experts and vendors."""

from __future__ import annotations

import argparse
import os
import sys

import httpx


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reconcile", help="compare project references across services")
    parser.add_argument("--url", default=os.environ.get("SORTES_URL", "http://127.0.0.1:8000"),
                        help="the gateway (default $SORTES_URL or http://127.0.0.1:8000)")
    parser.add_argument("--api-key", default=os.environ.get("SORTES_API_KEY"),
                        help="a bureau-admin or auditor API key (default $SORTES_API_KEY)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.api_key:
        print("sortes reconcile: give --api-key or set SORTES_API_KEY", file=sys.stderr)
        return 2
    try:
        response = httpx.get(args.url.rstrip("/") + "/api/v1/reconciliation/projects",
                             headers={"Authorization": f"Bearer {args.api_key}"}, timeout=30)
    except httpx.HTTPError as error:
        print(f"sortes reconcile: cannot reach {args.url}: {type(error).__name__}", file=sys.stderr)
        return 2
    if response.status_code != 200:
        detail = response.json().get("detail", "") if response.headers.get("content-type", "").endswith(
            "json") else response.text[:200]
        print(f"sortes reconcile: the gateway answered {response.status_code}: {detail}", file=sys.stderr)
        return 2
    report = response.json()
    if report["consistent"]:
        print(f"consistent: {report['projects_checked']} projects agree in experts and vendors")
        return 0
    for difference in report["differences"]:
        found = ", ".join(f"{service}={digest[:12] if digest else 'missing'}"
                          for service, digest in difference["digests"].items())
        print(f"DIVERGES {difference['code']}: {found}")
    print(f"{len(report['differences'])} of {report['projects_checked']} projects diverge; "
          "repeat the PUT /api/v1/projects/{code} to converge")
    return 1
