"""The admin pages' words: both languages say the same things, templates can reach every word, and
the links to the pages are for bureau admins only."""

from __future__ import annotations

import re

import pytest

from services.gateway.console.i18n.admin_messages import _PAGES, admin_navigation, admin_text, admin_words
from shared.roles import Role

PAGES = sorted(_PAGES["zh"])


@pytest.mark.parametrize("page", PAGES)
def test_both_languages_have_the_same_words(page: str) -> None:
    assert admin_text("zh", page).keys() == admin_text("en", page).keys()
    for lang in ("zh", "en"):
        placeholders = {key: set(re.findall(r"\{(\w+)\}", str(text))) for key, text in admin_text(lang, page).items()}
        assert placeholders == {key: set(re.findall(r"\{(\w+)\}", str(text)))
                                for key, text in admin_text("zh", page).items()}


@pytest.mark.parametrize("page", PAGES)
def test_no_word_is_hidden_behind_a_dict_method(page: str) -> None:
    # Jinja reads ``a.keys`` as the dict's method, not the word: such a name would print a repr.
    assert [key for key in admin_text("zh", page) if hasattr({}, key)] == []


def test_the_refusals_are_rendered_by_code_in_the_pages_language() -> None:
    zh, en = admin_words("zh", "accounts")["api"]["problems"], admin_words("en", "accounts")["api"]["problems"]
    assert zh["codes"]["password.too_simple"] == "过于简单" and en["codes"]["password.too_simple"] == "is too simple"
    assert zh["codes"]["password.too_short"] == "至少 {min} 个字符"
    # A wrong format says what the format is, on the admin forms' fields.
    assert zh["codes"]["field.pattern@username"].startswith("须为 3 至 64 位小写字母")
    assert "field.pattern@username" not in en["codes"]


def test_only_bureau_admins_get_the_links() -> None:
    assert [href for href, _ in admin_navigation([Role.BUREAU_ADMIN.value], "zh")] == [
        "/admin/applications", "/admin/import", "/admin/fields", "/admin/trainings", "/admin/assessments",
        "/admin/accounts", "/admin/outbox"]
    assert admin_navigation([Role.ORGANISER.value, Role.AUDITOR.value], "zh") == []
