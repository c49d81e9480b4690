"""Where the specs live: the repository's `specs/` in a checkout, the wheel's copy otherwise."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DOCUMENT_NAMES", "SpecsNotFoundError", "document_path", "normalized_dir", "repo_specs_root"]

# Normalized document name -> the seed it comes from (None: the merged contract).
DOCUMENT_NAMES: dict[str, str | None] = {
    "canonical": None,
    "chainhub": "000",
    "kkiai": "001",
    "deepseek": "002",
    "example-reseller": "003",
    "api-evangelist": "004",
}

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../conformance


class SpecsNotFoundError(FileNotFoundError):
    """Neither a checkout's specs/normalized nor the wheel's copy exists."""


def repo_specs_root() -> Path | None:
    """The repository root (holding `specs/sources`) when running from a checkout or an editable install."""
    root = _PACKAGE_DIR.parent
    return root if (root / "specs" / "sources").is_dir() else None


def normalized_dir() -> Path:
    """The directory holding the normalized documents: the checkout's, else the wheel's copy."""
    root = repo_specs_root()
    candidates = [root / "specs" / "normalized"] if root is not None else []
    candidates.append(_PACKAGE_DIR / "_specs" / "normalized")  # pyproject force-include target
    for candidate in candidates:
        if (candidate / "canonical.yaml").is_file():
            return candidate
    raise SpecsNotFoundError(f"no normalized specs in any of: {', '.join(map(str, candidates))}")


def document_path(name: str) -> Path:
    """The path of a normalized document by name (`canonical`, `deepseek`, ...; a `.yaml` suffix is accepted)."""
    stem = name.removesuffix(".yaml")
    if stem not in DOCUMENT_NAMES:
        raise KeyError(f"unknown document {name!r}; known: {', '.join(DOCUMENT_NAMES)}")
    return normalized_dir() / f"{stem}.yaml"
