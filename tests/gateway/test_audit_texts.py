"""The audit page's catalogue says every action the services record in Chinese and English, and an
entry's details come out as labelled fields, not JSON."""

from __future__ import annotations

import re
from pathlib import Path

from services.gateway.console.i18n.audit_messages import ACTIONS, OBJECT_TYPES, action_name, detail_rows, detail_text
from shared.contracts.statuses import SeatState

ROOT = Path(__file__).resolve().parents[2]
LITERAL_ACTION = re.compile(r'(?:action=|AuditChange\(|_ACTION = |_READ = |PROFILE_CHANGED = )"([a-z_]+\.[a-z_]+)"')
LITERAL_TYPE = re.compile(r'object_type="([a-z_]+)"')


def recorded(pattern: re.Pattern[str]) -> set[str]:
    found: set[str] = set()
    for folder in ("services", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_and_object_type_recorded_is_named_in_both_languages() -> None:
    seat_changes = {f"seat.{state.value}" for state in SeatState} | {
        "seat.seated", "seat.reserve_moved_up", "seat.reserve_skipped", "seat.seat_open"}
    actions = recorded(LITERAL_ACTION) | seat_changes | {"project.created", "project.updated", "field.updated",
                                                         "field.retired", "field.restored"}
    actions.discard("seat.reserve")  # a reserve is queued when a draw is placed, never logged as a change
    assert len(actions) > 40
    for lang in ("zh", "en"):
        assert actions - set(ACTIONS[lang]) == set(), lang
        assert recorded(LITERAL_TYPE) - set(OBJECT_TYPES[lang]) == set(), lang
    assert set(ACTIONS["zh"]) == set(ACTIONS["en"])
    assert action_name("zh", "user.signed_in") == "用户登录" and action_name("zh", "rating.reviewed") == "评价复核"
    assert action_name("zh", "something.new") is None  # shown by its code under 其他操作


def test_details_are_labelled_fields_with_values_in_words() -> None:
    details = {"change": "reserve_moved_up", "expert_code": "E00012", "channel": "phone",
               "reasons": ["TRAINING", "AGE"], "digest": "ab12", "novel": "x"}
    rows = detail_rows("zh", details)
    assert detail_text("zh", details) == {
        "变化": "备选专家递补", "专家编号": "E00012", "答复方式": "电话", "原因": "培训过期、年龄", "内容摘要": "ab12",
        "novel": "x"}
    assert [row["label"] for row in rows if row["label_is_code"]] == ["novel"]
    assert detail_text("zh", {"exclusion_counts": {"TRAINING": 2}, "verdicts": {"9133": "barred"}}) == {
        "排除人数": "培训过期：2", "结论": "9133：barred"}
    parts = detail_rows("zh", {"verdicts": {"9133": "barred"}})[0]["parts"]
    assert ("barred", True) in parts  # a stored value with no word yet is shown as a code
    assert detail_text("zh", {"expert_code": "[sealed]"}) == {"专家编号": "（名单密封，不显示）"}
