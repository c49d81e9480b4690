"""Reports: the results contract (JSON Schema), comparisons across runs, and offline replay."""

from ._compare import compare_results, load_results
from ._replay import replay_run

__all__ = ["compare_results", "load_results", "replay_run"]
