"""Scenarios: the small requests a run sends, each naming the features it exercises."""

from ._catalogue import PROMPTS, SCENARIOS, WEATHER_TOOL, RequestSpec, Scenario, scenario_by_id

__all__ = ["PROMPTS", "SCENARIOS", "WEATHER_TOOL", "RequestSpec", "Scenario", "scenario_by_id"]
