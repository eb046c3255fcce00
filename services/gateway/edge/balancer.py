"""Choosing an instance of a service: round robin over the healthy ones, with a circuit breaker each.

An instance that fails ``failure_threshold`` times in a row (unreachable, timed out, or answering
503) is left alone for ``cooldown`` seconds; then one request may try it again (half-open) and a
success closes the circuit. The health checker marks instances down and up between requests.
When every instance of a service is open, the gateway answers at once instead of waiting on them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Instance:
    url: str
    healthy: bool = True
    consecutive_failures: int = 0
    open_until: float = 0.0  # monotonic seconds; the circuit is open before this

    def is_open(self, now: float) -> bool:
        return now < self.open_until


class Balancer:
    def __init__(self, urls: list[str], *, failure_threshold: int = 3, cooldown: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("a service needs at least one instance URL")
        self.instances = [Instance(url.rstrip("/")) for url in urls]
        self._failure_threshold, self._cooldown, self._clock = failure_threshold, cooldown, clock
        self._turn = 0

    def candidates(self) -> list[Instance]:
        """Instances to try, best first: healthy closed ones in round-robin order, then the rest whose
        circuit is not open (a stale health mark or a half-open probe). Empty when all are open."""
        now = self._clock()
        count = len(self.instances)
        rotated = [self.instances[(self._turn + offset) % count] for offset in range(count)]
        self._turn = (self._turn + 1) % count
        usable = [instance for instance in rotated if not instance.is_open(now)]
        return [i for i in usable if i.healthy] + [i for i in usable if not i.healthy]

    def succeeded(self, instance: Instance) -> None:
        instance.consecutive_failures, instance.open_until, instance.healthy = 0, 0.0, True

    def failed(self, instance: Instance) -> None:
        instance.consecutive_failures += 1
        if instance.consecutive_failures >= self._failure_threshold:
            instance.open_until = self._clock() + self._cooldown
            instance.consecutive_failures = 0

    def mark_health(self, instance: Instance, healthy: bool) -> None:
        instance.healthy = healthy
        if healthy:
            instance.open_until = 0.0
