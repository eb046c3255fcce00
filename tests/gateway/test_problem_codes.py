"""Every refusal's code has a Chinese and an English text in the console's catalogues, and each text
uses only the parameters the code is raised with.

The codes are read from the source (each raise site spells its code out) and from the registry of
codes the shared handlers give (msgspec's validation messages, HTTP statuses), so a new or renamed
code without a translation fails here rather than showing English on a Chinese page.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import services.experts.app
import services.gateway.app
import services.vendors.app  # noqa: F401  (imported for their Problem subclasses)
from services.gateway.console.i18n.admin_messages import admin_words
from services.gateway.console.i18n.problem_messages import PROBLEM_TEXTS, VALUE_NAMES, problem_text
from services.gateway.console.i18n.vendor_messages import VENDOR_MESSAGES
from shared.demo import bureau_unit
from shared.errors import SHARED_CODES, Problem
from tests.gateway.test_console_sessions import ADMIN, add_user, sign_in

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")])

# Callables taking (…, code, message[, params]) positionally: the index of the code and of the message.
_POSITIONAL = {"field_error": (1, 2, 3), "for_field": (1, 2, 3), "refuse": (1, 2, None), "error": (1, 2, 3),
               "Refusal": (0, 1, 2)}
_KEYWORD = {"RowError": "message"}  # code=, params= and the message as a keyword


def _problem_classes() -> set[str]:
    found, todo = set(), [Problem]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


@dataclass(frozen=True)
class Site:
    where: str
    code: ast.expr | None
    message: ast.expr | None
    params: ast.expr | None

    @property
    def literal_code(self) -> str | None:
        return self.code.value if isinstance(self.code, ast.Constant) and isinstance(self.code.value, str) else None

    def param_names(self) -> set[str] | None:
        """The names of the params, when the source says them (a dict literal); None when it does not."""
        if self.params is None or (isinstance(self.params, ast.Constant) and self.params.value is None):
            return set()
        if isinstance(self.params, ast.Dict) and all(isinstance(key, ast.Constant) for key in self.params.keys):
            return {key.value for key in self.params.keys}  # type: ignore[union-attr]
        return None

    def template(self) -> str | None:
        pieces = []
        node = self.message
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a " + "b" split over lines
            pieces.append(node.right)
            node = node.left
        pieces.append(node)
        if all(isinstance(piece, ast.Constant) and isinstance(piece.value, str) for piece in pieces):
            return "".join(piece.value for piece in reversed(pieces))  # type: ignore[union-attr]
        return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _argument(call: ast.Call, index: int | None) -> ast.expr | None:
    return call.args[index] if index is not None and index < len(call.args) else None


def sites() -> Iterator[Site]:
    problems = _problem_classes()
    for path in SOURCES:
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            where = f"{relative}:{node.lineno}"
            if name in problems and relative != "shared/errors.py":
                yield Site(where, _keyword(node, "code"), _argument(node, 0), _keyword(node, "params"))
            elif name in _KEYWORD:
                yield Site(where, _keyword(node, "code"), _keyword(node, _KEYWORD[name]), _keyword(node, "params"))
            elif name in _POSITIONAL and relative != "shared/errors.py":
                code, message, params = _POSITIONAL[name]
                yield Site(where, _argument(node, code), _argument(node, message),
                           _argument(node, params) or _keyword(node, "params"))


SITES = list(sites())
RAISED = {site.literal_code for site in SITES} - {None}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_source_is_read() -> None:
    assert len(SITES) > 150
    assert {"project.no_lot", "vendor.exists", "draw.too_few_eligible_in_field"} <= RAISED


def test_every_raise_site_names_its_code() -> None:
    # A code is a literal, or handed on from a refusal already coded (``problem.code``, ``code``).
    unnamed = [site.where for site in SITES if site.literal_code is None and not (
        (isinstance(site.code, ast.Attribute) and site.code.attr == "code")
        or (isinstance(site.code, ast.Name) and site.code.id == "code")
        or isinstance(site.code, ast.Starred))]
    assert unnamed == []


def test_every_code_has_a_chinese_and_an_english_text() -> None:
    codes = RAISED | SHARED_CODES
    for lang in ("zh", "en"):
        missing = sorted(codes - set(PROBLEM_TEXTS[lang]))
        assert missing == [], f"codes without a {lang} text: {missing}"
        stale = sorted(set(PROBLEM_TEXTS[lang]) - codes)
        assert stale == [], f"{lang} texts of codes raised nowhere: {stale}"


def test_a_message_template_uses_exactly_the_params_raised_with_it() -> None:
    wrong = []
    for site in SITES:
        names, template = site.param_names(), site.template()
        if site.literal_code and names is not None and template is not None and _placeholders(template) != names:
            wrong.append((site.where, sorted(_placeholders(template)), sorted(names)))
    assert wrong == []


def test_a_catalogue_text_uses_only_params_every_raise_site_gives() -> None:
    wrong = []
    for site in SITES:
        names = site.param_names()
        if site.literal_code is None or names is None:
            continue
        for lang in ("zh", "en"):
            extra = _placeholders(PROBLEM_TEXTS[lang].get(site.literal_code, "")) - names
            if extra:
                wrong.append((site.where, lang, site.literal_code, sorted(extra)))
    assert wrong == []


def test_values_shown_in_a_text_are_named_in_both_languages() -> None:
    assert set(VALUE_NAMES["zh"]) == set(VALUE_NAMES["en"])
    for param, names in VALUE_NAMES["zh"].items():
        assert set(names) == set(VALUE_NAMES["en"][param]), param


def test_a_text_is_filled_in_with_its_params_and_their_names() -> None:
    assert problem_text("zh", "project.no_lot", {"project": "PY-2026-001", "lot": "9"}) == \
        "项目 PY-2026-001 没有标段 9。"
    assert problem_text("zh", "member.not_invited", {"state": "declined"}) == \
        "该专家当前为“已谢绝”，只有待答复的专家才能记为接受。"
    assert problem_text("zh", "role.required", {"roles": "organiser, bureau_admin"}) == \
        "此操作需要以下角色之一：评审组织人、大数据局管理员。"
    assert problem_text("en", "field.too_long", {"max": 200}) == "at most 200 characters"


async def test_a_refusal_carries_its_code_and_params_and_so_does_each_field_error(gateway_client) -> None:
    uscc = bureau_unit().uscc
    again = await gateway_client.post("/api/v1/units", headers=ADMIN, json={"uscc": uscc, "name": "大数据局"})
    assert again.status_code == 409
    assert again.json()["code"] == "unit.exists" and again.json()["params"] == {"uscc": uscc}
    assert again.json()["detail"] == f"Unit {uscc} already exists."  # English for API clients, as before
    short = await gateway_client.post("/api/v1/units", headers=ADMIN, json={"uscc": uscc[:17], "name": "甲"})
    assert short.status_code == 422 and short.json()["code"] == "input.invalid"
    assert [(error["field"], error["code"], error["params"]) for error in short.json()["errors"]] == [
        ("uscc", "field.too_short", {"min": 18})]
    empty = await gateway_client.post("/api/v1/units", headers=ADMIN, json={"uscc": uscc, "name": ""})
    assert [(error["field"], error["code"]) for error in empty.json()["errors"]] == [("name", "field.required")]


async def test_a_console_page_says_a_refusal_in_the_readers_language(gateway_client) -> None:
    await add_user(gateway_client, "lin.organiser", "organiser")
    await sign_in(gateway_client, "lin.organiser")
    page = await gateway_client.get("/home/supervisor")
    assert page.status_code == 403
    assert "“监督人员”工作台仅供该角色使用。" in page.text and "for that role only" not in page.text
    english = await gateway_client.get("/home/supervisor?lang=en")
    assert "The home of Supervisor is for that role only." in english.text


def test_a_pages_own_texts_are_for_codes_that_exist() -> None:
    vendors = VENDOR_MESSAGES["zh"]["api"]["problems"]["codes"]
    own = {**admin_words("zh", "fields")["api"]["problems"]["codes"], **vendors}
    codes = RAISED | SHARED_CODES
    assert sorted(key for key in own if "@" in key and key.split("@")[0] not in codes) == []
    assert problem_text("zh", "field.too_short", {"min": 18}, "bidders[1]", vendors) == "须为 18 位"
