"""What a fault is: a name, the invariants that catch it (and those it may also trip), and hooks on the answering
stages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..providers._profile import Profile
from ._errors import ApiError
from ._generate import Generation
from ._render import Event, Reply
from ._requests import ChatRequest
from ._timing import FaultSettings

__all__ = ["BodyHook", "Context", "ErrorHook", "EventsHook", "Fault", "GenerationHook", "ReplyHook", "RequestHook"]


@dataclass(slots=True)
class Context:
    """What a fault hook may look at: the profile, the request as received, and the parsed request."""

    profile: Profile
    settings: FaultSettings
    headers: dict[str, str]  # request headers, lower-case names
    body: Any = None  # the parsed JSON body (None before parsing)
    request: ChatRequest | None = None
    generation: Generation | None = None
    eol: bytes = b"\n"

    @property
    def wants_stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True


ErrorHook = Callable[[ApiError, Context], "ApiError | Reply | None"]
RequestHook = Callable[[ChatRequest, Context], ChatRequest]
GenerationHook = Callable[[Generation, Context], Generation]
EventsHook = Callable[[list[Event], Context], list[Event]]
BodyHook = Callable[[dict[str, Any], Context], dict[str, Any]]
ReplyHook = Callable[[Reply, Context], Reply]


def _always(_: Profile) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Fault:
    """One named deviation.

    `catches` are the invariant ids that detect it: each one is verified to fail when the suite runs
    the scenarios matching `scenario_hint` against the fault, on at least one profile it applies to
    (the suite's own tests hold this). `also` are ids that may legitimately fail as a consequence of
    the same deviation (e.g. a cut stream also breaks usage consistency) but are not promised to: on
    some profiles, scenarios or bounds they stay silent or are not applicable. Any other MUST
    failure under the fault is a false positive. `scenario_hint` says which requests trigger it: a
    mode ("stream", "nonstream", "any" success request, "error" invalid request) joined with "+" to
    scenario features (e.g. "stream+include_usage", "any+tools", "error+stream"). `applies` says
    for which profiles the fault is observable at all (e.g. a usage-placement fault needs a profile
    whose usage chunk is separate). On a request without the trigger, the answer is unchanged. The
    hooks are applied by the server, stage by stage; `on_error` may return None to carry on as if
    the request were valid (auth and validation only).
    """

    name: str
    description: str
    catches: tuple[str, ...]
    scenario_hint: str
    also: tuple[str, ...] = ()
    applies: Callable[[Profile], bool] = field(default=_always, repr=False)
    on_error: ErrorHook | None = field(default=None, repr=False)
    on_request: RequestHook | None = field(default=None, repr=False)
    on_generation: GenerationHook | None = field(default=None, repr=False)
    on_events: EventsHook | None = field(default=None, repr=False)
    on_body: BodyHook | None = field(default=None, repr=False)
    on_reply: ReplyHook | None = field(default=None, repr=False)

    def applies_to(self, profile: Profile) -> bool:
        """Whether the fault is observable under this profile (its trigger can occur and differs from
        what the profile documents)."""
        return self.applies(profile)
