"""docs/draw-protocol.md says what the code does: its worked example is the code's own output for the
first public vector, and its table of checks is the verifier's, in the verifier's order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from shared.draw import CHECKS, Signer, commit_body, compute_seed, rank_key, ranking, result_signature_message, select

DOC = (Path(__file__).resolve().parents[3] / "docs" / "draw-protocol.md").read_text(encoding="utf-8")


def fenced(text: bytes) -> str:
    return "```\n" + text.decode("utf-8") + "```\n"


def test_the_worked_example_is_what_the_code_computes(vectors: dict[str, Any]) -> None:
    record = vectors["records"][0]
    quotas = {quota["field"]: quota["count"] for quota in record["quotas"]}
    body = commit_body(draw_id=record["draw_id"], purpose=record["purpose"], project_code=record["project_code"],
                       committed_at=record["committed_at"], key_id=record["key_id"], quotas=quotas,
                       reserves_per_field=record["reserves_per_field"],
                       candidates_digest=record["candidates_digest"], commitment=record["commitment"])
    assert fenced(body) in DOC
    seed = compute_seed(bytes.fromhex(record["secret"]), body, record["witness"])
    assert f"the seed is\n`{seed.hex()}`" in DOC
    for field in sorted(quotas):
        for place, candidate in enumerate(ranking(seed, field, record["candidates"][field])[:5], start=1):
            row = f"| {field} | {place} | {candidate} | `{rank_key(seed, field, candidate).hex()}` |"
            assert row in DOC
    result = select(seed, quotas, record["reserves_per_field"], record["candidates"])
    message = result_signature_message(body, record["witness"], record["drawn_at"], seed, result)
    prefix = b"sortes-draw/1 result\n" + body
    assert message.startswith(prefix) and fenced(message.removeprefix(prefix)) in DOC


def test_the_test_key_is_named_as_the_vectors_hold_it(vectors: dict[str, Any], signer: Signer) -> None:
    entry = vectors["keys"]["keys"][0]
    assert f"public key `{entry['public_key']}` and the key id\n`{signer.key_id}`" in DOC


def test_the_table_of_checks_is_the_verifiers_in_its_order() -> None:
    section = DOC.split("## 8. Verifying a record", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert tuple(named) == CHECKS
