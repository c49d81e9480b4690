"""specs/DIFF.md: the normalized documents side by side, one row per field, departures from canonical marked."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ._pointer import resolve
from ._sources import SEEDS

__all__ = ["render_diff"]

Schema = dict[str, Any]

_REQUEST_FIELDS = (
    "model", "messages", "messages[].role", "messages[].content", "messages[].tool_calls", "messages[].tool_call_id",
    "thinking", "thinking.type", "thinking.budget_tokens", "temperature", "top_p", "frequency_penalty",
    "presence_penalty", "max_tokens", "stop", "stream", "stream_options", "stream_options.include_usage", "tools",
    "tools[].function.name", "tool_choice", "response_format", "response_format.type", "logprobs", "top_logprobs",
)  # fmt: skip
_RESPONSE_FIELDS = (
    "id", "object", "created", "model", "system_fingerprint", "choices", "choices[].index", "choices[].message",
    "choices[].message.role", "choices[].message.content", "choices[].message.reasoning_content",
    "choices[].message.tool_calls", "choices[].finish_reason", "choices[].logprobs",
    "choices[].logprobs.content[].logprob", "usage", "usage.prompt_tokens", "usage.completion_tokens",
    "usage.total_tokens", "usage.prompt_cache_hit_tokens", "usage.prompt_cache_miss_tokens",
    "usage.completion_tokens_details.reasoning_tokens", "usage.reasoning_tokens",
)  # fmt: skip
_CHUNK_FIELDS = (
    "id", "object", "created", "model", "system_fingerprint", "choices", "choices[].index", "choices[].delta",
    "choices[].delta.role", "choices[].delta.content", "choices[].delta.reasoning_content",
    "choices[].delta.tool_calls", "choices[].finish_reason", "choices[].logprobs", "usage",
)  # fmt: skip
_NULL = {"type": "null"}


def _deref(document: Schema, schema: Any) -> tuple[Any, bool]:
    """Follow $ref and `anyOf: [X, null]`; returns (schema, nullable)."""
    nullable = False
    for _ in range(20):
        if not isinstance(schema, dict):
            break
        if "$ref" in schema:
            schema = resolve(document, schema["$ref"].removeprefix("#"))
        elif isinstance(schema.get("anyOf"), list) and _NULL in schema["anyOf"] and len(schema["anyOf"]) == 2:
            nullable = True
            schema = next(item for item in schema["anyOf"] if item != _NULL)
        else:
            break
    return schema, nullable


def _variants(document: Schema, schema: Schema) -> list[Schema]:
    union = schema.get("oneOf")
    if isinstance(union, list) and union and all(isinstance(item, dict) and "$ref" in item for item in union):
        return [_deref(document, item)[0] for item in union]
    return [schema]


def _child(document: Schema, schema: Schema, token: str) -> tuple[Schema | None, bool, bool]:
    """The sub-schema for one path token: (schema, required, nullable). `x[]` steps into items."""
    name, into_items = (token[:-2], True) if token.endswith("[]") else (token, False)
    variants = _variants(document, schema)
    found = [(v.get("properties", {}).get(name), name in v.get("required", [])) for v in variants]
    present = [(s, req) for s, req in found if isinstance(s, dict)]
    if not present:
        return None, False, False
    if len(present) > 1:
        consts = [s.get("const") for s, _ in present]
        types: list[str] = []
        for s, _ in present:
            for item in s.get("type", []) if isinstance(s.get("type"), list) else [s.get("type")]:
                if item and item not in types:
                    types.append(item)
        if all(isinstance(c, str) for c in consts):
            merged: Schema = {"type": "string", "enum": consts}
        else:
            merged = {"type": types or None}
        sub, required, nullable = merged, all(req for _, req in present), False
    else:
        sub, required = present[0]
        sub, nullable = _deref(document, sub)
    if into_items:
        items, item_nullable = _deref(document, sub.get("items"))
        return (items if isinstance(items, dict) else {}), required, item_nullable
    return sub, required, nullable


def _walk(document: Schema, root: Schema, dotted: str) -> tuple[Schema | None, bool, bool]:
    schema, _ = _deref(document, root)
    required = nullable = False
    for token in dotted.split("."):
        if not isinstance(schema, dict):
            return None, False, False
        schema, required, nullable = _child(document, schema, token)
    return schema, required, nullable


def _type(document: Schema, schema: Schema, nullable: bool) -> str:
    if "const" in schema:
        return f"const {schema['const']}"
    kind = schema.get("type")
    names = [str(item) for item in kind] if isinstance(kind, list) else [str(kind)] if kind else []
    if not names and isinstance(schema.get("anyOf"), list):
        for member in schema["anyOf"]:
            resolved, _ = _deref(document, member)
            name = _type(document, resolved, False) if isinstance(resolved, dict) else "any"
            names += [part for part in name.split("|") if part not in names]
    if not names and "oneOf" in schema:
        names = [f"oneOf({len(schema['oneOf'])})"]
    if nullable and "null" not in names:
        names.append("null")
    return "|".join(names) or "any"


def _range(schema: Schema) -> str:
    parts = []
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None or high is not None:
        left = "(" if "exclusiveMinimum" in schema else "["
        right = ")" if "exclusiveMaximum" in schema else "]"
        parts.append(f"{left}{'' if low is None else low}..{'' if high is None else high}{right}")
    if "minItems" in schema or "maxItems" in schema:
        parts.append(f"items {schema.get('minItems', 0)}..{schema.get('maxItems', '')}")
    if "minLength" in schema:
        parts.append(f"len>={schema['minLength']}")
    return " ".join(parts)


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _cell(document: Schema, root: Schema, dotted: str) -> str:
    schema, required, nullable = _walk(document, root, dotted)
    if schema is None:
        return "—"
    parts = [_type(document, schema, nullable)]
    if rng := _range(schema):
        parts.append(rng)
    if "enum" in schema:
        parts.append("{" + ", ".join(_scalar(item) for item in schema["enum"]) + "}")
    if "default" in schema:
        parts.append(f"={_scalar(schema['default'])}")
    if required:
        parts.append("**req**")
    return " · ".join(parts)


def _table(
    title: str,
    names: list[str],
    rows: list[tuple[str, list[str]]],
    note: str = "",
    unmarked: frozenset[str] = frozenset(),
) -> list[str]:
    lines = [f"## {title}", ""]
    if note:
        lines += [note, ""]
    lines.append("| field | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for field, cells in rows:
        base = cells[0]
        marked = [base] + [cell if cell == base or field in unmarked else f"≠ {cell}" for cell in cells[1:]]
        lines.append(f"| `{field}` | " + " | ".join(cell.replace("|", "\\|") for cell in marked) + " |")
    return [*lines, ""]


def _operation(document: Schema) -> tuple[str, Schema]:
    path, item = next(iter(document["paths"].items()))
    return path, item["post"]


def _models(document: Schema) -> str:
    _, operation = _operation(document)
    media = operation["requestBody"]["content"]["application/json"]
    found: list[str] = []
    request, _ = _deref(document, media["schema"])
    model = request.get("properties", {}).get("model", {})
    samples = [media.get("example")] + [item.get("value") for item in media.get("examples", {}).values()]
    for value in [*model.get("enum", []), *model.get("examples", []), *(s.get("model") for s in samples if s)]:
        if isinstance(value, str) and value not in found:
            found.append(value)
    return ", ".join(found) or "—"


def _auth(document: Schema) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    if not schemes or not document.get("security"):
        return "none"
    return ", ".join(f"{s.get('type')} {s.get('scheme', '')}".strip() for s in schemes.values())


def _thinking(document: Schema) -> str:
    _, operation = _operation(document)
    root = operation["requestBody"]["content"]["application/json"]["schema"]
    kind, _, _ = _walk(document, root, "thinking.type")
    if kind is None:
        return "no thinking field (model name)"
    style = "thinking.type {" + ", ".join(kind.get("enum", ["?"])) + "}"
    budget, _, _ = _walk(document, root, "thinking.budget_tokens")
    return style + (" + budget_tokens" if budget is not None else "")


def _assumed(records: list[dict[str, Any]], document: str, prefix: str) -> bool:
    return any(r["assumption"] and r["document"] == document and r["pointer"].startswith(prefix) for r in records)


def render_diff(documents: dict[str, Schema], records: list[dict[str, Any]]) -> str:
    """The Markdown text of specs/DIFF.md."""
    order = ["canonical"] + [seed.document for seed in SEEDS]
    seeds = {seed.document: seed for seed in SEEDS}
    names = ["canonical"] + [f"{seed.document} ({seed.code})" for seed in SEEDS]
    docs = [documents[name] for name in order]
    lines = [
        "<!-- Generated by `conformance specs normalize`; do not edit. -->",
        "# Vendor documents side by side",
        "",
        "Each column is a normalized document in `specs/normalized/` (the vendor's own facts, repaired; every "
        "repair is in `FIXES.yaml`, every canonical choice in `CHOICES.yaml`). A cell marked **≠** departs from "
        "the canonical column. Cells read `type · range · {enum} · =default · req` (req: required); `—`: the "
        "document does not have the field (sent anyway, it must match canonical's schema: FIXES.yaml category "
        "`canonical-undeclared`). In the first table, `*` marks a value that rests on an assumption "
        "(`assumption: true` in FIXES.yaml).",
        "",
        "## Documents",
        "",
    ]
    overview: list[tuple[str, list[str]]] = []
    overview.append(("source", ["specs/normalized/CHOICES.yaml"] + [f"`{seeds[n].file}`" for n in order[1:]]))
    overview.append(("describes", ["merged DeepSeek V3.1 contract"] + [seeds[n].vendor for n in order[1:]]))
    overview.append(("generated by", ["this normalizer"] + [seeds[n].tool for n in order[1:]]))
    overview.append(("server", [", ".join(s["url"] for s in d.get("servers", [])) or "—" for d in docs]))
    overview.append(("path", [_operation(d)[0] for d in docs]))
    overview.append(("model ids", [_models(d) for d in docs]))
    auth = []
    for name, document in zip(order, docs, strict=True):
        assumed = name != "canonical" and _assumed(records, f"{name}.yaml", "/security")
        auth.append(_auth(document) + ("*" if assumed else ""))
    overview.append(("auth", auth))
    overview.append(("thinking control", [_thinking(d) for d in docs]))
    streaming = []
    for name in order:
        moved = [r for r in records if r["document"] == f"{name}.yaml" and r["pointer"].endswith("text~1event-stream")]
        how = {"add": "added", "move": "moved from x-200:Streaming"}
        streaming.append("declared" if not moved else how[moved[0]["kind"]] + ("*" if moved[0]["assumption"] else ""))
    overview.append(("text/event-stream", streaming))
    counts = []
    for name in order:
        mine = [r for r in records if r["document"] == f"{name}.yaml"]
        counts.append("—" if name == "canonical" else f"{len(mine)} ({sum(r['assumption'] for r in mine)} assumed)")
    overview.append(("fixes", counts))
    lines += _table("Documents", names, overview, unmarked=frozenset({"source", "describes", "generated by", "fixes"}))[
        2:
    ]

    def rows(component: str, fields: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        roots = [{"$ref": f"#/components/schemas/{component}"} for _ in docs]
        return [(field, [_cell(d, r, field) for d, r in zip(docs, roots, strict=True)]) for field in fields]

    lines += _table("Request parameters (ChatCompletionRequest)", names, rows("ChatCompletionRequest", _REQUEST_FIELDS))
    lines += _table("Non-stream response (ChatCompletion)", names, rows("ChatCompletion", _RESPONSE_FIELDS))
    lines += _table(
        "Stream chunk (ChatCompletionChunk)",
        names,
        rows("ChatCompletionChunk", _CHUNK_FIELDS),
        "Only seed 002 has its own chunk schema; the other vendor documents carry a copy of the canonical one.",
    )
    statuses = [", ".join(k for k in _operation(d)[1]["responses"] if k != "200") for d in docs]
    lines += _table("Responses", names, [("error statuses", statuses)], "Every error uses the ErrorResponse envelope.")
    categories = sorted({r["category"] for r in records})
    fix_rows = []
    for category in categories:
        tally = Counter(r["document"] for r in records if r["category"] == category)
        fix_rows.append((category, ["—"] + [str(tally.get(f"{n}.yaml", 0)) for n in order[1:]]))
    lines += _table(
        "Fixes by category", names, fix_rows, "Counts of FIXES.yaml records.", unmarked=frozenset(categories)
    )
    return "\n".join(lines).rstrip() + "\n"
