"""The verification page checks draw records in the browser and agrees with `sortes verify`: on the
spec's worked records, on tampered copies of them, on random draws, served by the gateway and
opened as a saved file; and it says so plainly where the browser offers no WebCrypto."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import httpx

from shared.draw import KeySet, Signer, commit, reveal, verify_record
from shared.draw.protocol import ranking
from shared.draw.verify import CHECKS
from shared.signing_keys import load_private_key
from sortes_cli.main import main as sortes
from tests.browser.conftest import ON_SQLITE_SYSTEM, Console
from tests.shared.draw.test_draw_verify import single_changes

pytestmark = ON_SQLITE_SYSTEM

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "docs" / "draw-vectors.json").read_text("utf-8"))
KEYS = VECTORS["keys"]
TEST_SIGNER = Signer.from_seed(bytes.fromhex(VECTORS["test_private_key_seed"]))


def tampered(record: dict[str, Any], edit: str) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    field = sorted(changed["result"])[0]
    if edit == "result id":
        changed["result"][field]["primaries"][0] = "E99999"
    elif edit == "witness":
        changed["witness"] += "1"
    elif edit == "secret":
        changed["secret"] = changed["secret"][:-1] + ("0" if changed["secret"][-1] != "0" else "1")
    elif edit == "signature":
        changed["signature"] = ("B" if changed["signature"][0] == "A" else "A") + changed["signature"][1:]
    elif edit == "candidate added":
        changed["candidates"][field] = sorted([*changed["candidates"][field], "Z99999"])
    elif edit == "unknown key":
        changed["key_id"] = "0123456789abcdef"
    elif edit == "protocol":
        changed["protocol"] = "sortes-draw/2"
    return changed


TAMPERINGS = ("result id", "witness", "secret", "signature", "candidate added", "unknown key", "protocol")


def cli_verdict(record: dict[str, Any], keys: dict[str, Any], folder: Path, capsys: Any) -> str | None:
    """What `sortes verify RECORD --keys KEYS` says: None for OK, else the failed check's name."""
    (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (folder / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    capsys.readouterr()
    code = sortes(["verify", str(folder / "record.json"), "--keys", str(folder / "keys.json")])
    printed = capsys.readouterr().out.strip()
    assert code in (0, 1), printed
    return None if code == 0 else printed.split(":")[1].strip()


async def page_verdict(page: Any, record: dict[str, Any], keys: dict[str, Any] | None) -> dict[str, Any]:
    """Paste the record (and the key set, or leave it to be fetched) and read each check's status."""
    await page.fill("#record", json.dumps(record, ensure_ascii=False, indent=1))
    await page.fill("#keys", json.dumps(keys) if keys is not None else "")
    await page.click("#verify")
    await page.wait_for_selector("#results[data-outcome=ok], #results[data-outcome=failed], "
                                 "#results[data-outcome=unusable]")
    checks = await page.eval_on_selector_all(
        "#checks tr", "rows => rows.map(row => [row.dataset.check, row.dataset.status])")
    return {"outcome": await page.get_attribute("#results", "data-outcome"),
            "outcome_text": await page.inner_text("#outcome"), "checks": dict(checks)}


def assert_agrees(verdict: dict[str, Any], failed: str | None) -> None:
    expected = {name: "passed" for name in CHECKS}
    if failed is not None:
        index = CHECKS.index(failed)
        expected.update({name: "not_run" for name in CHECKS[index + 1:]}, **{failed: "failed"})
    assert verdict["checks"] == expected, verdict["outcome_text"]
    assert verdict["outcome"] == ("ok" if failed is None else "failed")


def system_record(console: Console) -> dict[str, Any]:
    """A record signed with the running experts service's own draw key, as a real draw is."""
    signer = Signer(load_private_key(console.system.data_dir / "keys" / "experts-draw.pem"))
    receipt = commit(draw_id="6a1f0e2a-9c3b-4e7d-8a6f-1b2c3d4e5f61", purpose="initial_acceptance",
                     project_code="PY-2026-003", committed_at="2026-12-01T01:00:00Z", quotas={"APP": 2, "SEC": 1},
                     reserves_per_field=1, candidates={"APP": ["E00001", "E00002", "E00003", "E00004"],
                                                       "SEC": ["E00002", "E00005"]},
                     signer=signer, secret=bytes(range(32)))
    return reveal(receipt, secret=bytes(range(32)), witness="监督人 赵六 0815", drawn_at="2026-12-01T01:04:00Z",
                  signer=signer).to_json_dict()


async def test_every_worked_record_verifies_and_every_tampering_is_named_as_the_cli_names_it(
        page: Any, console: Console, tmp_path: Path, capsys: Any, screenshot: Any) -> None:
    await page.goto("/verify")
    # The first record and key set come in as files, the way a person would load them.
    (tmp_path / "first.json").write_text(json.dumps(VECTORS["records"][0], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "keys-file.json").write_text(json.dumps(KEYS), encoding="utf-8")
    await page.set_input_files("#record-file", str(tmp_path / "first.json"))
    await page.set_input_files("#keys-file", str(tmp_path / "keys-file.json"))
    await page.wait_for_function("document.getElementById('keys').value.length > 0")
    await page.click("#verify")
    await page.wait_for_selector("#results[data-outcome=ok]")
    assert await page.locator("#checks tr[data-status=passed]").count() == len(CHECKS)
    assert await page.inner_text("#outcome") == f"记录校验通过：全部 {len(CHECKS)} 项检查均通过。"
    await screenshot(page, "verify-passed")
    for record in VECTORS["records"]:
        assert cli_verdict(record, KEYS, tmp_path, capsys) is None
        assert_agrees(await page_verdict(page, record, KEYS), None)
    for record in VECTORS["records"][:2]:
        for edit in TAMPERINGS:
            changed = tampered(record, edit)
            failed = cli_verdict(changed, KEYS, tmp_path, capsys)
            assert failed is not None, edit
            assert_agrees(await page_verdict(page, changed, KEYS), failed)
    assert await page.inner_text("#checks tr[data-status=failed] td:nth-child(2)") == "未通过"
    await screenshot(page, "verify-tampered")
    await page.emulate_media(media="print")
    assert not await page.is_visible("#verify") and await page.is_visible("#checks")
    await screenshot(page, "verify-print")


BATCH = """async ([cases, keys]) => {
  const verdicts = [];
  for (const record of cases) {
    try {
      verdicts.push((await SortesVerifier.verifyTexts(JSON.stringify(record), JSON.stringify(keys))).failed);
    } catch (error) {
      verdicts.push(error instanceof SortesVerifier.Unusable ? "unusable: " + error.key : String(error));
    }
  }
  return verdicts;
}"""

# Witness texts across the rules (control, format, line and space characters, NFC, length), and
# timestamps that are or are not real instants.
WITNESSES = ["x\t", "x\u00ad", "x\u2028", "\u3000x", "x\u00a0", "A\u030a", "\u00c5", "见" * 200, "见" * 201,
             "a\u200db", "\U0001f600", "x "]
MOMENTS = ["2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T01:30:60Z",
           "0000-03-02T01:30:00Z", "2026-03-02 01:30:00Z", "2026-03-02T01:30:00+00:00", "2026-13-02T01:30:00Z"]
WRONG_TYPES = [("draw_id", 7), ("witness", None), ("quotas", {}), ("quotas", [["APP", 3]]),
               ("quotas", [{"field": "APP"}]), ("quotas", [{"field": "APP", "count": 3.5}]),
               ("quotas", [{"field": "APP", "count": True}]), ("reserves_per_field", "2"),
               ("reserves_per_field", False), ("candidates", []), ("candidates", {"APP": "E00001"}),
               ("candidates", {"APP": [1]}), ("result", [])]


async def test_every_single_change_is_named_as_the_reference_verifier_names_it(page: Any, console: Console) -> None:
    """tests/shared/draw's one-change-at-a-time records (every member, list entry and quota):
    the page fails the same check first as verify_record, the function behind `sortes verify`."""
    keyset = KeySet.from_json(KEYS)
    cases = [changed for record in VECTORS["records"] for _, changed in single_changes(record) if changed != record]
    first = VECTORS["records"][0]
    cases += [{**first, "witness": witness} for witness in WITNESSES]
    cases += [{**first, "committed_at": moment} for moment in MOMENTS]
    expected = [verify_record(changed, keyset).check for changed in cases]
    assert len(cases) > 500 and len(set(expected)) >= 10
    await page.goto("/verify")
    assert await page.evaluate(BATCH, [cases, KEYS]) == expected
    # Not a record at all: a member missing or of another JSON type (`sortes verify` exits 2).
    malformed = [{name: value for name, value in first.items() if name != missing} for missing in first]
    malformed += [{**first, name: value} for name, value in WRONG_TYPES]
    assert set(await page.evaluate(BATCH, [malformed, KEYS])) == {"unusable: missing_member", "unusable: wrong_type"}
    # As the CLI reads JSON: a member named twice is refused, and 2.0 is no JSON integer.
    text = json.dumps(first, ensure_ascii=False)
    texts = [text.replace('"purpose": ', '"purpose": "x", "purpose": ', 1),
             text.replace('"reserves_per_field": 2', '"reserves_per_field": 2.0', 1), text + " x", "\ufeff" + text]
    assert await page.evaluate("""async ([texts, keys]) => Promise.all(texts.map(text =>
        SortesVerifier.verifyTexts(text, JSON.stringify(keys)).then(() => "ok", error => error.key)))""",
                               [texts, KEYS]) == ["duplicate_member", "wrong_type", "json_syntax", "json_syntax"]


async def test_a_changed_result_id_fails_the_result_check(page: Any, console: Console) -> None:
    await page.goto("/verify")
    verdict = await page_verdict(page, tampered(VECTORS["records"][0], "result id"), KEYS)
    assert verdict["checks"]["result"] == "failed"
    # The verdict names what failed, never the check's name as if it held.
    assert "记录校验未通过：抽取结果与重算不一致（" in verdict["outcome_text"]
    assert "与重算一致" not in verdict["outcome_text"]
    assert "E00002,E00001,E00012" in await page.inner_text("#checks tr[data-check=result]")
    # Times as the printed record gives them: Beijing time, not the record's UTC.
    summary = await page.inner_text("#summary-rows")
    assert "承诺时间（北京时间）\t2026-03-02 09:30:00" in summary and "Z" not in summary
    assert "用途\t技术审查" in summary  # the purpose by its name, not technical_review


def greedy(record: dict[str, Any]) -> dict[str, Any]:
    """The draw without the capacity test: each field takes its best-ranked free candidates."""
    seed, chosen, result = bytes.fromhex(record["seed"]), set(), {}
    quotas = {quota["field"]: quota["count"] for quota in record["quotas"]}
    for lists, want in (("primaries", quotas), ("reserves", dict.fromkeys(quotas, record["reserves_per_field"]))):
        for field in sorted(quotas):
            free = [i for i in ranking(seed, field, record["candidates"][field]) if i not in chosen][:want[field]]
            chosen.update(free)
            result.setdefault(field, {})[lists] = free
    return result


async def test_random_draws_verify_as_the_reference_implementation_drew_them(page: Any, console: Console) -> None:
    """The page's own selection against shared/draw's, on draws whose experts sit in several fields,
    among them draws where placing the best-ranked free expert greedily would leave a seat empty."""
    rng = random.Random(20261201)
    records = []
    for number in range(80):
        fields = rng.sample(["APP", "DATA", "NET", "SEC"], k=rng.randint(1, 4))
        pool = [f"E{n:05d}" for n in range(rng.randint(2, 10))]
        secret = rng.randbytes(32)
        receipt = commit(draw_id=f"00000000-0000-4000-8000-{number:012d}", purpose="spot_check",
                         project_code=f"SPOT-{2026 + number}", committed_at="2026-12-01T00:00:00Z",
                         quotas={field: rng.randint(1, 3) for field in fields}, reserves_per_field=rng.randint(0, 2),
                         candidates={field: rng.sample(pool, k=rng.randint(0, len(pool))) for field in fields},
                         signer=TEST_SIGNER, secret=secret)
        records.append(reveal(receipt, secret=secret, witness=f"见证 {number}", drawn_at="2026-12-01T00:01:00Z",
                              signer=TEST_SIGNER).to_json_dict())
    assert sum(greedy(record) != record["result"] for record in records) >= 5
    await page.goto("/verify")
    assert await page.evaluate(BATCH, [records, KEYS]) == [None] * len(records)


async def test_a_record_of_the_running_system_verifies_with_the_key_set_it_serves(page: Any, console: Console,
                                                                                    screenshot: Any) -> None:
    await page.goto("/verify")
    verdict = await page_verdict(page, system_record(console), keys=None)  # the page fetches the key set itself
    assert verdict["outcome"] == "ok", verdict["outcome_text"]
    served = httpx.get(console.url + "/.well-known/sortes-keys", timeout=10).json()
    assert json.loads(await page.input_value("#keys")) == served
    assert await page.locator("#summary-result tbody tr").count() == 2
    await screenshot(page, "verify-system-record")


async def test_the_saved_page_verifies_from_a_file(page: Any, console: Console, tmp_path: Path,
                                                   screenshot: Any) -> None:
    offline = httpx.get(console.url + "/verify/offline", timeout=10)
    saved = tmp_path / "sortes-verify.html"
    saved.write_bytes(offline.content)
    await page.goto(saved.as_uri())
    assert await page.evaluate("window.isSecureContext") is True
    assert not await page.is_visible("#insecure-context")
    assert_agrees(await page_verdict(page, VECTORS["records"][1], KEYS), None)
    assert_agrees(await page_verdict(page, tampered(VECTORS["records"][1], "result id"), KEYS), "result")
    # From the file, the key set comes from the gateway it was saved from (CORS allows it).
    assert await page.input_value("#keys-url") == console.url + "/.well-known/sortes-keys"
    assert (await page_verdict(page, system_record(console), keys=None))["outcome"] == "ok"
    await screenshot(page, "verify-offline-file")


async def test_without_a_secure_context_the_page_says_so(page: Any, console: Console, screenshot: Any) -> None:
    async def from_the_gateway(route: Any) -> None:  # the gateway's page under a name neither HTTPS nor loopback
        real = route.request.url.replace("http://sortes.invalid", console.url)
        await route.fulfill(response=await route.fetch(url=real))

    await page.route("http://sortes.invalid/**", from_the_gateway)
    await page.goto("http://sortes.invalid/verify")
    assert await page.evaluate("window.isSecureContext") is False
    assert await page.is_visible("#insecure-context")
    assert "安全上下文" in await page.inner_text("#insecure-context")
    assert await page.is_disabled("#verify")
    await screenshot(page, "verify-insecure-context")


SM_VECTORS = json.loads((Path(__file__).parents[2] / "docs" / "draw-vectors-sm.json").read_text("utf-8"))


async def test_records_of_the_sm_profile_verify_and_the_page_says_which_profile_it_checked(
        page: Any, console: Console, tmp_path: Path, capsys: Any, screenshot: Any) -> None:
    """sortes-draw/1-sm in Chromium with the vendored sm-crypto (issue 26, point 2), on the served page and
    on the saved one, agreeing with `sortes verify` on every vector and on tampered copies."""
    keys = SM_VECTORS["keys"]
    for where in ("served", "saved"):
        if where == "served":
            await page.goto("/verify")
        else:
            saved = tmp_path / "sortes-verify.html"
            saved.write_bytes(httpx.get(console.url + "/verify/offline", timeout=10).content)
            await page.goto(saved.as_uri())
        for record in SM_VECTORS["records"]:
            assert cli_verdict(record, keys, tmp_path, capsys) is None
            assert_agrees(await page_verdict(page, record, keys), None)
        assert await page.inner_text("#checked-profile") == "所校验的协议：sortes-draw/1-sm（SM2, SM3）"
        if where == "served":
            await screenshot(page, "verify-sm-profile")
        for edit in TAMPERINGS:
            changed = tampered(SM_VECTORS["records"][0], edit)
            failed = cli_verdict(changed, keys, tmp_path, capsys)
            assert failed is not None, edit
            assert_agrees(await page_verdict(page, changed, keys), failed)
        renamed = {**SM_VECTORS["records"][0], "protocol": "sortes-draw/1"}
        assert_agrees(await page_verdict(page, renamed, keys), "key")
        assert "SM2" in await page.inner_text("#checks tr[data-status=failed]")
