"""The app's request class: Litestar-HTMX's, without its cycle.

`HTMXRequest` keeps an `HTMXDetails` that keeps the request: a reference cycle, and through the request
its scope, the chain of `send` wrappers of every middleware, the session's user and the route's household.
None of that is freed when the request ends; it waits for Python's cycle collector, which then has to go
over a visit's ~100 objects and everything else alive at that moment. In the fault run the collector took
~0.1 ms of the server's CPU a request (issue 27.4; `tests/server/test_request_cycles.py` holds that a
request leaves no cycle). Here the details are made when asked for, and not kept."""

from __future__ import annotations

from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.types import Receive, Scope, Send


class PhocapRequest(HTMXRequest):
    """An `HTMXRequest` whose `htmx` details are made on each use instead of kept on the request."""

    __slots__ = ()

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send) -> None:
        Request.__init__(self, scope=scope, receive=receive, send=send)

    @property
    def htmx(self) -> HTMXDetails:  # type: ignore[override]
        return HTMXDetails(self)
