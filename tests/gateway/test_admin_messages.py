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


def test_the_api_texts_are_put_into_chinese_on_chinese_pages_only() -> None:
    zh, en = admin_words("zh", "accounts")["api"], admin_words("en", "accounts")["api"]
    assert zh["messages"]["is too simple"] == "过于简单"
    assert en["messages"] == {} and en["patterns"] == []
    patterns = [(re.compile(pattern), text) for pattern, text in zh["patterns"]]
    first = next(text for pattern, text in patterns if pattern.search("must be at least 10 characters"))
    assert first == "至少 $1 个字符"


def test_only_bureau_admins_get_the_links() -> None:
    assert [href for href, _ in admin_navigation([Role.BUREAU_ADMIN.value], "zh")] == [
        "/admin/import", "/admin/fields", "/admin/trainings", "/admin/accounts"]
    assert admin_navigation([Role.ORGANISER.value, Role.AUDITOR.value], "zh") == []
