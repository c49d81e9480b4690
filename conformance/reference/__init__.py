"""The embedded reference provider: a faithful DeepSeek V3.1 chat completions endpoint on 127.0.0.1.

It emulates each provider profile from the profile data (usage placement, line endings, reasoning
field, thinking switch, statuses, limits) and can inject named faults from the catalogue, so the
suite's verdicts can be proven: the clean server passes, every fault is caught.

    with ReferenceServer(api_key="sk-test") as srv:
        base_url = srv.url_for(profile="deepseek-official", fault="no-done")
"""

from ._fault_model import Fault
from ._faults import FAULTS
from ._server import MAX_BODY_BYTES, ReferenceServer, serve
from ._timing import MAX_STALL_S, FaultSettings, Timing

__all__ = ["FAULTS", "MAX_BODY_BYTES", "MAX_STALL_S", "Fault", "FaultSettings", "ReferenceServer", "Timing", "serve"]
