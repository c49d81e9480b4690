"""Provider configuration: `providers.yaml`, a list of endpoints to run the suite against.

A key is never written in the file: `api_key_env` names the environment variable that holds it.
Strings may use `${VAR}` interpolation. A bad file raises `ConfigError` with the file, line and
field, which the CLI prints as one line with exit code 2.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..capture._model import Bounds
from ._profile import Profile, ProfileError, load_profile

__all__ = ["ConfigError", "ProviderConfig", "load_providers_file", "parse_providers"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FIELDS = {
    "name",
    "base_url",
    "api_key_env",
    "profile",
    "models",
    "headers",
    "timeouts",
    "concurrency",
    "rate_limit",
    "budget_tokens",
    "statuses",
    "max_retries",
}
_TIMEOUTS = {"connect", "ttfb", "idle", "total", "max_bytes", "max_events"}


class ConfigError(ValueError):
    """A configuration problem, rendered as one line: `file:line: field: message`."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One endpoint under test."""

    name: str
    base_url: str
    profile: str = "canonical"
    api_key_env: str | None = None
    models: dict[str, str] = field(default_factory=dict)  # overrides the profile's model ids
    headers: dict[str, str] = field(default_factory=dict)
    bounds: Bounds = field(default_factory=Bounds)
    concurrency: int = 2
    rate_limit: float | None = None  # requests per second
    budget_tokens: int | None = None  # stop sending once prompt + completion tokens reach this
    statuses: dict[str, tuple[int, ...]] = field(default_factory=dict)  # overrides expected error statuses
    max_retries: int = 2  # retries on 429/503 honouring Retry-After

    def resolved_profile(self) -> Profile:
        """The profile with this provider's model ids and status overrides applied."""
        base = load_profile(self.profile)
        return dataclasses.replace(
            base,
            models={**base.models, **self.models},
            statuses={**base.statuses, **self.statuses},
        )

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.api_key_env) if self.api_key_env else None

    def public(self) -> dict[str, Any]:
        """What may be written in reports: no key, only the variable's name."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "profile": self.profile,
            "api_key_env": self.api_key_env,
            "models": dict(self.models),
        }


def _line_map(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[(*path, k)] = key.start_mark.line + 1
            _line_map(value, (*path, k), out)
            out[(*path, k)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)


def _interpolate(value: Any, env: Mapping[str, str], fail: Any) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in env:
                fail(f"environment variable {m.group(1)} is not set")
            return env[m.group(1)]

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, env, fail) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, fail) for v in value]
    return value


def parse_providers(
    text: str, *, source: str = "providers.yaml", environ: Mapping[str, str] | None = None
) -> list[ProviderConfig]:
    """Parse and validate a providers file's text."""
    env = os.environ if environ is None else environ
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    items = data.get("providers") if isinstance(data, dict) else data
    base_path: tuple[Any, ...] = ("providers",) if isinstance(data, dict) else ()
    if not isinstance(items, list) or not items:
        raise ConfigError(
            f"{source}:{lines.get(base_path, 1)}: expected a non-empty list of providers "
            "(top-level list or a 'providers:' key)"
        )
    out: list[ProviderConfig] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        path = (*base_path, i)

        def fail(msg: str, key: str | None = None, *, _path: tuple[Any, ...] = path) -> Any:
            where = lines.get((*_path, key) if key else _path, lines.get(_path, 1))
            label = f"providers[{_path[-1]}]" + (f".{key}" if key else "")
            raise ConfigError(f"{source}:{where}: {label}: {msg}")

        if not isinstance(raw, dict):
            fail("each provider is a mapping with name, base_url, profile, ...")
        if "api_key" in raw:
            fail("a key is never written in the file; name its environment variable with api_key_env", "api_key")
        for key in raw:
            if key not in _FIELDS:
                fail(f"unknown field (known: {', '.join(sorted(_FIELDS))})", key)
        cfg = {k: _interpolate(v, env, lambda m, k=k: fail(m, k)) for k, v in raw.items()}
        for key in ("name", "base_url"):
            if not isinstance(cfg.get(key), str) or not cfg[key]:
                fail("is required and must be a non-empty string", key)
        if not _NAME.match(cfg["name"]):
            fail("must be letters, digits, '.', '_' or '-'", "name")
        if cfg["name"] in seen:
            fail(f"duplicate provider name {cfg['name']!r}", "name")
        seen.add(cfg["name"])
        if not cfg["base_url"].startswith(("http://", "https://")):
            fail("must start with http:// or https://", "base_url")
        profile = cfg.get("profile", "canonical")
        try:
            load_profile(profile)
        except ProfileError as exc:
            fail(str(exc), "profile")
        for key in ("models", "headers"):
            value = cfg.get(key, {})
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                fail("must be a mapping of strings", key)
        bounds = Bounds()
        timeouts = cfg.get("timeouts", {})
        if not isinstance(timeouts, dict):
            fail("must be a mapping", "timeouts")
        for key, value in timeouts.items():
            if key not in _TIMEOUTS or not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                fail(f"{key}: expected one of {', '.join(sorted(_TIMEOUTS))} with a positive number", "timeouts")
            limits = bounds.to_json()
            limits[key if key.startswith("max_") else f"{key}_s"] = (
                int(value) if key.startswith("max_") else float(value)
            )
            bounds = Bounds.from_json(limits)
        for key, kind in (("concurrency", int), ("budget_tokens", int), ("max_retries", int)):
            if key in cfg and (not isinstance(cfg[key], kind) or isinstance(cfg[key], bool) or cfg[key] < 0):
                fail("must be a non-negative integer", key)
        rate = cfg.get("rate_limit")
        if rate is not None and (not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0):
            fail("must be a positive number of requests per second", "rate_limit")
        statuses = cfg.get("statuses", {})
        if not isinstance(statuses, dict) or not all(
            isinstance(v, list) and all(isinstance(s, int) and 100 <= s <= 599 for s in v) for v in statuses.values()
        ):
            fail("must map error kinds to lists of HTTP statuses", "statuses")
        if cfg.get("api_key_env") is not None and not isinstance(cfg["api_key_env"], str):
            fail("must be the name of an environment variable", "api_key_env")
        out.append(
            ProviderConfig(
                name=cfg["name"],
                base_url=cfg["base_url"].rstrip("/"),
                profile=profile,
                api_key_env=cfg.get("api_key_env"),
                models=dict(cfg.get("models", {})),
                headers=dict(cfg.get("headers", {})),
                bounds=bounds,
                concurrency=max(1, cfg.get("concurrency", 2)),
                rate_limit=float(rate) if rate is not None else None,
                budget_tokens=cfg.get("budget_tokens"),
                statuses={k: tuple(v) for k, v in statuses.items()},
                max_retries=cfg.get("max_retries", 2),
            )
        )
    return out


def load_providers_file(path: str | Path, *, environ: Mapping[str, str] | None = None) -> list[ProviderConfig]:
    """Read and validate a providers file."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read providers file ({exc.strerror})") from None
    return parse_providers(text, source=str(p), environ=environ)
