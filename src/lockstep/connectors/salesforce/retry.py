"""How often, and after how long, a failed call is tried again.

Full-jitter exponential backoff (the wait before attempt *n+1* is uniform in
``[0, min(max_delay, base_delay * 2**n)]``): many workers that failed together do not
come back together. Only ``Transient`` failures are retried, and a ``retry_after``
longer than ``max_delay`` is left to the caller rather than slept through.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lockstep.errors import QuotaShed, SystemFailure, Transient


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, failure: SystemFailure) -> float | None:
        """Seconds to wait before trying again after ``attempt`` (0 for the first)
        failed with ``failure``; ``None`` when it should not be tried again."""
        if attempt + 1 >= self.attempts:
            return None
        if not isinstance(failure, Transient) or isinstance(failure, QuotaShed):
            return None
        wanted = failure.retry_after or 0.0
        if wanted > self.max_delay:
            return None
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return max(wanted, self.rng.uniform(0.0, ceiling))
