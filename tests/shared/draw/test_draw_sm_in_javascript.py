"""The in-browser verifier's code (verify.js with the vendored sm-crypto) run by Node.js: it verifies both
profiles' vectors, names the same failed check as `sortes verify` on bad records, and its SM2/SM3 give the
standards' examples — the browser's implementation cross-checked against the Python one without a browser.
Skipped where Node.js is not installed; tests/browser does the same in Chromium."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared import sm_crypto
from shared.draw import KeySet, b64url_decode, b64url_encode, verify_record

ROOT = Path(__file__).parents[3]
STATIC = ROOT / "services" / "gateway" / "console" / "static"
SM_VECTORS = json.loads((ROOT / "docs" / "draw-vectors-sm.json").read_text("utf-8"))
VECTORS = json.loads((ROOT / "docs" / "draw-vectors.json").read_text("utf-8"))

# Loads the page's scripts into one context, as the page's <script> tags do, and verifies each
# (record, keys) pair given on stdin; also answers the standards' examples through sm-crypto itself.
RUNNER = r"""
const fs = require("fs"), vm = require("vm");
const context = {console, TextEncoder, atob, btoa, crypto: globalThis.crypto};
context.globalThis = context;
context.self = context;
vm.createContext(context);
for (const name of ["vendor/sm-crypto/sm2.js", "vendor/sm-crypto/sm3.js", "verify.js"]) {
  const tail = name === "verify.js" ? "\nglobalThis.SortesVerifier = SortesVerifier;" : "";
  vm.runInContext(fs.readFileSync(process.argv[1] + "/" + name, "utf8") + tail, context);
}
const input = JSON.parse(fs.readFileSync(0, "utf8"));
(async () => {
  const verdicts = [];
  for (const [record, keys] of input.pairs) {
    try {
      const outcome = await context.SortesVerifier.verifyTexts(JSON.stringify(record), JSON.stringify(keys));
      verdicts.push({ok: outcome.ok, failed: outcome.failed, profile: outcome.profile && outcome.profile.name});
    } catch (error) {
      verdicts.push({unusable: error.key || String(error)});
    }
  }
  const examples = {
    sm3_abc: context.sm3("abc"),
    sm3_abcd16: context.sm3("abcd".repeat(16)),
    sm2_example: context.sm2.doVerifySignature("message digest", input.example.signature, input.example.public_key,
                                               {hash: true, userId: "1234567812345678"}),
    sm2_example_altered: context.sm2.doVerifySignature("message digesT", input.example.signature,
                                                       input.example.public_key, {hash: true}),
  };
  console.log(JSON.stringify({verdicts, examples}));
})();
"""

EXAMPLE_PUBLIC = ("04" "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
                  "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
EXAMPLE_SIGNATURE = ("f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
                     "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa")


def run_in_node(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    done = subprocess.run([node, "-e", RUNNER, str(STATIC)], input=json.dumps({
        "pairs": pairs, "example": {"public_key": EXAMPLE_PUBLIC, "signature": EXAMPLE_SIGNATURE}}),
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def bad_records() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    record, keys = SM_VECTORS["records"][0], SM_VECTORS["keys"]
    off_curve = copy.deepcopy(keys)
    point = bytearray(b64url_decode(off_curve["keys"][0]["public_key"]))
    point[-1] ^= 1
    off_curve["keys"][0].update(public_key=b64url_encode(bytes(point)), key_id=sm_crypto.sm3(bytes(point)).hex()[:16])
    both = {"keys": [*VECTORS["keys"]["keys"], *keys["keys"]]}
    return [
        ({**record, "protocol": "sortes-draw/1"}, both),  # renamed to the other profile: its key is SM2
        ({**record, "key_id": VECTORS["keys"]["keys"][0]["key_id"]}, both),  # an Ed25519 key for an SM record
        ({**record, "key_id": off_curve["keys"][0]["key_id"]}, off_curve),
        ({**record, "commit_signature": b64url_encode(b"\x01" * 63)}, keys),
        ({**record, "commit_signature": b64url_encode(bytes(64))}, keys),
        ({**record, "signature": SM_VECTORS["records"][1]["signature"]}, keys),
        ({**record, "witness": record["witness"] + "1"}, keys),
        ({**record, "secret": record["secret"][:-1] + ("0" if record["secret"][-1] != "0" else "1")}, keys),
        ({**record, "protocol": "sortes-draw/1-gm"}, keys),
    ]


def test_both_profiles_verify_and_bad_records_fail_on_the_check_the_cli_names() -> None:
    good = [(record, SM_VECTORS["keys"]) for record in SM_VECTORS["records"]]
    good += [(record, VECTORS["keys"]) for record in VECTORS["records"]]
    bad = bad_records()
    answer = run_in_node(good + bad)
    verdicts = answer["verdicts"]
    profiles = [verdict["profile"] for verdict in verdicts[:len(good)]]
    assert all(verdict["ok"] for verdict in verdicts[:len(good)]), verdicts
    assert profiles == ["sortes-draw/1-sm"] * len(SM_VECTORS["records"]) + ["sortes-draw/1"] * len(VECTORS["records"])
    for (record, keys), verdict in zip(bad, verdicts[len(good):], strict=True):
        reference = verify_record(record, KeySet.from_json(keys))
        assert not reference.ok
        assert verdict == {"ok": False, "failed": reference.check, "profile": verdict["profile"]}, reference.message


def test_the_vendored_sm2_and_sm3_give_the_standards_examples() -> None:
    examples = run_in_node([])["examples"]
    assert examples == {
        "sm3_abc": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
        "sm3_abcd16": "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
        "sm2_example": True, "sm2_example_altered": False}
