"""The engine: plan, capture and judge; shared by the CLI and the pytest plugin."""

from ._results import SCHEMA_VERSION, CheckResult, ProviderResult, RunResult, write_json_atomic
from ._run import RunOptions, generated_scenarios, load_all_invariants, run_suite, scenarios_for, select_invariants
from ._session import WRONG_KEY, PlannedCheck, ProviderSession, observation_from_cassette

__all__ = [
    "SCHEMA_VERSION",
    "WRONG_KEY",
    "CheckResult",
    "PlannedCheck",
    "ProviderResult",
    "ProviderSession",
    "RunOptions",
    "RunResult",
    "generated_scenarios",
    "load_all_invariants",
    "observation_from_cassette",
    "run_suite",
    "scenarios_for",
    "select_invariants",
    "write_json_atomic",
]
