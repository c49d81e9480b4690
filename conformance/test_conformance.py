"""The conformance suite as pytest tests (collected by `pytest --pyargs conformance`).

Parametrized by the plugin (`conformance.pytest_plugin`): one test per invariant, scenario and provider.
"""

from __future__ import annotations

from typing import Any

import pytest

from .pytest_plugin import check_verdict


def test_invariant(
    conformance_check: tuple[str, Any], conformance_verdict: Any, request: pytest.FixtureRequest
) -> None:
    check_verdict(conformance_check, conformance_verdict, request.config)
