"""One reference server per test module, on 127.0.0.1 port 0, always stopped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.reference import ReferenceServer

from ._client import KEY


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(10.0), headers={"Authorization": f"Bearer {KEY}"}) as c:
        yield c
