"""Providers: vendor dialects as data (profiles) and the endpoints a run targets (providers.yaml)."""

from ._config import ConfigError, ProviderConfig, load_providers_file, parse_providers
from ._profile import Profile, ProfileError, ThinkingControl, UsageDialect, deep_merge, load_profile, profile_names

__all__ = [
    "ConfigError",
    "Profile",
    "ProfileError",
    "ProviderConfig",
    "ThinkingControl",
    "UsageDialect",
    "deep_merge",
    "load_profile",
    "load_providers_file",
    "parse_providers",
    "profile_names",
]
