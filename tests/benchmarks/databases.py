"""A PostgreSQL database of a benchmark's own, made beside a given one and dropped after: the role of
the given URL needs CREATEDB. `country` and `scale` measure on these."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg


def beside(url: str, database: str) -> str:
    """`url` naming `database` instead of its own."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def _run(admin_url: str, *statements: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


async def made_beside(admin_url: str, database: str) -> str:
    """A new, empty `database` beside `admin_url`'s (one left by an earlier run is dropped); its URL."""
    await _run(admin_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}")
    return beside(admin_url, database)


async def dropped(admin_url: str, url: str) -> None:
    """Drop the database `url` names, through `admin_url`'s server."""
    await _run(admin_url, f"DROP DATABASE IF EXISTS {urlsplit(url).path[1:]} WITH (FORCE)")
