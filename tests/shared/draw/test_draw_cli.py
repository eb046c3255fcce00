"""``sortes verify`` through ``register`` + ``run`` on a throwaway argparse parser."""

from __future__ import annotations

import argparse
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sortes_cli.verify import register, run


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sortes")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def write_json(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def files(tmp_path: Path, vectors: dict[str, Any]) -> dict[str, str]:
    return {"record": write_json(tmp_path / "record.json", vectors["records"][0]),
            "keys": write_json(tmp_path / "keys.json", vectors["keys"])}


def test_register_wires_run(files: dict[str, str]) -> None:
    args = parse("verify", files["record"], "--keys", files["keys"])
    assert args.func is run


def test_valid_record_prints_ok(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("verify", files["record"], "--keys", files["keys"])
    assert args.func(args) == 0
    assert capsys.readouterr().out == "OK sortes-draw/1 (Ed25519, SHA-256)\n"


def test_tampered_record_names_the_check(tmp_path: Path, vectors: dict[str, Any], files: dict[str, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    record = json.loads(json.dumps(vectors["records"][0]))
    record["result"]["APP"]["primaries"].reverse()
    args = parse("verify", write_json(tmp_path / "tampered.json", record), "--keys", files["keys"])
    assert run(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED: result: ")
    assert out.count("\n") == 1


@pytest.mark.parametrize(("content", "complaint"), [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"protocol": "sortes-draw/1", "protocol": "x"}', "appears twice"),
    (b"[]", "JSON object"),
])
def test_unreadable_record_exits_2(tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str],
                                   content: bytes, complaint: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert run(parse("verify", str(path), "--keys", files["keys"])) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert complaint in captured.err


def test_missing_member_exits_2(tmp_path: Path, vectors: dict[str, Any], files: dict[str, str],
                                capsys: pytest.CaptureFixture[str]) -> None:
    receipt = {name: value for name, value in vectors["records"][0].items() if name != "secret"}
    assert run(parse("verify", write_json(tmp_path / "receipt.json", receipt), "--keys", files["keys"])) == 2
    assert "secret" in capsys.readouterr().err


def test_missing_files_exit_2(tmp_path: Path, files: dict[str, str],
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("verify", str(tmp_path / "absent.json"), "--keys", files["keys"])) == 2
    assert run(parse("verify", files["record"], "--keys", str(tmp_path / "absent.json"))) == 2
    assert capsys.readouterr().err.count("cannot read") == 2


def test_bad_key_set_exits_2(tmp_path: Path, vectors: dict[str, Any], files: dict[str, str],
                             capsys: pytest.CaptureFixture[str]) -> None:
    entry = vectors["keys"]["keys"][0]
    keys = write_json(tmp_path / "dup.json", {"keys": [entry, entry]})
    assert run(parse("verify", files["record"], "--keys", keys)) == 2
    assert "more than once" in capsys.readouterr().err


def test_keys_or_url_is_required_and_exclusive(files: dict[str, str]) -> None:
    with pytest.raises(SystemExit):
        parse("verify", files["record"])
    with pytest.raises(SystemExit):
        parse("verify", files["record"], "--keys", files["keys"], "--url", "http://127.0.0.1:1")


# --- --url ----------------------------------------------------------------------------------------


@pytest.fixture
def key_server(vectors: dict[str, Any]) -> Iterator[str]:
    """A tiny HTTP server answering /.well-known/sortes-keys with the test key set; 404 elsewhere."""
    body = json.dumps(vectors["keys"]).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/.well-known/sortes-keys"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_url_fetches_the_key_set(key_server: str, files: dict[str, str],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("verify", files["record"], "--url", key_server + "/")) == 0
    assert capsys.readouterr().out == "OK sortes-draw/1 (Ed25519, SHA-256)\n"


def test_url_answering_404_exits_2(key_server: str, files: dict[str, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("verify", files["record"], "--url", key_server + "/elsewhere")) == 2
    assert "HTTP 404" in capsys.readouterr().err


def test_unreachable_url_exits_2(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run(parse("verify", files["record"], "--url", f"http://127.0.0.1:{port}")) == 2
    assert "cannot fetch" in capsys.readouterr().err


def test_malformed_url_exits_2(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse("verify", files["record"], "--url", "nonsense")) == 2
    assert "cannot fetch" in capsys.readouterr().err
