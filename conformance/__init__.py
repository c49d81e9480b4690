"""A contract conformance suite for providers of the DeepSeek V3.1 Chat Completions API."""

from ._version import __version__

__all__ = ["__version__"]
