"""JSON mode: `response_format: json_object` yields one bare JSON object; `response_format: text` is accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ._behaviour_helpers import accepted_problem, clip, content_text, judged_choices
from ._model import NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_DS_JSON = Source("deepseek-docs", "guides/json_mode: response_format {'type': 'json_object'}")
_OPENAI_JSON = Source("openai-openapi", "#/components/schemas/ResponseFormatJsonObject")


@invariant(
    id="JSON-001",
    rule="In JSON mode, the content of a choice finished with stop parses as a JSON object.",
    severity=Severity.MUST,
    group="json",
    requires={"json_mode"},
    stochastic=True,
    sources=[_DS_JSON, _OPENAI_JSON],
)
def json_mode_content_parses(obs: Observation) -> Iterator[Violation]:
    """`json.loads(content)` without any stripping must give an object; a choice cut by `length` may hold
    truncated JSON and is not judged. Empty content fails here and is judged over repetitions."""
    judged = 0
    for index, acc in judged_choices(obs).items():
        if acc.finish_reason != "stop":
            continue
        judged += 1
        content = content_text(acc)
        try:
            value = json.loads(content)
        except ValueError as exc:
            what = "empty content" if not content.strip() else f"{clip(content)}: {exc}"
            yield Violation(expected=f"content of choice {index} parses as a JSON object", received=what)
            continue
        if not isinstance(value, dict):
            yield Violation(expected=f"content of choice {index} is a JSON object",
                            received=f"a JSON {type(value).__name__}: {clip(content)}")
    if not judged:
        raise NotApplicable("no choice finished with stop")


@invariant(
    id="JSON-002",
    rule="JSON mode content is a bare object without markdown fences or prose around it.",
    severity=Severity.MUST,
    group="json",
    requires={"json_mode"},
    sources=[_DS_JSON, _OPENAI_JSON],
)
def json_mode_no_fences(obs: Observation) -> Iterator[Violation]:
    """Content starts with `{` and, when finished with stop, ends with `}` (whitespace aside); a ```json fence
    or a sentence of prose breaks every client that parses the content directly."""
    judged = 0
    for index, acc in judged_choices(obs).items():
        text = content_text(acc).strip()
        if not text:
            continue  # JSON-001 judges empty content
        judged += 1
        problems = []
        if "```" in text:
            problems.append("a markdown fence")
        if not text.startswith("{"):
            problems.append(f"text before the object ({clip(text[:30])})")
        if acc.finish_reason == "stop" and not text.endswith("}"):
            problems.append(f"text after the object ({clip(text[-30:])})")
        if problems:
            yield Violation(expected=f"content of choice {index} is only a JSON object",
                            received=", ".join(problems))
    if not judged:
        raise NotApplicable("no choice carries content")


@invariant(
    id="JSON-003",
    rule="A request with response_format text is accepted and answered.",
    severity=Severity.SHOULD,
    group="json",
    requires={"response_format_text"},
    sources=[Source("seed-002", "requestBody examples response_format", "type: text"), _DS_JSON],
)
def response_format_text_accepted(obs: Observation) -> Iterator[Violation]:
    """`{"type": "text"}` is the default format and appears in the vendor's own request example."""
    problem = accepted_problem(obs)
    if problem:
        yield Violation(expected="HTTP 200 with a completion for response_format text", received=problem)
