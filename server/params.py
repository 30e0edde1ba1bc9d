"""Query parameters shared by the pages and the API, with their limits (OpenAPI shows them)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import QueryParameter

Status = Annotated[str, QueryParameter(name="status", max_length=20)]
Reason = Annotated[str, QueryParameter(name="reason", max_length=40)]
Sort = Annotated[str, QueryParameter(name="sort", max_length=10)]
PageNo = Annotated[int, QueryParameter(name="page", ge=1, le=100_000)]
# A yes/no query parameter: `true` or `false`, nothing else (Litestar alone would also take 1, 0, True…:
# one spelling, so a link and its bookmark mean one thing).
Flag = Annotated[Literal["true", "false"], QueryParameter(description="`true` or `false`, nothing else.")]
# A report's days (`/wards/{code}/reports`, its files and `/api/wards/{code}/reports`; the province's too).
From = Annotated[str | None, QueryParameter(name="from", max_length=20, description="First day, YYYY-MM-DD.")]
To = Annotated[str | None, QueryParameter(name="to", max_length=20, description="Last day, YYYY-MM-DD.")]
