"""Deciding which faults a request gets, deterministically for a given seed.

Rules are tried in order. A ``latency`` rule that fires adds its delay and the search
goes on; the first other rule that fires decides what happens to the request. Each
rule draws from its own random generator, seeded from the plan's seed and the rule's
place in the list, so the same seed and the same sequence of requests give the same
faults, whatever the other rules do.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from lockstep_emulator.faults.facts import BODY_PATHS, RequestFacts
from lockstep_emulator.faults.rules import FaultPlan, FaultRule, Latency


@dataclass
class _Armed:
    """A rule in force, with its generator and its counts."""

    rule: FaultRule
    path: re.Pattern[str] | None
    rng: random.Random
    matched: int = 0
    fired: int = 0

    def matches(self, facts: RequestFacts) -> bool:
        m = self.rule.match
        if m.method is not None and m.method != facts.method:
            return False
        if self.path is not None and self.path.search(facts.path) is None:
            return False
        return m.object is None or m.object.lower() in facts.objects

    def fires(self) -> bool:
        """Count a match; True when this one gets the fault."""
        rule = self.rule
        self.matched += 1
        if self.matched <= rule.skip:
            return False
        if rule.count is not None and self.fired >= rule.count:
            return False
        if rule.probability < 1.0 and self.rng.random() >= rule.probability:
            return False
        self.fired += 1
        return True


class FaultEngine:
    """The rules in force for one running emulator."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self.seed: int | None = None

    @property
    def active(self) -> bool:
        return bool(self._armed)

    def install(self, plan: FaultPlan) -> int:
        """Replace the rules; returns the seed in use (chosen when the plan has none)."""
        seed = plan.seed if plan.seed is not None else secrets.randbelow(2**31)
        armed = [
            _Armed(
                rule,
                re.compile(rule.match.path) if rule.match.path is not None else None,
                random.Random(f"{seed}:{i}"),
            )
            for i, rule in enumerate(plan.rules)
        ]
        with self._lock:
            self._armed = armed
            self.seed = seed if armed else None
        return seed

    def clear(self) -> None:
        with self._lock:
            self._armed = []
            self.seed = None

    def wants_body(self, facts: RequestFacts) -> bool:
        """Whether deciding needs the objects a body names (a rule matches on an object
        the path and query do not show, and the body is one that names objects)."""
        if BODY_PATHS.search(facts.path) is None:
            return False
        with self._lock:
            armed = list(self._armed)
        return any(
            a.rule.match.object is not None
            and a.rule.match.object.lower() not in facts.objects
            and (a.rule.match.method is None or a.rule.match.method == facts.method)
            and (a.path is None or a.path.search(facts.path) is not None)
            for a in armed
        )

    def decide(self, facts: RequestFacts) -> list[FaultRule]:
        """The rules that fire for this request: latencies, then at most one other."""
        fired: list[FaultRule] = []
        with self._lock:
            for armed in self._armed:
                if not armed.matches(facts) or not armed.fires():
                    continue
                fired.append(armed.rule)
                if not isinstance(armed.rule, Latency):
                    break
        return fired

    def listing(self) -> dict[str, Any]:
        """The rules in force with how often each matched and fired (``GET faults``)."""
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [
                    {
                        **a.rule.model_dump(mode="json"),
                        "matched": a.matched,
                        "fired": a.fired,
                    }
                    for a in self._armed
                ],
            }
