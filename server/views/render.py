"""Rendering a page or, for an HTMX request, just the part of it that changes."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.plugins.htmx import HTMXRequest

from surveys.core.clock import local_now


def download(content: bytes, name: str, fmt: str) -> Response[bytes]:
    """A file to save: `name` (no personal data in it) dated today, as CSV, XLSX, PDF or JSON."""
    filename = f"{name}-{local_now():%Y%m%d}.{fmt}"
    return Response(
        content,
        media_type={"csv": CSV, "xlsx": XLSX, "pdf": PDF, "json": JSON}[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
JSON = "application/json; charset=utf-8"


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    block: str = "main",
    status_code: int = 200,
    push_url: str | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMXBlockTemplate:
    """`template` as a whole page, or its `block` alone when HTMX asked (one template for both)."""
    htmx = isinstance(request, HTMXRequest) and bool(request.htmx)
    return HTMXBlockTemplate(
        template_name=template,
        block_name=block if htmx else None,
        context=context,
        status_code=status_code,
        # Explicit: otherwise the handler's default (JSON) wins over the template's suffix.
        media_type=MediaType.HTML,
        push_url=push_url if htmx and push_url else None,
        headers=headers,
    )


def ward_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    block: str = "main",
    status_code: int = 200,
    **context: Any,
) -> HTMXBlockTemplate:
    """A page under `/wards/{code}`, as `page` renders it, with what every ward page shows: the ward's
    code (its breadcrumbs and links are made of it) and no field errors unless `errors` is given."""
    code = request.path_params["code"]
    return page(
        request, template, block=block, status_code=status_code, code=code, **{"errors": {}, **context}
    )
