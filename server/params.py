"""Parameters shared by the pages and the API: query parameters with their limits (OpenAPI shows them),
and the bodies of the pages' forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

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

# A page's form as sent (`application/x-www-form-urlencoded`), and one with a file (`multipart/form-data`).
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
