"""The contracts are one schema per message: the gateway's panel ask and the experts service's panel
request carry the same terms, and the rating factors and levels are named once."""

from __future__ import annotations

import datetime as dt

import msgspec

from shared.contracts.panels import PanelAsk, PanelRequest, PanelTerms, Person, SeatRequest, SpotCheckAsk
from shared.contracts.ratings import LEVEL_DEFINITIONS, RatingFactor, RatingFactors, RatingLevel

SUPERVISOR = Person(subject="user:s", name="监督人", unit="11330326002579048M")


def test_the_gateways_ask_and_the_experts_request_differ_only_in_how_the_supervisor_is_named() -> None:
    assert set(PanelAsk.__struct_fields__) == {*PanelTerms.__struct_fields__, "supervisor"}
    # … and in the organiser's unit name, which the gateway adds for the printed record.
    assert set(PanelRequest.__struct_fields__) == {*PanelTerms.__struct_fields__, "supervisor", "organiser_unit_name"}
    ask = PanelAsk(purpose="initial_acceptance", meeting_on=dt.date(2026, 12, 15), halves=["afternoon"],
                   seats=[SeatRequest(field="SEC", count=2)], supervisor="s", replaces="p0")
    request = ask.for_experts(SUPERVISOR)
    assert request.supervisor == SUPERVISOR
    assert {**msgspec.structs.asdict(request), "supervisor": "s"} == {**msgspec.structs.asdict(ask),
                                                                       "organiser_unit_name": None}


def test_a_spot_check_ask_keeps_its_year_and_submissions() -> None:
    ask = msgspec.json.decode(b'{"year": 2026, "supervisor": "s", "submissions": '
                              b'[{"project_code": "PY-1", "kind": "application"}]}', type=SpotCheckAsk)
    request = ask.for_experts(SUPERVISOR)
    assert (request.year, request.submissions, request.supervisor) == (2026, ask.submissions, SUPERVISOR)


def test_each_rating_factor_is_a_field_and_each_level_has_its_written_definition() -> None:
    assert RatingFactors.__struct_fields__ == tuple(RatingFactor)
    assert list(LEVEL_DEFINITIONS) == list(RatingLevel)
