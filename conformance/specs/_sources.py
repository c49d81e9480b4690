"""The five vendor documents: which file, what it embeds, and how to get an OpenAPI dict out of it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ._pointer import split

__all__ = ["SEEDS", "RawSource", "Seed", "load_raw", "source_line"]


@dataclass(frozen=True, slots=True)
class Seed:
    """One vendor document in specs/sources/ and the normalized document it becomes."""

    code: str  # 000 .. 004
    file: str  # the verbatim file name in specs/sources/
    document: str  # normalized document name (specs/normalized/<document>.yaml)
    embedding: str  # yaml-fence | yaml-from-openapi-line | prose (derived/<code>.yaml is the input)
    vendor: str  # who the document describes
    tool: str  # what produced it

    @property
    def derived(self) -> str | None:
        """The hand-written structured file for a prose document."""
        return f"derived/{self.code}.yaml" if self.embedding == "prose" else None


SEEDS: tuple[Seed, ...] = (
    Seed("000", "000_0dc53068686a7804.txt", "chainhub", "yaml-fence", "ChainHub (Ark-style reseller)", "apifox export"),
    Seed("001", "001_ef37b8672af16dd8.txt", "kkiai", "prose", "KKIAI (Ark-style reseller)", "rendered docs page"),
    Seed("002", "002_960365534726db65.txt", "deepseek", "yaml-fence", "DeepSeek (official API)", "apidog export"),
    Seed("003", "003_73267c7326552723.txt", "example-reseller", "prose", "unnamed reseller", "docs site"),
    Seed(
        "004",
        "004_b6c382789f63e5df.txt",
        "api-evangelist",
        "yaml-from-openapi-line",
        "DeepSeek (official API)",
        "hand-written OpenAPI 3.1",
    ),
)


@dataclass(frozen=True, slots=True)
class RawSource:
    """The OpenAPI text behind a seed and where it sits: `file` line `first_line` is text line 1."""

    seed: Seed
    file: str  # path relative to specs/sources/
    text: str
    first_line: int
    document: dict[str, Any]


def _cut(seed: Seed, text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    if seed.embedding == "yaml-fence":
        start = next(i for i, line in enumerate(lines) if line.strip() == "```yaml") + 1
        end = next(i for i in range(start, len(lines)) if lines[i].strip() == "```")
    else:
        start = next(i for i, line in enumerate(lines) if line.startswith("openapi:"))
        end = len(lines)
    return "".join(lines[start:end]), start + 1


def load_raw(sources_dir: Path, seed: Seed) -> RawSource:
    """The seed's OpenAPI document (embedded YAML, or derived/<code>.yaml for prose seeds)."""
    if seed.derived is not None:
        text, first_line, file = (sources_dir / seed.derived).read_text("utf-8"), 1, seed.derived
    else:
        text, first_line = _cut(seed, (sources_dir / seed.file).read_text("utf-8"))
        file = seed.file
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError(f"{file}: the embedded document is not a mapping")
    return RawSource(seed, file, text, first_line, document)


@cache
def _compose(text: str) -> yaml.Node:
    node = yaml.compose(text)
    if node is None:
        raise ValueError("empty YAML document")
    return node


def source_line(raw: RawSource, ptr: str) -> int:
    """The line in `raw.file` where the node at `ptr` (or its deepest existing ancestor) starts."""
    node = _compose(raw.text)
    line = 0
    for token in split(ptr):
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value if key.value == token), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]  # the key's line is where a reader looks
        elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
            node = node.value[int(token)]
            line = node.start_mark.line
        else:
            break
    return raw.first_line + line
