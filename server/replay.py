"""The phone's replays of a form it kept (web/sw.js, docs/architecture.md §7): the worker marks each
with `X-Phocap-Replay: 1`, and the visit and attendance form handlers answer a recorded one with an
explicit result naming its `client_id` instead of the page a browser is sent to. The phone lets an
item go only on that answer: a redirect (to sign in, to change a password) or any other page is no
proof that the server has it. Everything else (a refusal, an error, a sign-in) is answered as for
the browser's own post."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, Response

REPLAY_HEADER = "x-phocap-replay"


class ReplayResult(msgspec.Struct, kw_only=True):
    """A replayed submission the server has: recorded now (201) or before (200, the same client_id)."""

    client_id: str
    status: Literal["recorded"] = "recorded"


def is_replay(request: Request[Any, Any, Any]) -> bool:
    """Whether the phone's service worker sent this post again from its queue."""
    return request.headers.get(REPLAY_HEADER) == "1"


def replay_result(client_id: object, created: bool) -> Response[ReplayResult]:
    """The explicit answer to a replay the server has: 201 when this post recorded it, 200 when an
    earlier copy of the same `client_id` did."""
    return Response(
        ReplayResult(client_id=str(client_id)),
        status_code=201 if created else 200,
        headers={"Cache-Control": "no-store"},
    )
