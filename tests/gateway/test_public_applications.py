"""The public application to join the pool: open without a caller, JSON only, limited per address;
the review queue beside it at the same path still needs a caller."""

from __future__ import annotations

import pytest

from services.gateway.console.i18n.application_messages import application_text
from services.gateway.edge.routing import service_for
from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}


def test_applications_recommendations_and_change_requests_are_the_experts_service() -> None:
    for path in ("/expert-applications", "/expert-applications/SQ000001/approve", "/expert-recommendations",
                 "/expert-change-requests/BG000001/reject", "/experts/me/change-requests"):
        assert service_for(path) == "experts", path


async def test_anyone_may_apply_but_only_as_json_and_a_few_times_a_minute(gateway_client) -> None:
    # The experts service is down in this fixture: an application reaching it gets 503, never 401.
    form = await gateway_client.post("/api/v1/expert-applications", data={"name": "x"})
    assert form.status_code == 415  # a cross-site HTML form cannot post one
    statuses = [(await gateway_client.post("/api/v1/expert-applications", json={"name": "x"})).status_code
                for _ in range(4)]
    assert statuses == [503] * 4  # with the form's, 5 a minute from one address
    refused = await gateway_client.post("/api/v1/expert-applications/status",
                                        json={"number": "SQ000001", "receipt_code": "x"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


async def test_an_idempotency_key_on_the_open_application_is_ignored_not_a_500(gateway_client) -> None:
    answer = await gateway_client.post("/api/v1/expert-applications", json={"name": "x"},
                                       headers={"Idempotency-Key": "one"})
    assert answer.status_code == 503  # reached the (stopped) experts service


async def test_the_review_queue_at_the_same_path_needs_a_caller(gateway_client) -> None:
    assert (await gateway_client.get("/api/v1/expert-applications")).status_code == 401
    assert (await gateway_client.get("/api/v1/expert-applications", headers=ADMIN)).status_code == 503
    approve = await gateway_client.post("/api/v1/expert-applications/SQ000001/approve", json={})
    assert approve.status_code == 401
    forwarded = await gateway_client.post("/api/v1/expert-applications/SQ000001/approve", json={}, headers=ADMIN)
    assert forwarded.status_code == 503


@pytest.mark.parametrize("page", ["apply", "recommend", "applications", "expert_new", "my_changes"])
def test_the_pages_have_every_word_in_both_languages(page: str) -> None:
    zh, en = application_text("zh", page), application_text("en", page)
    assert set(zh) == set(en)
    assert [key for key in zh if hasattr({}, key)] == []  # Jinja would read a.keys as the dict's method


async def test_the_application_page_is_open_and_chinese_first(gateway_client) -> None:
    answer = await gateway_client.get("/apply")
    assert answer.status_code == 200
    assert "专家入库申请" in answer.text and "fields-unavailable" in answer.text  # the experts service is down
    for path in ("/admin/applications", "/admin/experts/new", "/my/changes", "/recommend"):
        assert (await gateway_client.get(path, follow_redirects=False)).status_code == 303  # to sign in
