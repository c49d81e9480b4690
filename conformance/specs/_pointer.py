"""RFC 6901 JSON pointers over plain dict/list documents."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["ABSENT", "Absent", "escape", "pointer", "remove_at", "resolve", "set_at", "split"]


class Absent:
    """The value at a pointer that does not resolve (distinct from a YAML null)."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()


def escape(token: str) -> str:
    """Escape one reference token (`~` -> `~0`, `/` -> `~1`)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build a pointer from unescaped tokens: pointer("paths", "/v1/x") == "/paths/~1v1~1x"."""
    return "".join("/" + escape(str(token)) for token in tokens)


def split(ptr: str) -> list[str]:
    """The unescaped tokens of a pointer; "" is the whole document."""
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {ptr!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in ptr[1:].split("/")]


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node[token] if token in node else ABSENT
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return ABSENT


def resolve(document: Any, ptr: str) -> Any:
    """The value at `ptr`, or ABSENT when the pointer does not resolve."""
    node = document
    for token in split(ptr):
        node = _step(node, token)
        if node is ABSENT:
            return ABSENT
    return node


def _parent(document: Any, ptr: str, *, create: bool) -> tuple[Any, str]:
    tokens = split(ptr)
    if not tokens:
        raise ValueError("the document root has no parent")
    node = document
    for token in tokens[:-1]:
        child = _step(node, token)
        if child is ABSENT:
            if not (create and isinstance(node, dict)):
                raise KeyError(f"{ptr}: {token!r} does not resolve")
            child = node[token] = {}
        node = child
    return node, tokens[-1]


def set_at(document: Any, ptr: str, value: Any) -> None:
    """Set the value at `ptr`, creating missing mapping parents."""
    parent, token = _parent(document, ptr, create=True)
    if isinstance(parent, list):
        parent[int(token)] = value
    else:
        parent[token] = value


def remove_at(document: Any, ptr: str) -> Any:
    """Remove and return the value at `ptr` (KeyError when it does not resolve)."""
    parent, token = _parent(document, ptr, create=False)
    if isinstance(parent, list):
        return parent.pop(int(token))
    if token not in parent:
        raise KeyError(f"{ptr} does not resolve")
    return parent.pop(token)
