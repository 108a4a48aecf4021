"""Seeded, deterministic workload simulator: a contact center's complaints and ticket events.

``simulate(SimulationOptions(days=7, seed=1))`` yields the JSON lines of a week of
traffic in arrival order (the order they would reach Kafka), including the realistic
dirt of a real feed: late arrivals, duplicates and contract violations. Same options,
same bytes: no wall clock, no global random state.
"""

from sla_police.simulator.catalog import CATEGORY_DEPARTMENT, DEPARTMENTS
from sla_police.simulator.options import DEFAULT_START, SimulationOptions
from sla_police.simulator.stream import Record, simulate, simulate_records
from sla_police.simulator.summary import SimulationSummary, summarize, write_simulation

__all__ = [
    "CATEGORY_DEPARTMENT",
    "DEFAULT_START",
    "DEPARTMENTS",
    "Record",
    "SimulationOptions",
    "SimulationSummary",
    "simulate",
    "simulate_records",
    "summarize",
    "write_simulation",
]
