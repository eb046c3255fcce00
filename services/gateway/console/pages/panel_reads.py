"""What the console's panel pages read, and how they arrange it for the templates.

Every read goes through the gateway's upstream calls with the signed-in user's identity, as the
same call to /api/v1 would: the experts service authorises it and logs what it must (each read of
a sealed list, each phone number shown). A refusal becomes the console's own 403 or 404 page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.gateway.composite.clients import ExpertsClient
from services.gateway.edge.upstream import Upstreams
from shared.clock import BEIJING, beijing_today
from shared.contracts.statuses import HOLDING, DrawStatus, MemberKind
from shared.errors import NotFound, Problem
from shared.identity import Identity
from shared.permissions import PANEL_ORGANISERS
from shared.roles import Role

RECENTLY_WITNESSED_SHOWN = 10  # the latest few on the home page; /api/v1/panels/supervising has 90 days


async def read(upstreams: Upstreams, identity: Identity, path: str, params: dict[str, Any] | None = None) -> Any:
    """``GET /api/v1<path>`` at the experts service as ``identity``; its refusal as the console's 403/404."""
    return await ExpertsClient(upstreams, identity).read(path, params)


async def read_text(upstreams: Upstreams, identity: Identity, path: str) -> str:
    return await ExpertsClient(upstreams, identity).read_text(path)


async def _read_or_none(upstreams: Upstreams, identity: Identity, path: str) -> Any:
    """For a home page, which still shows when a service cannot answer."""
    try:
        return await read(upstreams, identity, path)
    except Problem:
        return None


async def home_sections(upstreams: Upstreams, identity: Identity, role: Role) -> dict[str, Any]:
    """The panel part of a role's home page: its template and what it shows."""
    if role in PANEL_ORGANISERS:  # the /panels/todo and the desk (/panels/organising) they read
        desk = await _read_or_none(upstreams, identity, "/panels/organising")
        projects = await _read_or_none(upstreams, identity, "/projects") or []
        field_names = {field["code"]: f"{field['name_zh']}（{field['code']}）"
                       for field in await _read_or_none(upstreams, identity, "/fields") or []}
        return {"panel_section": "console/home_organiser.html",
                "project_names": {project["code"]: project["name"] for project in projects},
                "todo": await _read_or_none(upstreams, identity, "/panels/todo"),
                "desk": None if desk is None else {
                    name: [{**item, "committed_at": beijing(item["committed_at"]),
                            "fields_text": "、".join(f"{field_names.get(f, f)} {n}" for f, n in item["fields"].items())}
                           for item in items] for name, items in desk.items()}}
    if role == Role.SUPERVISOR:
        return {"panel_section": "console/home_supervisor.html", **await supervisor_home(upstreams, identity)}
    if role == Role.AUDITOR:  # reads any draw, witnesses none
        return {"panel_section": "console/home_open_draw.html"}
    if role == Role.EXPERT:
        return {"panel_section": "console/home_expert.html", **await expert_home(upstreams, identity)}
    return {}


async def supervisor_home(upstreams: Upstreams, identity: Identity) -> dict[str, Any]:
    """The draws naming the supervisor: those awaiting the witness, and a few recently revealed or
    cancelled; both None when the experts service cannot say."""
    draws = await _read_or_none(upstreams, identity, "/panels/supervising")
    if draws is None:
        return {"awaiting_witness": None, "witnessed": None}
    rows = [{**draw, "committed_at": beijing(draw["committed_at"]),
             "settled_at": beijing(draw["revealed_at"] or draw["cancelled_at"])} for draw in draws]
    return {"awaiting_witness": [row for row in rows if row["status"] == DrawStatus.COMMITTED],
            "witnessed": [row for row in rows if row["status"] != DrawStatus.COMMITTED][:RECENTLY_WITNESSED_SHOWN]}


async def expert_home(upstreams: Upstreams, identity: Identity) -> dict[str, Any]:
    try:
        entry = await read(upstreams, identity, "/experts/me")
    except NotFound:
        return {"entry": None}
    except Problem:
        return {"entry": None, "entry_unavailable": True}
    code = entry["code"]
    return {"entry": entry, "today": beijing_today().isoformat(),
            "invitations": _with_start(await _read_or_none(upstreams, identity, "/panels/invitations")),
            "unavailability": await _read_or_none(upstreams, identity, f"/experts/{code}/unavailability"),
            "conflicts": await _read_or_none(upstreams, identity, f"/experts/{code}/declared-conflicts"),
            "field_names": {field["code"]: field["name_zh"]
                            for field in await _read_or_none(upstreams, identity, "/fields") or []}}


def _with_start(invitations: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Each invitation with its start as Beijing wall time (HH:MM)."""
    if invitations is None:
        return None
    return [{**each, "starts_at_text": beijing(each.get("starts_at"))[11:16]} for each in invitations]


def beijing(instant: str | None) -> str:
    """An RFC 3339 instant as Beijing wall time, to the second."""
    if not instant:
        return ""
    return dt.datetime.fromisoformat(instant).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def field_choices(fields: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """The fields a seat can be asked in, sub-fields under their parent: the name, the code beside it."""
    name = "name_zh" if lang == "zh" else "name_en"
    live = [field for field in fields if not field["retired"]]
    ordered = sorted(live, key=lambda f: (f["parent_code"] or f["code"], f["parent_code"] is not None, f["code"]))
    return [{"code": f["code"], "label": ("　" if f["parent_code"] else "") + f"{f[name]}（{f['code']}）"}
            for f in ordered]


def field_name(fields: dict[str, dict[str, Any]], code: str, lang: str) -> str:
    """A field by its name with the code beside (信息安全（SEC）); the code alone when unknown."""
    field = fields.get(code)
    return f"{field['name_zh' if lang == 'zh' else 'name_en']}（{code}）" if field else code


def names_by_code(draw: dict[str, Any]) -> dict[str, str]:
    """Pool number → name of the panel's members, for those who may see the sealed list."""
    panel = draw.get("panel") or {}
    return {m["expert_code"]: m["name"] for m in panel.get("members", []) if m.get("name")}


def call_rows(panel: dict[str, Any]) -> list[dict[str, Any]]:
    """The panel's members by field and draw, primaries before reserves in order, each with whom it
    replaced and who replaced it."""
    members = panel["members"]
    replaced_by = {m["replaces"]: m["expert_code"] for m in members if m.get("replaces")}
    draws = panel["draws"]
    ordered = sorted(members, key=lambda m: (m["field"], draws.index(m["draw_id"]) if m["draw_id"] in draws else 0,
                                             m["kind"] != MemberKind.PRIMARY, m["position"]))
    return [{**member, "replaced_by": replaced_by.get(member["expert_code"]),
             "holding": member["state"] in HOLDING} for member in ordered]


def reason_rows(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, str, int]]:
    """(code, label, count) in the catalogue's order; an unknown code keeps its own name."""
    known = [(code, label, counts[code]) for code, label in labels.items() if counts.get(code)]
    return known + [(code, code, count) for code, count in sorted(counts.items()) if code not in labels and count]
