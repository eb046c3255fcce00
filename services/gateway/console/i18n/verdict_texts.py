"""A conflict check's verdicts and a barred list's entries in the reader's language.

The vendors service answers with reason codes and their parameters (the role, the lot, the debarring
body...), never with sentences; these catalogues say each code in Chinese or in English, one language
per page, with role names as the page's own words. The rules a verdict cites are printed from the
check as stored: the document's full title, number, article and paragraph, and the text in the
law's own words, or the citation alone where the register has no text entered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.gateway.console.i18n.vendor_messages import VENDOR_MESSAGES

Params = dict[str, Any]

_ZH_POLICY = {
    "combinable": "服务类角色可相互兼任（财办库〔2015〕295号）：为本项目提供整体设计、规范编制、项目管理、"
                  "监理、检测服务的供应商可参加本项目其他服务类标段。",
    "strict": "从严适用：为本项目提供整体设计、规范编制、项目管理、监理、检测服务的供应商之间亦不得兼任。",
}
_EN_POLICY = {
    "combinable": "Service roles may be combined (Ministry of Finance letter 财办库〔2015〕295号): a vendor providing "
                  "overall design, specification, project management, supervision or testing for the project may "
                  "bid for its other service lots.",
    "strict": "Strict reading: the service roles (overall design, specification, project management, supervision, "
              "testing) may not be combined with each other either.",
}


class _Words:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = VENDOR_MESSAGES[lang]

    def role(self, code: str) -> str:
        name = self.words["roles"].get(code, code)
        return name if self.lang == "zh" else name.lower()

    def roles(self, codes: list[str]) -> str:
        return ("、" if self.lang == "zh" else ", ").join(self.role(code) for code in codes)


def _zh_fact(w: _Words, code: str, p: Params) -> str:
    if code == "service_role_elsewhere":
        where = f"标段 {p['lot_code']} " if p.get("lot_code") else "（不分标段）"
        return f"已在本项目{where}承担{w.role(p['role'])}服务"
    if code == "other_procurement":
        if p["via"] == "bid":
            how = f"为标段 {p['lot_code']} 的投标人"
        elif p.get("lot_code"):
            how = f"在标段 {p['lot_code']} 承担{w.role(p['role'])}"
        else:
            how = f"承担{w.role(p['role'])}，不分标段"
        return f"已参加本项目其他采购活动（{how}）"
    return ""


def _en_fact(w: _Words, code: str, p: Params) -> str:
    if code == "service_role_elsewhere":
        where = f"on lot {p['lot_code']}" if p.get("lot_code") else "for the whole project"
        return f"Provides {w.role(p['role'])} services {where}"
    if code == "other_procurement":
        if p["via"] == "bid":
            how = f"bidder for lot {p['lot_code']}"
        elif p.get("lot_code"):
            how = f"{w.role(p['role'])} on lot {p['lot_code']}"
        else:
            how = f"{w.role(p['role'])} for the whole project"
        return f"Took part in the project's other procurement ({how})"
    return ""


def _zh_reason(w: _Words, code: str, p: Params) -> str:
    if code == "service_role_elsewhere":
        return _zh_fact(w, code, p) + "，不得再参加本项目其他采购活动"
    if code == "other_procurement":
        return _zh_fact(w, code, p) + f"，再提供{w.role(p['service_role'])}服务将监督自己的工作"
    if code == "single_source_excepted":
        return f"本标段为单一来源采购，不受此限（{_zh_fact(w, p['excepts'], p)}）"
    if code == "excluded":
        return (f"{p['issuing_body']} {p['decision_number']}：{p['starts_on']} 至 {p.get('ends_on') or '解除前'} "
                f"禁止参加政府采购活动（范围：{p['scope']}）")
    if code == "related_bidder":
        if p["basis"] == "same_legal_representative":
            fact = f"与 {p.get('other') or '另一投标人'} 的法定代表人为同一人"
        else:
            kind = "直接控股" if p["basis"] == "controlling" else "管理"
            fact = f"{p['controlling_uscc']} 对 {p['controlled_uscc']} 存在{kind}关系（来源：{p['source']}）"
        return fact + "；同一标段只能有一家继续参加"
    if code == "not_registered":
        return "未在供应商库登记，无法核查承担的服务与关联关系，请人工核实"
    if code == "vendor_status":
        return f"供应商库状态为“{w.words['statuses'].get(p['status'], p['status'])}”"
    return code


def _en_reason(w: _Words, code: str, p: Params) -> str:
    if code == "service_role_elsewhere":
        return _en_fact(w, code, p) + ": may not take part in the project's other procurement"
    if code == "other_procurement":
        return _en_fact(w, code, p) + f": providing {w.role(p['service_role'])} services would oversee its own work"
    if code == "single_source_excepted":
        return f"This lot is procured single-source, so the restriction does not apply ({_en_fact(w, p['excepts'], p)})"
    if code == "excluded":
        return (f"Debarred by {p['issuing_body']} ({p['decision_number']}) from {p['starts_on']} "
                f"{'until ' + p['ends_on'] if p.get('ends_on') else 'until lifted'}; scope: {p['scope']}")
    if code == "related_bidder":
        if p["basis"] == "same_legal_representative":
            fact = f"Same legal representative as {p.get('other') or 'another bidder'}"
        else:
            verb = "controls" if p["basis"] == "controlling" else "manages"
            fact = f"{p['controlling_uscc']} {verb} {p['controlled_uscc']} (source: {p['source']})"
        return fact + "; only one of them may continue on this lot"
    if code == "not_registered":
        return "Not in the registry: engagements and related parties cannot be checked; verify by hand"
    if code == "vendor_status":
        return f"Registry status: {w.words['statuses'].get(p['status'], p['status']).lower()}"
    return code


def _zh_entry(w: _Words, reason: str, p: Params) -> str:
    if reason == "service_role_elsewhere":
        return f"已在本项目承担{w.roles(p['roles'])}服务，不得再参加本项目其他采购活动"
    if reason == "other_procurement":
        parts = [f"承担{w.roles(p['roles'])}"] if p["roles"] else []
        parts += [f"为标段 {'、'.join(p['bid_lots'])} 的投标人"] if p["bid_lots"] else []
        return f"已参加本项目其他采购活动（{'；'.join(parts)}），再提供{w.role(p['service_role'])}服务将监督自己的工作"
    if reason == "excluded":
        return f"{p['issuing_body']} {p['decision_number']}，至 {p.get('ends_on') or '解除前'}"
    return reason


def _en_entry(w: _Words, reason: str, p: Params) -> str:
    if reason == "service_role_elsewhere":
        return f"Provides {w.roles(p['roles'])} services on this project: may not take part in its other procurement"
    if reason == "other_procurement":
        parts = [w.roles(p["roles"])] if p["roles"] else []
        parts += [f"bidder for lot {', '.join(p['bid_lots'])}"] if p["bid_lots"] else []
        return (f"Took part in the project's other procurement ({'; '.join(parts)}): providing "
                f"{w.role(p['service_role'])} services would oversee its own work")
    if reason == "excluded":
        until = f"until {p['ends_on']}" if p.get("ends_on") else "until lifted"
        return f"{p['issuing_body']} {p['decision_number']}, {until}"
    return reason


_SAY: dict[str, tuple[Callable[[_Words, str, Params], str], Callable[[_Words, str, Params], str], dict[str, str]]] = {
    "zh": (_zh_reason, _zh_entry, _ZH_POLICY), "en": (_en_reason, _en_entry, _EN_POLICY)}


def citation(rule: dict[str, Any]) -> str:
    """《title》（number）第N条第M款, as the register prints it; a title quoting another marks it 〈〉."""
    title = str(rule["document"]).replace("《", "〈").replace("》", "〉")
    number = f"（{rule['number']}）" if rule.get("number") else ""
    return f"《{title}》{number}{rule.get('article') or ''}{rule.get('paragraph') or ''}"


class VerdictTexts:
    """What the conflict check and barred list pages call to say codes in ``lang``."""

    def __init__(self, lang: str) -> None:
        self._words = _Words(lang)
        self._reason, self._entry, self._policy = _SAY[lang]

    def reason(self, reason: dict[str, Any]) -> str:
        params = reason.get("params") or {}
        if set(params) == {"text"}:  # a stored sentence that could not be read back into its parameters
            return str(params["text"])
        try:
            return self._reason(self._words, reason["code"], {**params, "other": reason.get("related_uscc")})
        except (KeyError, TypeError):
            return str(reason["code"])

    def entry(self, entry: dict[str, Any]) -> str:
        try:
            return self._entry(self._words, entry["reason"], entry.get("params") or {})
        except (KeyError, TypeError):
            return str(entry["reason"])

    def policy(self, policy: str) -> str:
        return self._policy.get(policy, policy)

    @staticmethod
    def citation(rule: dict[str, Any]) -> str:
        return citation(rule)
