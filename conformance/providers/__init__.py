"""Providers: vendor dialects as data (profiles) and the endpoints a run targets."""

from ._profile import Profile, ProfileError, ThinkingControl, UsageDialect, deep_merge, load_profile, profile_names

__all__ = ["Profile", "ProfileError", "ThinkingControl", "UsageDialect", "deep_merge", "load_profile", "profile_names"]
