"""One register of rules: every citation the system makes — in a stored check, a barred list and its
CSV, the console's words, the code and the docs — is the register's, and the register holds the
documents' own words (docs/rules.md)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from msgspec import to_builtins

from services.gateway.console.i18n import admin_messages, verdict_texts
from services.vendors.domain import rules
from tests.vendors.conftest import VendorsApi, valid_id_number

ROOT = Path(__file__).resolve().parents[2]

# The documents' own words (issue 18), entered by hand here so that the register cannot drift.
COUNTY_29 = ("除单一来源采购项目外，县有关单位在项目采购时，应明确为项目提供整体设计、监理、检测等服务的供应商，"
             "不得再参加该项目的其他采购活动。")
REGULATIONS_18_1 = "单位负责人为同一人或者存在直接控股、管理关系的不同供应商，不得参加同一合同项下的政府采购活动。"
REGULATIONS_18_2 = ("除单一来源采购项目外，为采购项目提供整体设计、规范编制或者项目管理、监理、检测等服务的供应商，"
                    "不得再参加该采购项目的其他采购活动。")

CITATION = re.compile(r"《(?P<title>[^《》]+)》(?:（(?P<number>[^（）]+)）)?"
                      r"(?P<article>第[一二三四五六七八九十百零]+条)?(?P<paragraph>第[一二三四五六七八九十]+款)?")


def test_the_register_holds_the_documents_own_words() -> None:
    county = rules.BY_CODE["PY-2021-29"]
    assert (county.document, county.number, county.article, county.paragraph, county.text) == (
        "平阳县县级党政机关信息化项目建设管理办法", "平政办〔2021〕59号", "第二十九条", None, COUNTY_29)
    assert county.citation == "《平阳县县级党政机关信息化项目建设管理办法》（平政办〔2021〕59号）第二十九条"
    same_head, design = rules.BY_CODE["GPL-IR-18-1"], rules.BY_CODE["GPL-IR-18-2"]
    assert (same_head.document, same_head.article, same_head.paragraph, same_head.text) == (
        "中华人民共和国政府采购法实施条例", "第十八条", "第一款", REGULATIONS_18_1)
    assert (design.document, design.article, design.paragraph, design.text) == (
        "中华人民共和国政府采购法实施条例", "第十八条", "第二款", REGULATIONS_18_2)
    letter = rules.BY_CODE["MOF-2015-295"]
    assert (letter.document, letter.number) == (
        "关于《中华人民共和国政府采购法实施条例》第十八条第二款法律适用的函", "财办库〔2015〕295号")
    # What the system cites for each reason, and a text it does not hold verbatim stays unentered.
    assert (county, design) == rules.ART_29 and (same_head,) == rules.RELATED
    assert letter.text is None and rules.BY_CODE["GPL-77"].text is None and rules.BY_CODE["PY-2021-30"].text is None
    assert len(rules.BY_CODE) == len(rules.REGISTER)


def test_docs_rules_md_prints_the_register_rule_by_rule() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", page, flags=re.MULTILINE | re.DOTALL))
    for rule in rules.REGISTER:
        section = sections[rule.code]
        assert section.startswith(f"\n{rule.citation}\n"), rule.code
        if rule.text is None:
            assert "Text: 未录入 (the citation is printed alone)." in section
        else:
            assert f"\n> {rule.text}\n" in section
        assert f"| `{rule.code}` | {rules.citation_of(rule.document, rule.number, None, None)} |" in page


def _sources() -> list[Path]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for base in ("services", "shared"):
        found += [path for pattern in ("*.py", "*.html", "*.js")
                  for path in sorted((ROOT / base).rglob(pattern)) if "__pycache__" not in path.parts]
    return found


def test_every_citation_in_the_code_the_console_and_the_docs_is_the_registers() -> None:
    documents = {rule.document.replace("《", "〈").replace("》", "〉"): rule for rule in rules.REGISTER}
    articles = {(rule.document.replace("《", "〈").replace("》", "〉"), rule.article, rule.paragraph)
                for rule in rules.REGISTER}
    seen = 0
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        assert "平阳县政府投资信息化项目管理办法" not in text or path.name == "rules.md", path
        for found in CITATION.finditer(text):
            title = found["title"]
            if title.startswith("〈") or (title not in documents and not found["article"]):
                continue  # a title of something else (a form, a book), not a rule's document
            where = f"{path.relative_to(ROOT)}: {found[0]}"
            assert title in documents, where
            assert found["number"] in (None, documents[title].number), where
            if found["article"]:
                assert (title, found["article"], found["paragraph"]) in articles, where
            seen += 1
    assert seen >= 10  # the console's related-party heading, the officer's task, the register, the docs


def test_the_training_period_is_the_bureaus_setting_not_an_article() -> None:
    zh = admin_messages._PAGES["zh"]["trainings"]["intro"]
    en = admin_messages._PAGES["en"]["trainings"]["intro"]
    assert "本局设定" in zh and "12 个月" in zh and "第三十条" not in zh
    assert "the bureau's setting" in en and "Art. 30" not in en


def test_the_console_words_the_policies_as_the_service_does() -> None:
    assert verdict_texts._ZH_POLICY == rules.POLICY_TEXT


async def test_every_rule_a_check_a_barred_list_and_its_csv_cite_is_the_registers(api: VendorsApi) -> None:
    project = await api.project()
    designer, builder, debarred = await api.vendor(name="设计院"), await api.vendor(name="集成商"), api.new_uscc()
    person = {"name": "陈建国", "id_number": valid_id_number(11)}
    twins = [await api.vendor(name="甲", legal_representative=person),
             await api.vendor(name="乙", legal_representative=person)]
    await api.engage(project, designer, "overall_design", lot="L1")
    await api.engage(project, builder, "construction", lot="L2")
    response = await api.client.post("/api/v1/exclusions", headers=api.admin, json={
        "uscc": debarred, "vendor_name": "失信公司", "issuing_body": "平阳县财政局",
        "decision_number": "平财采〔2026〕9号",
        "scope": "全国政府采购活动", "reason": "提供虚假材料", "starts_on": "2026-01-01"})
    assert response.status_code == 201, response.text
    checks = [await api.check(project, "L2", [designer, debarred, *twins]), await api.check(project, "L3", [builder]),
              await api.check(project, "L4", [designer])]
    cited = [rule for check in checks for verdict in check["verdicts"] for reason in verdict["reasons"]
             for rule in reason.get("rules", [])] + [rule for check in checks for rule in check["policy_rules"]]
    assert {rule["rule"] for rule in cited} == {"PY-2021-29", "GPL-IR-18-2", "GPL-IR-18-1", "GPL-77", "MOF-2015-295"}
    for rule in cited:
        assert rule == to_builtins(rules.BY_CODE[rule["rule"]].cited())
    for check in checks:  # read back as stored
        read = (await api.client.get(f"/api/v1/conflict-checks/{check['id']}", headers=api.admin)).json()
        assert read == check

    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    assert [rule["rule"] for rule in barred["rules"]] == ["PY-2021-29", "GPL-IR-18-2", "GPL-77"]
    for rule in barred["rules"]:
        assert rule == to_builtins(rules.BY_CODE[rule["rule"]].cited())
    assert {code for entry in barred["entries"] for code in entry["rules"]} == {r["rule"] for r in barred["rules"]}
    response = await api.client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                    headers=api.admin)
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    basis = header.index("依据")
    allowed = {rules.BY_CODE[code].citation for code in ("PY-2021-29", "GPL-IR-18-2", "GPL-77")}
    assert rows and all(set(row[basis].split("；")) <= allowed for row in rows)
