"""What the reference model says: fixed answers to the suite's standard prompts, and a short,
prompt-specific chain of thought. Deterministic by construction."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JSON_ANSWER", "answer_text", "cities_in", "json_answer", "reasoning_text"]

JSON_ANSWER = {"name": "Ada", "age": 36}
GREETING = "Hello there, how are you?"
MATH_ANSWER = "17*23 = 391."
DEFAULT_ANSWER = "This is the conformance reference model, answering with a fixed, deterministic reply."

_ESSAY = (
    "The sea covers most of our planet, and it has shaped every culture that lives beside it. "
    "From the first boats pushed off sandy beaches to the great ships that cross oceans today, people "
    "have looked at the horizon and wondered what lies beyond it. The sea feeds us, carries our trade "
    "and moves the weather that waters our fields. It is also a place of danger: storms rise quickly, "
    "currents pull swimmers away from the shore, and sailors have always respected its power. Beneath "
    "the surface lies another world, full of coral reefs, kelp forests and creatures that glow in the "
    "dark. Scientists still know more about the surface of the moon than about the deepest trenches. "
    "Today the sea faces new threats from plastic, warming water and overfishing, and protecting it is "
    "one of the great tasks of our time. When we stand on a cliff and listen to the waves, we feel both "
    "small and connected, part of a story much older than ourselves."
)

def cities_in(prompt: str) -> list[str]:
    """Capitalised place names after "in" ("weather in Hangzhou and in Paris" -> both)."""
    return re.findall(r"\bin ([A-Z][A-Za-z-]+)", prompt)


def _tool_summary(content: str) -> str:
    try:
        value = json.loads(content)
    except ValueError:
        return content.strip()[:80] or "no details"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in list(value.items())[:4]) or "no details"
    return str(value)[:80]


def answer_text(prompt: str, *, last_tool_content: str | None = None) -> str:
    """The answer to a user prompt (or to a tool result when the last message is a tool message)."""
    if last_tool_content is not None:
        return f"The weather service reports {_tool_summary(last_tool_content)}."
    p = prompt.lower()
    if "hello in five words" in p:
        return GREETING
    if "essay" in p:
        return _ESSAY
    if "count from 1 to 20" in p:
        return ", ".join(str(i) for i in range(1, 21))
    if "17*23" in p.replace(" ", ""):
        return MATH_ANSWER
    if "json" in p and "name" in p and "age" in p:
        return json.dumps(JSON_ANSWER)
    if "weather" in p:
        place = " and ".join(cities_in(prompt)) or "that place"
        return f"I cannot look up live weather for {place}, but a weather service can tell you."
    return DEFAULT_ANSWER


def json_answer(prompt: str, text: str) -> str:
    """The content in JSON mode: always one JSON object, no fences."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return json.dumps(value)
    return json.dumps({"answer": text})


def reasoning_text(prompt: str, *, tool_result: bool = False) -> str:
    """A short chain of thought that fits the suite's small max_tokens caps (no digit 7 outside
    the arithmetic prompt, so a stop sequence of "7" never meets the reasoning)."""
    p = prompt.lower()
    if tool_result:
        head = "The tool has answered, so I only need to pass its result on."
    elif "17*23" in p.replace(" ", ""):
        head = "We need 17*23. Split 23 into 20 and 3: 17*20 = 340 and 17*3 = 51, so the total is 340 + 51 = 391."
    elif "hello in five words" in p:
        head = "The user wants a greeting that is exactly five words long."
    elif "count from" in p:
        head = "The user wants the numbers from one to twenty, separated by commas."
    elif "json" in p:
        head = "The reply must be a single JSON object with a name and an age."
    elif "weather" in p:
        head = "The user asks about the weather, which a tool can look up."
    elif "essay" in p:
        head = "The user wants an essay about the sea; I will start with its size and history."
    else:
        head = "The user sent a message that needs a short, friendly reply."
    return head
