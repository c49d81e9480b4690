"""Merge several `results.json` files (e.g. one per CI matrix job) into one comparison."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["compare_results", "load_results", "results_schema"]

_MARK = {"pass": "pass", "fail": "FAIL", "skip": "skip", "error": "ERROR"}


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (schema_version 1)."""
    text = (resources.files("conformance.report") / "results.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_results(path: Path) -> dict[str, Any]:
    """Read and validate one results.json; raises ValueError naming the file on a bad document."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    errors = sorted(jsonschema.Draft202012Validator(results_schema()).iter_errors(data), key=lambda e: e.path)
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise ValueError(f"{path}: not a valid results.json at {where}: {first.message}")
    return dict(data)


def compare_results(paths: Sequence[Path]) -> dict[str, Any]:
    """One row per (invariant, scenario), one column per provider across all files."""
    columns: list[str] = []
    cells: dict[tuple[str, str], dict[str, str]] = {}
    severity: dict[str, str] = {}
    summaries: dict[str, Any] = {}
    for path in paths:
        data = load_results(path)
        for prov in data["providers"]:
            col = prov["name"]
            if col in summaries:
                col = f"{col}@{Path(path).parent.name}"
            columns.append(col)
            summaries[col] = {
                "summary": prov["summary"],
                "spend": prov["spend"],
                "profile": prov["profile"],
                "model": prov["model"],
                "source": str(path),
            }
            for check in prov["checks"]:
                key = (check["id"], check["scenario"])
                severity[check["id"]] = check["severity"]
                cells.setdefault(key, {})[col] = check["status"]
    rows: list[dict[str, Any]] = [
        {"id": k[0], "scenario": k[1], "severity": severity[k[0]], "statuses": cells[k]} for k in sorted(cells)
    ]
    header = "| check | scenario | severity | " + " | ".join(columns) + " |"
    lines = [header, "|" + "---|" * (3 + len(columns))]
    lines.append(
        "| **MUST failed** | | | " + " | ".join(str(summaries[c]["summary"]["must_failed"]) for c in columns) + " |"
    )
    for row in rows:
        if len(set(row["statuses"].values())) == 1 and "fail" not in row["statuses"].values():
            continue  # identical and not failing everywhere: keep the table about differences
        marks = [_MARK.get(row["statuses"].get(c, ""), "-") for c in columns]
        lines.append(f"| {row['id']} | {row['scenario']} | {row['severity']} | " + " | ".join(marks) + " |")
    return {"providers": columns, "summaries": summaries, "rows": rows, "table": "\n".join(lines)}
