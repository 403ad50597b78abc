"""Fault injection: rules (``rules``), the facts they match (``facts``), the decision
(``engine``). ``api/faults.py`` applies the decision to live HTTP requests."""

from lockstep_emulator.faults.engine import FaultEngine
from lockstep_emulator.faults.facts import RequestFacts, request_facts
from lockstep_emulator.faults.rules import FaultPlan, FaultRule

__all__ = ["FaultEngine", "FaultPlan", "FaultRule", "RequestFacts", "request_facts"]
