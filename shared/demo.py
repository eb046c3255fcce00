"""The demo world that ``make run`` loads: one county's units, vendors and projects.

Deterministic (a fixed random seed), so experts and vendors, which load their own parts of it,
agree on every project reference and ``sortes reconcile`` finds nothing to report.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shared.contracts.projects import EngagementRole, LotReference, ProcurementMethod, ProjectReference
from shared.identifiers import USCC_ALPHABET, uscc_check_character

PINGYANG_DIVISION = "330326"  # administrative division code of Pingyang County


def make_uscc(rng: random.Random, prefix: str) -> str:
    """A well-formed USCC: registration type ``prefix`` (e.g. 11 organ, 91 company) in Pingyang."""
    organisation = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(USCC_ALPHABET[:10])
    first17 = prefix + PINGYANG_DIVISION + organisation
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class DemoUnit:
    uscc: str
    name: str


@dataclass(frozen=True)
class DemoProject:
    code: str
    reference: ProjectReference


_GOVERNMENT_UNITS = [
    "平阳县大数据发展管理局", "平阳县教育局", "平阳县卫生健康局", "平阳县公安局",
    "平阳县自然资源和规划局", "平阳县市场监督管理局", "平阳县财政局", "平阳县审计局",
    "平阳县人民医院", "平阳县应急管理局",
]
_VENDOR_STEMS = [
    "鳌江", "昆阳", "瓯越", "南麂", "腾蛟", "万全", "水头", "萧江", "海西", "山门", "顺溪", "凤卧",
    "麻步", "青街", "闹村", "怀溪", "南雁", "宋桥", "钱仓", "郑楼", "雅山", "榆垟", "西湾", "梅源",
    "东海", "之江", "钱塘", "雁荡", "楠溪", "飞云", "江南", "瑞安", "乐清", "龙港", "苍南", "泰顺",
    "文成", "永嘉", "洞头", "鹿城", "龙湾", "瓯海", "温州", "丽水", "台州", "金华", "衢州", "绍兴",
    "宁波", "湖州",
]
_VENDOR_KINDS = ["信息技术", "数字科技", "网络工程", "软件", "智能系统", "数据服务", "工程监理",
                 "检测技术", "咨询", "通信工程"]


def demo_units() -> list[DemoUnit]:
    rng = random.Random(2021_30)
    return [DemoUnit(make_uscc(rng, "11"), name) for name in _GOVERNMENT_UNITS]


def bureau_unit() -> DemoUnit:
    return demo_units()[0]


def demo_vendors() -> list[DemoUnit]:
    rng = random.Random(2021_28)
    return [DemoUnit(make_uscc(rng, "91"), f"浙江{stem}{rng.choice(_VENDOR_KINDS)}有限公司")
            for stem in _VENDOR_STEMS]


def _lot(code: str, name: str, method: ProcurementMethod, role: EngagementRole) -> LotReference:
    return LotReference(code=code, name=name, procurement_method=method, role=role)


def demo_projects() -> list[DemoProject]:
    units = demo_units()
    tender, single = ProcurementMethod.PUBLIC_TENDER, ProcurementMethod.SINGLE_SOURCE
    consult = ProcurementMethod.COMPETITIVE_CONSULTATION
    role = EngagementRole
    return [
        DemoProject("PY-2026-001", ProjectReference(
            name="平阳县城市大脑（一期）建设项目", kind="construction", owner_unit=units[0].uscc,
            investment_fen=1_280_000_000, planned_completion=dt.date(2027, 6, 30), lots=[
                _lot("L1", "总体设计", consult, role.OVERALL_DESIGN),
                _lot("L2", "平台建设与集成", tender, role.CONSTRUCTION),
                _lot("L3", "工程监理", consult, role.SUPERVISION),
                _lot("L4", "第三方检测", consult, role.TESTING),
            ])),
        DemoProject("PY-2026-002", ProjectReference(
            name="平阳县智慧教育云平台建设项目", kind="construction", owner_unit=units[1].uscc,
            investment_fen=460_000_000, planned_completion=dt.date(2027, 3, 31), lots=[
                _lot("L1", "云平台建设", tender, role.CONSTRUCTION),
                _lot("L2", "应用软件开发", tender, role.SOFTWARE),
                _lot("L3", "工程监理", consult, role.SUPERVISION),
            ])),
        DemoProject("PY-2026-003", ProjectReference(
            name="县人民医院信息系统安全等级保护整改项目", kind="construction", owner_unit=units[8].uscc,
            investment_fen=95_000_000, planned_completion=dt.date(2026, 12, 31), lots=[
                _lot("L1", "安全整改实施", tender, role.CONSTRUCTION),
                _lot("L2", "原厂维保", single, role.OPERATIONS),
            ])),
        DemoProject("PY-2026-004", ProjectReference(
            name="平阳县政务云2026年度运维服务项目", kind="operations", owner_unit=units[0].uscc,
            investment_fen=320_000_000, planned_completion=dt.date(2026, 12, 31), lots=[
                _lot("L1", "运维服务", tender, role.OPERATIONS),
            ])),
        DemoProject("PY-2026-005", ProjectReference(
            name="平阳县自然资源“一张图”数据治理项目", kind="construction", owner_unit=units[4].uscc,
            investment_fen=310_000_000, planned_completion=dt.date(2027, 9, 30), lots=[
                _lot("L1", "数据治理与建库", tender, role.SOFTWARE),
                _lot("L2", "工程监理", consult, role.SUPERVISION),
            ])),
    ]
