"""``sortes verify RECORD.json (--keys KEYS.json | --url http://HOST:PORT)``: check a draw record offline.

Prints ``OK <profile> (<algorithms>)`` (exit 0), naming the profile it checked (sortes-draw/1 or
sortes-draw/1-sm), or ``FAILED: <check>: <message>`` (exit 1). When the record or key set
cannot be read or is not shaped like one, says why on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from shared.draw.keys import KeySet, KeySetError
from shared.draw.verify import RecordFormatError, verify_record

KEYS_PATH = "/.well-known/sortes-keys"
FETCH_TIMEOUT_SECONDS = 10.0
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


class _Unusable(Exception):
    """An input could not be read or parsed; the message says which and why."""


def register(subparsers: Any) -> None:
    """Add the ``verify`` subcommand to an argparse ``add_subparsers()`` object."""
    parser = subparsers.add_parser(
        "verify", help="verify a draw record against the service's public keys",
        description="Re-run a sortes-draw/1 or sortes-draw/1-sm draw from its record and check every hash and "
                    "signature.")
    parser.add_argument("record", metavar="RECORD", help="the draw record (JSON file)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--keys", metavar="KEYS.json", help="the key set as a JSON file")
    source.add_argument("--url", metavar="http://HOST:PORT",
                        help=f"fetch the key set from <url>{KEYS_PATH} (service or gateway)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        record = _load_json_file(Path(args.record), "record")
        keyset = _keyset_from_file(Path(args.keys)) if args.keys else _keyset_from_url(args.url)
        outcome = verify_record(record, keyset)
    except (_Unusable, RecordFormatError) as error:
        print(f"sortes verify: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    if outcome.ok:
        assert outcome.profile is not None
        print(f"OK {outcome.profile.name} ({outcome.profile.description})")
        return EXIT_OK
    print(f"FAILED: {outcome.check}: {outcome.message}")
    return EXIT_FAILED


def _load_json_file(path: Path, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise _Unusable(f"cannot read {what} {path}: {error.strerror or error}") from None
    return _parse_json(raw, f"{what} {path}")


def _parse_json(raw: bytes, what: str) -> Any:
    """Strict JSON: UTF-8, and no member named twice (a viewer and the verifier could read different
    values of it)."""
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_duplicates)
    except UnicodeDecodeError:
        raise _Unusable(f"{what} is not UTF-8 text") from None
    except ValueError as error:
        raise _Unusable(f"{what} is not valid JSON: {error}") from None


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        names = [name for name, _ in pairs]
        raise ValueError(f"member {next(n for n in names if names.count(n) > 1)!r} appears twice")
    return document


def _keyset_from_file(path: Path) -> KeySet:
    return _keyset(_load_json_file(path, "key set"), f"key set {path}")


def _keyset_from_url(url: str) -> KeySet:
    address = url.rstrip("/") + KEYS_PATH
    try:
        response = httpx.get(address, timeout=FETCH_TIMEOUT_SECONDS)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise _Unusable(f"cannot fetch the key set from {address}: {error}") from None
    if response.status_code != 200:
        raise _Unusable(f"fetching the key set from {address} answered HTTP {response.status_code}")
    return _keyset(_parse_json(response.content, f"key set from {address}"), f"key set from {address}")


def _keyset(document: Any, what: str) -> KeySet:
    try:
        return KeySet.from_json(document)
    except KeySetError as error:
        raise _Unusable(f"{what} is unusable: {error}") from None
