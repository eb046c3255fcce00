"""Choosing instances: round robin, a circuit breaker per instance, health marks."""

from __future__ import annotations

from services.gateway.edge.balancer import Balancer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def first_choice(balancer: Balancer) -> str:
    return balancer.candidates()[0].url


def test_requests_take_turns_across_instances() -> None:
    balancer = Balancer(["http://a", "http://b", "http://c"])
    assert [first_choice(balancer) for _ in range(6)] == ["http://a", "http://b", "http://c"] * 2


def test_an_instance_that_keeps_failing_is_left_alone_then_tried_again() -> None:
    clock = Clock()
    balancer = Balancer(["http://a", "http://b"], failure_threshold=3, cooldown=5, clock=clock)
    a = balancer.instances[0]
    for _ in range(3):
        balancer.failed(a)
    assert all("http://a" not in [i.url for i in balancer.candidates()] for _ in range(4))
    clock.now += 5.1  # cooldown over: one request may probe it (half-open)
    assert "http://a" in [i.url for i in balancer.candidates()]
    balancer.succeeded(a)
    assert a.consecutive_failures == 0 and not a.is_open(clock.now)


def test_fewer_failures_than_the_threshold_keep_the_circuit_closed() -> None:
    balancer = Balancer(["http://a"], failure_threshold=3)
    balancer.failed(balancer.instances[0])
    balancer.failed(balancer.instances[0])
    assert [i.url for i in balancer.candidates()] == ["http://a"]


def test_when_every_instance_is_open_there_is_nothing_to_try() -> None:
    balancer = Balancer(["http://a", "http://b"], failure_threshold=1, cooldown=5, clock=Clock())
    for instance in balancer.instances:
        balancer.failed(instance)
    assert balancer.candidates() == []


def test_an_unhealthy_instance_is_tried_only_after_the_healthy_ones() -> None:
    balancer = Balancer(["http://a", "http://b"])
    balancer.mark_health(balancer.instances[0], False)
    for _ in range(4):
        assert [i.url for i in balancer.candidates()] == ["http://b", "http://a"]
    balancer.mark_health(balancer.instances[0], True)
    assert {first_choice(balancer) for _ in range(4)} == {"http://a", "http://b"}
