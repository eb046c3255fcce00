"""The console says a conflict check's reason codes in the reader's language: a Chinese page has no
English word (role names included), an English page no Chinese one, whatever the code."""

from __future__ import annotations

import re

import pytest

from services.gateway.console.i18n.verdict_texts import VerdictTexts

A, B = "913303260000000011", "913303260000000022"  # digits only: no letters to confuse the language test
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def reasons(body: str, number: str, scope: str, source: str) -> list[dict[str, object]]:
    return [
        {"code": "service_role_elsewhere", "params": {"role": "overall_design", "lot_code": "L1"}},
        {"code": "service_role_elsewhere", "params": {"role": "project_management", "lot_code": None}},
        {"code": "other_procurement", "params": {"via": "engagement", "role": "construction", "lot_code": "L2",
                                                 "service_role": "supervision"}},
        {"code": "other_procurement", "params": {"via": "engagement", "role": "software", "lot_code": None,
                                                 "service_role": "testing"}},
        {"code": "other_procurement", "params": {"via": "bid", "role": "operations", "lot_code": "L4",
                                                 "service_role": "specification"}},
        {"code": "single_source_excepted", "params": {"excepts": "service_role_elsewhere", "role": "testing",
                                                      "lot_code": "L3"}},
        {"code": "single_source_excepted", "params": {"excepts": "other_procurement", "via": "bid",
                                                      "role": "construction", "lot_code": "L2",
                                                      "service_role": "supervision"}},
        {"code": "excluded", "params": {"issuing_body": body, "decision_number": number, "starts_on": "2026-01-01",
                                        "ends_on": None, "scope": scope}},
        {"code": "related_bidder", "related_uscc": B, "params": {"basis": "same_legal_representative"}},
        {"code": "related_bidder", "related_uscc": B, "params": {"basis": "controlling", "controlling_uscc": A,
                                                                 "controlled_uscc": B, "source": source}},
        {"code": "related_bidder", "related_uscc": A, "params": {"basis": "management", "controlling_uscc": A,
                                                                 "controlled_uscc": B, "source": source}},
        {"code": "not_registered"},
        {"code": "vendor_status", "params": {"status": "suspended"}},
    ]


def entries() -> list[dict[str, object]]:
    return [{"reason": "service_role_elsewhere", "params": {"roles": ["overall_design", "testing"]}},
            {"reason": "other_procurement", "params": {"roles": ["construction"], "bid_lots": ["L2", "L5"],
                                                       "service_role": "supervision"}},
            {"reason": "other_procurement", "params": {"roles": [], "bid_lots": ["L2"], "service_role": "testing"}},
            {"reason": "excluded", "params": {"issuing_body": "平阳县财政局", "decision_number": "平财采〔2026〕7号",
                                              "ends_on": "2027-12-31"}}]


def test_a_chinese_page_says_every_reason_in_chinese_with_chinese_role_names() -> None:
    say = VerdictTexts("zh")
    chinese_values = reasons("平阳县财政局", "平财采〔2026〕7号", "全国政府采购活动", "股权登记")
    texts = [say.reason(reason) for reason in chinese_values]
    texts += [say.entry(entry) for entry in entries()]
    for text in texts:
        assert CHINESE.search(text) and not ENGLISH_WORD.search(text), text
    assert texts[0] == "已在本项目标段 L1 承担总体设计服务，不得再参加本项目其他采购活动"
    assert texts[2] == "已参加本项目其他采购活动（在标段 L2 承担建设/集成），再提供监理服务将监督自己的工作"
    assert texts[5] == "本标段为单一来源采购，不受此限（已在本项目标段 L3 承担检测服务）"
    assert texts[8] == f"与 {B} 的法定代表人为同一人；同一标段只能有一家继续参加"
    assert texts[12] == "供应商库状态为“暂停”"
    assert texts[-3] == ("已参加本项目其他采购活动（承担建设/集成；为标段 L2、L5 的投标人），"
                         "再提供监理服务将监督自己的工作")


def test_an_english_page_says_every_reason_in_english() -> None:
    say = VerdictTexts("en")
    texts = [say.reason(reason) for reason in reasons("Finance Bureau", "No. 7", "nationwide", "business register")]
    texts += [say.entry(entry) for entry in entries()[:3]]
    for text in texts:
        assert not CHINESE.search(text), text
    assert texts[2] == ("Took part in the project's other procurement (construction/integration on lot L2): "
                        "providing supervision services would oversee its own work")
    assert say.policy("combinable").startswith("Service roles may be combined")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sentence_stored_before_codes_is_shown_as_it_was_read_back(lang: str) -> None:
    assert VerdictTexts(lang).reason({"code": "whatever", "params": {"text": "某个说明"}}) == "某个说明"


def test_a_citation_is_printed_with_its_full_title_number_article_and_paragraph() -> None:
    rule = {"rule": "MOF-2015-295", "document": "关于《中华人民共和国政府采购法实施条例》第十八条第二款法律适用的函",
            "number": "财办库〔2015〕295号", "article": None, "paragraph": None, "text": None}
    assert VerdictTexts.citation(rule) == ("《关于〈中华人民共和国政府采购法实施条例〉第十八条第二款法律适用的函》"
                                           "（财办库〔2015〕295号）")
