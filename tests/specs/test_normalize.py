"""The normalizer: deterministic, idempotent, and the committed outputs are not stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance.specs import build_outputs, check_drift, main_normalize, normalize_all

from .conftest import REPO


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch repository root holding a copy of specs/sources and the committed outputs."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "specs").rglob("*")) if p.is_file()}


def test_normalizing_twice_changes_no_byte(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs" / "sources", tmp_path / "specs" / "sources")
    first_paths = normalize_all(tmp_path)
    first = _snapshot(tmp_path)
    normalize_all(tmp_path)
    assert _snapshot(tmp_path) == first
    written = {str(p.relative_to(tmp_path)) for p in first_paths}
    assert "specs/normalized/canonical.yaml" in written and "specs/DIFF.md" in written
    assert len([name for name in written if name.endswith(".yaml")]) == 8  # 6 documents + FIXES + CHOICES


def test_committed_outputs_equal_a_fresh_run() -> None:
    fresh = build_outputs(REPO)
    stale = [rel for rel, data in fresh.items() if (REPO / rel).read_bytes() != data]
    assert stale == [], f"run `conformance specs normalize`: stale {stale}"
    assert check_drift(REPO) == []


def test_drift_check_names_a_stale_file(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = checkout / "specs" / "normalized" / "deepseek.yaml"
    target.write_bytes(target.read_bytes().replace(b"minItems: 1", b"minItems: 0", 1))
    assert check_drift(checkout) == ["specs/normalized/deepseek.yaml"]
    assert main_normalize(["--check", "--root", str(checkout)]) == 1
    err = capsys.readouterr().err
    assert "specs/normalized/deepseek.yaml" in err and "conformance specs normalize" in err


def test_drift_check_names_a_missing_and_a_stray_file(checkout: Path) -> None:
    (checkout / "specs" / "DIFF.md").unlink()
    (checkout / "specs" / "normalized" / "old-vendor.yaml").write_text("openapi: 3.1.0\n")
    assert check_drift(checkout) == ["specs/DIFF.md", "specs/normalized/old-vendor.yaml"]


def test_normalize_repairs_a_stale_tree_and_check_passes(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (checkout / "specs" / "normalized" / "canonical.yaml").write_text("stale\n")
    assert main_normalize(["--root", str(checkout)]) == 0
    assert main_normalize(["--check", "--root", str(checkout)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (checkout / "specs" / "normalized" / "canonical.yaml").read_bytes() == (
        REPO / "specs" / "normalized" / "canonical.yaml"
    ).read_bytes()


def test_a_source_change_reaches_the_output(checkout: Path) -> None:
    source = checkout / "specs" / "sources" / "derived" / "003.yaml"
    source.write_text(source.read_text("utf-8").replace("https://api.example.com", "https://api.example.org"))
    assert "specs/normalized/example-reseller.yaml" in check_drift(checkout)
    assert "specs/DIFF.md" in check_drift(checkout)


def test_missing_sources_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_normalize(["--root", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
